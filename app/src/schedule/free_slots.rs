//! The free-slot search: given when people (and rooms) are busy, the times within working
//! hours on working days when all of them are free for a given duration. Pure.

use time::{Date, Duration, Time, Weekday};

use super::holidays::holiday_on;
use super::model::{TimeRange, instant};

/// Working hours of a working day, Japan time, with an optional break (昼休み) that the search
/// leaves out: from the app's configuration (`[schedule]`), 08:30〜17:15 without a break when
/// it says nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    start: Time,
    end: Time,
    pause: Option<(Time, Time)>,
}

/// Why times do not make [`WorkingHours`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HoursProblem {
    /// The end is not after the start.
    #[error("the end of work must come after its start")]
    EndBeforeStart,
    /// The break's end is not after its start.
    #[error("the end of the break must come after its start")]
    BreakEndBeforeStart,
    /// The break does not lie within the working hours.
    #[error("the break must lie within the working hours")]
    BreakOutside,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            start: time::macros::time!(8:30),
            end: time::macros::time!(17:15),
            pause: None,
        }
    }
}

impl WorkingHours {
    /// Work from `start` to `end` with the break `pause` (start, end), if any, inside it.
    pub fn new(
        start: Time,
        end: Time,
        pause: Option<(Time, Time)>,
    ) -> Result<WorkingHours, HoursProblem> {
        if end <= start {
            return Err(HoursProblem::EndBeforeStart);
        }
        if let Some((from, to)) = pause {
            if to <= from {
                return Err(HoursProblem::BreakEndBeforeStart);
            }
            if from < start || to > end {
                return Err(HoursProblem::BreakOutside);
            }
        }
        Ok(WorkingHours { start, end, pause })
    }

    /// When work starts.
    pub fn start(&self) -> Time {
        self.start
    }

    /// When work ends.
    pub fn end(&self) -> Time {
        self.end
    }

    /// The break, if any: its start and end.
    pub fn pause(&self) -> Option<(Time, Time)> {
        self.pause
    }
}

/// The longest period searched, in days.
pub const MAX_SEARCH_DAYS: i64 = 31;
/// The most results returned.
pub const MAX_RESULTS: usize = 30;

/// The free stretches at least `duration` long, within `hours` on `first..=last` (weekdays
/// that are not public holidays), outside the break, when nothing in `busy` happens. Each
/// result is a whole free stretch; the page offers its start. At most [`MAX_RESULTS`],
/// earliest first.
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
            let pause = hours
                .pause
                .and_then(|(from, to)| TimeRange::new(instant(date, from), instant(date, to)));
            let mut taken: Vec<TimeRange> = busy
                .iter()
                .filter(|b| b.overlaps(&day))
                .copied()
                .chain(pause)
                .collect();
            taken.sort_by_key(|b| b.start());
            let mut cursor = day.start();
            for b in &taken {
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

    #[test]
    fn configured_hours_and_the_break_bound_the_search() {
        let hours = WorkingHours::new(
            time::macros::time!(9:00),
            time::macros::time!(17:45),
            Some((time::macros::time!(12:00), time::macros::time!(13:00))),
        )
        .unwrap();
        let busy = [span(
            datetime!(2025-12-09 15:00 +9),
            datetime!(2025-12-09 16:00 +9),
        )];
        assert_eq!(
            free_slots(
                &busy,
                date!(2025 - 12 - 09),
                date!(2025 - 12 - 09),
                hours,
                Duration::minutes(30)
            ),
            [
                span(
                    datetime!(2025-12-09 09:00 +9),
                    datetime!(2025-12-09 12:00 +9)
                ),
                span(
                    datetime!(2025-12-09 13:00 +9),
                    datetime!(2025-12-09 15:00 +9)
                ),
                span(
                    datetime!(2025-12-09 16:00 +9),
                    datetime!(2025-12-09 17:45 +9)
                ),
            ]
        );
    }

    #[test]
    fn working_hours_must_be_in_order_with_the_break_inside() {
        use time::macros::time;
        assert_eq!(
            WorkingHours::new(time!(17:00), time!(9:00), None),
            Err(HoursProblem::EndBeforeStart)
        );
        assert_eq!(
            WorkingHours::new(
                time!(9:00),
                time!(17:00),
                Some((time!(13:00), time!(12:00)))
            ),
            Err(HoursProblem::BreakEndBeforeStart)
        );
        assert_eq!(
            WorkingHours::new(time!(9:00), time!(17:00), Some((time!(8:00), time!(9:30)))),
            Err(HoursProblem::BreakOutside)
        );
        assert_eq!(WorkingHours::default().start(), time!(8:30));
        assert_eq!(WorkingHours::default().end(), time!(17:15));
    }
}
