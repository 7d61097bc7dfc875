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
        }
        .render()
        .unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("ユーザーIDまたはパスワードが正しくありません"));
        assert!(html.contains("lang=\"ja\""));
    }

    #[test]
    fn message_pages_render_in_english_too() {
        let html = message(Lang::En, "Not permitted", "body", Some("tok"));
        assert!(html.contains("Not permitted"));
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
    }
}
