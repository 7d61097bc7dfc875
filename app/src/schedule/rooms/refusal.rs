//! Why an event's facilities were not booked: every occurrence whose facility is taken, with
//! the booking in the way, and every rule broken, gathered so the whole refusal is shown at once.

use std::fmt;

use crate::facility::model::{MAX_SPAN, Reservation, RuleViolation};
use crate::facility::store::ReserveError;
use crate::schedule::model::TimeRange;
use crate::schedule::store::SaveError;

/// Why the facilities of an event or series were not booked. Nothing is written when this is
/// returned.
#[derive(Debug, Clone, Default)]
pub struct RoomRefusal {
    /// Whether the event is a series (its clashes are listed by occurrence).
    pub series: bool,
    /// Occurrences whose facility is taken, each with the booking in the way, in time order.
    pub clashes: Vec<Clash>,
    /// Rules the bookings break, each once.
    pub rules: Vec<RuleViolation>,
    /// A facility that does not exist.
    pub unknown_facility: bool,
}

impl RoomRefusal {
    fn is_empty(&self) -> bool {
        self.clashes.is_empty() && self.rules.is_empty() && !self.unknown_facility
    }

    /// Notes why `occurrence` was not booked; a database failure is passed on.
    pub(super) fn note(
        &mut self,
        occurrence: TimeRange,
        error: ReserveError,
    ) -> Result<(), sqlx::Error> {
        match error {
            ReserveError::Conflict(existing) => self.clashes.push(Clash {
                occurrence,
                existing: *existing,
            }),
            ReserveError::Rules(broken) => self.note_rules(broken),
            ReserveError::UnknownFacility | ReserveError::NotLive => self.unknown_facility = true,
            ReserveError::Database(e) => return Err(e),
        }
        Ok(())
    }

    pub(super) fn note_rules(&mut self, broken: impl IntoIterator<Item = RuleViolation>) {
        for rule in broken {
            if !self.rules.contains(&rule) {
                self.rules.push(rule);
            }
        }
    }

    /// A span too long to book at all (over [`MAX_SPAN`]).
    pub(super) fn note_too_long(&mut self) {
        self.note_rules([RuleViolation::TooLong {
            max_minutes: u32::try_from(MAX_SPAN.whole_minutes()).unwrap_or(u32::MAX),
        }]);
    }

    /// `Ok` when nothing was refused.
    pub(super) fn finish(mut self) -> Result<(), SaveError> {
        if self.is_empty() {
            return Ok(());
        }
        self.clashes
            .sort_by_key(|c| (c.occurrence.start(), c.existing.facility_id));
        Err(SaveError::Rooms(self))
    }
}

impl fmt::Display for RoomRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} clashes, rules broken: {:?}{}",
            self.clashes.len(),
            self.rules,
            if self.unknown_facility {
                ", an unknown facility"
            } else {
                ""
            }
        )
    }
}

/// An occurrence whose facility is taken.
#[derive(Debug, Clone)]
pub struct Clash {
    /// The occurrence.
    pub occurrence: TimeRange,
    /// The booking in the way.
    pub existing: Reservation,
}
