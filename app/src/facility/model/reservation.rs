//! Reservations: who sees their titles, where they stand (仮予約 included), the booking to be
//! written, the message that names a booking in the way, and an administrator's decision.

use super::{FacilityId, ReservationId, Slot};
use crate::facility::texts::FacilityTexts;
use crate::org::model::StaffId;

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
/// from a schedule event. The booker is the one whose
/// [`BookerRights`](super::BookerRights) come with it.
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
