//! Who administers what: the modules with function administrators (機能管理者), how a grant
//! names its departments, the scope it resolves to, and the roles beyond a post.

use std::fmt;

use super::{DepartmentId, DepartmentTree};

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
