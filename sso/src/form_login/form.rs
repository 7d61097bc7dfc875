//! Finding a legacy system's login form in its page and filling it in as a browser would.

use std::fmt;

use scraper::ElementRef;
use scraper::node::Element;
use url::Url;

use super::FormLoginSettings;
use super::page::Page;

/// Whether a decoded HTML page is the system's login page.
///
/// With a marker configured, the page is the login page when the marker appears in it.
/// Without one, it is when it has a form with a password input named
/// `settings.password_field`.
pub fn is_login_page(settings: &FormLoginSettings, html: &str) -> bool {
    if let Some(marker) = &settings.marker {
        return html.contains(marker.as_str());
    }
    Page::parse(html)
        .form_with_input(|input| {
            input_type(input) == "password"
                && input.attr("name") == Some(settings.password_field.as_str())
        })
        .is_some()
}

/// The login form found on a page, filled in with the credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// Where the form posts, resolved against the page.
    pub action: Url,
    /// The fields to post, in the page's order (the credentials last if the form lacked them).
    pub fields: Vec<(String, String)>,
}

/// Field names only: the values include the password.
impl fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("LoginForm")
            .field("action", &self.action.as_str())
            .field("fields", &names)
            .finish_non_exhaustive()
    }
}

/// Find the login form on a page and fill it in.
///
/// The form is the one that has an input named `settings.password_field`, else the first
/// with a password input. Its fields are what a browser would submit when the user presses
/// Enter: enabled, named inputs (checkboxes and radio buttons only when checked; never file,
/// reset or plain buttons), selects (their selected options, else the first one) and
/// textareas, plus the first submit button (`<input type=submit>`, `<button>`, or an image
/// button as `name.x=0&name.y=0`), which some old systems check for. Then the username and
/// password fields get the credentials (added when absent).
///
/// `action` is resolved against `page_url` (and a `<base href>`); a missing or empty one is
/// `page_url`. Only POST forms are returned: a GET login form gives `None`, because a
/// password must never go into a URL.
pub fn find_login_form(
    html: &str,
    page_url: &Url,
    settings: &FormLoginSettings,
    login: &str,
    password: &str,
) -> Option<LoginForm> {
    let page = Page::parse(html);
    let form = page
        .form_with_input(|input| input.attr("name") == Some(settings.password_field.as_str()))
        .or_else(|| page.form_with_input(|input| input_type(input) == "password"))?;

    let method = form.value().attr("method").unwrap_or("get").trim();
    if !method.eq_ignore_ascii_case("post") {
        return None;
    }
    let action = match form.value().attr("action").map(str::trim) {
        None | Some("") => page_url.clone(),
        Some(action) => page.base_url(page_url).join(action).ok()?,
    };

    let mut fields = successful_controls(&page, form);
    set_field(&mut fields, &settings.username_field, login);
    set_field(&mut fields, &settings.password_field, password);
    Some(LoginForm { action, fields })
}

/// Give every field called `name` the value `value`, adding the field when there is none.
fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    let mut found = false;
    for (_, field_value) in fields.iter_mut().filter(|(field, _)| field == name) {
        value.clone_into(field_value);
        found = true;
    }
    if !found {
        fields.push((name.to_owned(), value.to_owned()));
    }
}

/// The `type` of an input, lowercased; `text` when missing.
fn input_type(input: &Element) -> String {
    input.attr("type").map_or_else(
        || "text".to_owned(),
        |kind| kind.trim().to_ascii_lowercase(),
    )
}

/// The name/value pairs a browser submits for `form` when the user presses Enter.
fn successful_controls(page: &Page, form: ElementRef<'_>) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut submitter_seen = false;
    for control in page.controls(form) {
        if is_disabled(control) {
            continue;
        }
        let element = control.value();
        let kind = ControlKind::of(element);
        // Only the first submit button is the one Enter presses, named or not.
        if matches!(kind, ControlKind::Submitter { .. })
            && std::mem::replace(&mut submitter_seen, true)
        {
            continue;
        }
        let name = element.attr("name").unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        let value = element.attr("value");
        match kind {
            ControlKind::Submitter { image: true } => {
                // Enter "clicks" an image button at its origin.
                fields.push((format!("{name}.x"), "0".to_owned()));
                fields.push((format!("{name}.y"), "0".to_owned()));
            }
            ControlKind::Submitter { image: false } | ControlKind::Text => {
                fields.push((name.to_owned(), value.unwrap_or_default().to_owned()));
            }
            ControlKind::Checkable => {
                if element.attr("checked").is_some() {
                    fields.push((name.to_owned(), value.unwrap_or("on").to_owned()));
                }
            }
            ControlKind::Select => {
                for value in selected_values(control) {
                    fields.push((name.to_owned(), value));
                }
            }
            ControlKind::TextArea => {
                let text: String = control.text().collect();
                fields.push((name.to_owned(), normalize_newlines(&text)));
            }
            ControlKind::Never => {}
        }
    }
    fields
}

/// What a form control contributes to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ControlKind {
    /// A submit button; an image one sends the coordinates of the click.
    Submitter { image: bool },
    /// A checkbox or radio button: its value when checked.
    Checkable,
    /// Any other input: its value.
    Text,
    /// Its selected options.
    Select,
    /// Its text.
    TextArea,
    /// Nothing (file, reset and plain buttons).
    Never,
}

impl ControlKind {
    fn of(control: &Element) -> ControlKind {
        match control.name() {
            "input" => match input_type(control).as_str() {
                "submit" => ControlKind::Submitter { image: false },
                "image" => ControlKind::Submitter { image: true },
                "file" | "reset" | "button" => ControlKind::Never,
                "checkbox" | "radio" => ControlKind::Checkable,
                _ => ControlKind::Text,
            },
            // A button of no or an unknown type is a submit button.
            "button" => match control
                .attr("type")
                .map(|kind| kind.trim().to_ascii_lowercase())
            {
                Some(kind) if kind == "button" || kind == "reset" => ControlKind::Never,
                _ => ControlKind::Submitter { image: false },
            },
            "select" => ControlKind::Select,
            "textarea" => ControlKind::TextArea,
            _ => ControlKind::Never,
        }
    }
}

/// Whether a control is disabled, by its own attribute or by a disabled `<fieldset>` around it
/// (except inside that fieldset's first `<legend>`).
fn is_disabled(control: ElementRef<'_>) -> bool {
    if control.value().attr("disabled").is_some() {
        return true;
    }
    let mut child = control;
    for ancestor in control.ancestors().filter_map(ElementRef::wrap) {
        if ancestor.value().name() == "fieldset" && ancestor.value().attr("disabled").is_some() {
            let first_legend = ancestor
                .children()
                .filter_map(ElementRef::wrap)
                .find(|element| element.value().name() == "legend");
            if first_legend.map(|legend| legend.id()) != Some(child.id()) {
                return true;
            }
        }
        child = ancestor;
    }
    false
}

/// The values a select submits: its selected options (the last one for a single select),
/// else its first enabled option; disabled options never.
fn selected_values(select: ElementRef<'_>) -> Vec<String> {
    let options: Vec<ElementRef<'_>> = select
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|element| element.value().name() == "option")
        .collect();
    let selected = |option: &&ElementRef<'_>| option.value().attr("selected").is_some();
    let chosen: Vec<ElementRef<'_>> = if select.value().attr("multiple").is_some() {
        options.iter().filter(selected).copied().collect()
    } else {
        options
            .iter()
            .rfind(selected)
            .or_else(|| {
                options
                    .iter()
                    .find(|option| option.value().attr("disabled").is_none())
            })
            .copied()
            .into_iter()
            .collect()
    };
    chosen
        .into_iter()
        .filter(|option| option.value().attr("disabled").is_none())
        .map(option_value)
        .collect()
}

/// An option's value: its `value` attribute, else its text with whitespace collapsed.
fn option_value(option: ElementRef<'_>) -> String {
    match option.value().attr("value") {
        Some(value) => value.to_owned(),
        None => option
            .text()
            .collect::<String>()
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Line breaks as forms submit them: CRLF.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> FormLoginSettings {
        FormLoginSettings {
            login_path: "/app/login.do".to_owned(),
            marker: None,
            username_field: "userid".to_owned(),
            password_field: "passwd".to_owned(),
            charset: None,
            logout_path: None,
        }
    }

    fn page_url() -> Url {
        Url::parse("http://10.0.0.5:8080/app/login.do").unwrap()
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// A login page as a 2000s system writes it, already decoded from Shift_JIS: a search
    /// form first, then the login form opened inside a table.
    const LEGACY_PAGE: &str = r#"<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<HTML><HEAD>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">
<TITLE>文書管理システム ログイン</TITLE></HEAD>
<BODY>
<FORM NAME="search" METHOD="POST" ACTION="search.do"><INPUT NAME="q" VALUE="検索"></FORM>
<TABLE BORDER="0">
<FORM NAME="loginForm" METHOD="post" ACTION="auth/check.do">
<TR><TD>利用者ID</TD><TD><INPUT TYPE="text" NAME="userid" VALUE="前回の利用者"></TD></TR>
<TR><TD>パスワード</TD><TD><INPUT TYPE="password" NAME="passwd"></TD></TR>
<TR><TD>所属</TD><TD>
  <SELECT NAME="section">
    <OPTION VALUE="01">総務課
    <OPTION VALUE="02" SELECTED>税務課
    <OPTION>  住民課  </OPTION>
  </SELECT>
  <SELECT NAME="lang"><OPTION>日本語<OPTION>English</SELECT>
</TD></TR>
<TR><TD COLSPAN="2">
  <INPUT TYPE="hidden" NAME="org.apache.struts.taglib.html.TOKEN" VALUE="c0ffee42">
  <INPUT TYPE="hidden" NAME="mode" VALUE="ログイン">
  <INPUT TYPE="checkbox" NAME="remember" VALUE="1">次回から入力を省略
  <INPUT TYPE="checkbox" NAME="agree" CHECKED>利用規約に同意
  <INPUT TYPE="radio" NAME="screen" VALUE="small">小
  <INPUT TYPE="radio" NAME="screen" VALUE="large" CHECKED>大
  <INPUT TYPE="text" NAME="legacyCode" VALUE="x" DISABLED>
  <INPUT TYPE="file" NAME="cert">
  <TEXTAREA NAME="note">一行目
二行目</TEXTAREA>
  <INPUT TYPE="button" NAME="help" VALUE="ヘルプ" ONCLICK="help()">
  <INPUT TYPE="reset" NAME="clear" VALUE="クリア">
  <INPUT TYPE="submit" NAME="btnLogin" VALUE="ログイン">
  <INPUT TYPE="submit" NAME="btnGuest" VALUE="ゲスト">
</TD></TR>
</FORM>
</TABLE>
<FORM ACTION="/other" METHOD="POST"><INPUT NAME="after"></FORM>
</BODY></HTML>"#;

    #[test]
    fn a_legacy_login_form_is_filled_in_as_a_browser_would() {
        let form = find_login_form(
            LEGACY_PAGE,
            &page_url(),
            &settings(),
            "yamada",
            "パスワード1",
        )
        .unwrap();
        assert_eq!(
            form.action.as_str(),
            "http://10.0.0.5:8080/app/auth/check.do"
        );
        assert_eq!(
            form.fields,
            fields(&[
                ("userid", "yamada"),
                ("passwd", "パスワード1"),
                ("section", "02"),
                ("lang", "日本語"),
                ("org.apache.struts.taglib.html.TOKEN", "c0ffee42"),
                ("mode", "ログイン"),
                ("agree", "on"),
                ("screen", "large"),
                ("note", "一行目\r\n二行目"),
                ("btnLogin", "ログイン"),
            ])
        );
    }

    #[test]
    fn the_form_is_the_one_with_the_password_field() {
        let html = r#"
            <form method="post" action="/a"><input type="password" name="other"></form>
            <form method="post" action="/b"><input name="userid"><input name="passwd"></form>"#;
        let form = find_login_form(html, &page_url(), &settings(), "u", "p").unwrap();
        assert_eq!(form.action.as_str(), "http://10.0.0.5:8080/b");
    }

    #[test]
    fn without_that_field_the_first_form_with_a_password_input_is_used() {
        let html = r#"
            <form method="post" action="/search"><input name="q"></form>
            <form method="POST"><input name="uid"><input type="PASSWORD" name="pwd"></form>"#;
        let form = find_login_form(html, &page_url(), &settings(), "u", "p").unwrap();
        // No action: the page itself. The configured names are added, as the form lacks them.
        assert_eq!(form.action, page_url());
        assert_eq!(
            form.fields,
            fields(&[("uid", ""), ("pwd", ""), ("userid", "u"), ("passwd", "p")])
        );
    }

    #[test]
    fn a_get_login_form_is_never_used() {
        for html in [
            r#"<form action="/login"><input name="userid"><input type="password" name="passwd"></form>"#,
            r#"<form method="get" action="/login"><input type="password" name="passwd"></form>"#,
        ] {
            assert_eq!(
                find_login_form(html, &page_url(), &settings(), "u", "p"),
                None,
                "{html}"
            );
        }
    }

    #[test]
    fn a_page_without_a_password_field_has_no_login_form() {
        let html = r#"<form method="post" action="/search"><input name="q"></form>
            <input type="password" name="passwd">"#;
        assert_eq!(
            find_login_form(html, &page_url(), &settings(), "u", "p"),
            None
        );
        assert_eq!(
            find_login_form("", &page_url(), &settings(), "u", "p"),
            None
        );
    }

    #[test]
    fn the_action_resolves_against_a_base_element() {
        let html = r#"<head><base href="/portal/"></head>
            <form method="post" action="login.do"><input type="password" name="passwd"></form>"#;
        let form = find_login_form(html, &page_url(), &settings(), "u", "p").unwrap();
        assert_eq!(form.action.as_str(), "http://10.0.0.5:8080/portal/login.do");
        let html = r#"<form method="post" action=" "><input type="password" name="passwd"></form>"#;
        let form = find_login_form(html, &page_url(), &settings(), "u", "p").unwrap();
        assert_eq!(form.action, page_url());
    }

    #[test]
    fn controls_follow_their_form_attribute_and_disabled_fieldsets() {
        let html = r#"
            <form id="login" method="post" action="/login">
              <input type="password" name="passwd">
              <input name="elsewhere" form="other">
              <fieldset disabled>
                <legend><input name="in_legend" value="1"></legend>
                <input name="in_fieldset" value="2">
              </fieldset>
              <button name="go" value="1">ログイン</button>
            </form>
            <form id="other"></form>
            <input name="outside" value="3" form="login">
            <select name="multi" multiple form="login">
              <option selected>a<option>b<option selected disabled>c<option selected>d
            </select>"#;
        let form = find_login_form(html, &page_url(), &settings(), "u", "p").unwrap();
        assert_eq!(
            form.fields,
            fields(&[
                ("passwd", "p"),
                ("in_legend", "1"),
                ("go", "1"),
                ("outside", "3"),
                ("multi", "a"),
                ("multi", "d"),
                ("userid", "u"),
            ])
        );
    }

    #[test]
    fn an_image_button_is_pressed_at_its_origin() {
        let html = r#"<form method="post" action="/login">
            <input type="password" name="passwd">
            <input type="image" name="login" src="btn_login.gif">
            <input type="submit" name="later" value="x"></form>"#;
        let form = find_login_form(html, &page_url(), &settings(), "u", "p").unwrap();
        assert_eq!(
            form.fields,
            fields(&[
                ("passwd", "p"),
                ("login.x", "0"),
                ("login.y", "0"),
                ("userid", "u")
            ])
        );
    }

    #[test]
    fn debug_output_leaves_the_values_out() {
        let form =
            find_login_form(LEGACY_PAGE, &page_url(), &settings(), "yamada", "s3cret!").unwrap();
        let debug = format!("{form:?}");
        assert!(debug.contains("passwd"), "{debug}");
        assert!(
            !debug.contains("s3cret!") && !debug.contains("c0ffee42"),
            "{debug}"
        );
    }

    #[test]
    fn the_login_page_is_recognised_by_its_password_field() {
        assert!(is_login_page(&settings(), LEGACY_PAGE));
        let other = r#"<form method="post"><input type="password" name="newPasswd"></form>
            <form><input name="passwd"></form><input type="password" name="passwd">"#;
        assert!(!is_login_page(&settings(), other));
        assert!(!is_login_page(
            &settings(),
            "<html><body>メニュー</body></html>"
        ));
    }

    #[test]
    fn the_login_page_is_recognised_by_its_marker_when_one_is_set() {
        let settings = FormLoginSettings {
            marker: Some("利用者ID".to_owned()),
            ..settings()
        };
        assert!(is_login_page(&settings, LEGACY_PAGE));
        let without_marker = r#"<form method="post"><input type="password" name="passwd"></form>"#;
        assert!(!is_login_page(&settings, without_marker));
    }
}
