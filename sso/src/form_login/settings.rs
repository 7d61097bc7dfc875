//! How to log into one legacy system: the `[routes.form_login]` section of a route.

use serde::Deserialize;
use url::Url;

use super::FormLoginError;

/// The charset a legacy system's forms use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Charset {
    /// UTF-8.
    #[serde(rename = "utf-8")]
    Utf8,
    /// Shift_JIS as Windows writes it (Windows-31J, with the NEC and IBM extensions).
    #[serde(rename = "shift_jis")]
    ShiftJis,
    /// EUC-JP.
    #[serde(rename = "euc-jp")]
    EucJp,
}

impl Charset {
    /// The encoding that reads and writes this charset.
    ///
    /// `encoding_rs::SHIFT_JIS` is the WHATWG Shift_JIS, which is Windows-31J in practice:
    /// it is what browsers send to these systems.
    pub fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            Charset::Utf8 => encoding_rs::UTF_8,
            Charset::ShiftJis => encoding_rs::SHIFT_JIS,
            Charset::EucJp => encoding_rs::EUC_JP,
        }
    }
}

/// How to log into one legacy system (a `[routes.form_login]` config section).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormLoginSettings {
    /// The login page's path on the upstream (as the upstream sees it, e.g. "/login").
    pub login_path: String,
    /// Text that appears only on the login page (compared after decompression and charset
    /// decoding). Optional.
    #[serde(default)]
    pub marker: Option<String>,
    /// Name of the login-id field.
    pub username_field: String,
    /// Name of the password field.
    pub password_field: String,
    /// The charset to post in; when absent, taken from the login page (Content-Type charset,
    /// then `<meta charset>` / `<meta http-equiv content-type>`, else UTF-8). When set, the
    /// system's pages are also read in it, whatever they declare.
    #[serde(default)]
    pub charset: Option<Charset>,
    /// The upstream path of the system's own logout (the gateway intercepts it). Optional.
    #[serde(default)]
    pub logout_path: Option<String>,
}

impl FormLoginSettings {
    /// The login page's URL on `origin` (the upstream as the gateway reaches it).
    ///
    /// Fails when `login_path` is not an absolute path on that origin (`login`, `//host/x`,
    /// `/\host`), so a config check can call it once per route.
    pub fn login_url(&self, origin: &Url) -> Result<Url, FormLoginError> {
        let bad = || FormLoginError::LoginPath(self.login_path.clone());
        if !self.login_path.starts_with('/') {
            return Err(bad());
        }
        let url = origin.join(&self.login_path).map_err(|_| bad())?;
        if url.origin() != origin.origin() {
            return Err(bad());
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(login_path: &str) -> FormLoginSettings {
        FormLoginSettings {
            login_path: login_path.to_owned(),
            marker: None,
            username_field: "user".to_owned(),
            password_field: "pass".to_owned(),
            charset: None,
            logout_path: None,
        }
    }

    #[test]
    fn a_config_section_deserialises_with_its_charset() {
        let parsed: FormLoginSettings = serde_json::from_str(
            r#"{"login_path": "/login.do", "username_field": "uid", "password_field": "pwd",
                "charset": "shift_jis", "marker": "ログイン"}"#,
        )
        .unwrap();
        assert_eq!(parsed.charset, Some(Charset::ShiftJis));
        assert_eq!(parsed.marker.as_deref(), Some("ログイン"));
        assert_eq!(parsed.logout_path, None);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed = serde_json::from_str::<FormLoginSettings>(
            r#"{"login_path": "/l", "username_field": "u", "password_field": "p", "pasword": "x"}"#,
        );
        assert!(parsed.is_err());
    }

    #[test]
    fn charsets_map_to_their_encodings() {
        assert_eq!(Charset::Utf8.encoding(), encoding_rs::UTF_8);
        assert_eq!(Charset::ShiftJis.encoding(), encoding_rs::SHIFT_JIS);
        assert_eq!(Charset::EucJp.encoding(), encoding_rs::EUC_JP);
    }

    #[test]
    fn the_login_url_stays_on_the_origin() {
        let origin = Url::parse("http://10.0.0.5:8080").unwrap();
        assert_eq!(
            settings("/app/login.do?x=1")
                .login_url(&origin)
                .unwrap()
                .as_str(),
            "http://10.0.0.5:8080/app/login.do?x=1"
        );
        for bad in ["login", "//evil.example/login", "/\\evil.example/login", ""] {
            assert!(settings(bad).login_url(&origin).is_err(), "{bad}");
        }
    }
}
