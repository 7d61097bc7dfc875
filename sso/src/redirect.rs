//! Return paths after login: only same-origin, path-absolute references are ever followed.

use std::fmt;

/// Longest return path we carry through a login; longer ones fall back to `/`.
const MAX_LEN: usize = 2048;

/// A path on this origin that is safe to redirect to after login.
///
/// Only path-absolute references are accepted: they start with a single `/`, and contain no
/// backslash, no control or whitespace character and nothing a browser could read as a
/// scheme or an authority (`//host`, `/\host`).
///
/// The path part (before `?` or `#`) must also be one the gateway itself would serve (see
/// `RequestPath` there): no `.`, `..` or empty segment, and no percent-encoded `/`, `\`, `.`
/// or control character. A browser normalises `/.//evil` to the path `//evil`, and a server
/// that decodes `/%2f%2fevil` or `/%09/evil` once sees `//evil`; either is a single relative
/// redirect (a trailing-slash fix, an upstream's own login) away from leaving the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeReturnPath(String);

impl SafeReturnPath {
    /// Accept `raw` only if it is a safe same-origin path.
    pub fn parse(raw: &str) -> Option<SafeReturnPath> {
        let path = &raw[..raw.find(['?', '#']).unwrap_or(raw.len())];
        let safe = raw.len() <= MAX_LEN
            && raw.starts_with('/')
            && !raw.contains('\\')
            && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
            && segments_are_plain(path)
            && !has_structural_escape(path);
        // Non-ASCII characters are percent-encoded so that the value is valid in a
        // `Location` header (browsers encode them the same way when they follow it).
        safe.then(|| {
            SafeReturnPath(
                percent_encoding::utf8_percent_encode(raw, percent_encoding::CONTROLS).to_string(),
            )
        })
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

/// Whether every segment of `path` (which starts with `/`) is a real name: no `.` or `..`,
/// and no empty segment except a trailing one (`/denkessai/`). This also refuses `//host`.
fn segments_are_plain(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    segments
        .iter()
        .enumerate()
        .all(|(i, segment)| !matches!(*segment, "." | "..") && (i == last || !segment.is_empty()))
}

/// Whether `path` percent-encodes a byte that changes its structure once decoded: `/`, `\`,
/// `.` (browsers read `%2e` as a dot segment too) or an ASCII control character (which URL
/// parsers drop, so `/%09/evil` becomes `//evil`).
fn has_structural_escape(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        let decoded = match w {
            [b'%', hi, lo] => hex_digit(*hi).zip(hex_digit(*lo)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        decoded.is_some_and(|b| matches!(b, b'/' | b'\\' | b'.') || b.is_ascii_control())
    })
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
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
            "/denkessai/",
        ] {
            assert_eq!(
                SafeReturnPath::parse(ok).map(|p| p.0),
                Some(ok.to_owned()),
                "{ok}"
            );
        }
        // Non-ASCII is carried percent-encoded, ready for a `Location` header.
        assert_eq!(
            SafeReturnPath::parse("/ja/掲示板?next=//elsewhere#../x").map(|p| p.0),
            Some("/ja/%E6%8E%B2%E7%A4%BA%E6%9D%BF?next=//elsewhere#../x".to_owned())
        );
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
            "/.//evil.example",
            "/a/..//evil.example",
            "/%2e%2e//evil.example",
            "/%09/evil.example",
            "/a%2F%2Fevil.example",
            "/a//b",
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
