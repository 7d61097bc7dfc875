//! The facility forms as posted (every field a string, so a bad value never fails the
//! request) and their parsing into domain values, with every problem at once in the page's
//! language. Pure: no IO.

use serde::Deserialize;

use super::model::{
    Approval, BookableHours, Bookers, CategoryId, FacilityInput, MINUTES_PER_DAY, Rules, Slot,
    SlotError, Visibility, parse_clock, parse_date, time_of,
};
use super::texts::FacilityTexts;
use crate::org::model::DepartmentId;

/// Longest title of a reservation, in characters.
pub const MAX_TITLE: usize = 100;
/// Longest facility name, in characters.
pub const MAX_NAME: usize = 100;
/// Longest category name, in characters.
pub const MAX_CATEGORY_NAME: usize = 50;
/// Longest place or note, in characters.
pub const MAX_TEXT: usize = 500;

/// The booking form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReserveForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// `2025-11-25`.
    pub date: String,
    /// `10:00`.
    pub start: String,
    /// `11:00` (or `24:00`).
    pub end: String,
    /// What for.
    pub title: String,
    /// `1` when private.
    pub private: String,
}

/// A booking form that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveDraft {
    /// When.
    pub slot: Slot,
    /// What for, trimmed.
    pub title: String,
    /// Who sees the title.
    pub visibility: Visibility,
}

impl ReserveForm {
    /// The draft, or every problem with the form.
    pub fn parse(&self, texts: &FacilityTexts) -> Result<ReserveDraft, Vec<String>> {
        let mut problems = Vec::new();
        let date = parse_date(&self.date);
        if date.is_none() {
            problems.push(texts.error_date.to_owned());
        }
        let start = parse_clock(&self.start).filter(|m| *m < MINUTES_PER_DAY);
        if start.is_none() {
            problems.push(texts.error_start.to_owned());
        }
        let end = parse_clock(&self.end).filter(|m| *m > 0);
        if end.is_none() {
            problems.push(texts.error_end.to_owned());
        }
        let title = self.title.trim();
        if title.is_empty() {
            problems.push(texts.error_title.to_owned());
        } else if title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
            problems.push(texts.error_title_long.to_owned());
        }
        let slot = match (date, start, end) {
            (Some(_), Some(start), Some(end)) if end <= start => {
                problems.push(texts.error_end_before_start.to_owned());
                None
            }
            (Some(date), Some(start), Some(end)) => {
                match Slot::on_day(date, time_of(start), time_of(end)) {
                    Ok(slot) => Some(slot),
                    Err(SlotError::Empty) => {
                        problems.push(texts.error_end_before_start.to_owned());
                        None
                    }
                    Err(SlotError::TooLong | SlotError::OutOfRange) => {
                        problems.push(texts.error_date.to_owned());
                        None
                    }
                }
            }
            _ => None,
        };
        match slot {
            Some(slot) if problems.is_empty() => Ok(ReserveDraft {
                slot,
                title: title.to_owned(),
                visibility: if self.private == "1" {
                    Visibility::Private
                } else {
                    Visibility::Public
                },
            }),
            _ => Err(problems),
        }
    }
}

/// An administrator's decision as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DecideForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// `approve` or `reject`.
    pub decision: String,
    /// A note for the booker.
    pub note: String,
}

/// A form that carries nothing but the CSRF token (cancel buttons).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ButtonForm {
    /// The session's CSRF token.
    pub csrf: String,
}

/// The facility form (create or edit) as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FacilityForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// Category id.
    pub category: String,
    /// Name.
    pub name: String,
    /// Place.
    pub place: String,
    /// Capacity; empty for equipment.
    pub capacity: String,
    /// Managing department id.
    pub department: String,
    /// `none` or `required`.
    pub approval: String,
    /// `everyone`, `department` or `administrators`.
    pub bookers: String,
    /// Days ahead.
    pub advance_days: String,
    /// Longest booking in minutes.
    pub max_minutes: String,
    /// `08:30`.
    pub open: String,
    /// `17:15` or `24:00`.
    pub close: String,
    /// Notes.
    pub note: String,
    /// `1` when in service.
    pub in_service: String,
}

impl FacilityForm {
    /// The form filled in from `input`, for editing.
    pub fn from_input(input: &FacilityInput) -> FacilityForm {
        let rules = input.rules;
        FacilityForm {
            csrf: String::new(),
            category: input.category_id.0.to_string(),
            name: input.name.clone(),
            place: input.place.clone(),
            capacity: input.capacity.map(|c| c.to_string()).unwrap_or_default(),
            department: input.department_id.0.to_string(),
            approval: rules.approval.as_str().to_owned(),
            bookers: rules.bookers.as_str().to_owned(),
            advance_days: rules.advance_days.to_string(),
            max_minutes: rules.max_minutes.to_string(),
            open: super::model::clock_label(rules.hours.open()),
            close: super::model::clock_label(rules.hours.close()),
            note: input.note.clone(),
            in_service: if input.in_service { "1" } else { "" }.to_owned(),
        }
    }

    /// The facility, or every problem with the form. `category_ok` and `department_ok` say
    /// whether an id names a category that exists and a department the user administers.
    pub fn parse(
        &self,
        texts: &FacilityTexts,
        category_ok: impl Fn(CategoryId) -> bool,
        department_ok: impl Fn(DepartmentId) -> bool,
    ) -> Result<FacilityInput, Vec<String>> {
        let mut problems = Vec::new();
        let mut problem = |text: &str| problems.push(text.to_owned());
        let category = self
            .category
            .trim()
            .parse()
            .ok()
            .map(CategoryId)
            .filter(|id| category_ok(*id));
        if category.is_none() {
            problem(texts.error_category);
        }
        let name = self.name.trim();
        if !plain_text(name, MAX_NAME) || name.is_empty() {
            problem(texts.error_name);
        }
        let place = self.place.trim();
        if !plain_text(place, MAX_TEXT) {
            problem(texts.error_name);
        }
        let capacity = match self.capacity.trim() {
            "" => Some(None),
            text => text
                .parse::<u32>()
                .ok()
                .filter(|c| (1..=10_000).contains(c))
                .map(Some),
        };
        if capacity.is_none() {
            problem(texts.error_capacity);
        }
        let department = self
            .department
            .trim()
            .parse()
            .ok()
            .map(DepartmentId)
            .filter(|id| department_ok(*id));
        if department.is_none() {
            problem(texts.error_department);
        }
        let approval = match self.approval.as_str() {
            "none" => Some(Approval::Automatic),
            "required" => Some(Approval::Required),
            _ => None,
        };
        let bookers = Bookers::parse(&self.bookers);
        if approval.is_none() || bookers.is_none() {
            problem(texts.error_choice);
        }
        let advance_days = self
            .advance_days
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|d| (1..=730).contains(d));
        if advance_days.is_none() {
            problem(texts.error_advance_days);
        }
        let max_minutes = self
            .max_minutes
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| (15..=20_160).contains(m) && m.is_multiple_of(15));
        if max_minutes.is_none() {
            problem(texts.error_max_minutes);
        }
        let hours = match (parse_clock(&self.open), parse_clock(&self.close)) {
            (Some(open), Some(close)) => BookableHours::new(open, close),
            _ => None,
        };
        if hours.is_none() {
            problem(texts.error_hours);
        }
        let note = self.note.trim();
        if note.chars().count() > MAX_TEXT {
            problem(texts.error_name);
        }
        match (
            category,
            capacity,
            department,
            approval,
            bookers,
            advance_days,
            max_minutes,
            hours,
        ) {
            (
                Some(category_id),
                Some(capacity),
                Some(department_id),
                Some(approval),
                Some(bookers),
                Some(advance_days),
                Some(max_minutes),
                Some(hours),
            ) if problems.is_empty() => Ok(FacilityInput {
                category_id,
                name: name.to_owned(),
                place: place.to_owned(),
                capacity,
                department_id,
                rules: Rules {
                    approval,
                    bookers,
                    advance_days,
                    max_minutes,
                    hours,
                },
                note: note.to_owned(),
                in_service: self.in_service == "1",
            }),
            _ => Err(problems),
        }
    }
}

/// A new category's name as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CategoryForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// The name.
    pub name: String,
}

impl CategoryForm {
    /// The trimmed name, or the problem with it.
    pub fn parse(&self, texts: &FacilityTexts) -> Result<String, String> {
        let name = self.name.trim();
        if name.is_empty() || !plain_text(name, MAX_CATEGORY_NAME) {
            return Err(texts.error_category_name.to_owned());
        }
        Ok(name.to_owned())
    }
}

/// Whether `text` has at most `max` characters and no control characters.
fn plain_text(text: &str, max: usize) -> bool {
    text.chars().count() <= max && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facility::texts::{EN, JA};
    use time::macros::datetime;

    fn form(date: &str, start: &str, end: &str, title: &str) -> ReserveForm {
        ReserveForm {
            date: date.into(),
            start: start.into(),
            end: end.into(),
            title: title.into(),
            ..ReserveForm::default()
        }
    }

    #[test]
    fn a_complete_booking_form_parses_in_japan_time() {
        let draft = form("2025-11-25", "10:00", "11:30", "  係会議 ")
            .parse(&JA)
            .unwrap();
        assert_eq!(draft.slot.start(), datetime!(2025-11-25 10:00 +9));
        assert_eq!(draft.slot.end(), datetime!(2025-11-25 11:30 +9));
        assert_eq!(draft.title, "係会議");
        assert_eq!(draft.visibility, Visibility::Public);
        let mut private = form("2025-11-25", "22:00", "24:00", "夜間作業");
        private.private = "1".into();
        let draft = private.parse(&JA).unwrap();
        assert_eq!(draft.visibility, Visibility::Private);
        assert_eq!(draft.slot.end(), datetime!(2025-11-26 00:00 +9));
    }

    #[test]
    fn every_problem_of_a_booking_form_is_reported_at_once() {
        let problems = form("2025-13-01", "25:00", "", "").parse(&JA).unwrap_err();
        assert_eq!(
            problems,
            [JA.error_date, JA.error_start, JA.error_end, JA.error_title]
        );
        let problems = form("2025-11-25", "11:00", "10:00", "x")
            .parse(&EN)
            .unwrap_err();
        assert_eq!(problems, [EN.error_end_before_start]);
        let long = "会".repeat(MAX_TITLE + 1);
        assert_eq!(
            form("2025-11-25", "10:00", "11:00", &long)
                .parse(&JA)
                .unwrap_err(),
            [JA.error_title_long]
        );
        assert_eq!(
            form("2025-11-25", "24:00", "24:00", "x")
                .parse(&JA)
                .unwrap_err(),
            [JA.error_start]
        );
    }

    fn facility_form() -> FacilityForm {
        FacilityForm {
            category: "1".into(),
            name: "第1会議室".into(),
            place: "本庁舎 3階".into(),
            capacity: "12".into(),
            department: "5".into(),
            approval: "required".into(),
            bookers: "department".into(),
            advance_days: "60".into(),
            max_minutes: "240".into(),
            open: "08:30".into(),
            close: "17:15".into(),
            note: "プロジェクター常設".into(),
            in_service: "1".into(),
            ..FacilityForm::default()
        }
    }

    #[test]
    fn a_complete_facility_form_parses_and_round_trips() {
        let input = facility_form()
            .parse(&JA, |c| c == CategoryId(1), |d| d == DepartmentId(5))
            .unwrap();
        assert_eq!(input.rules.approval, Approval::Required);
        assert_eq!(input.rules.bookers, Bookers::Department);
        assert_eq!(input.rules.hours.label(), "08:30〜17:15");
        assert_eq!(input.capacity, Some(12));
        assert!(input.in_service);
        let again = FacilityForm::from_input(&input)
            .parse(&JA, |_| true, |_| true)
            .unwrap();
        assert_eq!(again, input);
    }

    #[test]
    fn a_facility_outside_the_administrators_scope_or_with_bad_rules_is_refused() {
        let mut bad = facility_form();
        bad.capacity = "0".into();
        bad.max_minutes = "100".into();
        bad.open = "18:00".into();
        bad.bookers = "mayor".into();
        let problems = bad
            .parse(&JA, |_| true, |d| d == DepartmentId(6))
            .unwrap_err();
        assert_eq!(
            problems,
            [
                JA.error_capacity,
                JA.error_department,
                JA.error_choice,
                JA.error_max_minutes,
                JA.error_hours
            ]
        );
        let mut equipment = facility_form();
        equipment.capacity = " ".into();
        equipment.in_service = String::new();
        let input = equipment.parse(&JA, |_| true, |_| true).unwrap();
        assert_eq!(input.capacity, None);
        assert!(!input.in_service);
    }

    #[test]
    fn category_names_are_trimmed_and_bounded() {
        let form = |name: &str| CategoryForm {
            csrf: String::new(),
            name: name.into(),
        };
        assert_eq!(form(" 公用車 ").parse(&JA).unwrap(), "公用車");
        assert!(form("  ").parse(&JA).is_err());
        assert!(form(&"車".repeat(51)).parse(&JA).is_err());
        assert!(form("a\u{0}b").parse(&JA).is_err());
    }
}
