//! Shaping occurrences into what the calendar pages show: the days of a week or month with
//! their holidays, and each day's entries as short lines ("10:00〜11:00 課内会議").
//! Pure: the pages hand in occurrences and dates and get view data back.

use std::collections::HashMap;

use time::{Date, Duration, Month, Weekday};

use super::holidays::holidays_of;
use super::model::{JST, Occurrence, TimeRange};
use super::texts::ScheduleTexts;

/// Which calendar a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// One day.
    Day,
    /// Seven days from Sunday.
    Week,
    /// The weeks of a month.
    Month,
}

impl View {
    /// The view named in `?view=`, week by default.
    pub fn parse(name: Option<&str>) -> View {
        match name {
            Some("day") => View::Day,
            Some("month") => View::Month,
            _ => View::Week,
        }
    }

    /// The `?view=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Day => "day",
            View::Week => "week",
            View::Month => "month",
        }
    }

    /// The days the view shows around `date`: the day, its Sunday-first week, or the whole
    /// weeks covering its month.
    pub fn days(self, date: Date) -> Vec<Date> {
        match self {
            View::Day => vec![date],
            View::Week => week_days(date).to_vec(),
            View::Month => month_weeks(date).into_iter().flatten().collect(),
        }
    }

    /// The date the "previous" and "next" links go to.
    pub fn step(self, date: Date, forward: bool) -> Date {
        let sign = if forward { 1 } else { -1 };
        match self {
            View::Day => date + Duration::days(sign),
            View::Week => date + Duration::days(7 * sign),
            View::Month => {
                let (year, month) = if forward {
                    match date.month() {
                        Month::December => (date.year() + 1, Month::January),
                        m => (date.year(), m.next()),
                    }
                } else {
                    match date.month() {
                        Month::January => (date.year() - 1, Month::December),
                        m => (date.year(), m.previous()),
                    }
                };
                Date::from_calendar_date(year, month, 1).unwrap_or(date)
            }
        }
    }
}

/// The Sunday-first week that holds `date`.
pub fn week_days(date: Date) -> [Date; 7] {
    let sunday = date - Duration::days(i64::from(date.weekday().number_days_from_sunday()));
    std::array::from_fn(|i| sunday + Duration::days(i as i64))
}

/// The Sunday-first weeks covering the month of `date`.
pub fn month_weeks(date: Date) -> Vec<[Date; 7]> {
    let first = date.replace_day(1).unwrap_or(date);
    let mut weeks = Vec::with_capacity(6);
    let mut day = week_days(first)[0];
    while weeks.len() < 6 && (day.month() == first.month() || day < first) {
        let week = week_days(day);
        weeks.push(week);
        day = week[6] + Duration::days(1);
    }
    weeks
}

/// A column heading: a day with its weekday, and its holiday if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHead {
    /// The date.
    pub date: Date,
    /// `YYYY-MM-DD`, for links.
    pub iso: String,
    /// "12/9（火）" or "12/9 Tue".
    pub label: String,
    /// Day of the month alone, for month cells.
    pub day: u8,
    /// The holiday's name.
    pub holiday: Option<&'static str>,
    /// CSS class: `sun`, `sat`, `holiday` or empty.
    pub class: &'static str,
    /// Today.
    pub today: bool,
    /// Outside the month a month view shows.
    pub other_month: bool,
}

/// Headings for `days`, `today` marked, `month` (for month views) dimming other months.
pub fn day_heads(
    days: &[Date],
    today: Date,
    month: Option<Month>,
    texts: &ScheduleTexts,
) -> Vec<DayHead> {
    let mut holidays: HashMap<Date, &'static str> = HashMap::new();
    let mut years: Vec<i32> = days.iter().map(|d| d.year()).collect();
    years.dedup();
    for year in years {
        holidays.extend(holidays_of(year).into_iter().map(|h| (h.date, h.name)));
    }
    days.iter()
        .map(|date| {
            let holiday = holidays.get(date).copied();
            let weekday = texts.weekdays[usize::from(date.weekday().number_days_from_sunday())];
            let class = if holiday.is_some() || date.weekday() == Weekday::Sunday {
                if holiday.is_some() { "holiday" } else { "sun" }
            } else if date.weekday() == Weekday::Saturday {
                "sat"
            } else {
                ""
            };
            DayHead {
                date: *date,
                iso: super::form::date_text(*date),
                label: format!("{}/{}（{weekday}）", u8::from(date.month()), date.day()),
                day: date.day(),
                holiday,
                class,
                today: *date == today,
                other_month: month.is_some_and(|m| m != date.month()),
            }
        })
        .collect()
}

/// One line of a calendar cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The event page of this occurrence.
    pub href: String,
    /// "10:00〜11:00", "終日", "〜11:00" (began earlier) or "10:00〜" (goes on).
    pub time: String,
    /// The title, or 「予定あり」.
    pub title: String,
    /// The place, when shown.
    pub place: Option<String>,
    /// 仮予定.
    pub tentative: bool,
    /// Shown as 「予定あり」 only.
    pub hidden: bool,
    /// Part of a series.
    pub recurring: bool,
    /// Sort key: all-day first, then by start.
    order: (bool, i64),
}

/// The entries of `occurrences` that fall on local day `date`, all-day first, then by start.
pub fn entries_on(occurrences: &[Occurrence], date: Date, texts: &ScheduleTexts) -> Vec<Entry> {
    let Some(day) = TimeRange::local_days(date, date) else {
        return Vec::new();
    };
    let mut entries: Vec<Entry> = occurrences
        .iter()
        .filter(|o| o.span.overlaps(&day))
        .map(|o| entry(o, &day, texts))
        .collect();
    entries.sort_by_key(|e| e.order);
    entries
}

fn entry(o: &Occurrence, day: &TimeRange, texts: &ScheduleTexts) -> Entry {
    let hm = |at: time::OffsetDateTime| {
        let local = at.to_offset(JST);
        format!("{:02}:{:02}", local.hour(), local.minute())
    };
    let begins_today = o.span.start() >= day.start();
    let ends_today = o.span.end() <= day.end();
    let time = if o.all_day || (!begins_today && !ends_today) {
        texts.all_day.to_owned()
    } else {
        match (begins_today, ends_today) {
            (true, true) => format!("{}〜{}", hm(o.span.start()), hm(o.span.end())),
            (true, false) => format!("{}〜", hm(o.span.start())),
            _ => format!("〜{}", hm(o.span.end())),
        }
    };
    Entry {
        href: format!("/schedule/events/{}?at={}", o.event, o.span.start_unix()),
        time,
        title: o.title.clone().unwrap_or_else(|| texts.busy.to_owned()),
        place: o.place.clone(),
        tentative: o.tentative,
        hidden: o.title.is_none(),
        recurring: o.recurring,
        order: (!o.all_day && begins_today, o.span.start_unix()),
    }
}

/// A date heading for a whole page: "2025年12月9日（火）" or "Tue, December 9, 2025".
pub fn long_date(date: Date, texts: &ScheduleTexts, japanese: bool) -> String {
    let weekday = texts.weekdays[usize::from(date.weekday().number_days_from_sunday())];
    if japanese {
        format!(
            "{}年{}月{}日（{weekday}）",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    } else {
        format!(
            "{weekday}, {} {}, {}",
            date.month(),
            date.day(),
            date.year()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::model::EventId;
    use crate::schedule::texts::JA;
    use time::macros::{date, datetime};

    fn occurrence(
        start: time::OffsetDateTime,
        end: time::OffsetDateTime,
        title: Option<&str>,
    ) -> Occurrence {
        Occurrence {
            event: EventId(7),
            span: TimeRange::new(start, end).unwrap(),
            all_day: false,
            title: title.map(String::from),
            place: None,
            tentative: false,
            recurring: false,
        }
    }

    #[test]
    fn weeks_start_on_sunday_and_months_cover_whole_weeks() {
        assert_eq!(week_days(date!(2025 - 12 - 09))[0], date!(2025 - 12 - 07));
        assert_eq!(week_days(date!(2025 - 12 - 07))[6], date!(2025 - 12 - 13));
        let weeks = month_weeks(date!(2025 - 12 - 20));
        assert_eq!(weeks.len(), 5);
        assert_eq!(weeks[0][0], date!(2025 - 11 - 30));
        assert_eq!(weeks[4][6], date!(2026 - 01 - 03));
        assert_eq!(month_weeks(date!(2026 - 02 - 01)).len(), 4);
        assert_eq!(
            View::Month.step(date!(2025 - 12 - 20), true),
            date!(2026 - 01 - 01)
        );
        assert_eq!(
            View::Month.step(date!(2026 - 01 - 20), false),
            date!(2025 - 12 - 01)
        );
        assert_eq!(
            View::Week.step(date!(2026 - 01 - 20), false),
            date!(2026 - 01 - 13)
        );
    }

    #[test]
    fn heads_mark_holidays_weekends_and_today() {
        let heads = day_heads(
            &week_days(date!(2025 - 11 - 24)),
            date!(2025 - 11 - 25),
            None,
            &JA,
        );
        let classes: Vec<_> = heads.iter().map(|h| h.class).collect();
        // 23 November 2025 is a Sunday and 勤労感謝の日, so the 24th is a substitute.
        assert_eq!(classes, ["holiday", "holiday", "", "", "", "", "sat"]);
        assert_eq!(heads[0].holiday, Some("勤労感謝の日"));
        assert_eq!(heads[1].holiday, Some("振替休日"));
        let plain = day_heads(
            &week_days(date!(2025 - 12 - 09)),
            date!(2025 - 12 - 09),
            None,
            &JA,
        );
        assert_eq!(plain[0].class, "sun");
        assert_eq!(heads[1].label, "11/24（月）");
        assert!(heads[2].today && !heads[1].today);
    }

    #[test]
    fn entries_show_times_in_japan_and_hide_private_titles() {
        let day = date!(2025 - 12 - 09);
        let list = [
            occurrence(
                datetime!(2025-12-09 14:00 +9),
                datetime!(2025-12-09 15:00 +9),
                Some("打合せ"),
            ),
            occurrence(
                datetime!(2025-12-09 09:00 +9),
                datetime!(2025-12-09 10:00 +9),
                None,
            ),
            occurrence(
                datetime!(2025-12-08 13:00 +9),
                datetime!(2025-12-10 12:00 +9),
                Some("出張"),
            ),
            occurrence(
                datetime!(2025-12-09 17:00 +9),
                datetime!(2025-12-10 09:00 +9),
                Some("夜間対応"),
            ),
            occurrence(
                datetime!(2025-12-10 09:00 +9),
                datetime!(2025-12-10 10:00 +9),
                Some("翌日"),
            ),
        ];
        let entries = entries_on(&list, day, &JA);
        let lines: Vec<(String, String)> = entries
            .iter()
            .map(|e| (e.time.clone(), e.title.clone()))
            .collect();
        assert_eq!(
            lines,
            [
                ("終日".to_owned(), "出張".to_owned()),
                ("09:00〜10:00".to_owned(), "予定あり".to_owned()),
                ("14:00〜15:00".to_owned(), "打合せ".to_owned()),
                ("17:00〜".to_owned(), "夜間対応".to_owned()),
            ]
        );
        assert!(entries[1].hidden);
        assert_eq!(
            entries[2].href,
            format!(
                "/schedule/events/7?at={}",
                datetime!(2025-12-09 14:00 +9).unix_timestamp()
            )
        );
        let next_day = entries_on(&list, date!(2025 - 12 - 10), &JA);
        assert_eq!(next_day.iter().filter(|e| e.time == "〜09:00").count(), 1);
    }
}
