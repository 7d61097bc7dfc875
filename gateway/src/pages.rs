//! The pages the gateway serves itself: the login form and short messages.

use askama::Template;

use crate::lang::{Lang, Texts};

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    /// Words.
    pub t: &'static Texts,
    /// Language code.
    pub lang: &'static str,
    /// CSRF token bound to the login cookie.
    pub csrf: &'a str,
    /// Where to go after login.
    pub return_to: &'a str,
    /// The login id to prefill after a failure.
    pub user: &'a str,
    /// An error to show.
    pub error: Option<&'a str>,
    /// A notice to show (logged out).
    pub notice: Option<&'a str>,
    /// OpenID providers to log in with: (start URL, button label).
    pub idps: Vec<(String, &'a str)>,
}

/// A message page (errors, logout confirmation).
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    /// Words.
    pub t: &'static Texts,
    /// Language code.
    pub lang: &'static str,
    /// Heading.
    pub title: &'a str,
    /// Body text.
    pub body: &'a str,
    /// A logout form's CSRF token, for the logout confirmation.
    pub logout_csrf: Option<&'a str>,
}

/// One row of the administrator's session list.
#[derive(Debug, Clone)]
pub struct SessionRowView {
    /// Login id.
    pub user: String,
    /// Display name.
    pub name: String,
    /// Department.
    pub department: String,
    /// Authentication method.
    pub method: &'static str,
    /// Login time, JST.
    pub created: String,
    /// Last use, JST.
    pub last_seen: String,
    /// Keyed hash of the session (what the end form posts).
    pub key: String,
    /// Its first characters, for display.
    pub key_short: String,
}

/// The administrator's list of live sessions.
#[derive(Template)]
#[template(path = "admin_sessions.html")]
pub struct AdminSessionsPage<'a> {
    /// Words.
    pub t: &'static Texts,
    /// Language code.
    pub lang: &'static str,
    /// The administrator's CSRF token.
    pub csrf: &'a str,
    /// The user filter.
    pub filter: &'a str,
    /// Rows.
    pub rows: Vec<SessionRowView>,
    /// A notice (session ended).
    pub notice: Option<&'a str>,
}

/// The form that enrols or updates a user's credentials for one legacy system.
#[derive(Template)]
#[template(path = "vault.html")]
pub struct VaultPage<'a> {
    /// Words.
    pub t: &'static Texts,
    /// Language code.
    pub lang: &'static str,
    /// The system's name.
    pub system: &'a str,
    /// Where the form posts.
    pub action: &'a str,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// Where to go afterwards.
    pub return_to: &'a str,
    /// The login id to prefill.
    pub login: &'a str,
    /// An error to show.
    pub error: Option<&'a str>,
}

/// One system on the user's list of stored credentials.
#[derive(Debug, Clone)]
pub struct VaultRowView {
    /// Route id.
    pub id: String,
    /// System name.
    pub name: String,
    /// When the credentials changed (JST), if stored.
    pub updated: Option<String>,
}

/// The user's list of systems with stored credentials.
#[derive(Template)]
#[template(path = "vault_list.html")]
pub struct VaultListPage<'a> {
    /// Words.
    pub t: &'static Texts,
    /// Language code.
    pub lang: &'static str,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// Rows.
    pub rows: Vec<VaultRowView>,
    /// A notice (removed).
    pub notice: Option<&'a str>,
}

/// After the user logged out of a legacy system itself.
#[derive(Template)]
#[template(path = "legacy_out.html")]
pub struct LegacyOutPage<'a> {
    /// Words.
    pub t: &'static Texts,
    /// Language code.
    pub lang: &'static str,
    /// The system's name.
    pub system: &'a str,
    /// Where "open again" goes.
    pub again: &'a str,
    /// The session's CSRF token (for "log out of everything").
    pub csrf: &'a str,
}

/// Unix seconds as `2026-04-01 08:30` in Japan time.
pub fn jst(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(time::macros::offset!(+9)))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// The stylesheet of the gateway's pages.
pub const CSS: &str = include_str!("../templates/gateway.css");

/// Render a message page.
pub fn message(lang: Lang, title: &str, body: &str, logout_csrf: Option<&str>) -> String {
    let page = MessagePage {
        t: lang.texts(),
        lang: lang.code(),
        title,
        body,
        logout_csrf,
    };
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render message page");
        String::from("error")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_page_escapes_what_the_user_typed() {
        let html = LoginPage {
            t: Lang::Ja.texts(),
            lang: "ja",
            csrf: "tok",
            return_to: "/a?b=\"><script>",
            user: "<script>alert(1)</script>",
            error: Some(Lang::Ja.texts().bad_credentials),
            notice: None,
            idps: vec![(
                "/.yakuba/oidc/city/start?return_to=%2F".into(),
                "<b>庁内</b>統合認証",
            )],
        }
        .render()
        .unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>"), "provider labels are escaped");
        assert!(html.contains("href=\"/.yakuba/oidc/city/start?return_to=%2F\""));
        assert!(html.contains("ユーザーIDまたはパスワードが正しくありません"));
        assert!(html.contains("lang=\"ja\""));
    }

    #[test]
    fn times_are_shown_in_japan_time() {
        assert_eq!(jst(0), "1970-01-01 09:00");
        assert_eq!(jst(1_774_992_600), "2026-04-01 06:30");
    }

    #[test]
    fn message_pages_render_in_english_too() {
        let html = message(Lang::En, "Not permitted", "body", Some("tok"));
        assert!(html.contains("Not permitted"));
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
    }
}
