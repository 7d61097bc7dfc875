//! The event form: what the browser posts (all text, re-shown as typed when something is
//! wrong) and its parse into an [`EventDraft`] the store can save, or the list of problems.
//! Pure: no IO.

use time::{Date, Duration, Month, Time, Weekday};

use super::model::{Certainty, JST, MAX_EVENT_SPAN, TimeRange, Visibility, instant};
use super::recurrence::{Frequency, MAX_COUNT, MAX_INTERVAL, MonthlyBy, RecurrenceEnd, Rule};
use crate::org::model::StaffId;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 100;
/// Longest place, in characters.
pub const MAX_PLACE: usize = 100;
/// Longest notes, in characters.
pub const MAX_MEMO: usize = 2_000;
/// Most participants of one event (a whole 課 is rarely more than 60).
pub const MAX_PARTICIPANTS: usize = 300;
/// Most facilities linked to one event.
pub const MAX_FACILITIES: usize = 10;

/// The event form as posted: every field as text, so a refused form comes back as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventForm {
    /// Title.
    pub title: String,
    /// Place.
    pub place: String,
    /// Notes.
    pub memo: String,
    /// First day, `YYYY-MM-DD`.
    pub start_date: String,
    /// Start time, `HH:MM` (ignored for all-day events).
    pub start_time: String,
    /// Last day, `YYYY-MM-DD`; empty means the first day.
    pub end_date: String,
    /// End time, `HH:MM`.
    pub end_time: String,
    /// Whole days.
    pub all_day: bool,
    /// 仮予定.
    pub tentative: bool,
    /// Others see only 「予定あり」.
    pub private: bool,
    /// `none`, `daily`, `weekly`, `monthly` or `yearly`.
    pub repeat: String,
    /// Every how many periods.
    pub interval: String,
    /// Weekly series: weekday codes (`MO` .. `SU`).
    pub weekdays: Vec<String>,
    /// Monthly series: `day` or `weekday`.
    pub monthly_by: String,
    /// `never`, `until` or `count`.
    pub ends: String,
    /// Last day of the series, `YYYY-MM-DD`.
    pub until: String,
    /// Number of occurrences.
    pub count: String,
    /// Participants' staff ids.
    pub participants: Vec<String>,
    /// Linked facilities' ids.
    pub facilities: Vec<String>,
}

impl EventForm {
    /// The form from posted `name=value` pairs; repeated names (`participants`,
    /// `weekdays`, `facilities`) collect every value, unknown names are ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> EventForm {
        let mut form = EventForm::default();
        for (name, value) in pairs {
            let value = value.clone();
            match name.as_str() {
                "title" => form.title = value,
                "place" => form.place = value,
                "memo" => form.memo = value,
                "start_date" => form.start_date = value,
                "start_time" => form.start_time = value,
                "end_date" => form.end_date = value,
                "end_time" => form.end_time = value,
                "all_day" => form.all_day = !value.is_empty(),
                "tentative" => form.tentative = !value.is_empty(),
                "private" => form.private = !value.is_empty(),
                "repeat" => form.repeat = value,
                "interval" => form.interval = value,
                "weekdays" => form.weekdays.push(value),
                "monthly_by" => form.monthly_by = value,
                "ends" => form.ends = value,
                "until" => form.until = value,
                "count" => form.count = value,
                "participants" if !form.participants.contains(&value) => {
                    form.participants.push(value)
                }
                "facilities" if !form.facilities.contains(&value) => form.facilities.push(value),
                _ => {}
            }
        }
        form
    }

    /// A blank form for an event of one hour at `start` on `date`, with `participants`.
    pub fn blank(date: Date, start: Time, participants: Vec<String>) -> EventForm {
        let end = start.hour().saturating_add(1).min(23);
        EventForm {
            start_date: date_text(date),
            start_time: time_text(start),
            end_date: date_text(date),
            end_time: format!("{end:02}:{:02}", start.minute()),
            repeat: "none".into(),
            interval: "1".into(),
            monthly_by: "day".into(),
            ends: "never".into(),
            participants,
            ..EventForm::default()
        }
    }

    /// Parses the form into a draft, or every problem found.
    pub fn parse(&self) -> Result<EventDraft, Vec<Problem>> {
        let mut problems = Vec::new();
        let title = self.title.trim().to_owned();
        if title.is_empty() {
            problems.push(Problem::TitleMissing);
        } else if title.chars().count() > MAX_TITLE {
            problems.push(Problem::TitleTooLong);
        }
        let place = self.place.trim().to_owned();
        if place.chars().count() > MAX_PLACE {
            problems.push(Problem::PlaceTooLong);
        }
        let memo = self.memo.trim().to_owned();
        if memo.chars().count() > MAX_MEMO {
            problems.push(Problem::MemoTooLong);
        }
        let span = self.span(&mut problems);
        let rule = self.rule(span, &mut problems);
        let participants = parse_ids(&self.participants)
            .map(|ids| ids.into_iter().map(StaffId).collect::<Vec<_>>());
        let participants = match participants {
            Some(ids) if ids.is_empty() => {
                problems.push(Problem::NoParticipants);
                ids
            }
            Some(ids) if ids.len() > MAX_PARTICIPANTS => {
                problems.push(Problem::TooManyParticipants);
                ids
            }
            Some(ids) => ids,
            None => {
                problems.push(Problem::BadParticipant);
                Vec::new()
            }
        };
        let facilities = match parse_ids(&self.facilities) {
            Some(ids) if ids.len() > MAX_FACILITIES => {
                problems.push(Problem::TooManyFacilities);
                ids
            }
            Some(ids) => ids,
            None => {
                problems.push(Problem::BadFacility);
                Vec::new()
            }
        };
        match (span, problems.is_empty()) {
            (Some(span), true) => Ok(EventDraft {
                title,
                place,
                memo,
                span,
                all_day: self.all_day,
                certainty: if self.tentative {
                    Certainty::Tentative
                } else {
                    Certainty::Confirmed
                },
                visibility: if self.private {
                    Visibility::Private
                } else {
                    Visibility::Public
                },
                rule,
                participants,
                facilities,
            }),
            _ => Err(problems),
        }
    }

    fn span(&self, problems: &mut Vec<Problem>) -> Option<TimeRange> {
        let Some(first) = parse_date(&self.start_date) else {
            problems.push(Problem::BadDate);
            return None;
        };
        let last = if self.end_date.trim().is_empty() {
            first
        } else if let Some(last) = parse_date(&self.end_date) {
            last
        } else {
            problems.push(Problem::BadDate);
            return None;
        };
        let span = if self.all_day {
            if last < first {
                problems.push(Problem::EndBeforeStart);
                return None;
            }
            TimeRange::local_days(first, last)
        } else {
            let (Some(start), Some(end)) =
                (parse_time(&self.start_time), parse_time(&self.end_time))
            else {
                problems.push(Problem::BadTime);
                return None;
            };
            let span = TimeRange::new(instant(first, start), instant(last, end));
            if span.is_none() {
                problems.push(Problem::EndBeforeStart);
                return None;
            }
            span
        };
        if span.is_some_and(|s| s.duration() > MAX_EVENT_SPAN) {
            problems.push(Problem::TooLong);
            return None;
        }
        span
    }

    fn rule(&self, span: Option<TimeRange>, problems: &mut Vec<Problem>) -> Option<Rule> {
        let frequency = match self.repeat.as_str() {
            "" | "none" => return None,
            other => match Frequency::parse(other) {
                Some(f) => f,
                None => {
                    problems.push(Problem::BadRepeat);
                    return None;
                }
            },
        };
        let interval = match self.interval.trim() {
            "" => 1,
            text => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_INTERVAL).contains(&n) => n,
                _ => {
                    problems.push(Problem::BadInterval);
                    1
                }
            },
        };
        let mut weekdays = Vec::new();
        for code in &self.weekdays {
            match weekday(code) {
                Some(day) if !weekdays.contains(&day) => weekdays.push(day),
                Some(_) => {}
                None => problems.push(Problem::BadRepeat),
            }
        }
        weekdays.sort_by_key(|d: &Weekday| d.number_days_from_monday());
        let start_date = span.map(|s| s.start().to_offset(JST).date());
        let end = match self.ends.as_str() {
            "" | "never" => RecurrenceEnd::Never,
            "until" => match parse_date(&self.until) {
                Some(until) if start_date.is_none_or(|start| until >= start) => {
                    RecurrenceEnd::Until(until)
                }
                Some(_) => {
                    problems.push(Problem::UntilBeforeStart);
                    RecurrenceEnd::Never
                }
                None => {
                    problems.push(Problem::BadUntil);
                    RecurrenceEnd::Never
                }
            },
            "count" => match self.count.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_COUNT).contains(&n) => RecurrenceEnd::Count(n),
                _ => {
                    problems.push(Problem::BadCount);
                    RecurrenceEnd::Never
                }
            },
            _ => {
                problems.push(Problem::BadRepeat);
                RecurrenceEnd::Never
            }
        };
        let rule = Rule {
            frequency,
            interval,
            weekdays: if frequency == Frequency::Weekly {
                weekdays
            } else {
                Vec::new()
            },
            monthly_by: if self.monthly_by == "weekday" {
                MonthlyBy::Weekday
            } else {
                MonthlyBy::DayOfMonth
            },
            end,
        };
        // An occurrence must end before the next begins, or a series would overlap itself.
        if let Some(span) = span {
            let shortest_gap = match frequency {
                Frequency::Daily => Duration::days(i64::from(interval)),
                Frequency::Weekly if rule.weekdays.len() > 1 => Duration::days(1),
                Frequency::Weekly => Duration::weeks(i64::from(interval)),
                Frequency::Monthly => Duration::days(28 * i64::from(interval)),
                Frequency::Yearly => Duration::days(365 * i64::from(interval)),
            };
            if span.duration() > shortest_gap {
                problems.push(Problem::OccurrencesOverlap);
            }
        }
        Some(rule)
    }
}

/// What an event will be once saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    /// Title.
    pub title: String,
    /// Place.
    pub place: String,
    /// Notes.
    pub memo: String,
    /// The (first) occurrence.
    pub span: TimeRange,
    /// Whole days.
    pub all_day: bool,
    /// Firm or tentative.
    pub certainty: Certainty,
    /// Public or private.
    pub visibility: Visibility,
    /// The recurrence, for a series.
    pub rule: Option<Rule>,
    /// Who takes part, in the order chosen.
    pub participants: Vec<StaffId>,
    /// Facilities to reserve for it (ids of the facility module).
    pub facilities: Vec<i64>,
}

/// Something wrong with a posted event form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No title.
    TitleMissing,
    /// Title over [`MAX_TITLE`].
    TitleTooLong,
    /// Place over [`MAX_PLACE`].
    PlaceTooLong,
    /// Notes over [`MAX_MEMO`].
    MemoTooLong,
    /// A date is not `YYYY-MM-DD`.
    BadDate,
    /// A time is not `HH:MM`.
    BadTime,
    /// The end is not after the start.
    EndBeforeStart,
    /// Longer than [`MAX_EVENT_SPAN`].
    TooLong,
    /// Unknown repeat choice or weekday.
    BadRepeat,
    /// Interval not 1-99.
    BadInterval,
    /// Series end date unreadable.
    BadUntil,
    /// Series end date before its start.
    UntilBeforeStart,
    /// Occurrence count not 1-999.
    BadCount,
    /// An occurrence lasts longer than the gap to the next.
    OccurrencesOverlap,
    /// Nobody takes part.
    NoParticipants,
    /// Over [`MAX_PARTICIPANTS`].
    TooManyParticipants,
    /// A participant id that is not a number or not current staff.
    BadParticipant,
    /// Over [`MAX_FACILITIES`].
    TooManyFacilities,
    /// A facility id that is not a number or not a facility.
    BadFacility,
}

fn parse_ids(values: &[String]) -> Option<Vec<i64>> {
    let mut ids = Vec::with_capacity(values.len());
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        let id: i64 = value.parse().ok().filter(|id| *id > 0)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Some(ids)
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if !(1900..=9998).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// An `HH:MM` time; `24:00` is not accepted (use the next day's `00:00`).
pub fn parse_time(text: &str) -> Option<Time> {
    let (hour, minute) = text.trim().split_once(':')?;
    Time::from_hms(hour.parse().ok()?, minute.parse().ok()?, 0).ok()
}

/// `date` as `YYYY-MM-DD`.
pub fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `time` as `HH:MM`.
pub fn time_text(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("title", " 課内会議 "),
            ("start_date", "2025-12-09"),
            ("start_time", "10:00"),
            ("end_date", "2025-12-09"),
            ("end_time", "11:30"),
            ("participants", "3"),
            ("participants", "5"),
            ("participants", "3"),
            ("repeat", "none"),
        ]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> EventForm {
        let mut list = good();
        for (name, value) in extra {
            list.retain(|(n, _)| n != name || *name == "participants" || *name == "weekdays");
            list.push((name, value));
        }
        EventForm::from_pairs(&pairs(&list))
    }

    #[test]
    fn a_good_form_becomes_a_draft_in_japanese_time() {
        let draft = with(&[]).parse().unwrap();
        assert_eq!(draft.title, "課内会議");
        assert_eq!(draft.span.start(), datetime!(2025 - 12 - 09 01:00 UTC));
        assert_eq!(draft.span.duration(), Duration::minutes(90));
        assert_eq!(draft.participants, [StaffId(3), StaffId(5)]);
        assert_eq!(draft.rule, None);
        assert_eq!(draft.visibility, Visibility::Public);
    }

    #[test]
    fn all_day_events_cover_whole_japanese_days() {
        let draft = with(&[
            ("all_day", "1"),
            ("end_date", "2025-12-11"),
            ("private", "1"),
        ])
        .parse()
        .unwrap();
        assert_eq!(draft.span.start(), datetime!(2025 - 12 - 08 15:00 UTC));
        assert_eq!(draft.span.end(), datetime!(2025 - 12 - 11 15:00 UTC));
        assert_eq!(draft.visibility, Visibility::Private);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [Problem]);
        let table: &[Case] = &[
            (&[("title", "  ")], &[Problem::TitleMissing]),
            (&[("start_date", "2025-13-01")], &[Problem::BadDate]),
            (&[("end_time", "25:00")], &[Problem::BadTime]),
            (&[("end_time", "09:00")], &[Problem::EndBeforeStart]),
            (&[("end_date", "2026-06-01")], &[Problem::TooLong]),
            (&[("repeat", "hourly")], &[Problem::BadRepeat]),
            (
                &[("repeat", "daily"), ("interval", "0")],
                &[Problem::BadInterval],
            ),
            (
                &[
                    ("repeat", "daily"),
                    ("ends", "until"),
                    ("until", "2025-12-01"),
                ],
                &[Problem::UntilBeforeStart],
            ),
            (
                &[("repeat", "daily"), ("ends", "count"), ("count", "x")],
                &[Problem::BadCount],
            ),
            (
                &[("repeat", "daily"), ("end_date", "2025-12-11")],
                &[Problem::OccurrencesOverlap],
            ),
            (&[("participants", "abc")], &[Problem::BadParticipant]),
            (
                &[("title", ""), ("end_time", "x")],
                &[Problem::TitleMissing, Problem::BadTime],
            ),
        ];
        for (extra, expected) in table {
            assert_eq!(with(extra).parse().unwrap_err(), *expected, "{extra:?}");
        }
        let nobody = EventForm {
            participants: vec![],
            ..with(&[])
        };
        assert_eq!(nobody.parse().unwrap_err(), [Problem::NoParticipants]);
        let long = EventForm {
            title: "あ".repeat(MAX_TITLE + 1),
            ..with(&[])
        };
        assert_eq!(long.parse().unwrap_err(), [Problem::TitleTooLong]);
    }

    #[test]
    fn repeat_choices_become_rules() {
        let weekly = with(&[
            ("repeat", "weekly"),
            ("weekdays", "TH"),
            ("weekdays", "TU"),
            ("ends", "count"),
            ("count", "10"),
        ])
        .parse()
        .unwrap();
        assert_eq!(
            weekly
                .rule
                .map(|r| r.to_rrule(date!(2025 - 12 - 09)))
                .as_deref(),
            Some("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10")
        );
        let monthly = with(&[
            ("repeat", "monthly"),
            ("monthly_by", "weekday"),
            ("ends", "until"),
            ("until", "2026-03-31"),
        ])
        .parse()
        .unwrap();
        assert_eq!(
            monthly
                .rule
                .map(|r| r.to_rrule(date!(2025 - 12 - 09)))
                .as_deref(),
            Some("FREQ=MONTHLY;BYDAY=2TU;UNTIL=20260331")
        );
    }

    #[test]
    fn dates_and_times_parse_strictly() {
        assert_eq!(parse_date("2025-12-09"), Some(date!(2025 - 12 - 09)));
        assert_eq!(parse_date("2025-02-29"), None);
        assert_eq!(parse_date("12/09/2025"), None);
        assert_eq!(parse_time("08:30"), Some(time!(8:30)));
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("8"), None);
        assert_eq!(date_text(date!(2025 - 01 - 05)), "2025-01-05");
        assert_eq!(time_text(time!(9:05)), "09:05");
    }
}
