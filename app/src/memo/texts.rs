//! The fixed texts of phone memos in Japanese and English.

use crate::i18n::Lang;

/// Every fixed text of the memo pages, in one language.
#[derive(Debug)]
pub struct MemoTexts {
    /// The language's code.
    pub code: &'static str,
    /// Inbox title.
    pub inbox_title: &'static str,
    /// Sent box title.
    pub sent_title: &'static str,
    /// Tab: received.
    pub tab_inbox: &'static str,
    /// Tab: sent.
    pub tab_sent: &'static str,
    /// Link: new memo.
    pub new_memo: &'static str,
    /// Show done memos too.
    pub show_done: &'static str,
    /// Hide done memos.
    pub hide_done: &'static str,
    /// Empty inbox.
    pub inbox_empty: &'static str,
    /// Empty sent box.
    pub sent_empty: &'static str,
    /// Column: when.
    pub received: &'static str,
    /// Column: caller.
    pub caller: &'static str,
    /// Column: request.
    pub request: &'static str,
    /// Column: for whom.
    pub recipient: &'static str,
    /// Column: taken by.
    pub author: &'static str,
    /// Column: state.
    pub state: &'static str,
    /// State: unread.
    pub unread: &'static str,
    /// State: read.
    pub read: &'static str,
    /// State: done.
    pub done: &'static str,
    /// Requests.
    pub call_back: &'static str,
    /// Request.
    pub will_call: &'static str,
    /// Request.
    pub urgent: &'static str,
    /// Request.
    pub message_only: &'static str,
    /// Form title.
    pub new_title: &'static str,
    /// Picking a recipient: department.
    pub pick_department: &'static str,
    /// Button that shows a department's members.
    pub show: &'static str,
    /// Label of the recipient search.
    pub find_label: &'static str,
    /// What the search looks at.
    pub find_hint: &'static str,
    /// Search button.
    pub find: &'static str,
    /// How many matched (`{q}`, `{n}`).
    pub found: &'static str,
    /// More matched than are listed (`{q}`, `{n}`).
    pub found_more: &'static str,
    /// Nobody matched (`{q}`).
    pub found_none: &'static str,
    /// The search text is blank or too long.
    pub error_query: &'static str,
    /// Field labels.
    pub field_to: &'static str,
    /// Field.
    pub field_caller_name: &'static str,
    /// Field.
    pub field_caller_org: &'static str,
    /// Field.
    pub field_callback: &'static str,
    /// Field.
    pub field_request: &'static str,
    /// Field.
    pub field_message: &'static str,
    /// Send button.
    pub send: &'static str,
    /// After sending.
    pub sent_notice: &'static str,
    /// Memo page title.
    pub memo_title: &'static str,
    /// Mark done button.
    pub mark_done: &'static str,
    /// After marking done.
    pub done_notice: &'static str,
    /// Back link.
    pub back: &'static str,
    /// Errors.
    pub errors_heading: &'static str,
    /// Error.
    pub error_recipient: &'static str,
    /// Error.
    pub error_caller: &'static str,
    /// Error.
    pub error_org: &'static str,
    /// Error.
    pub error_callback: &'static str,
    /// Error.
    pub error_request: &'static str,
    /// Error.
    pub error_message: &'static str,
    /// Portlet title.
    pub portlet_title: &'static str,
    /// Portlet: unread count (`{n}`).
    pub portlet_count: &'static str,
    /// Portlet: nothing unread.
    pub portlet_empty: &'static str,
    /// Portlet: link to all.
    pub portlet_more: &'static str,
}

impl MemoTexts {
    /// The texts in `lang`.
    pub fn of(lang: Lang) -> &'static MemoTexts {
        match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// Japanese.
pub static JA: MemoTexts = MemoTexts {
    code: "ja",
    inbox_title: "受け取った伝言",
    sent_title: "送った伝言",
    tab_inbox: "受け取った伝言",
    tab_sent: "送った伝言",
    new_memo: "伝言を残す",
    show_done: "対応済みも表示",
    hide_done: "未対応のみ表示",
    inbox_empty: "伝言はありません。",
    sent_empty: "送った伝言はありません。",
    received: "受付日時",
    caller: "相手",
    request: "用件",
    recipient: "宛先",
    author: "受付者",
    state: "状態",
    unread: "未読",
    read: "既読",
    done: "対応済み",
    call_back: "折り返し電話をください",
    will_call: "また電話します",
    urgent: "至急連絡をください",
    message_only: "伝言のみ",
    new_title: "電話の伝言を残す",
    pick_department: "宛先の部署",
    show: "表示",
    find_label: "宛先を探す",
    find_hint: "氏名・よみ（ひらがな・カタカナ）・ログインID・職員番号の一部で探せます。",
    find: "検索",
    found: "「{q}」に一致する職員: {n}人",
    found_more: "「{q}」に一致する職員が{n}人を超えます。もう少し詳しく入力してください。",
    found_none: "「{q}」に一致する職員はいません。",
    error_query: "探す氏名などを50文字以内で入力してください。",
    field_to: "宛先",
    field_caller_name: "相手の氏名",
    field_caller_org: "相手の所属・会社名（任意）",
    field_callback: "折り返し先の電話番号（任意）",
    field_request: "用件",
    field_message: "伝言（任意）",
    send: "伝言を残す",
    sent_notice: "伝言を残しました。",
    memo_title: "伝言",
    mark_done: "対応済みにする",
    done_notice: "対応済みにしました。",
    back: "伝言一覧に戻る",
    errors_heading: "入力内容を確認してください。",
    error_recipient: "宛先を選んでください。",
    error_caller: "相手の氏名を入力してください（50文字以内）。",
    error_org: "相手の所属は100文字以内で入力してください。",
    error_callback: "電話番号は数字と「-」「(」「)」「+」で入力してください（例: 078-322-5111）。",
    error_request: "用件を選んでください。",
    error_message: "伝言は1000文字以内で入力してください。",
    portlet_title: "未読の伝言",
    portlet_count: "未読の伝言が{n}件あります。",
    portlet_empty: "未読の伝言はありません。",
    portlet_more: "伝言一覧へ",
};

/// English.
pub static EN: MemoTexts = MemoTexts {
    code: "en",
    inbox_title: "Memos for me",
    sent_title: "Memos I left",
    tab_inbox: "Received",
    tab_sent: "Sent",
    new_memo: "Leave a memo",
    show_done: "Show handled memos",
    hide_done: "Hide handled memos",
    inbox_empty: "No memos.",
    sent_empty: "You have not left any memos.",
    received: "Received",
    caller: "Caller",
    request: "Request",
    recipient: "For",
    author: "Taken by",
    state: "State",
    unread: "Unread",
    read: "Read",
    done: "Handled",
    call_back: "Please call back",
    will_call: "Will call again",
    urgent: "Urgent: please call",
    message_only: "Message only",
    new_title: "Leave a phone memo",
    pick_department: "Recipient's department",
    show: "Show",
    find_label: "Find the recipient",
    find_hint: "Part of a name, its reading (hiragana or katakana), a login or a personnel number.",
    find: "Search",
    found: "{n} staff match “{q}”.",
    found_more: "More than {n} staff match “{q}”. Please type a little more.",
    found_none: "No staff match “{q}”.",
    error_query: "Type a name or number to search for (at most 50 characters).",
    field_to: "For",
    field_caller_name: "Caller's name",
    field_caller_org: "Caller's organisation (optional)",
    field_callback: "Number to call back (optional)",
    field_request: "Request",
    field_message: "Message (optional)",
    send: "Leave memo",
    sent_notice: "Memo left.",
    memo_title: "Phone memo",
    mark_done: "Mark as handled",
    done_notice: "Marked as handled.",
    back: "Back to memos",
    errors_heading: "Please check your input.",
    error_recipient: "Choose who the memo is for.",
    error_caller: "Enter the caller's name (at most 50 characters).",
    error_org: "The organisation may be at most 100 characters.",
    error_callback: "Use digits and - ( ) + for the number (e.g. 078-322-5111).",
    error_request: "Choose a request.",
    error_message: "The message may be at most 1000 characters.",
    portlet_title: "Unread memos",
    portlet_count: "{n} unread memos.",
    portlet_empty: "No unread memos.",
    portlet_more: "All memos",
};
