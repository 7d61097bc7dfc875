//! The gateway's words in Japanese (default) and English.

/// A display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 日本語.
    Ja,
    /// English.
    En,
}

impl Lang {
    /// From a `lang` query value or cookie; anything else is Japanese.
    pub fn parse(value: Option<&str>) -> Option<Lang> {
        match value? {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The words of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// Every text the gateway shows.
#[derive(Debug)]
pub struct Texts {
    pub product: &'static str,
    pub login_title: &'static str,
    pub user_label: &'static str,
    pub password_label: &'static str,
    pub login_button: &'static str,
    pub switch_lang: &'static str,
    pub switch_lang_code: &'static str,
    pub bad_credentials: &'static str,
    pub directory_unreachable: &'static str,
    /// The OpenID provider cannot be reached.
    pub idp_unreachable: &'static str,
    /// The login at the OpenID provider did not succeed.
    pub idp_failed: &'static str,
    /// Above the OpenID provider buttons.
    pub or_log_in_with: &'static str,
    pub form_expired: &'static str,
    pub form_invalid: &'static str,
    pub throttled: &'static str,
    pub logged_out: &'static str,
    pub session_ended: &'static str,
    pub logout_title: &'static str,
    pub logout_question: &'static str,
    pub logout_button: &'static str,
    pub back_to_portal: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_body: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub bad_request_title: &'static str,
    pub bad_request_body: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_body: &'static str,
    pub login_hint: &'static str,
    pub session_limit: &'static str,
    pub admin_sessions_title: &'static str,
    pub admin_filter_label: &'static str,
    pub admin_filter_button: &'static str,
    pub admin_col_user: &'static str,
    pub admin_col_name: &'static str,
    pub admin_col_dept: &'static str,
    pub admin_col_method: &'static str,
    pub admin_col_login: &'static str,
    pub admin_col_last: &'static str,
    pub admin_col_session: &'static str,
    pub admin_end_button: &'static str,
    pub admin_none: &'static str,
    pub admin_ended: &'static str,
}

/// 日本語.
pub static JA: Texts = Texts {
    product: "Yakuba 統合ログイン",
    login_title: "ログイン",
    user_label: "ユーザーID",
    password_label: "パスワード",
    login_button: "ログイン",
    switch_lang: "English",
    switch_lang_code: "en",
    bad_credentials: "ユーザーIDまたはパスワードが正しくありません。",
    directory_unreachable: "認証サーバー（ディレクトリ）に接続できません。しばらくしてからもう一度お試しください。",
    idp_unreachable: "外部の認証サービスに接続できません。しばらくしてからもう一度お試しください。",
    idp_failed: "外部の認証サービスでのログインを完了できませんでした。もう一度お試しください。",
    or_log_in_with: "または次の認証サービスでログイン",
    form_expired: "画面の有効期限が切れました。もう一度ログインしてください。",
    form_invalid: "入力内容を確認してください。",
    throttled: "ログインの失敗が続いたため、しばらくの間ログインできません。時間をおいてもう一度お試しください。",
    logged_out: "ログアウトしました。",
    session_ended: "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。",
    logout_title: "ログアウト",
    logout_question: "ログアウトしますか？",
    logout_button: "ログアウトする",
    back_to_portal: "ポータルへ戻る",
    forbidden_title: "利用権限がありません",
    forbidden_body: "このシステムを利用する権限がありません。必要な場合は所属の総務担当または情報化戦略部へお問い合わせください。",
    not_found_title: "ページが見つかりません",
    not_found_body: "指定されたアドレスに対応するシステムはありません。",
    bad_request_title: "要求を処理できません",
    bad_request_body: "送信された要求の形式が正しくありません。",
    unavailable_title: "現在利用できません",
    unavailable_body: "システムが一時的に利用できません。しばらくしてからもう一度お試しください。",
    login_hint: "職員番号または庁内ネットワークのユーザーIDでログインします。",
    session_limit: "同時にログインできる数の上限に達しています。ほかの端末でログアウトしてから、もう一度お試しください。",
    admin_sessions_title: "ログイン中のセッション",
    admin_filter_label: "ユーザーID",
    admin_filter_button: "絞り込む",
    admin_col_user: "ユーザーID",
    admin_col_name: "氏名",
    admin_col_dept: "所属",
    admin_col_method: "認証方式",
    admin_col_login: "ログイン日時",
    admin_col_last: "最終操作",
    admin_col_session: "セッション",
    admin_end_button: "終了させる",
    admin_none: "該当するセッションはありません。",
    admin_ended: "セッションを終了しました。",
};

/// English.
pub static EN: Texts = Texts {
    product: "Yakuba single sign-on",
    login_title: "Log in",
    user_label: "User ID",
    password_label: "Password",
    login_button: "Log in",
    switch_lang: "日本語",
    switch_lang_code: "ja",
    bad_credentials: "The user ID or password is incorrect.",
    directory_unreachable: "The directory server cannot be reached. Please try again shortly.",
    idp_unreachable: "The sign-in service cannot be reached. Please try again shortly.",
    idp_failed: "The login at the sign-in service could not be completed. Please try again.",
    or_log_in_with: "Or log in with",
    form_expired: "This page has expired. Please log in again.",
    form_invalid: "Please check what you entered.",
    throttled: "Too many failed logins. Please wait a while before trying again.",
    logged_out: "You have logged out.",
    session_ended: "Your session ended after a period of inactivity. Please log in again.",
    logout_title: "Log out",
    logout_question: "Do you want to log out?",
    logout_button: "Log out",
    back_to_portal: "Back to the portal",
    forbidden_title: "Not permitted",
    forbidden_body: "You are not permitted to use this system. Ask your department's administrator or IT if you need access.",
    not_found_title: "Page not found",
    not_found_body: "No system is available at this address.",
    bad_request_title: "Request refused",
    bad_request_body: "The request was malformed.",
    unavailable_title: "Temporarily unavailable",
    unavailable_body: "The system is temporarily unavailable. Please try again shortly.",
    login_hint: "Log in with your staff number or network user ID.",
    session_limit: "You are logged in on too many devices at once. Log out elsewhere, then try again.",
    admin_sessions_title: "Active sessions",
    admin_filter_label: "User ID",
    admin_filter_button: "Filter",
    admin_col_user: "User ID",
    admin_col_name: "Name",
    admin_col_dept: "Department",
    admin_col_method: "Method",
    admin_col_login: "Logged in",
    admin_col_last: "Last active",
    admin_col_session: "Session",
    admin_end_button: "End",
    admin_none: "No matching sessions.",
    admin_ended: "The session has been ended.",
};
