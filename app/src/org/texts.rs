//! The fixed texts of the organisation administration pages in Japanese and English.

use crate::i18n::Lang;

/// Every fixed text of the administration pages, in one language.
#[derive(Debug)]
pub struct AdminTexts {
    /// Page title.
    pub title: &'static str,
    /// Navigation back to the portal.
    pub nav_portal: &'static str,
    /// Section: the tree.
    pub tree: &'static str,
    /// Section: the HR import.
    pub import: &'static str,
    /// Import explanation.
    pub import_explain: &'static str,
    /// The file field.
    pub file: &'static str,
    /// The check button.
    pub check: &'static str,
    /// Apply button.
    pub apply: &'static str,
    /// Heading of the error list.
    pub errors: &'static str,
    /// Summary line (`{added}`, `{changed}`, `{transfers}`, `{retired}`, `{unchanged}`).
    pub summary: &'static str,
    /// Shown when the file changes nothing.
    pub nothing: &'static str,
    /// Shown above a list cut short (`{n}`).
    pub first_n: &'static str,
    /// Column: who.
    pub who: &'static str,
    /// Column: what changes.
    pub what: &'static str,
    /// New hire mark.
    pub new_staff: &'static str,
    /// Encoding line (`{encoding}`).
    pub encoding: &'static str,
    /// The file is neither UTF-8 nor Shift_JIS.
    pub undecodable: &'static str,
    /// Applied message (`{summary}`).
    pub applied: &'static str,
    /// Section: recent bulk changes.
    pub recent: &'static str,
    /// Section: function administrators.
    pub admins: &'static str,
    /// Explanation of function administrators.
    pub admins_explain: &'static str,
    /// Column: module.
    pub module: &'static str,
    /// Column: scope.
    pub scope: &'static str,
    /// Scope: own department.
    pub scope_own: &'static str,
    /// Scope: selected departments.
    pub scope_selected: &'static str,
    /// Scope: all.
    pub scope_all: &'static str,
    /// Field: login or employee number.
    pub staff_field: &'static str,
    /// Field: departments (for a selected grant).
    pub departments_field: &'static str,
    /// Grant button.
    pub grant: &'static str,
    /// Revoke button.
    pub revoke: &'static str,
    /// No such staff.
    pub unknown_staff: &'static str,
    /// A selected grant without departments.
    pub no_departments: &'static str,
    /// Nobody holds a grant.
    pub no_admins: &'static str,
    /// Section: adding a department.
    pub department_add: &'static str,
    /// Section: renaming or reordering a department.
    pub department_edit: &'static str,
    /// Field: code.
    pub department_code: &'static str,
    /// Field: name.
    pub department_name: &'static str,
    /// Field: parent.
    pub department_parent: &'static str,
    /// Parent choice: none (a new 局).
    pub department_top: &'static str,
    /// Field: display order.
    pub department_order: &'static str,
    /// Field: the department to change.
    pub department_which: &'static str,
    /// Button.
    pub department_save: &'static str,
    /// Problem: unknown department.
    pub department_unknown: &'static str,
    /// Problem: under a 係.
    pub department_too_deep: &'static str,
    /// Problem: code taken (`{code}`).
    pub department_code_taken: &'static str,
    /// Problem: a field missing or out of range.
    pub department_fields: &'static str,
    /// Link from the overview to a department's page.
    pub department_manage: &'static str,
    /// Title of a department's page.
    pub department_page: &'static str,
    /// Current members line (`{n}`).
    pub department_members: &'static str,
    /// Label of the sub-department list.
    pub department_children: &'static str,
    /// Section: moving.
    pub department_move: &'static str,
    /// Explanation of a move.
    pub department_move_explain: &'static str,
    /// Field: the new parent.
    pub department_move_to: &'static str,
    /// Parent choice for a 局: the top.
    pub department_top_level: &'static str,
    /// Button.
    pub department_move_save: &'static str,
    /// Section: abolishing.
    pub department_abolish: &'static str,
    /// Explanation of an abolition.
    pub department_abolish_explain: &'static str,
    /// Field: where the staff go.
    pub department_abolish_move_to: &'static str,
    /// Choice: move nobody.
    pub department_abolish_none: &'static str,
    /// Button.
    pub department_abolish_save: &'static str,
    /// Shown for an abolished department (`{date}`).
    pub department_abolished_on: &'static str,
    /// Section: abolished departments.
    pub department_abolished_list: &'static str,
    /// Problem: not one level below the parent.
    pub department_wrong_level: &'static str,
    /// Problem: under itself.
    pub department_under_itself: &'static str,
    /// Problem: abolished parent.
    pub department_parent_abolished: &'static str,
    /// Problem: sub-departments left.
    pub department_has_children: &'static str,
    /// Problem: staff left (`{n}`).
    pub department_has_staff: &'static str,
    /// Problem: where the staff should go.
    pub department_bad_target: &'static str,
    /// Problem: already abolished.
    pub department_is_abolished: &'static str,
    /// Added to an abolished department's name where a grant still names it.
    pub department_abolished_mark: &'static str,
}

/// Japanese.
pub static JA: AdminTexts = AdminTexts {
    title: "組織管理",
    nav_portal: "ポータル",
    tree: "組織ツリー",
    import: "人事データの取込（CSV）",
    import_explain: "人事システムのCSV（Shift_JIS または UTF-8）を取り込みます。見出し行は「職員番号,ログインID,氏名,ふりがな,所属コード,職名,メール,兼務,在職区分」です。兼務は「所属コード:職名」をセミコロンで区切ります。ファイルにない職員は変更されません。退職者は在職区分を「退職」にしてください。",
    file: "CSVファイル",
    check: "内容を確認",
    apply: "この内容で反映する",
    errors: "取り込めない行があります。修正してからもう一度取り込んでください。",
    summary: "追加 {added}人、変更 {changed}人（うち異動 {transfers}人、退職 {retired}人）、変更なし {unchanged}人",
    nothing: "反映する変更はありません。",
    first_n: "先頭の{n}件を表示しています。",
    who: "職員",
    what: "変更内容",
    new_staff: "新規",
    encoding: "文字コード: {encoding}",
    undecodable: "ファイルの文字コードを判別できません。Shift_JIS か UTF-8 で保存してください。",
    applied: "反映しました: {summary}",
    recent: "最近の一括変更",
    admins: "機能管理者",
    admins_explain: "機能ごとに、所属組織・指定した組織（配下を含む）・全庁のいずれかを範囲として管理者を指定します。",
    module: "機能",
    scope: "範囲",
    scope_own: "所属組織",
    scope_selected: "指定組織",
    scope_all: "全庁",
    staff_field: "ログインID または 職員番号",
    departments_field: "組織（指定組織のとき。複数選択可）",
    grant: "指定する",
    revoke: "解除",
    unknown_staff: "その職員は見つからないか、退職しています。",
    no_departments: "指定組織の場合は組織を1つ以上選んでください。",
    no_admins: "機能管理者はまだいません。",
    department_add: "組織の追加",
    department_edit: "組織名・表示順の変更",
    department_code: "組織コード",
    department_name: "組織名",
    department_parent: "上位組織（局・部・課の下に1段下の組織を作ります）",
    department_top: "（なし：局として追加）",
    department_order: "表示順",
    department_which: "組織",
    department_save: "保存する",
    department_unknown: "その組織は見つかりません。",
    department_too_deep: "係の下には組織を作れません。",
    department_code_taken: "組織コード「{code}」は既に使われています。",
    department_fields: "組織コード（20文字以内）、組織名（50文字以内）、表示順（数字）を入力してください。",
    department_manage: "移動・廃止",
    department_page: "組織の移動・廃止",
    department_members: "現在の所属職員（兼務を含む）: {n}人",
    department_children: "下位組織",
    department_move: "上位組織を変える（移動）",
    department_move_explain: "下位組織と職員ごと移動します。機能管理者の管理範囲は移動後の組織図に従います。移動先は1段上の組織（局の下に部、部の下に課、課の下に係）です。",
    department_move_to: "移動先の上位組織",
    department_top_level: "（最上位）",
    department_move_save: "移動する",
    department_abolish: "組織を廃止する",
    department_abolish_explain: "廃止した組織は過去の記録に残りますが、新しい予定・予約・人事データ・機能管理者の指定では選べなくなります。所属職員と兼務は選んだ組織へ同時に移ります。下位組織がある場合は先に移動または廃止してください。",
    department_abolish_move_to: "所属職員・兼務の移動先",
    department_abolish_none: "（移動しない：所属職員がいない場合のみ）",
    department_abolish_save: "廃止する",
    department_abolished_on: "この組織は {date} に廃止されました。",
    department_abolished_list: "廃止された組織",
    department_wrong_level: "組織は1段上の組織の下にのみ置けます（局は最上位、局の下に部、部の下に課、課の下に係）。",
    department_under_itself: "組織を自分自身やその下位組織の下には移せません。",
    department_parent_abolished: "廃止された組織の下には移せません。",
    department_has_children: "下位組織があるため廃止できません。先に下位組織を移動または廃止してください。",
    department_has_staff: "現在の所属職員・兼務が {n} 件あります。移動先を選んでから廃止してください。",
    department_bad_target: "職員の移動先には、廃止する組織以外の現在の組織を選んでください。",
    department_is_abolished: "この組織は廃止されています。",
    department_abolished_mark: "（廃止）",
};

/// English.
pub static EN: AdminTexts = AdminTexts {
    title: "Organisation",
    nav_portal: "Portal",
    tree: "Department tree",
    import: "HR data import (CSV)",
    import_explain: "Import the HR system's CSV (Shift_JIS or UTF-8). The header is 職員番号,ログインID,氏名,ふりがな,所属コード,職名,メール,兼務,在職区分; concurrent posts are code:title separated by semicolons. Staff not in the file are left as they are; mark leavers 退職.",
    file: "CSV file",
    check: "Check",
    apply: "Apply these changes",
    errors: "Some lines cannot be imported. Fix them and import again.",
    summary: "{added} added, {changed} changed ({transfers} transfers, {retired} retirements), {unchanged} unchanged",
    nothing: "Nothing to change.",
    first_n: "The first {n} are shown.",
    who: "Staff",
    what: "Changes",
    new_staff: "New",
    encoding: "Encoding: {encoding}",
    undecodable: "The file is neither Shift_JIS nor UTF-8.",
    applied: "Applied: {summary}",
    recent: "Recent bulk changes",
    admins: "Function administrators",
    admins_explain: "For each module, name administrators over their own department, chosen departments (with everything under them) or the whole city hall.",
    module: "Module",
    scope: "Scope",
    scope_own: "Own department",
    scope_selected: "Chosen departments",
    scope_all: "Whole city hall",
    staff_field: "Login or employee number",
    departments_field: "Departments (for chosen departments; several allowed)",
    grant: "Grant",
    revoke: "Revoke",
    unknown_staff: "No current member of staff has that login or number.",
    no_departments: "Choose at least one department.",
    no_admins: "No function administrators yet.",
    department_add: "Add a department",
    department_edit: "Rename or reorder a department",
    department_code: "Code",
    department_name: "Name",
    department_parent: "Parent (the new department goes one level below it)",
    department_top: "(none: a new bureau)",
    department_order: "Display order",
    department_which: "Department",
    department_save: "Save",
    department_unknown: "No such department.",
    department_too_deep: "Nothing can go below a 係.",
    department_code_taken: "Code {code} is already taken.",
    department_fields: "Enter a code (up to 20 characters), a name (up to 50) and a display order (a number).",
    department_manage: "Move or abolish",
    department_page: "Move or abolish a department",
    department_members: "Current members (concurrent posts included): {n}",
    department_children: "Departments under it",
    department_move: "Move under another parent",
    department_move_explain: "The department moves with everything under it and its staff. Function administrators' scopes follow the new tree. A department goes one level below its parent (部 under 局, 課 under 部, 係 under 課).",
    department_move_to: "New parent",
    department_top_level: "(top level)",
    department_move_save: "Move",
    department_abolish: "Abolish",
    department_abolish_explain: "An abolished department stays in past records but can no longer be chosen for anything new. Its staff and concurrent posts move to the department chosen here in the same step. Move or abolish the departments under it first.",
    department_abolish_move_to: "Move its staff to",
    department_abolish_none: "(nobody: only when it has no staff)",
    department_abolish_save: "Abolish",
    department_abolished_on: "This department was abolished on {date}.",
    department_abolished_list: "Abolished departments",
    department_wrong_level: "A department goes one level below its parent (局 at the top, 部 under 局, 課 under 部, 係 under 課).",
    department_under_itself: "A department cannot go under itself or a department under it.",
    department_parent_abolished: "Nothing can go under an abolished department.",
    department_has_children: "It still has departments under it: move or abolish them first.",
    department_has_staff: "It still has {n} current staff or concurrent posts: choose where they move.",
    department_bad_target: "Move the staff to a current department other than this one.",
    department_is_abolished: "This department is abolished.",
    department_abolished_mark: " (abolished)",
};

impl AdminTexts {
    /// The texts in `lang`.
    pub fn of(lang: Lang) -> &'static AdminTexts {
        match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}
