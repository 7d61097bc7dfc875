//! The checks a booking must pass before it is written: what the booker is to the facility,
//! the facility's rules, and whether the booking starts as a 仮予約.

use time::{Duration, OffsetDateTime};

use super::{Approval, BookableHours, Bookers, Facility, JST, PAST_GRACE, Rules, Slot, Status};
use crate::facility::texts::FacilityTexts;
use crate::org::model::{DepartmentId, DepartmentTree, Scope, StaffId};

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
