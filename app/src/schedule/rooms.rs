//! Rooms for events: an event's facilities booked through facility reservation
//! ([`facility::store::reserve`]) inside the event's own transaction, so that a taken room
//! refuses the whole event, and kept in step when the event changes or goes. The facility
//! module decides whether a booking is allowed; this only asks it, occurrence by occurrence.
//!
//! A single event holds one reservation per facility. A recurring series holds one per
//! occurrence and facility (`event_id` = the series), made for the occurrences that lie within
//! the facility's advance-booking window (予約可能期間, [`Rules::advance_days`]) and no
//! further: the window is the facility administrator's rule for everyone, and a series that
//! took a year of Mondays at once would hold rooms nobody else may book yet. The series records
//! how far each facility is booked (`schedule_series_facilities.booked_through`), and [`roll`],
//! which the app runs every hour on the hour (so seconds after midnight in Japan, when every
//! window moves on by a day), books the occurrences the window has reached since. An occurrence
//! that cannot be booked then (someone booked the room in between, a rule changed) is skipped
//! and logged, and the event's page shows it as not booked; the series keeps the others.
//!
//! Saving a series books every occurrence within the window and refuses the whole series,
//! naming each date that clashes and the booking in the way. Exceptions follow their
//! occurrences: an occurrence changed on its own takes its reservations with it, a removed one
//! (or this and the following) cancels them, and deleting the series cancels those still to
//! come. Reservations already past stay as the record of what was used.
//!
//! Why a booking was refused (`refusal`), where each facility of an occurrence stands
//! (`occurrences`) and the hourly rolling booking (`rolling`) have modules of their own,
//! re-exported here.
//!
//! [`Rules::advance_days`]: crate::facility::model::Rules::advance_days

use sqlx::AnyConnection;
use time::{Date, Duration, OffsetDateTime};

use super::model::{Event, EventId, JST, TimeRange, Visibility};
use super::store::{self, SaveError, SeriesFacility};
use crate::facility;
use crate::facility::model::{
    BookerRights, Facility, FacilityId, NewReservation, Reservation, RuleViolation, Slot,
    check_rules,
};

mod occurrences;
mod refusal;
mod rolling;

pub use occurrences::{OccurrenceRoom, RoomState, occurrence_rooms};
pub use refusal::{Clash, RoomRefusal};
pub use rolling::{MissReason, Missed, Rolled, keep_rolling, roll};

fn slot_of(span: &TimeRange) -> Option<Slot> {
    Slot::new(span.start(), span.end()).ok()
}

fn visibility(event: &Event) -> facility::model::Visibility {
    match event.visibility {
        Visibility::Private => facility::model::Visibility::Private,
        Visibility::Public => facility::model::Visibility::Public,
    }
}

/// The reservation of `facility` for `event` over `span`.
fn new_reservation(event: &Event, facility: FacilityId, slot: Slot) -> NewReservation {
    NewReservation {
        facility_id: facility,
        slot,
        title: event.title.clone(),
        visibility: visibility(event),
        event_id: Some(event.id.0),
    }
}

/// The end (exclusive) of the advance-booking window of a facility bookable `advance_days`
/// ahead, at `now`: midnight, Japan time, after the last day it allows. The facility's rules
/// count days the same way, so an occurrence starting before this passes them.
pub fn window_end(advance_days: u16, now: OffsetDateTime) -> OffsetDateTime {
    let today = now.to_offset(JST).date();
    let after = today
        .checked_add(Duration::days(i64::from(advance_days) + 1))
        .unwrap_or(Date::MAX);
    after.midnight().assume_offset(JST)
}

/// The occurrences of `series` that start in `[from, until)`, removed ones left out.
fn occurrences_between(
    series: &Event,
    exdates: &[OffsetDateTime],
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Vec<TimeRange> {
    match TimeRange::new(from, until) {
        Some(window) => series
            .occurrences(&window, exdates)
            .into_iter()
            .filter(|span| span.start() >= from)
            .collect(),
        None => Vec::new(),
    }
}

/// Books the facilities of a newly saved `event` (or series) in the caller's transaction.
pub async fn book(
    conn: &mut AnyConnection,
    event: &Event,
    facilities: &[FacilityId],
    rights: &BookerRights,
    now: OffsetDateTime,
) -> Result<(), SaveError> {
    if event.rule.is_some() {
        book_series(conn, event, facilities, rights, now, &[]).await
    } else {
        let mut refusal = RoomRefusal::default();
        reserve_single(conn, event, facilities, rights, &mut refusal).await?;
        refusal.finish()
    }
}

async fn reserve_single(
    conn: &mut AnyConnection,
    event: &Event,
    facilities: &[FacilityId],
    rights: &BookerRights,
    refusal: &mut RoomRefusal,
) -> Result<(), sqlx::Error> {
    if facilities.is_empty() {
        return Ok(());
    }
    let Some(slot) = slot_of(&event.span) else {
        refusal.note_too_long();
        return Ok(());
    };
    for facility in facilities {
        let new = new_reservation(event, *facility, slot);
        if let Err(e) = facility::store::reserve(conn, &new, rights).await {
            refusal.note(event.span, e)?;
        }
    }
    Ok(())
}

/// Books each of `facilities` for every occurrence of `series` from `now` to the end of the
/// facility's window, but those in `kept` (facility and start: reserved already), and records
/// that the series holds it. When no occurrence lies in the window yet, the first one is still checked against the rules that do not depend on the
/// date (who may book, hours, length, in service), so a series that could never hold the room
/// is refused now rather than found out later.
async fn book_series(
    conn: &mut AnyConnection,
    series: &Event,
    facilities: &[FacilityId],
    rights: &BookerRights,
    now: OffsetDateTime,
    kept: &[(FacilityId, OffsetDateTime)],
) -> Result<(), SaveError> {
    let exdates = store::exdates_in(conn, series.id).await?;
    let mut refusal = RoomRefusal {
        series: true,
        ..RoomRefusal::default()
    };
    for id in facilities {
        let Some(facility) = facility::store::facility(&mut *conn, *id).await? else {
            refusal.unknown_facility = true;
            continue;
        };
        let until = window_end(facility.rules.advance_days, now);
        let occurrences = occurrences_between(series, &exdates, now, until);
        if occurrences.is_empty() {
            check_first_later(series, &exdates, &facility, rights, now, &mut refusal);
        }
        for occurrence in occurrences {
            if kept.contains(&(*id, occurrence.start())) {
                continue;
            }
            let Some(slot) = slot_of(&occurrence) else {
                refusal.note_too_long();
                continue;
            };
            let new = new_reservation(series, *id, slot);
            if let Err(e) = facility::store::reserve(conn, &new, rights).await {
                refusal.note(occurrence, e)?;
            }
        }
        store::link_series_facility(
            conn,
            &SeriesFacility {
                event: series.id,
                facility: *id,
                booked_by: rights.staff,
                booked_through: until.unix_timestamp(),
            },
        )
        .await?;
    }
    refusal.finish()
}

/// Checks the first occurrence after `now` of a series none of whose occurrences lie in the
/// facility's window yet against the rules that do not depend on the date.
fn check_first_later(
    series: &Event,
    exdates: &[OffsetDateTime],
    facility: &Facility,
    rights: &BookerRights,
    now: OffsetDateTime,
    refusal: &mut RoomRefusal,
) {
    let horizon = now + Duration::days(400 * 5);
    let Some(first) = occurrences_between(series, exdates, now, horizon)
        .into_iter()
        .next()
    else {
        return;
    };
    let Some(slot) = slot_of(&first) else {
        refusal.note_too_long();
        return;
    };
    let standing = rights.standing(facility.department_id);
    refusal.note_rules(
        check_rules(facility, slot, standing, now)
            .into_iter()
            .filter(|rule| !matches!(rule, RuleViolation::TooFarAhead { .. })),
    );
}

/// Brings the reservations of an event in line after it was saved as `after` (it was
/// `before`), in the caller's transaction, holding `facilities`.
///
/// A single event's kept reservations move with it (keeping their approval when the time did
/// not change), dropped ones are cancelled, new ones booked. A series keeps (retitled if need
/// be) the reservations of occurrences it still has at the same time in facilities it still
/// holds, so ending it earlier or renaming it keeps every approval; it cancels the rest still
/// to come and books its occurrences in the window that lack one. An event that becomes a
/// series or stops being one is booked again as it now is.
pub async fn change(
    conn: &mut AnyConnection,
    before: &Event,
    after: &Event,
    facilities: &[FacilityId],
    rights: &BookerRights,
    now: OffsetDateTime,
) -> Result<(), SaveError> {
    match (before.rule.is_some(), after.rule.is_some()) {
        (false, false) => sync_single(conn, after, facilities, rights).await,
        (true, true) => {
            // Reservations of occurrences the series still has, at the same times and of
            // facilities it keeps, stay (with their approval); the rest are cancelled, and the
            // occurrences without one are booked.
            let exdates = store::exdates_in(conn, after.id).await?;
            let mut kept = Vec::new();
            for reservation in upcoming(conn, before.id, now).await? {
                let start = reservation.slot.start();
                let same = after.has_occurrence_at(start)
                    && !exdates.contains(&start)
                    && TimeRange::new(start, start + after.span.duration())
                        .and_then(|span| slot_of(&span))
                        == Some(reservation.slot);
                if same && facilities.contains(&reservation.facility_id) {
                    retitle(conn, &reservation, after).await?;
                    kept.push((reservation.facility_id, start));
                } else {
                    facility::store::cancel(conn, reservation.id).await?;
                }
            }
            for link in store::series_facilities(conn, before.id).await? {
                if !facilities.contains(&link.facility) {
                    store::unlink_series_facility(conn, before.id, link.facility).await?;
                }
            }
            book_series(conn, after, facilities, rights, now, &kept).await
        }
        _ => {
            if before.rule.is_some() {
                for reservation in upcoming(conn, before.id, now).await? {
                    facility::store::cancel(conn, reservation.id).await?;
                }
                for link in store::series_facilities(conn, before.id).await? {
                    store::unlink_series_facility(conn, before.id, link.facility).await?;
                }
            } else {
                facility::store::cancel_for_event(conn, before.id.0).await?;
            }
            book(conn, after, facilities, rights, now).await
        }
    }
}

/// The live reservations of `event` that start at `from` or later.
async fn upcoming(
    conn: &mut AnyConnection,
    event: EventId,
    from: OffsetDateTime,
) -> Result<Vec<Reservation>, sqlx::Error> {
    Ok(facility::store::reservations_for_event(&mut *conn, event.0)
        .await?
        .into_iter()
        .filter(|r| r.slot.start() >= from)
        .collect())
}

/// Gives `reservation` the title and visibility of `event`, when they differ.
async fn retitle(
    conn: &mut AnyConnection,
    reservation: &Reservation,
    event: &Event,
) -> Result<(), sqlx::Error> {
    let shown = visibility(event);
    if reservation.title != event.title || reservation.visibility != shown {
        facility::store::retitle(conn, reservation.id, &event.title, shown).await?;
    }
    Ok(())
}

/// A single event's reservations brought in line with `event` and `facilities`.
async fn sync_single(
    conn: &mut AnyConnection,
    event: &Event,
    facilities: &[FacilityId],
    rights: &BookerRights,
) -> Result<(), SaveError> {
    let existing = facility::store::reservations_for_event(&mut *conn, event.id.0).await?;
    let mut refusal = RoomRefusal::default();
    let slot = slot_of(&event.span);
    for reservation in &existing {
        if !facilities.contains(&reservation.facility_id) {
            facility::store::cancel(conn, reservation.id).await?;
            continue;
        }
        match slot {
            None => refusal.note_too_long(),
            Some(slot) if slot != reservation.slot => {
                if let Err(e) =
                    facility::store::move_reservation(conn, reservation.id, slot, rights).await
                {
                    refusal.note(event.span, e)?;
                }
            }
            Some(_) => {}
        }
        retitle(conn, reservation, event).await?;
    }
    let added: Vec<FacilityId> = facilities
        .iter()
        .copied()
        .filter(|f| !existing.iter().any(|r| r.facility_id == *f))
        .collect();
    reserve_single(conn, event, &added, rights, &mut refusal).await?;
    refusal.finish()
}

/// The occurrence of `series` originally at `original_start` became the event `copy`: its
/// reservations go to the copy with their approval, then follow the copy's time and
/// `facilities`.
pub async fn detach(
    conn: &mut AnyConnection,
    series: EventId,
    original_start: OffsetDateTime,
    copy: &Event,
    facilities: &[FacilityId],
    rights: &BookerRights,
) -> Result<(), SaveError> {
    for reservation in facility::store::reservations_for_event(&mut *conn, series.0).await? {
        if reservation.slot.start() == original_start {
            facility::store::relink(conn, reservation.id, copy.id.0).await?;
        }
    }
    sync_single(conn, copy, facilities, rights).await
}

/// Cancels the reservations of the occurrence of `series` originally at `start`, and of its
/// changed copy if there is one: the occurrence is being removed.
pub async fn cancel_occurrence(
    conn: &mut AnyConnection,
    series: EventId,
    start: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    for reservation in facility::store::reservations_for_event(&mut *conn, series.0).await? {
        if reservation.slot.start() == start {
            facility::store::cancel(conn, reservation.id).await?;
        }
    }
    for (copy, original) in store::detached_from(conn, series, start).await? {
        if original == start {
            facility::store::cancel_for_event(conn, copy.0).await?;
        }
    }
    Ok(())
}

/// Cancels the reservations of the occurrences of `series` from `from` on, and of their
/// changed copies: the series is being cut there.
pub async fn cancel_following(
    conn: &mut AnyConnection,
    series: EventId,
    from: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    for reservation in upcoming(conn, series, from).await? {
        facility::store::cancel(conn, reservation.id).await?;
    }
    for (copy, _) in store::detached_from(conn, series, from).await? {
        facility::store::cancel_for_event(conn, copy.0).await?;
    }
    Ok(())
}

/// Cancels the reservations of `event`, which is being deleted, and of its changed
/// occurrences: all of a single event's, and a series' still to come at `now`.
pub async fn cancel_all(
    conn: &mut AnyConnection,
    event: &Event,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    for copy in store::detached_ids(conn, event.id).await? {
        facility::store::cancel_for_event(conn, copy.0).await?;
    }
    if event.rule.is_some() {
        for reservation in upcoming(conn, event.id, now).await? {
            facility::store::cancel(conn, reservation.id).await?;
        }
    } else {
        facility::store::cancel_for_event(conn, event.id.0).await?;
    }
    Ok(())
}

/// The facilities `event` holds: a series' linked ones, a single event's live reservations'.
pub async fn facilities_of(
    conn: &mut AnyConnection,
    event: &Event,
) -> Result<Vec<FacilityId>, sqlx::Error> {
    if event.rule.is_some() {
        Ok(store::series_facilities(conn, event.id)
            .await?
            .into_iter()
            .map(|l| l.facility)
            .collect())
    } else {
        Ok(
            facility::store::reservations_for_event(&mut *conn, event.id.0)
                .await?
                .into_iter()
                .map(|r| r.facility_id)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_window_ends_at_midnight_after_the_last_day_allowed() {
        let now = datetime!(2026-12-02 23:30 +9);
        assert_eq!(window_end(0, now), datetime!(2026-12-03 00:00 +9));
        assert_eq!(window_end(90, now), datetime!(2027-03-03 00:00 +9));
        // 15:30 UTC is already the next day in Japan.
        let late = datetime!(2026-12-02 15:30 UTC);
        assert_eq!(window_end(1, late), datetime!(2026-12-05 00:00 +9));
    }

    #[test]
    fn the_window_agrees_with_the_facilities_own_advance_rule() {
        use crate::facility::model::{BookerStanding, Rules};
        let now = datetime!(2026-12-02 10:00 +9);
        let room = Facility {
            id: FacilityId(1),
            category_id: crate::facility::model::CategoryId(1),
            name: "第1会議室".into(),
            place: String::new(),
            capacity: None,
            department_id: crate::org::model::DepartmentId(1),
            display_order: 1,
            rules: Rules {
                advance_days: 30,
                ..Rules::DEFAULT
            },
            note: String::new(),
            in_service: true,
        };
        let standing = BookerStanding {
            in_department: true,
            administrator: false,
        };
        let end = window_end(30, now);
        let last_in = Slot::new(end - Duration::hours(14), end - Duration::hours(13)).unwrap();
        let first_out = Slot::new(end + Duration::hours(10), end + Duration::hours(11)).unwrap();
        assert!(check_rules(&room, last_in, standing, now).is_empty());
        assert!(matches!(
            check_rules(&room, first_out, standing, now).as_slice(),
            [RuleViolation::TooFarAhead { days: 30 }]
        ));
    }
}
