//! The [`Plan`]: what applying the HR file would change in the stored organisation, person by
//! person and field by field.

use std::collections::{HashMap, HashSet};

use super::{HEADER, HrRecord};
use crate::org::model::Employment;

/// What the stored organisation holds about one person, to compare against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Staff id.
    pub id: crate::org::model::StaffId,
    /// Employee number.
    pub employee_no: String,
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Reading.
    pub kana: String,
    /// Department code.
    pub department_code: String,
    /// Title.
    pub position: String,
    /// Mail.
    pub mail: String,
    /// Concurrent posts, sorted by code.
    pub posts: Vec<(String, String)>,
    /// In post or retired.
    pub employment: Employment,
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The column's header name.
    pub field: &'static str,
    /// As stored.
    pub before: String,
    /// As the file says.
    pub after: String,
}

/// A stored person the file changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The stored person.
    pub stored: Stored,
    /// The file's line.
    pub record: HrRecord,
    /// What changes.
    pub fields: Vec<FieldChange>,
}

/// What applying the file would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// New staff.
    pub added: Vec<HrRecord>,
    /// Changed staff (transfers, new titles, ...), retirements included.
    pub changed: Vec<Change>,
    /// Lines that change nothing.
    pub unchanged: usize,
}

impl Plan {
    /// How many of the changes are retirements.
    pub fn retirements(&self) -> usize {
        self.changed
            .iter()
            .filter(|c| {
                c.record.employment == Employment::Retired
                    && c.stored.employment == Employment::Active
            })
            .count()
    }

    /// How many of the changes move someone to another department.
    pub fn transfers(&self) -> usize {
        self.changed
            .iter()
            .filter(|c| c.fields.iter().any(|f| f.field == HEADER[4]))
            .count()
    }

    /// Whether applying would change anything.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty()
    }
}

fn status_text(employment: Employment) -> &'static str {
    match employment {
        Employment::Active => "在職",
        Employment::Retired => "退職",
    }
}

fn posts_text(posts: &[(String, String)]) -> String {
    posts
        .iter()
        .map(|(code, title)| format!("{code}:{title}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// The differences between `records` and `stored` (by employee number).
pub fn plan(records: Vec<HrRecord>, stored: &[Stored]) -> Plan {
    let by_number: HashMap<&str, &Stored> =
        stored.iter().map(|s| (s.employee_no.as_str(), s)).collect();
    let mut plan = Plan::default();
    let mut seen = HashSet::new();
    for record in records {
        seen.insert(record.employee_no.clone());
        let Some(stored) = by_number.get(record.employee_no.as_str()) else {
            plan.added.push(record);
            continue;
        };
        let mut fields = Vec::new();
        let mut compare = |field: &'static str, before: String, after: String| {
            if before != after {
                fields.push(FieldChange {
                    field,
                    before,
                    after,
                });
            }
        };
        compare(HEADER[1], stored.login.clone(), record.login.clone());
        compare(HEADER[2], stored.name.clone(), record.name.clone());
        compare(HEADER[3], stored.kana.clone(), record.kana.clone());
        compare(
            HEADER[4],
            stored.department_code.clone(),
            record.department_code.clone(),
        );
        compare(HEADER[5], stored.position.clone(), record.position.clone());
        compare(HEADER[6], stored.mail.clone(), record.mail.clone());
        compare(
            HEADER[7],
            posts_text(&stored.posts),
            posts_text(&record.posts),
        );
        compare(
            HEADER[8],
            status_text(stored.employment).into(),
            status_text(record.employment).into(),
        );
        if fields.is_empty() {
            plan.unchanged += 1;
        } else {
            plan.changed.push(Change {
                stored: (*stored).clone(),
                record,
                fields,
            });
        }
    }
    plan
}
