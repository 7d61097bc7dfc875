//! The department tree: departments as stored, where one may move, the order and labels
//! pages list them in, and the tree as parent links for scope checks.

use super::{DepartmentId, DepartmentKind};

/// A department as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Database id.
    pub id: DepartmentId,
    /// The city's own code.
    pub code: String,
    /// The parent; `None` for a 局.
    pub parent_id: Option<DepartmentId>,
    /// The name ("総務課").
    pub name: String,
    /// The level in the tree.
    pub kind: DepartmentKind,
    /// Position among its siblings, smallest first.
    pub display_order: i32,
    /// When it was abolished (廃止); `None` while it is current. An abolished department stays
    /// for history but is offered for nothing new.
    pub abolished_at: Option<time::OffsetDateTime>,
}

impl Department {
    /// Whether it is current (not abolished).
    pub fn is_current(&self) -> bool {
        self.abolished_at.is_none()
    }
}

/// Why a department cannot be placed under a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlacementProblem {
    /// The parent is the department itself or lies under it.
    #[error("a department cannot go under itself or its own sub-departments")]
    UnderItself,
    /// The parent is not one level above (a 課 goes under a 部, only a 局 at the top).
    #[error("a {kind} cannot go under {parent:?}")]
    WrongLevel {
        /// The department's level.
        kind: DepartmentKind,
        /// The parent's level; `None` for the top.
        parent: Option<DepartmentKind>,
    },
    /// The parent is abolished.
    #[error("the parent is abolished")]
    ParentAbolished,
}

/// Whether `department` may move under `parent` (`None`: to the top), its level kept: the
/// parent must be current, one level above it, and neither the department nor under it.
pub fn check_placement(
    department: &Department,
    parent: Option<&Department>,
    tree: &DepartmentTree,
) -> Result<(), PlacementProblem> {
    let Some(parent) = parent else {
        return match department.kind {
            DepartmentKind::Kyoku => Ok(()),
            kind => Err(PlacementProblem::WrongLevel { kind, parent: None }),
        };
    };
    if parent.id == department.id || tree.is_within(parent.id, department.id) {
        return Err(PlacementProblem::UnderItself);
    }
    if !parent.is_current() {
        return Err(PlacementProblem::ParentAbolished);
    }
    if parent.kind.child() != Some(department.kind) {
        return Err(PlacementProblem::WrongLevel {
            kind: department.kind,
            parent: Some(parent.kind),
        });
    }
    Ok(())
}

/// `departments` in tree order: every parent followed by its children, siblings by display
/// order then code. A department whose parent is missing counts as a root.
pub fn tree_order(departments: Vec<Department>) -> Vec<Department> {
    use std::collections::HashMap;
    let known: std::collections::HashSet<DepartmentId> = departments.iter().map(|d| d.id).collect();
    let mut children: HashMap<Option<DepartmentId>, Vec<Department>> = HashMap::new();
    for department in departments {
        let parent = department.parent_id.filter(|p| known.contains(p));
        children.entry(parent).or_default().push(department);
    }
    for siblings in children.values_mut() {
        siblings.sort_by(|a, b| (a.display_order, &a.code).cmp(&(b.display_order, &b.code)));
    }
    let mut out = Vec::with_capacity(known.len());
    let mut stack: Vec<Department> = children.remove(&None).unwrap_or_default();
    stack.reverse();
    while let Some(department) = stack.pop() {
        if let Some(mut below) = children.remove(&Some(department.id)) {
            below.reverse();
            stack.extend(below);
        }
        out.push(department);
    }
    out
}

/// Labels for a department picker: each name indented by its depth with full-width spaces,
/// for departments already in [`tree_order`].
pub fn indented_names(departments: &[Department]) -> Vec<String> {
    let mut depth: std::collections::HashMap<DepartmentId, usize> =
        std::collections::HashMap::with_capacity(departments.len());
    departments
        .iter()
        .map(|d| {
            let level = d
                .parent_id
                .and_then(|p| depth.get(&p))
                .map_or(0, |parent| parent + 1);
            depth.insert(d.id, level);
            format!("{}{}", "\u{3000}".repeat(level), d.name)
        })
        .collect()
}

/// The department tree as parent links, for scope checks and for listing sub-departments
/// without a query per level.
#[derive(Debug, Clone, Default)]
pub struct DepartmentTree {
    parent: std::collections::HashMap<DepartmentId, Option<DepartmentId>>,
}

impl DepartmentTree {
    /// The tree of `(department, parent)` links.
    pub fn new(links: impl IntoIterator<Item = (DepartmentId, Option<DepartmentId>)>) -> Self {
        DepartmentTree {
            parent: links.into_iter().collect(),
        }
    }

    /// Whether `department` is `ancestor` or lies under it. Unknown departments lie nowhere;
    /// a parent cycle (a corrupted tree) is followed at most [`MAX_TREE_DEPTH`] steps.
    pub fn is_within(&self, department: DepartmentId, ancestor: DepartmentId) -> bool {
        let mut current = Some(department);
        for _ in 0..MAX_TREE_DEPTH {
            match current {
                Some(id) if id == ancestor => return self.parent.contains_key(&id),
                Some(id) => current = self.parent.get(&id).copied().flatten(),
                None => return false,
            }
        }
        false
    }

    /// `root` and every department under it.
    pub fn subtree(&self, root: DepartmentId) -> Vec<DepartmentId> {
        let mut ids: Vec<DepartmentId> = self
            .parent
            .keys()
            .copied()
            .filter(|id| self.is_within(*id, root))
            .collect();
        ids.sort_by_key(|id| id.0);
        ids
    }

    /// How many departments the tree holds.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether the tree holds no department.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
}

/// The deepest tree [`DepartmentTree`] follows; real trees have four levels.
pub const MAX_TREE_DEPTH: usize = 32;
