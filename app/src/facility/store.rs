//! SQL for facility reservation: categories and facilities, the reservations on a day grid,
//! and the one way a reservation is written, [`reserve`], which the schedule also calls inside
//! its own transactions.
//!
//! No double booking, on both backends. PostgreSQL holds an exclusion constraint
//! (`facility_reservations_no_overlap`, btree_gist over `facility_id` and
//! `int8range(starts_at, ends_at)`): a concurrent overlapping insert waits for the first
//! transaction and fails once it commits. SQLite holds triggers of the same name that refuse
//! an overlapping insert or update; SQLite has one writer at a time and a trigger runs inside
//! the writing statement, so no other write can come between its check and its write. On top
//! of that, writers open their transaction with [`begin_write`], which on SQLite is
//! `BEGIN IMMEDIATE`: it takes the write lock before the first read, so the friendly check in
//! [`reserve`] reads the latest committed bookings and names the one in the way, instead of
//! failing later on a stale snapshot. Either way the database has the last word, and a
//! refusal from it is turned into the same [`ReserveError::Conflict`].
//!
//! The SQL is split by role: writing reservations (`booking`), reading them
//! (`reservations`), approving 仮予約 (`approval`), categories and facilities (`facilities`)
//! and seeding (`seed`). Callers use the functions from here, whichever module holds them.

use crate::facility::model::{FacilityId, Reservation, ReservationId, Slot, Status, Visibility};
use crate::org::model::StaffId;

mod approval;
mod booking;
mod facilities;
mod reservations;
mod seed;

pub use approval::{
    DecideError, decide, mark_decisions_seen, pending, pending_for, unseen_decisions,
};
pub use booking::{
    ReserveError, begin_write, book, booker_rights, cancel, cancel_for_event, change,
    move_for_event, move_reservation, relink, reserve, retitle,
};
pub use facilities::{
    CategorySummary, all_facilities, categories, category_by_name, count_facilities, facilities_in,
    facility, home_category, insert_category, insert_facility, update_facility,
};
pub use reservations::{busy, reservation, reservations_for_event, reservations_on, upcoming_of};
pub use seed::{SeedCounts, insert_seed_reservations, load_city, load_demo};

/// The name of the no-overlap constraint (PostgreSQL) and triggers (SQLite); both backends
/// put it in the error message when they refuse a double booking.
const NO_OVERLAP: &str = "facility_reservations_no_overlap";

/// Statuses that hold a slot, as SQL.
const LIVE: &str = "('confirmed', 'pending')";

const RESERVATION_COLUMNS: &str = "r.id, r.facility_id, f.name AS facility_name, r.starts_at, \
     r.ends_at, r.booker_id, s.name AS booker_name, r.title, r.visibility, r.event_id, \
     r.status, r.decision_note";

const RESERVATION_FROM: &str = "FROM facility_reservations r \
     JOIN facilities f ON f.id = r.facility_id JOIN staff s ON s.id = r.booker_id";

#[derive(sqlx::FromRow)]
struct ReservationRow {
    id: i64,
    facility_id: i64,
    facility_name: String,
    starts_at: i64,
    ends_at: i64,
    booker_id: i64,
    booker_name: String,
    title: String,
    visibility: String,
    event_id: Option<i64>,
    status: String,
    decision_note: String,
}

impl From<ReservationRow> for Reservation {
    fn from(row: ReservationRow) -> Reservation {
        // The table's CHECK keeps every span valid; a row that is not would be shown as its
        // first minute rather than dropped from the grid.
        let slot = Slot::from_epoch(row.starts_at, row.ends_at)
            .or_else(|_| Slot::from_epoch(row.starts_at, row.starts_at + 60))
            .unwrap_or_else(|_| Slot::day(time::Date::MIN));
        Reservation {
            id: ReservationId(row.id),
            facility_id: FacilityId(row.facility_id),
            facility_name: row.facility_name,
            slot,
            booker: StaffId(row.booker_id),
            booker_name: row.booker_name,
            title: row.title,
            visibility: Visibility::from_stored(&row.visibility),
            event_id: row.event_id,
            status: Status::from_stored(&row.status),
            decision_note: row.decision_note,
        }
    }
}
