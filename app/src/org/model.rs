//! The organisation's shapes: departments in a 局/部/課/係 tree and the staff who sit in them,
//! both as they come in (`New*`, keyed by codes) and as they are stored (keyed by ids). The
//! tree itself (`tree`) and function administrators and roles (`admins`) have modules of their
//! own, re-exported here.

use std::fmt;

mod admins;
#[cfg(test)]
mod tests;
mod tree;

pub use admins::{GrantKind, Module, Role, Scope};
pub use tree::{
    Department, DepartmentTree, MAX_TREE_DEPTH, PlacementProblem, check_placement, indented_names,
    tree_order,
};

/// The level of a department in the city hall's tree, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepartmentKind {
    /// 局: a bureau, the top level.
    Kyoku,
    /// 部: a department inside a 局.
    Bu,
    /// 課: a division inside a 部; where most staff sit.
    Ka,
    /// 係: a section inside a 課.
    Kakari,
}

impl DepartmentKind {
    /// Every kind, top level first.
    pub const ALL: [DepartmentKind; 4] = [
        DepartmentKind::Kyoku,
        DepartmentKind::Bu,
        DepartmentKind::Ka,
        DepartmentKind::Kakari,
    ];

    /// The stable name stored in the database (`departments.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Kyoku => "kyoku",
            DepartmentKind::Bu => "bu",
            DepartmentKind::Ka => "ka",
            DepartmentKind::Kakari => "kakari",
        }
    }

    /// The kind stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<DepartmentKind> {
        DepartmentKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// The level below this one, if any (a 係 has none).
    pub fn child(self) -> Option<DepartmentKind> {
        match self {
            DepartmentKind::Kyoku => Some(DepartmentKind::Bu),
            DepartmentKind::Bu => Some(DepartmentKind::Ka),
            DepartmentKind::Ka => Some(DepartmentKind::Kakari),
            DepartmentKind::Kakari => None,
        }
    }

    /// The Japanese suffix of the level: 局, 部, 課 or 係.
    pub fn label(self) -> &'static str {
        match self {
            DepartmentKind::Kyoku => "局",
            DepartmentKind::Bu => "部",
            DepartmentKind::Ka => "課",
            DepartmentKind::Kakari => "係",
        }
    }
}

impl fmt::Display for DepartmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A department to be loaded, naming its parent by code.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    /// The city's own code for the department, unique across the tree.
    pub code: String,
    /// The parent's code; `None` for a 局.
    pub parent_code: Option<String>,
    /// The name ("総務課").
    pub name: String,
    /// The level in the tree.
    pub kind: DepartmentKind,
    /// Position among its siblings, smallest first.
    pub display_order: i32,
}

/// A member of staff to be loaded, naming their department by code.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// The login id the gateway asserts (`sub`).
    pub login: String,
    /// The personnel number (職員番号).
    pub employee_no: String,
    /// Full name in kanji ("山田 太郎").
    pub name: String,
    /// Reading of the name in hiragana ("やまだ たろう").
    pub kana: String,
    /// Code of the department the person sits in.
    pub department_code: String,
    /// Job title (課長, 主査, ...).
    pub position: String,
    /// Mail address.
    pub mail: String,
}

/// A whole organisation to load at once: departments parents-before-children, then staff.
#[derive(Debug, Clone)]
pub struct City {
    /// The municipality's name ("やくば市").
    pub name: String,
    /// Departments, every parent before its children.
    pub departments: Vec<NewDepartment>,
    /// Staff, each in one of `departments`.
    pub staff: Vec<NewStaff>,
}

/// The database id of a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct DepartmentId(pub i64);

impl fmt::Display for DepartmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The database id of a member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct StaffId(pub i64);

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a member of staff still works for the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Employment {
    /// Currently employed.
    Active,
    /// Left the city; kept so history still names them.
    Retired,
}

impl Employment {
    /// The stored flag (`staff.retired`): 0 for active, 1 for retired.
    pub fn as_flag(self) -> i64 {
        match self {
            Employment::Active => 0,
            Employment::Retired => 1,
        }
    }

    /// The employment a stored flag stands for; anything but 0 counts as retired, so a
    /// corrupted flag never makes a leaver active again.
    pub fn from_flag(flag: i64) -> Employment {
        if flag == 0 {
            Employment::Active
        } else {
            Employment::Retired
        }
    }
}

/// A member of staff as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Database id.
    pub id: StaffId,
    /// Login id.
    pub login: String,
    /// Personnel number.
    pub employee_no: String,
    /// Full name in kanji.
    pub name: String,
    /// Reading in hiragana.
    pub kana: String,
    /// The department the person sits in.
    pub department_id: DepartmentId,
    /// Job title.
    pub position: String,
    /// Mail address.
    pub mail: String,
    /// Still employed or retired.
    pub employment: Employment,
}

/// How many rows a load wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadCounts {
    /// Departments written.
    pub departments: usize,
    /// Staff written.
    pub staff: usize,
}

/// A concurrent post (兼務): a second department someone also works in, with their title there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The department.
    pub department_id: DepartmentId,
    /// The title held there ("課長（兼務）" is shown from this and the department).
    pub position: String,
}

/// How senior a job title is, for ordering people in a department (smallest first): heads
/// first, then deputies, then staff, and titles the city does not use last.
pub fn position_rank(position: &str) -> u8 {
    const ORDER: [&str; 14] = [
        "局長",
        "副局長",
        "部長",
        "担当部長",
        "副部長",
        "課長",
        "担当課長",
        "課長補佐",
        "係長",
        "主査",
        "主任",
        "主事",
        "技師",
        "会計年度任用職員",
    ];
    ORDER
        .iter()
        .position(|title| *title == position)
        .and_then(|rank| u8::try_from(rank).ok())
        .unwrap_or(u8::MAX)
}

/// Department names of a path root first, joined for display ("総務局 › 総務部 › 総務課").
pub fn join_path(names: &[String]) -> String {
    names.join(" › ")
}
