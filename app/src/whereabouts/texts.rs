//! The fixed texts of the whereabouts board in Japanese and English.

use crate::i18n::Lang;

/// Every fixed text of the board, in one language.
#[derive(Debug)]
pub struct WhereaboutsTexts {
    /// The language's code.
    pub code: &'static str,
    /// Module name.
    pub module: &'static str,
    /// Navigation: the board.
    pub nav_board: &'static str,
    /// Navigation: memos.
    pub nav_memos: &'static str,
    /// Navigation: the portal.
    pub nav_portal: &'static str,
    /// 在席.
    pub present: &'static str,
    /// 外出.
    pub out: &'static str,
    /// 会議.
    pub meeting: &'static str,
    /// テレワーク.
    pub telework: &'static str,
    /// 休暇.
    pub leave: &'static str,
    /// 帰宅.
    pub home: &'static str,
    /// No status.
    pub unknown: &'static str,
    /// A private event.
    pub busy: &'static str,
    /// Board title.
    pub board_title: &'static str,
    /// Department picker label.
    pub department: &'static str,
    /// Button that shows the chosen department.
    pub show: &'static str,
    /// Label of the staff search.
    pub find_label: &'static str,
    /// Search button.
    pub find: &'static str,
    /// How many matched (`{q}`, `{n}`).
    pub found: &'static str,
    /// More matched than are listed (`{q}`, `{n}`).
    pub found_more: &'static str,
    /// Nobody matched (`{q}`).
    pub found_none: &'static str,
    /// The search text is too long.
    pub error_query: &'static str,
    /// Column headings.
    pub name: &'static str,
    /// Column.
    pub status: &'static str,
    /// Column.
    pub comment: &'static str,
    /// Column.
    pub returns: &'static str,
    /// Column.
    pub actions: &'static str,
    /// Marks a status derived from the schedule.
    pub from_schedule: &'static str,
    /// Link to change someone's status.
    pub change: &'static str,
    /// Link to leave a memo.
    pub leave_memo: &'static str,
    /// Empty department.
    pub no_members: &'static str,
    /// My status card heading.
    pub mine_heading: &'static str,
    /// Form title for someone else (`{name}`).
    pub edit_title: &'static str,
    /// Return time field.
    pub field_returns: &'static str,
    /// Comment field.
    pub field_comment: &'static str,
    /// Save button.
    pub save: &'static str,
    /// Back to the schedule's status.
    pub clear: &'static str,
    /// Hint under the clear button.
    pub clear_hint: &'static str,
    /// After saving.
    pub saved: &'static str,
    /// Errors.
    pub errors_heading: &'static str,
    /// Error.
    pub error_status: &'static str,
    /// Error.
    pub error_comment: &'static str,
    /// Error.
    pub error_returns: &'static str,
    /// Back link.
    pub back: &'static str,
    /// Set by someone else (`{name}`).
    pub set_by: &'static str,
}

impl WhereaboutsTexts {
    /// The texts in `lang`.
    pub fn of(lang: Lang) -> &'static WhereaboutsTexts {
        match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// Japanese.
pub static JA: WhereaboutsTexts = WhereaboutsTexts {
    code: "ja",
    module: "所在・伝言",
    nav_board: "所在表示",
    nav_memos: "伝言メモ",
    nav_portal: "ポータル",
    present: "在席",
    out: "外出",
    meeting: "会議",
    telework: "テレワーク",
    leave: "休暇",
    home: "帰宅",
    unknown: "—",
    busy: "予定あり",
    board_title: "所在表示",
    department: "部署",
    show: "表示",
    find_label: "職員を探す（氏名・よみ・ログインID・職員番号）",
    find: "検索",
    found: "「{q}」に一致する職員: {n}人",
    found_more: "「{q}」に一致する職員が{n}人を超えます。もう少し詳しく入力してください。",
    found_none: "「{q}」に一致する職員はいません。",
    error_query: "探す氏名などは50文字以内で入力してください。",
    name: "氏名",
    status: "所在",
    comment: "コメント",
    returns: "戻り",
    actions: "操作",
    from_schedule: "予定より",
    change: "変更",
    leave_memo: "伝言",
    no_members: "この部署には職員がいません。",
    mine_heading: "自分の所在",
    edit_title: "{name} さんの所在",
    field_returns: "戻り時刻（任意）",
    field_comment: "コメント（任意）",
    save: "設定する",
    clear: "予定に合わせる",
    clear_hint: "手で設定した所在を消し、スケジュールから表示します。",
    saved: "所在を更新しました。",
    errors_heading: "入力内容を確認してください。",
    error_status: "所在を選んでください。",
    error_comment: "コメントは100文字以内で入力してください。",
    error_returns: "戻り時刻を正しく入力してください（例: 15:30）。",
    back: "所在表示に戻る",
    set_by: "{name} さんが設定",
};

/// English.
pub static EN: WhereaboutsTexts = WhereaboutsTexts {
    code: "en",
    module: "Whereabouts & memos",
    nav_board: "Status board",
    nav_memos: "Phone memos",
    nav_portal: "Portal",
    present: "In",
    out: "Out",
    meeting: "Meeting",
    telework: "Telework",
    leave: "On leave",
    home: "Gone home",
    unknown: "—",
    busy: "Busy",
    board_title: "Status board",
    department: "Department",
    show: "Show",
    find_label: "Find a colleague (name, reading, login or personnel number)",
    find: "Search",
    found: "{n} staff match “{q}”.",
    found_more: "More than {n} staff match “{q}”. Please type a little more.",
    found_none: "No staff match “{q}”.",
    error_query: "Type at most 50 characters to search for.",
    name: "Name",
    status: "Status",
    comment: "Comment",
    returns: "Back at",
    actions: "",
    from_schedule: "from schedule",
    change: "Change",
    leave_memo: "Memo",
    no_members: "Nobody works in this department.",
    mine_heading: "My status",
    edit_title: "Status of {name}",
    field_returns: "Back at (optional)",
    field_comment: "Comment (optional)",
    save: "Set",
    clear: "Follow my schedule",
    clear_hint: "Removes the status set by hand; the board shows your schedule.",
    saved: "Status updated.",
    errors_heading: "Please check your input.",
    error_status: "Choose a status.",
    error_comment: "The comment may be at most 100 characters.",
    error_returns: "Enter a valid time (e.g. 15:30).",
    back: "Back to the board",
    set_by: "set by {name}",
};
