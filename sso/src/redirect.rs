//! Return paths after login: only same-origin, path-absolute references are ever followed.

use std::fmt;

/// Longest return path we carry through a login; longer ones fall back to `/`.
const MAX_LEN: usize = 2048;

/// A path on this origin that is safe to redirect to after login.
///
/// Only path-absolute references are accepted: they start with a single `/`, and contain no
/// backslash, no control or whitespace character and nothing a browser could read as a
/// scheme or an authority (`//host`, `/\host`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeReturnPath(String);

impl SafeReturnPath {
    /// Accept `raw` only if it is a safe same-origin path.
    pub fn parse(raw: &str) -> Option<SafeReturnPath> {
        let bytes = raw.as_bytes();
        let safe = !raw.is_empty()
            && raw.len() <= MAX_LEN
            && bytes[0] == b'/'
            && bytes.get(1) != Some(&b'/')
            && !raw.contains('\\')
            && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
            // An encoded slash or backslash right after the first one would be decoded by
            // some browsers into a protocol-relative URL.
            && !raw.to_ascii_lowercase().starts_with("/%2f")
            && !raw.to_ascii_lowercase().starts_with("/%5c");
        safe.then(|| SafeReturnPath(raw.to_owned()))
    }

    /// Parse, falling back to the portal root for anything unsafe or missing.
    pub fn parse_or_root(raw: Option<&str>) -> SafeReturnPath {
        raw.and_then(SafeReturnPath::parse)
            .unwrap_or_else(SafeReturnPath::root)
    }

    /// The portal root, `/`.
    pub fn root() -> SafeReturnPath {
        SafeReturnPath("/".to_owned())
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeReturnPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_paths_are_accepted() {
        for ok in [
            "/",
            "/portal",
            "/denkessai/list?page=2&q=%E6%B1%BA",
            "/a/b#frag",
        ] {
            assert_eq!(
                SafeReturnPath::parse(ok).map(|p| p.0),
                Some(ok.to_owned()),
                "{ok}"
            );
        }
    }

    #[test]
    fn anything_that_could_leave_the_origin_is_refused() {
        for bad in [
            "",
            "portal",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/%2fevil.example",
            "/%5Cevil.example",
            "/a\r\nSet-Cookie: x=1",
            "/a b",
            "/\tx",
        ] {
            assert_eq!(SafeReturnPath::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            SafeReturnPath::parse(&format!("/{}", "a".repeat(3000))),
            None
        );
    }

    #[test]
    fn unsafe_or_missing_paths_fall_back_to_the_root() {
        assert_eq!(SafeReturnPath::parse_or_root(None).as_str(), "/");
        assert_eq!(SafeReturnPath::parse_or_root(Some("//x")).as_str(), "/");
        assert_eq!(SafeReturnPath::parse_or_root(Some("/ok")).as_str(), "/ok");
    }
}
