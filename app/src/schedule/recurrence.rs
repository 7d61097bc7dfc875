//! Recurring events: the rule (daily, weekly, monthly, yearly; interval; until or count),
//! written and read as an RFC 5545 `RRULE` value, and its expansion into occurrences.
//!
//! Occurrences are counted in Japan's local time, where people think "every Tuesday at
//! 10:00"; Japan has no daylight saving, so every local time maps to one instant.

use std::fmt;

use time::{Date, Duration, Month, PrimitiveDateTime, Weekday};

use super::holidays::nth_weekday;

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every `interval` days.
    Daily,
    /// Every `interval` weeks, on the chosen weekdays.
    Weekly,
    /// Every `interval` months, on the same day or the same nth weekday.
    Monthly,
    /// Every `interval` years, on the same date.
    Yearly,
}

impl Frequency {
    /// Every frequency, shortest first.
    pub const ALL: [Frequency; 4] = [
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Yearly,
    ];

    /// The RFC 5545 `FREQ` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }

    /// The frequency named by an RFC 5545 `FREQ` value or a form value (any case).
    pub fn parse(name: &str) -> Option<Frequency> {
        Frequency::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name))
    }
}

/// Which day of the month a monthly series falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthlyBy {
    /// The start's day of the month (months without that day are skipped, as RFC 5545 says).
    DayOfMonth,
    /// The start's weekday, in the same week of the month (第2火曜日); the fifth becomes the
    /// last, so "the last Friday" keeps its meaning.
    Weekday,
}

/// When a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurrenceEnd {
    /// Never.
    Never,
    /// After the occurrence on this local date (inclusive).
    Until(Date),
    /// After this many occurrences.
    Count(u32),
}

/// A recurrence rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// How often.
    pub frequency: Frequency,
    /// Every how many periods (1 = every one).
    pub interval: u32,
    /// For weekly series: the weekdays, Monday first; empty means the start's weekday.
    pub weekdays: Vec<Weekday>,
    /// For monthly series: by day of month or by weekday.
    pub monthly_by: MonthlyBy,
    /// When it ends.
    pub end: RecurrenceEnd,
}

/// The longest interval accepted; beyond it a rule is more likely a typo than a plan.
pub const MAX_INTERVAL: u32 = 99;
/// The most occurrences a counted series may have.
pub const MAX_COUNT: u32 = 999;
/// Steps an expansion takes at most, so a rule can never make a request spin.
const MAX_STEPS: usize = 40_000;

/// Why an `RRULE` value was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A part is not `NAME=VALUE` or names something unsupported.
    #[error("unsupported RRULE part `{0}`")]
    Unsupported(String),
    /// `FREQ` is missing.
    #[error("RRULE without FREQ")]
    NoFrequency,
    /// A value is out of range.
    #[error("bad RRULE value `{0}`")]
    BadValue(String),
}

const WEEKDAY_CODES: [(Weekday, &str); 7] = [
    (Weekday::Monday, "MO"),
    (Weekday::Tuesday, "TU"),
    (Weekday::Wednesday, "WE"),
    (Weekday::Thursday, "TH"),
    (Weekday::Friday, "FR"),
    (Weekday::Saturday, "SA"),
    (Weekday::Sunday, "SU"),
];

fn weekday_code(day: Weekday) -> &'static str {
    WEEKDAY_CODES
        .iter()
        .find(|(d, _)| *d == day)
        .map(|(_, code)| *code)
        .unwrap_or("MO")
}

fn weekday_from_code(code: &str) -> Option<Weekday> {
    WEEKDAY_CODES
        .iter()
        .find(|(_, c)| c.eq_ignore_ascii_case(code))
        .map(|(d, _)| *d)
}

impl Rule {
    /// The rule as an RFC 5545 `RRULE` value for a series starting on `start` (needed to spell
    /// a monthly-by-weekday rule as `BYDAY=2TU`). `UNTIL` is a local date, which RFC 5545
    /// allows when the series' times are floating or dates; the feed converts it.
    pub fn to_rrule(&self, start: Date) -> String {
        let mut parts = vec![format!("FREQ={}", self.frequency.as_str())];
        if self.interval > 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        match self.frequency {
            Frequency::Weekly if !self.weekdays.is_empty() => {
                let days: Vec<&str> = self.weekdays.iter().map(|d| weekday_code(*d)).collect();
                parts.push(format!("BYDAY={}", days.join(",")));
            }
            Frequency::Monthly if self.monthly_by == MonthlyBy::Weekday => {
                let nth = week_of_month(start);
                let nth = if nth >= 5 { -1 } else { i32::from(nth) };
                parts.push(format!("BYDAY={nth}{}", weekday_code(start.weekday())));
            }
            _ => {}
        }
        match self.end {
            RecurrenceEnd::Never => {}
            RecurrenceEnd::Until(date) => parts.push(format!(
                "UNTIL={:04}{:02}{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )),
            RecurrenceEnd::Count(n) => parts.push(format!("COUNT={n}")),
        }
        parts.join(";")
    }

    /// Reads an `RRULE` value as [`Rule::to_rrule`] writes it.
    pub fn parse_rrule(text: &str) -> Result<Rule, RuleError> {
        let mut rule = Rule {
            frequency: Frequency::Daily,
            interval: 1,
            weekdays: Vec::new(),
            monthly_by: MonthlyBy::DayOfMonth,
            end: RecurrenceEnd::Never,
        };
        let mut frequency = None;
        for part in text.split(';').filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| RuleError::Unsupported(part.to_owned()))?;
            let bad = || RuleError::BadValue(part.to_owned());
            match name.to_ascii_uppercase().as_str() {
                "FREQ" => frequency = Some(Frequency::parse(value).ok_or_else(bad)?),
                "INTERVAL" => {
                    rule.interval = value.parse().map_err(|_| bad())?;
                    if !(1..=MAX_INTERVAL).contains(&rule.interval) {
                        return Err(bad());
                    }
                }
                "COUNT" => {
                    let count: u32 = value.parse().map_err(|_| bad())?;
                    if !(1..=MAX_COUNT).contains(&count) {
                        return Err(bad());
                    }
                    rule.end = RecurrenceEnd::Count(count);
                }
                "UNTIL" => {
                    let digits = value.get(..8).ok_or_else(bad)?;
                    let year: i32 = digits
                        .get(..4)
                        .and_then(|y| y.parse().ok())
                        .ok_or_else(bad)?;
                    let month: u8 = digits
                        .get(4..6)
                        .and_then(|m| m.parse().ok())
                        .ok_or_else(bad)?;
                    let day: u8 = digits
                        .get(6..8)
                        .and_then(|d| d.parse().ok())
                        .ok_or_else(bad)?;
                    let month = Month::try_from(month).map_err(|_| bad())?;
                    let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
                    rule.end = RecurrenceEnd::Until(date);
                }
                "BYDAY" => {
                    for code in value.split(',') {
                        let letters =
                            code.trim_start_matches(|c: char| c == '-' || c.is_ascii_digit());
                        let day = weekday_from_code(letters).ok_or_else(bad)?;
                        if letters.len() == code.len() {
                            if !rule.weekdays.contains(&day) {
                                rule.weekdays.push(day);
                            }
                        } else {
                            rule.monthly_by = MonthlyBy::Weekday;
                        }
                    }
                    rule.weekdays.sort_by_key(|d| d.number_days_from_monday());
                }
                "WKST" => {}
                _ => return Err(RuleError::Unsupported(part.to_owned())),
            }
        }
        rule.frequency = frequency.ok_or(RuleError::NoFrequency)?;
        Ok(rule)
    }

    /// The local start times of the occurrences of a series whose first occurrence starts at
    /// `first`, from the first on, that start before `before`. Counted series stop after their
    /// count, wherever the window is.
    pub fn starts(
        &self,
        first: PrimitiveDateTime,
        before: PrimitiveDateTime,
    ) -> Vec<PrimitiveDateTime> {
        let mut out = Vec::new();
        let mut emitted: u32 = 0;
        let limit_count = match self.end {
            RecurrenceEnd::Count(n) => n,
            _ => u32::MAX,
        };
        let until = match self.end {
            RecurrenceEnd::Until(date) => Some(date),
            _ => None,
        };
        let interval = i64::from(self.interval.max(1));
        let time = first.time();
        let start_date = first.date();
        let mut push = |date: Date, out: &mut Vec<PrimitiveDateTime>| -> bool {
            // Returns false once the series or the window is over.
            if emitted >= limit_count || until.is_some_and(|u| date > u) {
                return false;
            }
            let at = PrimitiveDateTime::new(date, time);
            if at >= before {
                return false;
            }
            if date >= start_date {
                out.push(at);
                emitted += 1;
            }
            true
        };
        match self.frequency {
            Frequency::Daily => {
                for step in 0..MAX_STEPS as i64 {
                    let Some(date) = start_date.checked_add(Duration::days(step * interval)) else {
                        break;
                    };
                    if !push(date, &mut out) {
                        break;
                    }
                }
            }
            Frequency::Weekly => {
                let days = if self.weekdays.is_empty() {
                    vec![start_date.weekday()]
                } else {
                    self.weekdays.clone()
                };
                let monday = start_date
                    - Duration::days(i64::from(start_date.weekday().number_days_from_monday()));
                'weeks: for week in 0..(MAX_STEPS / 7) as i64 {
                    let Some(week_start) = monday.checked_add(Duration::weeks(week * interval))
                    else {
                        break;
                    };
                    for day in &days {
                        let date =
                            week_start + Duration::days(i64::from(day.number_days_from_monday()));
                        if date < start_date {
                            continue;
                        }
                        if !push(date, &mut out) {
                            break 'weeks;
                        }
                    }
                }
            }
            Frequency::Monthly | Frequency::Yearly => {
                let months_per_step = if self.frequency == Frequency::Yearly {
                    12 * interval
                } else {
                    interval
                };
                let nth = week_of_month(start_date);
                for step in 0..MAX_STEPS as i64 {
                    let (year, month) = add_months(
                        start_date.year(),
                        start_date.month(),
                        step * months_per_step,
                    );
                    let date = if self.frequency == Frequency::Monthly
                        && self.monthly_by == MonthlyBy::Weekday
                    {
                        if nth >= 5 {
                            last_weekday(year, month, start_date.weekday())
                        } else {
                            nth_weekday(year, month, start_date.weekday(), nth)
                        }
                    } else {
                        Date::from_calendar_date(year, month, start_date.day()).ok()
                    };
                    let Some(date) = date else {
                        // This month has no such day (31st, 29 February): skipped, but the
                        // window may still go on.
                        if Date::from_calendar_date(year, month, 1)
                            .is_ok_and(|d| PrimitiveDateTime::new(d, time) >= before)
                        {
                            break;
                        }
                        continue;
                    };
                    if !push(date, &mut out) {
                        break;
                    }
                }
            }
        }
        out
    }

    /// The local date of the last occurrence, or `None` for a series without end; used to
    /// index a series by the end of its last occurrence.
    pub fn last_date(&self, first: PrimitiveDateTime) -> Option<Date> {
        match self.end {
            RecurrenceEnd::Never => None,
            RecurrenceEnd::Until(_) | RecurrenceEnd::Count(_) => {
                let far = PrimitiveDateTime::new(Date::MAX, time::Time::MIDNIGHT);
                self.starts(first, far).last().map(|at| at.date())
            }
        }
    }
}

/// Which week of its month `date` is in, counting from 1 (days 1-7 are the first).
pub fn week_of_month(date: Date) -> u8 {
    (date.day() - 1) / 7 + 1
}

fn last_weekday(year: i32, month: Month, weekday: Weekday) -> Option<Date> {
    nth_weekday(year, month, weekday, 5).or_else(|| nth_weekday(year, month, weekday, 4))
}

fn add_months(year: i32, month: Month, months: i64) -> (i32, Month) {
    let index = i64::from(year) * 12 + i64::from(u8::from(month)) - 1 + months;
    let year = i32::try_from(index.div_euclid(12)).unwrap_or(i32::MAX);
    let month = u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
    (year, Month::try_from(month).unwrap_or(Month::January))
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rrule(Date::MIN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn rule(text: &str) -> Rule {
        Rule::parse_rrule(text).unwrap()
    }

    fn dates(rule: &Rule, first: PrimitiveDateTime, before: PrimitiveDateTime) -> Vec<Date> {
        rule.starts(first, before)
            .into_iter()
            .map(|at| at.date())
            .collect()
    }

    #[test]
    fn rrule_values_round_trip() {
        let start = date!(2025 - 12 - 09);
        for text in [
            "FREQ=DAILY",
            "FREQ=DAILY;INTERVAL=2;COUNT=10",
            "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20260331",
            "FREQ=MONTHLY;BYDAY=2TU",
            "FREQ=MONTHLY;INTERVAL=3",
            "FREQ=YEARLY;COUNT=5",
        ] {
            assert_eq!(rule(text).to_rrule(start), text);
        }
    }

    #[test]
    fn unsupported_or_broken_rules_are_refused() {
        for text in [
            "",
            "INTERVAL=2",
            "FREQ=HOURLY",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;INTERVAL=100",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;UNTIL=20251340",
            "FREQ=DAILY;BYSETPOS=1",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ",
        ] {
            assert!(Rule::parse_rrule(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn weekly_rules_repeat_on_their_weekdays() {
        let r = rule("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=5");
        assert_eq!(
            dates(
                &r,
                datetime!(2025 - 12 - 04 10:00),
                datetime!(2026 - 12 - 31 0:00)
            ),
            [
                date!(2025 - 12 - 04),
                date!(2025 - 12 - 09),
                date!(2025 - 12 - 11),
                date!(2025 - 12 - 16),
                date!(2025 - 12 - 18),
            ]
        );
        let biweekly = rule("FREQ=WEEKLY;INTERVAL=2;UNTIL=20260101");
        assert_eq!(
            dates(
                &biweekly,
                datetime!(2025 - 12 - 01 9:00),
                datetime!(2027 - 01 - 01 0:00)
            ),
            [
                date!(2025 - 12 - 01),
                date!(2025 - 12 - 15),
                date!(2025 - 12 - 29)
            ]
        );
    }

    #[test]
    fn monthly_rules_skip_short_months_and_keep_the_last_weekday() {
        let on_31st = rule("FREQ=MONTHLY;COUNT=4");
        assert_eq!(
            dates(
                &on_31st,
                datetime!(2026 - 01 - 31 9:00),
                datetime!(2030 - 01 - 01 0:00)
            ),
            [
                date!(2026 - 01 - 31),
                date!(2026 - 03 - 31),
                date!(2026 - 05 - 31),
                date!(2026 - 07 - 31)
            ]
        );
        // 2025-12-26 is the last (4th) Friday; 2026-01-30 is the 5th and last.
        let last_friday = rule("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3");
        assert_eq!(
            dates(
                &last_friday,
                datetime!(2025 - 10 - 31 15:00),
                datetime!(2030 - 01 - 01 0:00)
            ),
            [
                date!(2025 - 10 - 31),
                date!(2025 - 11 - 28),
                date!(2025 - 12 - 26)
            ]
        );
        let second_tuesday = rule("FREQ=MONTHLY;BYDAY=2TU;COUNT=3");
        assert_eq!(
            dates(
                &second_tuesday,
                datetime!(2025 - 12 - 09 10:00),
                datetime!(2030 - 01 - 01 0:00)
            ),
            [
                date!(2025 - 12 - 09),
                date!(2026 - 01 - 13),
                date!(2026 - 02 - 10)
            ]
        );
    }

    #[test]
    fn yearly_rules_on_29_february_fall_only_in_leap_years() {
        let r = rule("FREQ=YEARLY;COUNT=2");
        assert_eq!(
            dates(
                &r,
                datetime!(2024 - 02 - 29 0:00),
                datetime!(2040 - 01 - 01 0:00)
            ),
            [date!(2024 - 02 - 29), date!(2028 - 02 - 29)]
        );
    }

    #[test]
    fn expansion_stops_at_the_window_and_at_the_series_end() {
        let daily = rule("FREQ=DAILY");
        assert_eq!(
            dates(
                &daily,
                datetime!(2025 - 12 - 01 9:00),
                datetime!(2025 - 12 - 04 9:00)
            ),
            [
                date!(2025 - 12 - 01),
                date!(2025 - 12 - 02),
                date!(2025 - 12 - 03)
            ]
        );
        assert_eq!(daily.last_date(datetime!(2025 - 12 - 01 9:00)), None);
        let counted = rule("FREQ=DAILY;INTERVAL=3;COUNT=3");
        assert_eq!(
            counted.last_date(datetime!(2025 - 12 - 01 9:00)),
            Some(date!(2025 - 12 - 07))
        );
        let until = rule("FREQ=WEEKLY;UNTIL=20251215");
        assert_eq!(
            until.last_date(datetime!(2025 - 12 - 01 9:00)),
            Some(date!(2025 - 12 - 15))
        );
    }

    #[test]
    fn months_are_added_across_years() {
        assert_eq!(
            add_months(2025, Month::November, 3),
            (2026, Month::February)
        );
        assert_eq!(
            add_months(2025, Month::January, -1),
            (2024, Month::December)
        );
    }
}
