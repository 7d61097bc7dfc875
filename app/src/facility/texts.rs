//! The fixed texts of facility reservation in Japanese and English, kept with the feature
//! rather than in the app-wide table so that each module owns its words.

use crate::i18n::Lang;

/// Every fixed text of the facility pages and messages, in one language. Texts with `{name}`
/// are filled in with `str::replace`.
#[derive(Debug)]
pub struct FacilityTexts {
    /// The language's code.
    pub code: &'static str,
    /// Weekday names, Sunday first.
    pub weekdays: [&'static str; 7],
    /// Module name, page titles and navigation.
    pub module: &'static str,
    /// Navigation: the day grid.
    pub nav_grid: &'static str,
    /// Navigation: my reservations.
    pub nav_mine: &'static str,
    /// Navigation: approvals waiting.
    pub nav_approvals: &'static str,
    /// Navigation: facility administration.
    pub nav_admin: &'static str,
    /// Navigation: back to the portal.
    pub nav_portal: &'static str,
    /// The day grid's date navigation.
    pub previous_day: &'static str,
    /// The day grid's date navigation.
    pub today: &'static str,
    /// The day grid's date navigation.
    pub next_day: &'static str,
    /// Button that shows the chosen date.
    pub show: &'static str,
    /// Heading of the grid's facility column.
    pub facility: &'static str,
    /// Shown when a category holds no facility.
    pub no_facilities: &'static str,
    /// Shown when there is no category at all.
    pub no_categories: &'static str,
    /// Title of a free grid cell (`{time}` filled in).
    pub book_at: &'static str,
    /// Title of a grid cell outside bookable hours.
    pub closed: &'static str,
    /// Paging the grid.
    pub previous_page: &'static str,
    /// Paging the grid.
    pub next_page: &'static str,
    /// Capacity (`{n}` people).
    pub capacity: &'static str,
    /// A private reservation's title for others.
    pub busy: &'static str,
    /// Legend of the grid.
    pub legend_free: &'static str,
    /// Reservation form: title.
    pub reserve_title: &'static str,
    /// Field labels.
    pub field_date: &'static str,
    /// Field label.
    pub field_start: &'static str,
    /// Field label.
    pub field_end: &'static str,
    /// Field label.
    pub field_title: &'static str,
    /// Field label.
    pub field_private: &'static str,
    /// Hint for the private checkbox.
    pub field_private_hint: &'static str,
    /// Submit button.
    pub reserve_button: &'static str,
    /// Cancel link back to the grid.
    pub back_to_grid: &'static str,
    /// Heading above the form's errors.
    pub errors_heading: &'static str,
    /// The facility's rules, as the form shows them.
    pub rules_heading: &'static str,
    /// Rule line: needs approval.
    pub rule_line_approval: &'static str,
    /// Rule line: who books.
    pub rule_line_bookers: &'static str,
    /// Rule line: how far ahead (`{days}`).
    pub rule_line_advance: &'static str,
    /// Rule line: longest booking (`{duration}`).
    pub rule_line_max: &'static str,
    /// Rule line: bookable hours (`{hours}`).
    pub rule_line_hours: &'static str,
    /// Who may book, each choice.
    pub bookers_everyone: &'static str,
    /// Who may book.
    pub bookers_department: &'static str,
    /// Who may book.
    pub bookers_administrators: &'static str,
    /// Whether approval is needed, each choice.
    pub approval_automatic: &'static str,
    /// Whether approval is needed.
    pub approval_required: &'static str,
    /// Tag on a facility that needs approval.
    pub restricted_tag: &'static str,
    /// Place label.
    pub place: &'static str,
    /// Managing department label.
    pub managing_department: &'static str,
    /// Form errors.
    pub error_date: &'static str,
    /// Form error.
    pub error_start: &'static str,
    /// Form error.
    pub error_end: &'static str,
    /// Form error.
    pub error_end_before_start: &'static str,
    /// Form error.
    pub error_title: &'static str,
    /// Form error.
    pub error_title_long: &'static str,
    /// Form error.
    pub error_span: &'static str,
    /// A booking that overlaps another (`{facility}`, `{when}`, `{title}`, `{booker}`,
    /// `{status}`).
    pub conflict: &'static str,
    /// Added to [`FacilityTexts::conflict`] when the booking in the way is a 仮予約.
    pub conflict_pending_suffix: &'static str,
    /// Rule violations.
    pub rule_out_of_service: &'static str,
    /// Rule violation.
    pub rule_in_past: &'static str,
    /// Rule violation (`{days}`).
    pub rule_too_far_ahead: &'static str,
    /// Rule violation (`{duration}`).
    pub rule_too_long: &'static str,
    /// Rule violation (`{hours}`).
    pub rule_outside_hours: &'static str,
    /// Rule violation.
    pub rule_department_only: &'static str,
    /// Rule violation.
    pub rule_administrators_only: &'static str,
    /// Durations.
    pub minutes: &'static str,
    /// Duration.
    pub hours: &'static str,
    /// Duration.
    pub hours_minutes: &'static str,
    /// Statuses.
    pub status_confirmed: &'static str,
    /// Status.
    pub status_pending: &'static str,
    /// Status.
    pub status_rejected: &'static str,
    /// Status.
    pub status_cancelled: &'static str,
    /// Reservation page title.
    pub reservation_title: &'static str,
    /// Reservation page: labels.
    pub when: &'static str,
    /// Label.
    pub booker: &'static str,
    /// Label.
    pub status: &'static str,
    /// Label.
    pub purpose: &'static str,
    /// Label: the administrator's note.
    pub decision_note: &'static str,
    /// Label: linked schedule event.
    pub linked_event: &'static str,
    /// After booking a facility that needs no approval.
    pub created_confirmed: &'static str,
    /// After booking a restricted facility.
    pub created_pending: &'static str,
    /// Cancel button.
    pub cancel_button: &'static str,
    /// After cancelling.
    pub cancelled_notice: &'static str,
    /// The change form's heading.
    pub change_heading: &'static str,
    /// Change button.
    pub change_button: &'static str,
    /// After changing.
    pub changed_notice: &'static str,
    /// Approve button.
    pub approve_button: &'static str,
    /// Reject button.
    pub reject_button: &'static str,
    /// Note field for a decision.
    pub note_placeholder: &'static str,
    /// After a decision.
    pub decided_notice: &'static str,
    /// When a decision comes too late.
    pub not_pending: &'static str,
    /// My reservations: title.
    pub mine_title: &'static str,
    /// My reservations: none.
    pub mine_empty: &'static str,
    /// My reservations: decisions heading.
    pub decisions_heading: &'static str,
    /// A decision (`{facility}`, `{when}`, `{status}`).
    pub decision_line: &'static str,
    /// Approvals: title.
    pub approvals_title: &'static str,
    /// Approvals: none.
    pub approvals_empty: &'static str,
    /// Administration: title.
    pub admin_title: &'static str,
    /// Administration: new facility.
    pub admin_new_facility: &'static str,
    /// Administration: edit.
    pub admin_edit: &'static str,
    /// Administration: no facility in scope.
    pub admin_empty: &'static str,
    /// Administration: categories heading.
    pub admin_categories: &'static str,
    /// Administration: new category name.
    pub admin_category_name: &'static str,
    /// Administration: add category.
    pub admin_add_category: &'static str,
    /// Administration: only whole-city administrators manage categories.
    pub admin_categories_hint: &'static str,
    /// Facility form title (new).
    pub facility_new_title: &'static str,
    /// Facility form title (edit).
    pub facility_edit_title: &'static str,
    /// Facility form labels.
    pub field_category: &'static str,
    /// Label.
    pub field_name: &'static str,
    /// Label.
    pub field_place: &'static str,
    /// Label.
    pub field_capacity: &'static str,
    /// Label.
    pub field_department: &'static str,
    /// Label.
    pub field_approval: &'static str,
    /// Label.
    pub field_bookers: &'static str,
    /// Label.
    pub field_advance_days: &'static str,
    /// Label.
    pub field_max_minutes: &'static str,
    /// Label.
    pub field_open: &'static str,
    /// Label.
    pub field_close: &'static str,
    /// Label.
    pub field_note: &'static str,
    /// Label.
    pub field_in_service: &'static str,
    /// Save button.
    pub save_button: &'static str,
    /// After saving.
    pub saved_notice: &'static str,
    /// Facility form errors.
    pub error_name: &'static str,
    /// Error.
    pub error_category: &'static str,
    /// Error.
    pub error_capacity: &'static str,
    /// Error.
    pub error_department: &'static str,
    /// Error.
    pub error_advance_days: &'static str,
    /// Error.
    pub error_max_minutes: &'static str,
    /// Error.
    pub error_hours: &'static str,
    /// Error.
    pub error_choice: &'static str,
    /// Error: category name.
    pub error_category_name: &'static str,
    /// Error: category exists.
    pub error_category_exists: &'static str,
    /// Out of service tag.
    pub out_of_service: &'static str,
    /// Portlet: approvals waiting for me.
    pub portlet_approvals: &'static str,
    /// Portlet: nothing to approve.
    pub portlet_approvals_empty: &'static str,
    /// Portlet: my decided bookings.
    pub portlet_decisions: &'static str,
    /// Portlet: no decisions to tell.
    pub portlet_decisions_empty: &'static str,
    /// Portlet: link to all.
    pub portlet_more: &'static str,
}

impl FacilityTexts {
    /// The texts in `lang`.
    pub fn of(lang: Lang) -> &'static FacilityTexts {
        match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// Japanese.
pub static JA: FacilityTexts = FacilityTexts {
    code: "ja",
    weekdays: ["日", "月", "火", "水", "木", "金", "土"],
    module: "設備予約",
    nav_grid: "設備の空き状況",
    nav_mine: "自分の予約",
    nav_approvals: "承認待ち",
    nav_admin: "設備管理",
    nav_portal: "ポータル",
    previous_day: "前日",
    today: "今日",
    next_day: "翌日",
    show: "表示",
    facility: "設備",
    no_facilities: "この分類には設備がありません。",
    no_categories: "設備が登録されていません。設備管理から登録してください。",
    book_at: "{time} から予約",
    closed: "予約できない時間帯",
    previous_page: "前の設備",
    next_page: "次の設備",
    capacity: "{n}名",
    busy: "予定あり",
    legend_free: "空き枠をクリックすると予約できます。",
    reserve_title: "設備の予約",
    field_date: "日付",
    field_start: "開始",
    field_end: "終了",
    field_title: "用件",
    field_private: "非公開にする",
    field_private_hint: "他の職員には「予定あり」とだけ表示されます。",
    reserve_button: "予約する",
    back_to_grid: "空き状況に戻る",
    errors_heading: "入力内容を確認してください。",
    rules_heading: "利用ルール",
    rule_line_approval: "予約は仮予約となり、管理部署の承認後に確定します。",
    rule_line_bookers: "予約できる人: {bookers}",
    rule_line_advance: "{days}日先まで予約できます。",
    rule_line_max: "1回の予約は{duration}まで。",
    rule_line_hours: "予約できる時間帯: {hours}",
    bookers_everyone: "全職員",
    bookers_department: "管理部署（配下を含む）の職員",
    bookers_administrators: "管理部署の設備管理者のみ",
    approval_automatic: "承認不要（予約と同時に確定）",
    approval_required: "承認が必要（仮予約から承認で確定）",
    restricted_tag: "要承認",
    place: "場所",
    managing_department: "管理部署",
    error_date: "日付を正しく入力してください（例: 2025-11-25）。",
    error_start: "開始時刻を正しく入力してください（例: 10:00）。",
    error_end: "終了時刻を正しく入力してください（例: 11:00）。",
    error_end_before_start: "終了時刻は開始時刻より後にしてください。",
    error_title: "用件を入力してください。",
    error_title_long: "用件は100文字以内で入力してください。",
    error_span: "1回の予約は14日以内にしてください。",
    conflict: "「{facility}」は {when} に {booker} さんの予約「{title}」{status}があるため、予約できません。",
    conflict_pending_suffix: "（仮予約）",
    rule_out_of_service: "この設備は現在利用を停止しています。",
    rule_in_past: "過去の時間帯は予約できません。",
    rule_too_far_ahead: "この設備は{days}日先までしか予約できません。",
    rule_too_long: "この設備の1回の予約は{duration}までです。",
    rule_outside_hours: "この設備を予約できる時間帯は {hours} です。",
    rule_department_only: "この設備は管理部署の職員だけが予約できます。",
    rule_administrators_only: "この設備は管理部署の設備管理者だけが予約できます。",
    minutes: "{m}分",
    hours: "{h}時間",
    hours_minutes: "{h}時間{m}分",
    status_confirmed: "予約済み",
    status_pending: "仮予約（承認待ち）",
    status_rejected: "却下",
    status_cancelled: "取消",
    reservation_title: "予約の内容",
    when: "日時",
    booker: "予約者",
    status: "状態",
    purpose: "用件",
    decision_note: "管理者からのコメント",
    linked_event: "スケジュールの予定から予約されています。",
    created_confirmed: "予約しました。",
    created_pending: "仮予約として申請しました。管理部署が承認すると確定します。",
    cancel_button: "予約を取り消す",
    cancelled_notice: "予約を取り消しました。",
    change_heading: "予約を変更する",
    change_button: "変更する",
    changed_notice: "予約を変更しました。",
    approve_button: "承認",
    reject_button: "却下",
    note_placeholder: "予約者へのコメント（任意）",
    decided_notice: "承認・却下を記録しました。予約者のポータルに通知されます。",
    not_pending: "この予約はすでに承認・却下・取消されています。",
    mine_title: "自分の予約",
    mine_empty: "これからの予約はありません。",
    decisions_heading: "承認・却下のお知らせ",
    decision_line: "「{facility}」{when} の仮予約は「{status}」になりました。",
    approvals_title: "承認待ちの仮予約",
    approvals_empty: "承認待ちの仮予約はありません。",
    admin_title: "設備管理",
    admin_new_facility: "設備を登録",
    admin_edit: "編集",
    admin_empty: "管理できる設備はありません。",
    admin_categories: "分類",
    admin_category_name: "新しい分類の名前",
    admin_add_category: "分類を追加",
    admin_categories_hint: "分類は全庁の設備管理者が追加できます。",
    facility_new_title: "設備の登録",
    facility_edit_title: "設備の編集",
    field_category: "分類",
    field_name: "名称",
    field_place: "場所",
    field_capacity: "定員（人、備品は空欄）",
    field_department: "管理部署",
    field_approval: "承認",
    field_bookers: "予約できる人",
    field_advance_days: "何日先まで予約できるか（日）",
    field_max_minutes: "1回の最長時間（分）",
    field_open: "予約できる時間帯（開始）",
    field_close: "予約できる時間帯（終了）",
    field_note: "備考",
    field_in_service: "利用できる",
    save_button: "保存する",
    saved_notice: "保存しました。",
    error_name: "名称を入力してください（100文字以内）。",
    error_category: "分類を選んでください。",
    error_capacity: "定員は1以上の整数で入力してください（備品は空欄）。",
    error_department: "管理部署は、あなたが管理できる部署から選んでください。",
    error_advance_days: "何日先まで予約できるかは1〜730の整数で入力してください。",
    error_max_minutes: "最長時間は15〜20160分（14日）の、15分単位の整数で入力してください。",
    error_hours: "予約できる時間帯は15分単位で、開始を終了より前にしてください（終了は24:00まで）。",
    error_choice: "選択肢から選んでください。",
    error_category_name: "分類の名前を入力してください（50文字以内）。",
    error_category_exists: "同じ名前の分類がすでにあります。",
    out_of_service: "利用停止中",
    portlet_approvals: "設備の承認待ち",
    portlet_approvals_empty: "承認待ちの仮予約はありません。",
    portlet_decisions: "設備予約の結果",
    portlet_decisions_empty: "新しいお知らせはありません。",
    portlet_more: "すべて見る",
};

/// English.
pub static EN: FacilityTexts = FacilityTexts {
    code: "en",
    weekdays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    module: "Facility booking",
    nav_grid: "Availability",
    nav_mine: "My bookings",
    nav_approvals: "Approvals",
    nav_admin: "Manage facilities",
    nav_portal: "Portal",
    previous_day: "Previous day",
    today: "Today",
    next_day: "Next day",
    show: "Show",
    facility: "Facility",
    no_facilities: "This category has no facilities.",
    no_categories: "No facilities yet. Add them under Manage facilities.",
    book_at: "Book from {time}",
    closed: "Not bookable at this time",
    previous_page: "Previous facilities",
    next_page: "More facilities",
    capacity: "{n} people",
    busy: "Busy",
    legend_free: "Click a free slot to book it.",
    reserve_title: "Book a facility",
    field_date: "Date",
    field_start: "From",
    field_end: "To",
    field_title: "Purpose",
    field_private: "Private",
    field_private_hint: "Others see only \"Busy\".",
    reserve_button: "Book",
    back_to_grid: "Back to availability",
    errors_heading: "Please check your input.",
    rules_heading: "Rules",
    rule_line_approval: "Bookings are provisional until the managing department approves them.",
    rule_line_bookers: "Who may book: {bookers}",
    rule_line_advance: "Bookable up to {days} days ahead.",
    rule_line_max: "At most {duration} per booking.",
    rule_line_hours: "Bookable hours: {hours}",
    bookers_everyone: "All staff",
    bookers_department: "Staff of the managing department (and below)",
    bookers_administrators: "Facility administrators of the managing department only",
    approval_automatic: "No approval (confirmed at once)",
    approval_required: "Approval required (provisional until approved)",
    restricted_tag: "Approval",
    place: "Place",
    managing_department: "Managed by",
    error_date: "Enter a valid date (e.g. 2025-11-25).",
    error_start: "Enter a valid start time (e.g. 10:00).",
    error_end: "Enter a valid end time (e.g. 11:00).",
    error_end_before_start: "The end must be after the start.",
    error_title: "Enter the purpose.",
    error_title_long: "The purpose may be at most 100 characters.",
    error_span: "A booking may last at most 14 days.",
    conflict: "{facility} is already booked {when} by {booker} for \"{title}\"{status}.",
    conflict_pending_suffix: " (provisional)",
    rule_out_of_service: "This facility is out of service.",
    rule_in_past: "You cannot book a time in the past.",
    rule_too_far_ahead: "This facility can be booked at most {days} days ahead.",
    rule_too_long: "This facility can be booked for at most {duration} at a time.",
    rule_outside_hours: "This facility can be booked between {hours}.",
    rule_department_only: "Only staff of the managing department may book this facility.",
    rule_administrators_only: "Only the managing department's facility administrators may book this facility.",
    minutes: "{m} min",
    hours: "{h} h",
    hours_minutes: "{h} h {m} min",
    status_confirmed: "Booked",
    status_pending: "Provisional (awaiting approval)",
    status_rejected: "Rejected",
    status_cancelled: "Cancelled",
    reservation_title: "Booking",
    when: "When",
    booker: "Booked by",
    status: "Status",
    purpose: "Purpose",
    decision_note: "Administrator's note",
    linked_event: "Booked from a schedule event.",
    created_confirmed: "Booked.",
    created_pending: "Requested as a provisional booking. It is confirmed when the managing department approves it.",
    cancel_button: "Cancel booking",
    cancelled_notice: "The booking was cancelled.",
    change_heading: "Change this booking",
    change_button: "Change",
    changed_notice: "The booking was changed.",
    approve_button: "Approve",
    reject_button: "Reject",
    note_placeholder: "Note for the booker (optional)",
    decided_notice: "Decision recorded. The booker is told on their portal.",
    not_pending: "This booking has already been approved, rejected or cancelled.",
    mine_title: "My bookings",
    mine_empty: "No upcoming bookings.",
    decisions_heading: "Decisions on your bookings",
    decision_line: "Your provisional booking of {facility} {when} was {status}.",
    approvals_title: "Provisional bookings awaiting approval",
    approvals_empty: "Nothing awaits your approval.",
    admin_title: "Manage facilities",
    admin_new_facility: "Add a facility",
    admin_edit: "Edit",
    admin_empty: "There are no facilities you manage.",
    admin_categories: "Categories",
    admin_category_name: "New category name",
    admin_add_category: "Add category",
    admin_categories_hint: "City-wide facility administrators add categories.",
    facility_new_title: "Add a facility",
    facility_edit_title: "Edit facility",
    field_category: "Category",
    field_name: "Name",
    field_place: "Place",
    field_capacity: "Capacity (people; empty for equipment)",
    field_department: "Managing department",
    field_approval: "Approval",
    field_bookers: "Who may book",
    field_advance_days: "Days ahead bookable",
    field_max_minutes: "Longest booking (minutes)",
    field_open: "Bookable from",
    field_close: "Bookable until",
    field_note: "Notes",
    field_in_service: "In service",
    save_button: "Save",
    saved_notice: "Saved.",
    error_name: "Enter a name (at most 100 characters).",
    error_category: "Choose a category.",
    error_capacity: "Capacity must be a whole number of at least 1 (empty for equipment).",
    error_department: "Choose a managing department you administer.",
    error_advance_days: "Days ahead must be a whole number from 1 to 730.",
    error_max_minutes: "The longest booking must be 15 to 20160 minutes (14 days), in steps of 15.",
    error_hours: "Bookable hours go in steps of 15 minutes, start before end, and end by 24:00.",
    error_choice: "Choose one of the options.",
    error_category_name: "Enter a category name (at most 50 characters).",
    error_category_exists: "A category with that name exists already.",
    out_of_service: "Out of service",
    portlet_approvals: "Facility approvals",
    portlet_approvals_empty: "Nothing awaits your approval.",
    portlet_decisions: "Booking decisions",
    portlet_decisions_empty: "Nothing new about your bookings.",
    portlet_more: "See all",
};
