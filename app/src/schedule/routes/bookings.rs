//! The bridge to facility reservation: booking an event's facilities inside the event's own
//! transaction (so a taken room refuses the whole event), keeping them in step when the event
//! changes, and cancelling them with it. The facility module decides whether a booking is
//! allowed; this only turns its refusal into a message for the event form.

use sqlx::AnyConnection;

use crate::facility;
use crate::facility::model::{BookerRights, FacilityId, NewReservation, Slot};
use crate::facility::store::ReserveError;
use crate::facility::texts::FacilityTexts;
use crate::i18n::Lang;
use crate::org::model::StaffId;
use crate::schedule::form::EventDraft;
use crate::schedule::model::{EventId, TimeRange};
use crate::schedule::store::SaveError;

/// Why the facilities of an event could not be booked, as the form shows it.
pub(super) fn refusal(error: ReserveError, viewer: StaffId, lang: Lang) -> SaveError {
    let texts = FacilityTexts::of(lang);
    match error {
        ReserveError::Conflict(existing) => {
            SaveError::Facility(facility::model::conflict_message(&existing, viewer, texts))
        }
        ReserveError::Rules(violations) => SaveError::Facility(
            violations
                .into_iter()
                .map(|v| v.message(texts))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ReserveError::UnknownFacility | ReserveError::NotLive => SaveError::Facility(
            crate::schedule::texts::problem_message(
                crate::schedule::form::Problem::BadFacility,
                lang,
            )
            .to_owned(),
        ),
        ReserveError::Database(e) => SaveError::Database(e),
    }
}

fn slot(span: &TimeRange) -> Option<Slot> {
    Slot::new(span.start(), span.end()).ok()
}

/// Books each facility of `draft` for event `id`, in the caller's transaction.
pub(super) async fn book(
    conn: &mut AnyConnection,
    id: EventId,
    draft: &EventDraft,
    rights: &BookerRights,
    viewer: StaffId,
    lang: Lang,
) -> Result<(), SaveError> {
    let Some(slot) = slot(&draft.span) else {
        return Ok(());
    };
    for facility_id in &draft.facilities {
        let new = NewReservation {
            facility_id: FacilityId(*facility_id),
            slot,
            title: draft.title.clone(),
            visibility: visibility(draft),
            event_id: Some(id.0),
        };
        facility::store::reserve(conn, &new, rights)
            .await
            .map_err(|e| refusal(e, viewer, lang))?;
    }
    Ok(())
}

fn visibility(draft: &EventDraft) -> facility::model::Visibility {
    match draft.visibility {
        crate::schedule::model::Visibility::Private => facility::model::Visibility::Private,
        crate::schedule::model::Visibility::Public => facility::model::Visibility::Public,
    }
}

/// Brings the live reservations of event `id` in line with `draft`, in the caller's
/// transaction: kept facilities move with the event, dropped ones are cancelled, new ones are
/// booked. A kept reservation keeps its approval when its time does not change.
pub(super) async fn sync(
    conn: &mut AnyConnection,
    id: EventId,
    draft: &EventDraft,
    rights: &BookerRights,
    viewer: StaffId,
    lang: Lang,
) -> Result<(), SaveError> {
    let existing = facility::store::reservations_for_event(&mut *conn, id.0).await?;
    let Some(slot) = slot(&draft.span) else {
        return Ok(());
    };
    for reservation in &existing {
        if draft.facilities.contains(&reservation.facility_id.0) {
            if reservation.slot != slot {
                facility::store::move_reservation(conn, reservation.id, slot, rights)
                    .await
                    .map_err(|e| refusal(e, viewer, lang))?;
            }
        } else {
            facility::store::cancel(conn, reservation.id).await?;
        }
    }
    let added = EventDraft {
        facilities: draft
            .facilities
            .iter()
            .copied()
            .filter(|f| !existing.iter().any(|r| r.facility_id.0 == *f))
            .collect(),
        ..draft.clone()
    };
    book(conn, id, &added, rights, viewer, lang).await
}

/// The facilities event `id` has live reservations for.
pub(super) async fn facilities_of(
    conn: &mut AnyConnection,
    id: EventId,
) -> Result<Vec<i64>, sqlx::Error> {
    Ok(facility::store::reservations_for_event(&mut *conn, id.0)
        .await?
        .into_iter()
        .map(|r| r.facility_id.0)
        .collect())
}

/// Cancels the reservations of event `id` and of its changed occurrences.
pub(super) async fn cancel_all(conn: &mut AnyConnection, id: EventId) -> Result<(), sqlx::Error> {
    for event in crate::schedule::store::detached_ids(&mut *conn, id)
        .await?
        .into_iter()
        .chain([id])
    {
        facility::store::cancel_for_event(conn, event.0).await?;
    }
    Ok(())
}
