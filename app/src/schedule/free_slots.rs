//! The free-slot search: given when people (and rooms) are busy, the times within working
//! hours on working days when all of them are free for a given duration. Pure.

use time::{Date, Duration, Time, Weekday};

use super::holidays::holiday_on;
use super::model::{TimeRange, instant};

/// Working hours of a day, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    /// When work starts (08:30).
    pub start: Time,
    /// When work ends (17:15).
    pub end: Time,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            start: time::macros::time!(8:30),
            end: time::macros::time!(17:15),
        }
    }
}

/// The longest period searched, in days.
pub const MAX_SEARCH_DAYS: i64 = 31;
/// The most results returned.
pub const MAX_RESULTS: usize = 30;

/// The free stretches at least `duration` long, within `hours` on `first..=last` (weekdays
/// that are not public holidays), when nothing in `busy` happens. Each result is a whole free
/// stretch; the page offers its start. At most [`MAX_RESULTS`], earliest first.
pub fn free_slots(
    busy: &[TimeRange],
    first: Date,
    last: Date,
    hours: WorkingHours,
    duration: Duration,
) -> Vec<TimeRange> {
    let mut busy: Vec<TimeRange> = busy.to_vec();
    busy.sort_by_key(|b| b.start());
    let mut out = Vec::new();
    let mut date = first;
    while date <= last && out.len() < MAX_RESULTS {
        let working = !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && holiday_on(date).is_none();
        if working
            && let Some(day) = TimeRange::new(instant(date, hours.start), instant(date, hours.end))
        {
            let mut cursor = day.start();
            for b in busy.iter().filter(|b| b.overlaps(&day)) {
                if b.start() > cursor
                    && b.start() - cursor >= duration
                    && let Some(gap) = TimeRange::new(cursor, b.start())
                {
                    out.push(gap);
                }
                cursor = cursor.max(b.end());
            }
            if day.end() > cursor
                && day.end() - cursor >= duration
                && let Some(gap) = TimeRange::new(cursor, day.end())
            {
                out.push(gap);
            }
        }
        let Some(next) = date.next_day() else { break };
        date = next;
    }
    out.truncate(MAX_RESULTS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn span(a: time::OffsetDateTime, b: time::OffsetDateTime) -> TimeRange {
        TimeRange::new(a, b).unwrap()
    }

    #[test]
    fn gaps_between_busy_times_within_working_hours_are_found() {
        let busy = [
            span(
                datetime!(2025-12-09 09:00 +9),
                datetime!(2025-12-09 10:00 +9),
            ),
            span(
                datetime!(2025-12-09 09:30 +9),
                datetime!(2025-12-09 12:00 +9),
            ),
            span(
                datetime!(2025-12-09 13:00 +9),
                datetime!(2025-12-09 16:45 +9),
            ),
        ];
        let slots = free_slots(
            &busy,
            date!(2025 - 12 - 09),
            date!(2025 - 12 - 09),
            WorkingHours::default(),
            Duration::minutes(30),
        );
        assert_eq!(
            slots,
            [
                span(
                    datetime!(2025-12-09 08:30 +9),
                    datetime!(2025-12-09 09:00 +9)
                ),
                span(
                    datetime!(2025-12-09 12:00 +9),
                    datetime!(2025-12-09 13:00 +9)
                ),
                span(
                    datetime!(2025-12-09 16:45 +9),
                    datetime!(2025-12-09 17:15 +9)
                ),
            ]
        );
        let hour = free_slots(
            &busy,
            date!(2025 - 12 - 09),
            date!(2025 - 12 - 09),
            WorkingHours::default(),
            Duration::minutes(60),
        );
        assert_eq!(
            hour,
            [span(
                datetime!(2025-12-09 12:00 +9),
                datetime!(2025-12-09 13:00 +9)
            )]
        );
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        // 2025-11-22 Sat, 23 Sun (勤労感謝の日), 24 Mon (振替休日), 25 Tue.
        let slots = free_slots(
            &[],
            date!(2025 - 11 - 22),
            date!(2025 - 11 - 25),
            WorkingHours::default(),
            Duration::hours(2),
        );
        assert_eq!(
            slots,
            [span(
                datetime!(2025-11-25 08:30 +9),
                datetime!(2025-11-25 17:15 +9)
            )]
        );
    }

    #[test]
    fn an_all_day_event_leaves_no_room() {
        let busy = [span(
            datetime!(2025-12-09 00:00 +9),
            datetime!(2025-12-10 00:00 +9),
        )];
        assert!(
            free_slots(
                &busy,
                date!(2025 - 12 - 09),
                date!(2025 - 12 - 09),
                WorkingHours::default(),
                Duration::minutes(15)
            )
            .is_empty()
        );
    }
}
