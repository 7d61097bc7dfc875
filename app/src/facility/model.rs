//! The shapes of facility reservation: categories, facilities and their rules, time slots,
//! reservations, the checks a booking must pass before it is written, and the day grid as the
//! page draws it. Pure: the clock, the database and the organisation come in as arguments.

use std::fmt;

use time::{Date, Duration, Month, OffsetDateTime, Time, UtcOffset};

use super::texts::FacilityTexts;
use crate::org::model::{DepartmentId, DepartmentTree, Scope, StaffId};

/// Japan Standard Time; Japan has no daylight saving, so a fixed offset is exact.
pub const JST: UtcOffset = time::macros::offset!(+9);

/// The longest any reservation may last, whatever a facility's own rule says. The database
/// refuses longer spans, and the overlap check and the day grid read only reservations that
/// start this long before the time in question.
pub const MAX_SPAN: Duration = Duration::days(14);

/// How far in the past a booking may start: the half hour under way can still be booked.
pub const PAST_GRACE: Duration = Duration::minutes(30);

/// Minutes in a day; `close_minute` may equal it (bookable until midnight).
pub const MINUTES_PER_DAY: u16 = 1440;

/// The database id of a facility category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct CategoryId(pub i64);

/// The database id of a facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct FacilityId(pub i64);

/// The database id of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct ReservationId(pub i64);

macro_rules! display_id {
    ($($id:ty),*) => {$(
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}
display_id!(CategoryId, FacilityId, ReservationId);

/// A group of facilities shown on one day grid (会議室, 公用車, 備品, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Database id.
    pub id: CategoryId,
    /// Name ("本庁舎 会議室").
    pub name: String,
    /// Position in lists, smallest first.
    pub display_order: i32,
}

/// Whether a booking needs the managing department's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Bookings are confirmed at once.
    Automatic,
    /// Bookings start as 仮予約 until a function administrator approves them.
    Required,
}

impl Approval {
    /// The stored name (`facilities.approval`).
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Automatic => "none",
            Approval::Required => "required",
        }
    }

    /// The approval stored as `name`; anything unknown requires approval, the safe reading.
    pub fn from_stored(name: &str) -> Approval {
        if name == "none" {
            Approval::Automatic
        } else {
            Approval::Required
        }
    }
}

/// Who may book a facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bookers {
    /// Every member of staff.
    Everyone,
    /// Staff of the managing department and the departments under it.
    Department,
    /// Only the facility function administrators of the managing department.
    Administrators,
}

impl Bookers {
    /// Every choice, widest first, as the rules form lists them.
    pub const ALL: [Bookers; 3] = [
        Bookers::Everyone,
        Bookers::Department,
        Bookers::Administrators,
    ];

    /// The stored name (`facilities.bookers`).
    pub fn as_str(self) -> &'static str {
        match self {
            Bookers::Everyone => "everyone",
            Bookers::Department => "department",
            Bookers::Administrators => "administrators",
        }
    }

    /// The choice stored or posted as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Bookers> {
        Bookers::ALL.into_iter().find(|b| b.as_str() == name)
    }

    /// The choice stored as `name`; anything unknown means administrators only, the safe
    /// reading.
    pub fn from_stored(name: &str) -> Bookers {
        Bookers::parse(name).unwrap_or(Bookers::Administrators)
    }
}

/// The hours of the day, Japan time, within which a facility may be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookableHours {
    open: u16,
    close: u16,
}

impl BookableHours {
    /// The whole day: bookings may also run over midnight into following days.
    pub const ALL_DAY: BookableHours = BookableHours {
        open: 0,
        close: MINUTES_PER_DAY,
    };

    /// Hours from `open` to `close`, minutes after midnight, when `open < close <= 1440` and
    /// both fall on a quarter hour.
    pub fn new(open: u16, close: u16) -> Option<BookableHours> {
        (open < close
            && close <= MINUTES_PER_DAY
            && open.is_multiple_of(15)
            && close.is_multiple_of(15))
        .then_some(BookableHours { open, close })
    }

    /// Opening, minutes after midnight.
    pub fn open(self) -> u16 {
        self.open
    }

    /// Closing, minutes after midnight (1440 = midnight at the end of the day).
    pub fn close(self) -> u16 {
        self.close
    }

    /// Whether bookings may run at any hour.
    pub fn is_all_day(self) -> bool {
        self == BookableHours::ALL_DAY
    }

    /// `08:30〜17:15`.
    pub fn label(self) -> String {
        format!("{}〜{}", clock_label(self.open), clock_label(self.close))
    }
}

/// What a facility allows: approval, who books, how far ahead, how long, which hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Whether bookings need approval.
    pub approval: Approval,
    /// Who may book.
    pub bookers: Bookers,
    /// How many days ahead a booking may start (counted in Japan calendar days from today).
    pub advance_days: u16,
    /// The longest booking, in minutes.
    pub max_minutes: u32,
    /// When in the day bookings may lie.
    pub hours: BookableHours,
}

impl Rules {
    /// The rules of a new facility: anyone books, confirmed at once, up to 90 days ahead, up
    /// to 8 hours, between 08:00 and 21:00.
    pub const DEFAULT: Rules = Rules {
        approval: Approval::Automatic,
        bookers: Bookers::Everyone,
        advance_days: 90,
        max_minutes: 480,
        hours: BookableHours {
            open: 480,
            close: 1260,
        },
    };
}

/// A conference room, vehicle or piece of equipment that can be booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facility {
    /// Database id.
    pub id: FacilityId,
    /// Its category.
    pub category_id: CategoryId,
    /// Name ("第1会議室").
    pub name: String,
    /// Where it is ("本庁舎 3階").
    pub place: String,
    /// People it holds, for rooms.
    pub capacity: Option<u32>,
    /// The managing department.
    pub department_id: DepartmentId,
    /// Position in its category, smallest first.
    pub display_order: i32,
    /// What it allows.
    pub rules: Rules,
    /// Notes for bookers ("プロジェクター常設").
    pub note: String,
    /// Whether it can be booked at all.
    pub in_service: bool,
}

/// A facility to create or the new state of one to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityInput {
    /// Its category.
    pub category_id: CategoryId,
    /// Name.
    pub name: String,
    /// Place.
    pub place: String,
    /// Capacity, for rooms.
    pub capacity: Option<u32>,
    /// Managing department.
    pub department_id: DepartmentId,
    /// Rules.
    pub rules: Rules,
    /// Notes for bookers.
    pub note: String,
    /// Whether it can be booked.
    pub in_service: bool,
}

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

/// Who sees a reservation's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone sees the title.
    Public,
    /// Others see 「予定あり」; the booker and the facility's administrators see the title.
    Private,
}

impl Visibility {
    /// The stored name (`facility_reservations.visibility`).
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    /// The visibility stored as `name`; anything unknown is private, the safe reading.
    pub fn from_stored(name: &str) -> Visibility {
        if name == "public" {
            Visibility::Public
        } else {
            Visibility::Private
        }
    }
}

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Booked.
    Confirmed,
    /// 仮予約: holds the slot while it waits for approval.
    Pending,
    /// Refused by an administrator; frees the slot.
    Rejected,
    /// Withdrawn by the booker (or with its event); frees the slot.
    Cancelled,
}

impl Status {
    /// The stored name (`facility_reservations.status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
        }
    }

    /// The status stored as `name`; anything unknown counts as pending, which holds the slot
    /// but never reads as a confirmation.
    pub fn from_stored(name: &str) -> Status {
        match name {
            "confirmed" => Status::Confirmed,
            "rejected" => Status::Rejected,
            "cancelled" => Status::Cancelled,
            _ => Status::Pending,
        }
    }

    /// Whether the reservation holds its slot.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Confirmed | Status::Pending)
    }

    /// The status in words.
    pub fn label(self, texts: &FacilityTexts) -> &'static str {
        match self {
            Status::Confirmed => texts.status_confirmed,
            Status::Pending => texts.status_pending,
            Status::Rejected => texts.status_rejected,
            Status::Cancelled => texts.status_cancelled,
        }
    }
}

/// A booking to be written: by [`crate::facility::store::reserve`], from the booking form or
/// from a schedule event. The booker is the one whose [`BookerRights`] come with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReservation {
    /// What is booked.
    pub facility_id: FacilityId,
    /// When.
    pub slot: Slot,
    /// What for ("係会議").
    pub title: String,
    /// Whether others see the title.
    pub visibility: Visibility,
    /// The schedule event it belongs to, if any.
    pub event_id: Option<i64>,
}

/// A reservation as stored, with the names pages show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// Database id.
    pub id: ReservationId,
    /// What is booked.
    pub facility_id: FacilityId,
    /// Its name.
    pub facility_name: String,
    /// When.
    pub slot: Slot,
    /// Who booked it.
    pub booker: StaffId,
    /// Their name.
    pub booker_name: String,
    /// What for.
    pub title: String,
    /// Whether others see the title.
    pub visibility: Visibility,
    /// The schedule event it belongs to.
    pub event_id: Option<i64>,
    /// Where it stands.
    pub status: Status,
    /// The administrator's note with an approval or rejection.
    pub decision_note: String,
}

impl Reservation {
    /// The title as `viewer` may see it: private titles read 「予定あり」 to anyone but the
    /// booker, unless `privileged` (the facility's administrators).
    pub fn title_for(&self, viewer: StaffId, privileged: bool, texts: &FacilityTexts) -> String {
        shown_title(
            &self.title,
            self.visibility,
            self.booker == viewer || privileged,
            texts,
        )
    }
}

/// The message for someone whose booking `existing` stands in the way of: which facility,
/// when, what (or 「予定あり」) and whose, and whether it is still a 仮予約.
pub fn conflict_message(existing: &Reservation, viewer: StaffId, texts: &FacilityTexts) -> String {
    let status = if existing.status == Status::Pending {
        texts.conflict_pending_suffix
    } else {
        ""
    };
    texts
        .conflict
        .replace("{facility}", &existing.facility_name)
        .replace("{when}", &existing.slot.label(texts))
        .replace("{title}", &existing.title_for(viewer, false, texts))
        .replace("{booker}", &existing.booker_name)
        .replace("{status}", status)
}

/// `title`, or 「予定あり」 when it is private and the viewer may not see it.
pub fn shown_title(
    title: &str,
    visibility: Visibility,
    may_see: bool,
    texts: &FacilityTexts,
) -> String {
    match visibility {
        Visibility::Private if !may_see => texts.busy.to_owned(),
        _ => title.to_owned(),
    }
}

/// A time a facility is taken, for free-slot searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// The facility.
    pub facility_id: FacilityId,
    /// When it is taken.
    pub slot: Slot,
}

/// What the booker is to the facility, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookerStanding {
    /// They work in the managing department or under it (primary post or 兼務).
    pub in_department: bool,
    /// They are a facility function administrator whose scope covers the facility.
    pub administrator: bool,
}

/// What the rules need to know about someone who books: where they work and where they
/// administer facilities. Loaded once per request by `store::booker_rights`.
#[derive(Debug, Clone)]
pub struct BookerRights {
    /// Who.
    pub staff: StaffId,
    /// Their primary department and the departments of their concurrent posts (兼務).
    pub departments: Vec<DepartmentId>,
    /// Where they are a facility function administrator.
    pub scope: Scope,
    /// The department tree the two above are read against.
    pub tree: DepartmentTree,
}

impl BookerRights {
    /// Their standing towards a facility managed by `department`.
    pub fn standing(&self, department: DepartmentId) -> BookerStanding {
        BookerStanding {
            in_department: self
                .departments
                .iter()
                .any(|own| self.tree.is_within(*own, department)),
            administrator: self.administers(department),
        }
    }

    /// Whether they administer facilities managed by `department`.
    pub fn administers(&self, department: DepartmentId) -> bool {
        self.scope.covers(department, &self.tree)
    }
}

/// A rule a booking breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleViolation {
    /// The facility is withdrawn from service.
    OutOfService,
    /// The slot starts in the past.
    InPast,
    /// The slot starts further ahead than the facility allows.
    TooFarAhead {
        /// Days ahead allowed.
        days: u16,
    },
    /// The slot is longer than the facility allows.
    TooLong {
        /// Longest booking in minutes.
        max_minutes: u32,
    },
    /// The slot lies (partly) outside the bookable hours.
    OutsideHours {
        /// The hours.
        hours: BookableHours,
    },
    /// The booker may not book this facility.
    NotPermitted {
        /// Who may.
        bookers: Bookers,
    },
}

impl RuleViolation {
    /// The message for the booker.
    pub fn message(self, texts: &FacilityTexts) -> String {
        match self {
            RuleViolation::OutOfService => texts.rule_out_of_service.to_owned(),
            RuleViolation::InPast => texts.rule_in_past.to_owned(),
            RuleViolation::TooFarAhead { days } => texts
                .rule_too_far_ahead
                .replace("{days}", &days.to_string()),
            RuleViolation::TooLong { max_minutes } => texts
                .rule_too_long
                .replace("{duration}", &duration_label(max_minutes, texts)),
            RuleViolation::OutsideHours { hours } => {
                texts.rule_outside_hours.replace("{hours}", &hours.label())
            }
            RuleViolation::NotPermitted { bookers } => match bookers {
                Bookers::Everyone | Bookers::Department => texts.rule_department_only,
                Bookers::Administrators => texts.rule_administrators_only,
            }
            .to_owned(),
        }
    }
}

/// `2時間30分` / `2 h 30 min`.
pub fn duration_label(minutes: u32, texts: &FacilityTexts) -> String {
    let (hours, minutes) = (minutes / 60, minutes % 60);
    match (hours, minutes) {
        (0, m) => texts.minutes.replace("{m}", &m.to_string()),
        (h, 0) => texts.hours.replace("{h}", &h.to_string()),
        (h, m) => texts
            .hours_minutes
            .replace("{h}", &h.to_string())
            .replace("{m}", &m.to_string()),
    }
}

/// Every rule `slot` must meet to be booked at `facility` by someone of `standing` at `now`,
/// in the order a booker would want to hear about them; empty when the booking may go ahead.
pub fn check_rules(
    facility: &Facility,
    slot: Slot,
    standing: BookerStanding,
    now: OffsetDateTime,
) -> Vec<RuleViolation> {
    let rules = facility.rules;
    let mut broken = Vec::new();
    if !facility.in_service {
        broken.push(RuleViolation::OutOfService);
    }
    let permitted = standing.administrator
        || match rules.bookers {
            Bookers::Everyone => true,
            Bookers::Department => standing.in_department,
            Bookers::Administrators => false,
        };
    if !permitted {
        broken.push(RuleViolation::NotPermitted {
            bookers: rules.bookers,
        });
    }
    // Half an hour's grace, so the grid cell of the half hour under way can still be booked.
    if slot.end() <= now || slot.start() < now - PAST_GRACE {
        broken.push(RuleViolation::InPast);
    }
    let today = now.to_offset(JST).date();
    let start_day = slot.start().to_offset(JST).date();
    if (start_day - today).whole_days() > i64::from(rules.advance_days) {
        broken.push(RuleViolation::TooFarAhead {
            days: rules.advance_days,
        });
    }
    if slot.duration().whole_minutes() > i64::from(rules.max_minutes) {
        broken.push(RuleViolation::TooLong {
            max_minutes: rules.max_minutes,
        });
    }
    if !within_hours(slot, rules.hours) {
        broken.push(RuleViolation::OutsideHours { hours: rules.hours });
    }
    broken
}

/// Whether `slot` lies inside the bookable hours of one day (any slot, when all day).
fn within_hours(slot: Slot, hours: BookableHours) -> bool {
    if hours.is_all_day() {
        return true;
    }
    let start = slot.start().to_offset(JST);
    let day = start.date();
    let open = day.midnight().assume_offset(JST) + Duration::minutes(i64::from(hours.open()));
    let close = day.midnight().assume_offset(JST) + Duration::minutes(i64::from(hours.close()));
    slot.start() >= open && slot.end() <= close
}

/// Whether a reservation just written needs approval first: only when the facility requires
/// it and the booker is not one of the administrators who would approve it.
pub fn initial_status(rules: &Rules, standing: BookerStanding) -> Status {
    match rules.approval {
        Approval::Required if !standing.administrator => Status::Pending,
        _ => Status::Confirmed,
    }
}

/// An administrator's answer to a 仮予約.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Approved: the booking is confirmed.
    Approve,
    /// Rejected: the slot is freed.
    Reject,
}

impl Decision {
    /// The status a pending reservation takes.
    pub fn status(self) -> Status {
        match self {
            Decision::Approve => Status::Confirmed,
            Decision::Reject => Status::Rejected,
        }
    }

    /// The decision posted as `name` (`approve` or `reject`).
    pub fn parse(name: &str) -> Option<Decision> {
        match name {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facility::texts::{EN, JA};
    use time::macros::{date, datetime, time};

    fn room(rules: Rules) -> Facility {
        Facility {
            id: FacilityId(1),
            category_id: CategoryId(1),
            name: "第1会議室".into(),
            place: "本庁舎 3階".into(),
            capacity: Some(12),
            department_id: DepartmentId(10),
            display_order: 1,
            rules,
            note: String::new(),
            in_service: true,
        }
    }

    const ANYONE: BookerStanding = BookerStanding {
        in_department: false,
        administrator: false,
    };

    fn slot(start: OffsetDateTime, end: OffsetDateTime) -> Slot {
        Slot::new(start, end).unwrap()
    }

    #[test]
    fn slots_are_half_open_whole_minutes_and_at_most_fourteen_days() {
        let a = slot(
            datetime!(2025-11-25 10:00 +9),
            datetime!(2025-11-25 11:00 +9),
        );
        let b = slot(
            datetime!(2025-11-25 11:00 +9),
            datetime!(2025-11-25 12:00 +9),
        );
        let c = slot(
            datetime!(2025-11-25 10:59 +9),
            datetime!(2025-11-25 11:01 +9),
        );
        assert!(!a.overlaps(b), "touching ends do not overlap");
        assert!(a.overlaps(c) && c.overlaps(b));
        assert_eq!(
            Slot::new(
                datetime!(2025-11-25 10:00:59 +9),
                datetime!(2025-11-25 10:01:30 +9)
            )
            .unwrap()
            .duration(),
            Duration::minutes(1)
        );
        assert_eq!(
            Slot::new(
                datetime!(2025-11-25 10:00 +9),
                datetime!(2025-11-25 10:00:59 +9)
            ),
            Err(SlotError::Empty)
        );
        assert_eq!(
            Slot::new(
                datetime!(2025-11-25 10:00 +9),
                datetime!(2025-11-25 09:00 +9)
            ),
            Err(SlotError::Empty)
        );
        assert_eq!(
            Slot::new(
                datetime!(2025-11-01 00:00 +9),
                datetime!(2025-11-15 00:01 +9)
            ),
            Err(SlotError::TooLong)
        );
        assert!(
            Slot::new(
                datetime!(2025-11-01 00:00 +9),
                datetime!(2025-11-15 00:00 +9)
            )
            .is_ok()
        );
    }

    #[test]
    fn slots_on_a_day_are_japan_time_and_may_end_at_midnight() {
        let day = date!(2025 - 11 - 25);
        let s = Slot::on_day(day, time!(10:00), time!(11:30)).unwrap();
        assert_eq!(s.start(), datetime!(2025-11-25 01:00 UTC));
        let to_midnight = Slot::on_day(day, time!(22:00), Time::MIDNIGHT).unwrap();
        assert_eq!(to_midnight.end(), datetime!(2025-11-26 00:00 +9));
        assert_eq!(to_midnight.label(&JA), "2025年11月25日（火） 22:00〜24:00");
        assert_eq!(s.label(&JA), "2025年11月25日（火） 10:00〜11:30");
        assert_eq!(s.label(&EN), "Tue, Nov 25, 2025 10:00〜11:30");
        let long = slot(
            datetime!(2025-11-25 09:00 +9),
            datetime!(2025-11-27 17:00 +9),
        );
        assert_eq!(
            long.label(&JA),
            "2025年11月25日（火） 09:00〜2025年11月27日（木） 17:00"
        );
        assert_eq!(
            Slot::on_day(day, time!(11:00), time!(10:00)),
            Err(SlotError::Empty)
        );
        assert_eq!(s.short_label(&JA), "11/25（火） 10:00〜11:30");
        assert_eq!(s.short_label(&EN), "Tue 11/25 10:00〜11:30");
        assert_eq!(long.short_label(&JA), "11/25（火） 09:00〜");
    }

    #[test]
    fn dates_and_clock_times_parse_strictly() {
        let table = [
            ("2025-11-25", Some(date!(2025 - 11 - 25))),
            (" 2025-01-05 ", Some(date!(2025 - 01 - 05))),
            ("2025-02-29", None),
            ("2025-1-5", None),
            ("2025/11/25", None),
            ("20251125", None),
            ("+025-11-25", None),
            ("", None),
        ];
        for (text, expected) in table {
            assert_eq!(parse_date(text), expected, "{text:?}");
        }
        let clocks = [
            ("10:00", Some(600)),
            ("09:15", Some(555)),
            ("09:15:00", Some(555)),
            ("24:00", Some(1440)),
            ("00:00", Some(0)),
            ("24:01", None),
            ("9:15", None),
            ("10:60", None),
            ("10:00:30", None),
            ("ab:cd", None),
            ("", None),
        ];
        for (text, expected) in clocks {
            assert_eq!(parse_clock(text), expected, "{text:?}");
        }
        assert_eq!(time_of(1440), Time::MIDNIGHT);
        assert_eq!(time_of(615), time!(10:15));
        assert_eq!(iso_date(date!(2025 - 01 - 05)), "2025-01-05");
    }

    #[test]
    fn bookable_hours_run_forward_on_quarter_hours_within_the_day() {
        assert!(BookableHours::new(480, 1260).is_some());
        assert!(BookableHours::new(0, 1440).is_some_and(BookableHours::is_all_day));
        assert!(BookableHours::new(600, 600).is_none());
        assert!(BookableHours::new(600, 1441).is_none());
        assert_eq!(
            BookableHours::new(510, 1035).unwrap().label(),
            "08:30〜17:15"
        );
    }

    #[test]
    fn a_booking_within_every_rule_breaks_none() {
        let now = datetime!(2025-11-25 09:00 +9);
        let s = slot(
            datetime!(2025-11-26 10:00 +9),
            datetime!(2025-11-26 12:00 +9),
        );
        assert!(check_rules(&room(Rules::DEFAULT), s, ANYONE, now).is_empty());
    }

    #[test]
    fn each_rule_is_named_when_broken() {
        let now = datetime!(2025-11-25 09:00 +9);
        let rules = Rules {
            advance_days: 30,
            max_minutes: 120,
            hours: BookableHours::new(540, 1020).unwrap(),
            ..Rules::DEFAULT
        };
        let table = [
            (
                slot(
                    datetime!(2025-11-25 08:00 +9),
                    datetime!(2025-11-25 08:29 +9),
                ),
                vec![
                    RuleViolation::InPast,
                    RuleViolation::OutsideHours { hours: rules.hours },
                ],
            ),
            (
                slot(
                    datetime!(2025-12-26 10:00 +9),
                    datetime!(2025-12-26 11:00 +9),
                ),
                vec![RuleViolation::TooFarAhead { days: 30 }],
            ),
            (
                slot(
                    datetime!(2025-12-25 23:00 +9),
                    datetime!(2025-12-25 23:30 +9),
                ),
                vec![RuleViolation::OutsideHours { hours: rules.hours }],
            ),
            (
                slot(
                    datetime!(2025-11-26 09:00 +9),
                    datetime!(2025-11-26 11:15 +9),
                ),
                vec![RuleViolation::TooLong { max_minutes: 120 }],
            ),
            (
                slot(
                    datetime!(2025-11-26 16:00 +9),
                    datetime!(2025-11-26 17:15 +9),
                ),
                vec![RuleViolation::OutsideHours { hours: rules.hours }],
            ),
        ];
        for (s, expected) in table {
            assert_eq!(check_rules(&room(rules), s, ANYONE, now), expected, "{s:?}");
        }
    }

    #[test]
    fn the_half_hour_under_way_can_still_be_booked() {
        let now = datetime!(2025-11-25 10:20 +9);
        let current = slot(
            datetime!(2025-11-25 10:00 +9),
            datetime!(2025-11-25 10:30 +9),
        );
        let earlier = slot(
            datetime!(2025-11-25 09:30 +9),
            datetime!(2025-11-25 10:30 +9),
        );
        let over = slot(
            datetime!(2025-11-25 10:00 +9),
            datetime!(2025-11-25 10:15 +9),
        );
        assert!(check_rules(&room(Rules::DEFAULT), current, ANYONE, now).is_empty());
        assert_eq!(
            check_rules(&room(Rules::DEFAULT), earlier, ANYONE, now),
            [RuleViolation::InPast]
        );
        assert_eq!(
            check_rules(&room(Rules::DEFAULT), over, ANYONE, now),
            [RuleViolation::InPast]
        );
    }

    #[test]
    fn who_may_book_follows_the_department_and_administrators() {
        let now = datetime!(2025-11-25 09:00 +9);
        let s = slot(
            datetime!(2025-11-26 10:00 +9),
            datetime!(2025-11-26 11:00 +9),
        );
        let member = BookerStanding {
            in_department: true,
            administrator: false,
        };
        let admin = BookerStanding {
            in_department: false,
            administrator: true,
        };
        let department = room(Rules {
            bookers: Bookers::Department,
            ..Rules::DEFAULT
        });
        let admins = room(Rules {
            bookers: Bookers::Administrators,
            ..Rules::DEFAULT
        });
        assert_eq!(
            check_rules(&department, s, ANYONE, now),
            [RuleViolation::NotPermitted {
                bookers: Bookers::Department
            }]
        );
        assert!(check_rules(&department, s, member, now).is_empty());
        assert!(check_rules(&department, s, admin, now).is_empty());
        assert!(!check_rules(&admins, s, member, now).is_empty());
        assert!(check_rules(&admins, s, admin, now).is_empty());
        let mut withdrawn = room(Rules::DEFAULT);
        withdrawn.in_service = false;
        assert_eq!(
            check_rules(&withdrawn, s, admin, now),
            [RuleViolation::OutOfService]
        );
    }

    #[test]
    fn all_day_facilities_take_bookings_over_midnight() {
        let now = datetime!(2025-11-25 09:00 +9);
        let car = room(Rules {
            hours: BookableHours::ALL_DAY,
            max_minutes: 3 * 24 * 60,
            ..Rules::DEFAULT
        });
        let trip = slot(
            datetime!(2025-11-26 07:00 +9),
            datetime!(2025-11-27 19:00 +9),
        );
        assert!(check_rules(&car, trip, ANYONE, now).is_empty());
        assert!(!check_rules(&room(Rules::DEFAULT), trip, ANYONE, now).is_empty());
    }

    #[test]
    fn restricted_facilities_start_pending_unless_an_administrator_books() {
        let restricted = Rules {
            approval: Approval::Required,
            ..Rules::DEFAULT
        };
        let admin = BookerStanding {
            in_department: true,
            administrator: true,
        };
        assert_eq!(initial_status(&restricted, ANYONE), Status::Pending);
        assert_eq!(initial_status(&restricted, admin), Status::Confirmed);
        assert_eq!(initial_status(&Rules::DEFAULT, ANYONE), Status::Confirmed);
        assert_eq!(Decision::Approve.status(), Status::Confirmed);
        assert_eq!(Decision::Reject.status(), Status::Rejected);
        assert!(!Status::Rejected.is_live() && !Status::Cancelled.is_live());
        assert!(Status::Pending.is_live() && Status::Confirmed.is_live());
    }

    #[test]
    fn stored_names_round_trip_and_unknown_ones_read_safely() {
        for status in [
            Status::Confirmed,
            Status::Pending,
            Status::Rejected,
            Status::Cancelled,
        ] {
            assert_eq!(Status::from_stored(status.as_str()), status);
        }
        assert_eq!(Status::from_stored("?"), Status::Pending);
        for bookers in Bookers::ALL {
            assert_eq!(Bookers::from_stored(bookers.as_str()), bookers);
        }
        assert_eq!(Bookers::from_stored("?"), Bookers::Administrators);
        assert_eq!(Approval::from_stored("?"), Approval::Required);
        assert_eq!(Approval::from_stored("none"), Approval::Automatic);
        assert_eq!(Visibility::from_stored("?"), Visibility::Private);
        assert_eq!(Decision::parse("approve"), Some(Decision::Approve));
        assert_eq!(Decision::parse("Approve"), None);
    }

    #[test]
    fn a_conflict_names_facility_time_title_and_booker_and_hides_private_titles() {
        let existing = Reservation {
            id: ReservationId(5),
            facility_id: FacilityId(1),
            facility_name: "第1会議室".into(),
            slot: slot(
                datetime!(2025-11-26 10:00 +9),
                datetime!(2025-11-26 11:00 +9),
            ),
            booker: StaffId(2),
            booker_name: "佐藤 花子".into(),
            title: "人事面談".into(),
            visibility: Visibility::Private,
            event_id: None,
            status: Status::Pending,
            decision_note: String::new(),
        };
        assert_eq!(
            conflict_message(&existing, StaffId(1), &JA),
            "「第1会議室」は 2025年11月26日（水） 10:00〜11:00 に 佐藤 花子 さんの予約\
             「予定あり」（仮予約）があるため、予約できません。"
        );
        assert!(conflict_message(&existing, StaffId(2), &JA).contains("人事面談"));
        let public = Reservation {
            visibility: Visibility::Public,
            status: Status::Confirmed,
            ..existing
        };
        assert_eq!(
            conflict_message(&public, StaffId(1), &EN),
            "第1会議室 is already booked Wed, Nov 26, 2025 10:00〜11:00 by 佐藤 花子 for \
             \"人事面談\"."
        );
    }

    #[test]
    fn rule_messages_fill_in_their_limits() {
        assert_eq!(
            RuleViolation::TooLong { max_minutes: 150 }.message(&JA),
            "この設備の1回の予約は2時間30分までです。"
        );
        assert_eq!(
            RuleViolation::TooFarAhead { days: 30 }.message(&EN),
            "This facility can be booked at most 30 days ahead."
        );
        assert_eq!(duration_label(45, &JA), "45分");
        assert_eq!(duration_label(120, &EN), "2 h");
        assert!(
            RuleViolation::OutsideHours {
                hours: BookableHours::new(540, 1020).unwrap()
            }
            .message(&JA)
            .contains("09:00〜17:00")
        );
    }
}
