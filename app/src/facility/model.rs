//! The shapes of facility reservation: categories, facilities and their rules here; time slots
//! (`slot`), reservations (`reservation`) and the checks a booking must pass before it is
//! written (`checks`) in modules of their own, re-exported here. Pure: the clock, the database
//! and the organisation come in as arguments.

use std::fmt;

use time::{Duration, UtcOffset};

use crate::org::model::DepartmentId;

mod checks;
mod reservation;
mod slot;
#[cfg(test)]
mod tests;

pub use checks::{
    BookerRights, BookerStanding, RuleViolation, check_rules, duration_label, initial_status,
};
pub use reservation::{
    Busy, Decision, NewReservation, Reservation, Status, Visibility, conflict_message, shown_title,
};
pub use slot::{
    Slot, SlotError, clock_label, date_label, hhmm, iso_date, parse_clock, parse_date, time_of,
};

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
