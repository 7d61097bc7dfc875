//! The organisation's shapes: departments in a 局/部/課/係 tree and the staff who sit in them,
//! both as they come in (`New*`, keyed by codes) and as they are stored (keyed by ids).

use std::fmt;

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

/// A groupware module that has its own function administrators (機能管理者).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    /// スケジュール.
    Schedule,
    /// 設備予約.
    Facility,
    /// 伝言・所在.
    Whereabouts,
    /// インフォメーション・電子会議室.
    Board,
    /// ワークフロー.
    Workflow,
    /// チャット.
    Chat,
}

impl Module {
    /// Every module, in the order the administration page lists them.
    pub const ALL: [Module; 6] = [
        Module::Schedule,
        Module::Facility,
        Module::Whereabouts,
        Module::Board,
        Module::Workflow,
        Module::Chat,
    ];

    /// The stable name stored in the database (`function_admins.module`).
    pub fn as_str(self) -> &'static str {
        match self {
            Module::Schedule => "schedule",
            Module::Facility => "facility",
            Module::Whereabouts => "whereabouts",
            Module::Board => "board",
            Module::Workflow => "workflow",
            Module::Chat => "chat",
        }
    }

    /// The module stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The module's Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            Module::Schedule => "スケジュール",
            Module::Facility => "設備予約",
            Module::Whereabouts => "伝言・所在",
            Module::Board => "インフォメーション",
            Module::Workflow => "ワークフロー",
            Module::Chat => "チャット",
        }
    }

    /// The module's English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Module::Schedule => "Schedule",
            Module::Facility => "Facility booking",
            Module::Whereabouts => "Whereabouts and memos",
            Module::Board => "Information",
            Module::Workflow => "Workflow",
            Module::Chat => "Chat",
        }
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a function administrator's grant is written down: which departments it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// The administrator's own (primary) department and everything under it, following them
    /// when they are transferred.
    Own,
    /// The departments listed with the grant, each with everything under it.
    Selected,
    /// The whole city hall.
    All,
}

impl GrantKind {
    /// Every kind, narrowest first.
    pub const ALL: [GrantKind; 3] = [GrantKind::Own, GrantKind::Selected, GrantKind::All];

    /// The stable name stored in the database (`function_admins.scope`).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::Own => "own",
            GrantKind::Selected => "selected",
            GrantKind::All => "all",
        }
    }

    /// The kind stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<GrantKind> {
        GrantKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Where someone may act as a module's function administrator, resolved to departments.
///
/// A scope naming a department always covers the departments under it: a 局's 総務担当
/// administers every 部, 課 and 係 of the 局.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Not an administrator of the module.
    Nothing,
    /// These departments and everything under them.
    Departments(Vec<DepartmentId>),
    /// Every department.
    All,
}

impl Scope {
    /// Whether the scope covers `department`, looking up its ancestors in `tree`.
    pub fn covers(&self, department: DepartmentId, tree: &DepartmentTree) -> bool {
        match self {
            Scope::Nothing => false,
            Scope::All => true,
            Scope::Departments(roots) => roots.iter().any(|root| tree.is_within(department, *root)),
        }
    }

    /// Whether the scope covers anything at all.
    pub fn is_admin(&self) -> bool {
        !matches!(self, Scope::Nothing)
    }
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

/// A role a member of staff holds beyond their post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// システム管理者: manages the organisation and grants function administrators; counts as
    /// a function administrator of every module over the whole city hall.
    SystemAdmin,
}

impl Role {
    /// The stable name stored in the database (`staff_roles.role`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
        }
    }

    /// The role stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Role> {
        (name == "system_admin").then_some(Role::SystemAdmin)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_kinds_round_trip_through_their_stored_names() {
        for kind in DepartmentKind::ALL {
            assert_eq!(DepartmentKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(DepartmentKind::parse("Ka"), None);
        assert_eq!(DepartmentKind::parse(""), None);
    }

    #[test]
    fn department_kinds_have_their_japanese_suffix() {
        let labels: Vec<_> = DepartmentKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(labels, ["局", "部", "課", "係"]);
    }

    #[test]
    fn employment_flags_round_trip_and_unknown_flags_mean_retired() {
        for employment in [Employment::Active, Employment::Retired] {
            assert_eq!(Employment::from_flag(employment.as_flag()), employment);
        }
        assert_eq!(Employment::from_flag(7), Employment::Retired);
    }

    #[test]
    fn paths_are_joined_root_first() {
        let path = ["総務局", "総務部", "総務課"].map(String::from);
        assert_eq!(join_path(&path), "総務局 › 総務部 › 総務課");
        assert_eq!(join_path(&[]), "");
    }

    fn tree() -> DepartmentTree {
        // 1 局 ─ 2 部 ─ 3 課 ─ 4 係; 5 another 局.
        DepartmentTree::new([
            (DepartmentId(1), None),
            (DepartmentId(2), Some(DepartmentId(1))),
            (DepartmentId(3), Some(DepartmentId(2))),
            (DepartmentId(4), Some(DepartmentId(3))),
            (DepartmentId(5), None),
        ])
    }

    #[test]
    fn a_scope_covers_its_departments_and_everything_under_them() {
        let tree = tree();
        let bu = Scope::Departments(vec![DepartmentId(2)]);
        let table = [
            (1, false),
            (2, true),
            (3, true),
            (4, true),
            (5, false),
            (99, false),
        ];
        for (department, covered) in table {
            assert_eq!(
                bu.covers(DepartmentId(department), &tree),
                covered,
                "{department}"
            );
        }
        assert!(Scope::All.covers(DepartmentId(5), &tree));
        assert!(!Scope::Nothing.covers(DepartmentId(2), &tree));
        assert!(!Scope::Departments(vec![]).covers(DepartmentId(2), &tree));
        assert!(!Scope::Departments(vec![DepartmentId(99)]).covers(DepartmentId(99), &tree));
    }

    #[test]
    fn a_parent_cycle_ends_the_walk_instead_of_looping() {
        let tree = DepartmentTree::new([
            (DepartmentId(1), Some(DepartmentId(2))),
            (DepartmentId(2), Some(DepartmentId(1))),
        ]);
        assert!(!tree.is_within(DepartmentId(1), DepartmentId(3)));
        assert!(tree.is_within(DepartmentId(1), DepartmentId(2)));
    }

    #[test]
    fn subtrees_list_the_root_and_its_descendants() {
        let ids: Vec<i64> = tree()
            .subtree(DepartmentId(2))
            .iter()
            .map(|d| d.0)
            .collect();
        assert_eq!(ids, [2, 3, 4]);
        assert!(tree().subtree(DepartmentId(42)).is_empty());
    }

    #[test]
    fn modules_grants_and_roles_round_trip_through_their_stored_names() {
        for module in Module::ALL {
            assert_eq!(Module::parse(module.as_str()), Some(module));
        }
        for kind in GrantKind::ALL {
            assert_eq!(GrantKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            Role::parse(Role::SystemAdmin.as_str()),
            Some(Role::SystemAdmin)
        );
        assert_eq!(Module::parse("Schedule"), None);
        assert_eq!(GrantKind::parse(""), None);
    }

    #[test]
    fn heads_come_before_their_staff() {
        assert!(position_rank("課長") < position_rank("係長"));
        assert!(position_rank("係長") < position_rank("主事"));
        assert_eq!(position_rank("名誉職"), u8::MAX);
    }

    fn dept(id: i64, parent: Option<i64>, order: i32) -> Department {
        Department {
            id: DepartmentId(id),
            code: format!("D{id}"),
            parent_id: parent.map(DepartmentId),
            name: format!("{id}"),
            kind: DepartmentKind::Ka,
            display_order: order,
            abolished_at: None,
        }
    }

    #[test]
    fn tree_order_puts_parents_before_children_and_siblings_by_display_order() {
        let departments = vec![
            dept(4, Some(2), 1),
            dept(3, Some(1), 2),
            dept(2, Some(1), 1),
            dept(1, None, 2),
            dept(5, None, 1),
            dept(6, Some(99), 1),
        ];
        let ids: Vec<i64> = tree_order(departments).iter().map(|d| d.id.0).collect();
        assert_eq!(ids, [5, 6, 1, 2, 4, 3]);
    }

    #[test]
    fn picker_labels_are_indented_by_depth() {
        let ordered = tree_order(vec![
            dept(1, None, 1),
            dept(2, Some(1), 1),
            dept(4, Some(2), 1),
        ]);
        assert_eq!(
            indented_names(&ordered),
            ["1", "\u{3000}2", "\u{3000}\u{3000}4"]
        );
    }

    #[test]
    fn each_level_has_the_next_below_it_and_a_kakari_none() {
        assert_eq!(DepartmentKind::Kyoku.child(), Some(DepartmentKind::Bu));
        assert_eq!(DepartmentKind::Ka.child(), Some(DepartmentKind::Kakari));
        assert_eq!(DepartmentKind::Kakari.child(), None);
    }
    fn unit(id: i64, parent: Option<i64>, kind: DepartmentKind) -> Department {
        Department {
            kind,
            ..dept(id, parent, 1)
        }
    }

    #[test]
    fn departments_move_only_one_level_below_a_current_parent_outside_themselves() {
        // 1 局 ─ 2 部 ─ 3 課 ─ 4 係; 5 another 局, 6 its 部, 7 an abolished 部 of 5.
        let tree = tree();
        let kyoku = unit(1, None, DepartmentKind::Kyoku);
        let bu = unit(2, Some(1), DepartmentKind::Bu);
        let ka = unit(3, Some(2), DepartmentKind::Ka);
        let other_kyoku = unit(5, None, DepartmentKind::Kyoku);
        let other_bu = unit(6, Some(5), DepartmentKind::Bu);
        let abolished_bu = Department {
            abolished_at: Some(time::macros::datetime!(2026-04-01 00:00 +9)),
            ..unit(7, Some(5), DepartmentKind::Bu)
        };
        assert_eq!(check_placement(&ka, Some(&other_bu), &tree), Ok(()));
        assert_eq!(check_placement(&bu, Some(&other_kyoku), &tree), Ok(()));
        assert_eq!(check_placement(&kyoku, None, &tree), Ok(()));
        assert_eq!(
            check_placement(&ka, Some(&other_kyoku), &tree),
            Err(PlacementProblem::WrongLevel {
                kind: DepartmentKind::Ka,
                parent: Some(DepartmentKind::Kyoku)
            })
        );
        assert_eq!(
            check_placement(&ka, None, &tree),
            Err(PlacementProblem::WrongLevel {
                kind: DepartmentKind::Ka,
                parent: None
            })
        );
        assert_eq!(
            check_placement(&bu, Some(&bu), &tree),
            Err(PlacementProblem::UnderItself)
        );
        let kakari = unit(4, Some(3), DepartmentKind::Kakari);
        assert_eq!(
            check_placement(&kyoku, Some(&kakari), &tree),
            Err(PlacementProblem::UnderItself)
        );
        assert_eq!(
            check_placement(&ka, Some(&abolished_bu), &tree),
            Err(PlacementProblem::ParentAbolished)
        );
    }
}
