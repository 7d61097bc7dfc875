//! One canonical form of each request, used by routing, policy and the upstream alike, so that
//! no spelling of a request can be routed one way, judged another and served a third.
//!
//! The path is percent-decoded once, its slashes merged and its dot segments resolved; the
//! upstream is sent that canonical path, re-encoded. Anything that could be read two ways is
//! refused instead: an encoded `/`, `\`, `.` or control byte, a raw backslash or control
//! character, a `;` path parameter, bytes that are not UTF-8 once decoded, a `..` above the
//! root, and in the headers a name with `_`, a second `Host` or `Content-Length`, and
//! `Content-Length` together with `Transfer-Encoding`. (On HTTP/1, Pingora resolves that
//! last one itself before the gateway sees the request, as RFC 9112 §6.1 says: it ignores
//! `Content-Length`, reads the body as chunked and closes the connection afterwards, so
//! nothing can be smuggled behind it; the check here covers whatever reaches it.)

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// Longest request target accepted, in bytes.
const MAX_TARGET: usize = 8192;

/// Characters re-encoded when the canonical path goes upstream: everything a path segment
/// may not carry raw, so the upstream decodes exactly the canonical path.
const PATH_ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b';');

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Not an origin-form path starting with `/`.
    NotAbsolute,
    /// Longer than [`MAX_TARGET`].
    TooLong,
    /// A control character, NUL, space or backslash.
    ForbiddenCharacter,
    /// An encoded `/`, `\`, `.` or control byte, which upstreams may decode differently.
    AmbiguousEncoding,
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded path is not UTF-8.
    NotUtf8,
    /// A `;` path parameter (servlet containers read these, proxies do not).
    PathParameter,
    /// A `..` that would climb above the root.
    AboveRoot,
}

impl PathError {
    /// Reason code for the audit record.
    pub fn reason(self) -> &'static str {
        match self {
            PathError::NotAbsolute => "path_not_absolute",
            PathError::TooLong => "path_too_long",
            PathError::ForbiddenCharacter => "path_forbidden_character",
            PathError::AmbiguousEncoding => "path_ambiguous_encoding",
            PathError::BadEscape => "path_bad_escape",
            PathError::NotUtf8 => "path_not_utf8",
            PathError::PathParameter => "path_parameter",
            PathError::AboveRoot => "path_above_root",
        }
    }
}

/// A request path (without query) in canonical form: decoded, slashes merged, dot segments
/// resolved. Routing and policy look at [`RequestPath::as_str`]; the upstream is sent
/// [`RequestPath::wire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPath {
    canonical: String,
    /// The wire form, when it differs from `canonical` (most paths need no encoding, so the
    /// request path allocates no second copy).
    wire: Option<String>,
}

impl RequestPath {
    /// Canonicalise the path part of a request target, or refuse it.
    pub fn parse(path: &str) -> Result<RequestPath, PathError> {
        if path.len() > MAX_TARGET {
            return Err(PathError::TooLong);
        }
        if !path.starts_with('/') {
            return Err(PathError::NotAbsolute);
        }
        if path
            .bytes()
            .any(|b| b.is_ascii_control() || b == b'\\' || b == b' ')
        {
            return Err(PathError::ForbiddenCharacter);
        }
        if path.contains(';') {
            return Err(PathError::PathParameter);
        }
        check_escapes(path)?;
        let decoded = percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| PathError::NotUtf8)?;
        if decoded.chars().any(char::is_control) {
            return Err(PathError::AmbiguousEncoding);
        }
        let mut segments: Vec<&str> = Vec::new();
        let mut trailing_slash = false;
        for segment in decoded.split('/').skip(1) {
            trailing_slash = matches!(segment, "" | "." | "..");
            match segment {
                "" | "." => {}
                ".." => {
                    if segments.pop().is_none() {
                        return Err(PathError::AboveRoot);
                    }
                }
                s => segments.push(s),
            }
        }
        let mut canonical = String::with_capacity(decoded.len());
        for s in &segments {
            canonical.push('/');
            canonical.push_str(s);
        }
        if canonical.is_empty() || trailing_slash {
            canonical.push('/');
        }
        let wire = match std::borrow::Cow::from(utf8_percent_encode(&canonical, PATH_ENCODE)) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(encoded) => Some(encoded),
        };
        Ok(RequestPath { canonical, wire })
    }

    /// The canonical path, decoded.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The canonical path as sent upstream (percent-encoded where needed).
    pub fn wire(&self) -> &str {
        self.wire.as_deref().unwrap_or(&self.canonical)
    }
}

/// Percent-encode a canonical path (or part of one) for the wire.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH_ENCODE).to_string()
}

/// Every `%` must start an escape of two hex digits, and none may encode `/`, `\`, `.`, a
/// control byte, or a `%` that starts another escape (`%252f`, which a second decoding turns
/// into `%2f`).
fn check_escapes(path: &str) -> Result<(), PathError> {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(PathError::BadEscape)?;
            let double = byte == b'%'
                && bytes
                    .get(i + 3..i + 5)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if double || matches!(byte, b'/' | b'\\' | b'.') || byte.is_ascii_control() {
                return Err(PathError::AmbiguousEncoding);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Request headers that could be read two ways by two servers; the reason code of the first
/// problem, if any. `names` are the header names as received, in order.
pub fn header_problem<'a>(
    names: impl Iterator<Item = &'a str>,
    has_transfer_encoding: bool,
) -> Option<&'static str> {
    let (mut hosts, mut lengths) = (0, 0);
    for name in names {
        if name.contains('_') {
            return Some("header_name_underscore");
        }
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case("content-length") {
            lengths += 1;
        }
    }
    if hosts > 1 {
        Some("duplicate_host")
    } else if lengths > 1 {
        Some("duplicate_content_length")
    } else if lengths > 0 && has_transfer_encoding {
        Some("content_length_with_transfer_encoding")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(path: &str) -> Result<(String, String), PathError> {
        RequestPath::parse(path).map(|p| (p.as_str().to_owned(), p.wire().to_owned()))
    }

    #[test]
    fn paths_are_decoded_once_merged_and_resolved() {
        for (raw, canonical) in [
            ("/", "/"),
            ("/denkessai/", "/denkessai/"),
            ("/denkessai//list", "/denkessai/list"),
            ("//denkessai", "/denkessai"),
            ("/denkessai/./list", "/denkessai/list"),
            ("/denkessai/../zaimu/", "/zaimu/"),
            ("/a/b/..", "/a/"),
            ("/a/.", "/a/"),
            ("/%E6%B1%BA%E8%A3%81", "/決裁"),
            ("/決裁", "/決裁"),
            ("/a%20b", "/a b"),
            ("/100%25.pdf", "/100%.pdf"),
        ] {
            let got = canon(raw);
            assert_eq!(got.as_ref().map(|g| g.0.as_str()), Ok(canonical), "{raw}");
        }
        // What goes upstream decodes to the canonical path again.
        assert_eq!(canon("/決裁").unwrap().1, "/%E6%B1%BA%E8%A3%81");
        assert_eq!(canon("/a%20b").unwrap().1, "/a%20b");
        assert_eq!(canon("/100%25.pdf").unwrap().1, "/100%25.pdf");
        assert_eq!(canon("/a%3Fb").unwrap(), ("/a?b".into(), "/a%3Fb".into()));
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        for (raw, why) in [
            ("denkessai", PathError::NotAbsolute),
            ("/a\\b", PathError::ForbiddenCharacter),
            ("/a\tb", PathError::ForbiddenCharacter),
            ("/a%2fb", PathError::AmbiguousEncoding),
            ("/a%2Fb", PathError::AmbiguousEncoding),
            ("/a%5cb", PathError::AmbiguousEncoding),
            ("/%2e%2e/zaimu", PathError::AmbiguousEncoding),
            ("/a%00", PathError::AmbiguousEncoding),
            ("/a%0d%0a", PathError::AmbiguousEncoding),
            ("/a%252f", PathError::AmbiguousEncoding),
            ("/a%zz", PathError::BadEscape),
            ("/a%2", PathError::BadEscape),
            ("/a%ff", PathError::NotUtf8),
            ("/a;jsessionid=1", PathError::PathParameter),
            ("/..", PathError::AboveRoot),
            ("/a/../../etc", PathError::AboveRoot),
        ] {
            assert_eq!(canon(raw).map(|_| ()), Err(why), "{raw}");
        }
        assert_eq!(
            canon(&format!("/{}", "a".repeat(MAX_TARGET))),
            Err(PathError::TooLong)
        );
    }

    #[test]
    fn ambiguous_headers_are_named() {
        let check = |names: &[&str], te| header_problem(names.iter().copied(), te);
        assert_eq!(check(&["host", "accept"], false), None);
        assert_eq!(
            check(&["host", "x_remote_user"], false),
            Some("header_name_underscore")
        );
        assert_eq!(check(&["host", "Host"], false), Some("duplicate_host"));
        assert_eq!(
            check(&["content-length", "Content-Length"], false),
            Some("duplicate_content_length")
        );
        assert_eq!(
            check(&["content-length"], true),
            Some("content_length_with_transfer_encoding")
        );
        assert_eq!(check(&["transfer-encoding"], true), None);
    }
}
