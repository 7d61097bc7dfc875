//! Time slots as facility reservation books them, and the dates and clock times pages show
//! and forms send.

use time::{Date, Duration, Month, OffsetDateTime, Time};

use super::{JST, MAX_SPAN, MINUTES_PER_DAY};
use crate::facility::texts::FacilityTexts;

/// A half-open span of time `[start, end)`, at whole minutes, that is not empty and no
/// longer than [`MAX_SPAN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    start: OffsetDateTime,
    end: OffsetDateTime,
}

/// Why two instants do not make a [`Slot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// The end is not after the start.
    #[error("the end is not after the start")]
    Empty,
    /// Longer than [`MAX_SPAN`].
    #[error("longer than 14 days")]
    TooLong,
    /// Outside the years the calendar handles.
    #[error("out of range")]
    OutOfRange,
}

impl Slot {
    /// The slot from `start` to `end`, truncated to whole minutes.
    pub fn new(start: OffsetDateTime, end: OffsetDateTime) -> Result<Slot, SlotError> {
        Slot::from_epoch(start.unix_timestamp(), end.unix_timestamp())
    }

    /// The slot between two stored instants (seconds since the epoch), truncated to minutes.
    pub fn from_epoch(start: i64, end: i64) -> Result<Slot, SlotError> {
        let minute = |s: i64| s - s.rem_euclid(60);
        let (start, end) = (minute(start), minute(end));
        if end <= start {
            return Err(SlotError::Empty);
        }
        if end - start > MAX_SPAN.whole_seconds() {
            return Err(SlotError::TooLong);
        }
        let at = |s| OffsetDateTime::from_unix_timestamp(s).map_err(|_| SlotError::OutOfRange);
        Ok(Slot {
            start: at(start)?,
            end: at(end)?,
        })
    }

    /// The slot on `date` from `start` to `end` (Japan time); an `end` at or before `start`
    /// means the end on the next day only when it is exactly midnight.
    pub fn on_day(date: Date, start: Time, end: Time) -> Result<Slot, SlotError> {
        let start_at = date.with_time(start).assume_offset(JST);
        let end_date = if end == Time::MIDNIGHT {
            date.next_day().ok_or(SlotError::OutOfRange)?
        } else {
            date
        };
        Slot::new(start_at, end_date.with_time(end).assume_offset(JST))
    }

    /// The whole of `date`, Japan time.
    pub fn day(date: Date) -> Slot {
        let start = date.midnight().assume_offset(JST);
        Slot {
            start,
            end: start + Duration::DAY,
        }
    }

    /// The start.
    pub fn start(self) -> OffsetDateTime {
        self.start
    }

    /// The end (exclusive).
    pub fn end(self) -> OffsetDateTime {
        self.end
    }

    /// The start as stored: seconds since the epoch.
    pub fn start_epoch(self) -> i64 {
        self.start.unix_timestamp()
    }

    /// The end as stored: seconds since the epoch.
    pub fn end_epoch(self) -> i64 {
        self.end.unix_timestamp()
    }

    /// How long it lasts.
    pub fn duration(self) -> Duration {
        self.end - self.start
    }

    /// Whether the two slots share any instant (touching ends do not).
    pub fn overlaps(self, other: Slot) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// `2025年11月25日（火） 10:00〜11:30`, or with the end's date when it ends on a later day.
    pub fn label(self, texts: &FacilityTexts) -> String {
        let start = self.start.to_offset(JST);
        let end = self.end.to_offset(JST);
        let same_day = end.date() == start.date()
            || (end.time() == Time::MIDNIGHT && end.date().previous_day() == Some(start.date()));
        let end_clock = if same_day && end.time() == Time::MIDNIGHT {
            "24:00".to_owned()
        } else {
            hhmm(end.time())
        };
        if same_day {
            format!(
                "{} {}〜{}",
                date_label(start.date(), texts),
                hhmm(start.time()),
                end_clock
            )
        } else {
            format!(
                "{} {}〜{} {}",
                date_label(start.date(), texts),
                hhmm(start.time()),
                date_label(end.date(), texts),
                end_clock
            )
        }
    }
}

impl Slot {
    /// `11/26（水） 10:00〜11:00` / `Wed 11/26 10:00〜11:00`: the start's day and both
    /// times, for lists with little room (a slot ending on a later day shows `〜`).
    pub fn short_label(self, texts: &FacilityTexts) -> String {
        let start = self.start.to_offset(JST);
        let end = self.end.to_offset(JST);
        let weekday = texts.weekdays[usize::from(start.weekday().number_days_from_sunday())];
        let day = if texts.code == "ja" {
            format!("{}/{}（{weekday}）", u8::from(start.month()), start.day())
        } else {
            format!("{weekday} {}/{}", u8::from(start.month()), start.day())
        };
        let until = if end.date() == start.date() {
            hhmm(end.time())
        } else {
            String::new()
        };
        format!("{day} {}〜{until}", hhmm(start.time()))
    }
}

/// `HH:MM` of a time of day.
pub fn hhmm(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// `HH:MM` of minutes after midnight (`24:00` for 1440).
pub fn clock_label(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A date as pages show it: `2025年11月25日（火）` or `Tue, Nov 25, 2025`.
pub fn date_label(date: Date, texts: &FacilityTexts) -> String {
    let weekday = texts.weekdays[usize::from(date.weekday().number_days_from_sunday())];
    if texts.code == "ja" {
        format!(
            "{}年{}月{}日（{weekday}）",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    } else {
        format!(
            "{weekday}, {} {}, {}",
            &date.month().to_string()[..3],
            date.day(),
            date.year()
        )
    }
}

/// A date as forms and links carry it: `2025-11-25`.
pub fn iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Reads `2025-11-25` (as `<input type="date">` sends it), strictly.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

/// Reads `10:30` (as `<input type="time">` sends it; seconds, if sent, must be `:00`), or
/// `24:00` as midnight at the end of the day, returned as minutes after midnight.
pub fn parse_clock(text: &str) -> Option<u16> {
    let text = text.trim();
    let text = text
        .strip_suffix(":00")
        .filter(|t| t.len() == 5)
        .unwrap_or(text);
    let (hour, minute) = text.split_once(':')?;
    if hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    if !(hour.bytes().all(|b| b.is_ascii_digit()) && minute.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (hour, minute): (u16, u16) = (hour.parse().ok()?, minute.parse().ok()?);
    let total = hour * 60 + minute;
    (minute < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

/// The time of day `minutes` after midnight; 1440 is midnight (of the next day).
pub fn time_of(minutes: u16) -> Time {
    let minutes = minutes % MINUTES_PER_DAY;
    Time::from_hms(
        u8::try_from(minutes / 60).unwrap_or(0),
        u8::try_from(minutes % 60).unwrap_or(0),
        0,
    )
    .unwrap_or(Time::MIDNIGHT)
}
