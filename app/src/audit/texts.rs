//! The fixed texts of the audit view in Japanese and English.

use crate::i18n::Lang;

/// Every fixed text of the audit view, in one language.
#[derive(Debug)]
pub struct AuditTexts {
    /// Page title.
    pub title: &'static str,
    /// What the page is.
    pub lead: &'static str,
    /// Field: user.
    pub user: &'static str,
    /// Field: from.
    pub from: &'static str,
    /// Field: until.
    pub to: &'static str,
    /// Hint under the time fields.
    pub time_hint: &'static str,
    /// Field: route.
    pub route: &'static str,
    /// Field: decision.
    pub decision: &'static str,
    /// Field: status.
    pub status: &'static str,
    /// Field: action.
    pub action: &'static str,
    /// Any (empty choice).
    pub any: &'static str,
    /// Search button.
    pub search: &'static str,
    /// Column: time.
    pub time: &'static str,
    /// Column: source.
    pub source: &'static str,
    /// Column: request.
    pub request: &'static str,
    /// Column: client.
    pub client: &'static str,
    /// Column: reason.
    pub reason: &'static str,
    /// No records.
    pub empty: &'static str,
    /// More records matched than shown.
    pub truncated: &'static str,
    /// A time field is wrong.
    pub bad_time: &'static str,
    /// The status field is wrong.
    pub bad_status: &'static str,
    /// The decision field is wrong.
    pub bad_decision: &'static str,
    /// The view is not configured.
    pub not_configured: &'static str,
    /// The segments could not be read.
    pub unreadable: &'static str,
}

static JA: AuditTexts = AuditTexts {
    title: "監査ログ",
    lead: "ゲートウェイとグループウェアの監査記録を新しい順に表示します（閲覧のみ）。改ざんの有無は yakuba-gateway audit verify で確認します。",
    user: "ユーザーID",
    from: "開始",
    to: "終了",
    time_hint: "日本時間で入力（例: 2026-04-01 または 2026-04-01T09:00）。終了に日付だけを入れるとその日の終わりまで。",
    route: "システム",
    decision: "判定",
    status: "応答",
    action: "種別",
    any: "すべて",
    search: "検索",
    time: "日時（日本時間）",
    source: "記録元",
    request: "要求",
    client: "接続元",
    reason: "理由",
    empty: "条件に合う記録はありません。",
    truncated: "新しい順に 200 件まで表示しています。条件を絞り込んでください。",
    bad_time: "日時の形式が正しくありません。",
    bad_status: "応答は 403 や 4xx のように入力してください。",
    bad_decision: "判定の値が正しくありません。",
    not_configured: "監査ログの表示は設定されていません（app.toml の [audit] view_dirs）。",
    unreadable: "監査ログを読み取れませんでした。情報化戦略部へご連絡ください。",
};

static EN: AuditTexts = AuditTexts {
    title: "Audit log",
    lead: "Audit records of the gateway and the groupware, newest first (read only). Check that nothing was altered with yakuba-gateway audit verify.",
    user: "User ID",
    from: "From",
    to: "Until",
    time_hint: "Japan time (e.g. 2026-04-01 or 2026-04-01T09:00). A date alone in Until includes that whole day.",
    route: "System",
    decision: "Decision",
    status: "Status",
    action: "Kind",
    any: "Any",
    search: "Search",
    time: "Time (JST)",
    source: "Source",
    request: "Request",
    client: "Client",
    reason: "Reason",
    empty: "No records match.",
    truncated: "Showing the newest 200 records. Narrow the search.",
    bad_time: "A time is not in a known form.",
    bad_status: "Write the status like 403 or 4xx.",
    bad_decision: "Unknown decision.",
    not_configured: "The audit view is not configured ([audit] view_dirs in app.toml).",
    unreadable: "The audit log could not be read. Please contact IT.",
};

impl AuditTexts {
    /// The texts in `lang`.
    pub fn of(lang: Lang) -> &'static AuditTexts {
        match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}
