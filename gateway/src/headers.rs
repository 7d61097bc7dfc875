//! Identity headers: what clients may not send, and what the gateway adds for upstreams.
//!
//! Header names compare after folding case and reading `_` as `-`, because some upstream
//! stacks (CGI, PHP, Rails) treat `X_Remote_User` and `x-remote-user` as the same variable.

use std::collections::HashSet;

use base64::Engine as _;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::config::{HeaderEncoding, HeaderSpec, IdentityField};
use crate::routing::Route;
use sso::Identity;

/// Every header with this prefix belongs to the gateway.
const RESERVED_PREFIX: &str = "x-yakuba-";

/// The gateway's id of the request, sent to every upstream (the app records it as
/// `http.request.id`, as the gateway's own record does): a client's is never passed on.
pub const REQUEST_ID: &str = "x-request-id";

/// Forwarding headers the gateway sets itself; client values are dropped.
const FORWARDING: [&str; 5] = [
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "forwarded",
];

/// Characters left alone by percent-encoding: unreserved ASCII only.
const ENCODE: &AsciiSet = &CONTROLS
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
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|')
    .add(b',')
    .add(b'+')
    .add(b'&')
    .add(b'\'');

/// The folded form of a header name: lower-case, `_` read as `-`.
pub fn fold(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b == b'_' {
                '-'
            } else {
                b.to_ascii_lowercase() as char
            }
        })
        .collect()
}

/// Whether `name` folds to `folded` (already folded), without allocating.
fn folds_to(name: &str, folded: &str) -> bool {
    name.len() == folded.len()
        && name.bytes().zip(folded.bytes()).all(|(b, f)| {
            let b = if b == b'_' {
                b'-'
            } else {
                b.to_ascii_lowercase()
            };
            b == f
        })
}

/// The set of header names no client may send through the gateway.
#[derive(Debug, Clone)]
pub struct ReservedHeaders {
    /// Folded, without repeats.
    names: Vec<String>,
    /// Lengths of the reserved names, a cheap first filter.
    lengths: HashSet<usize>,
}

impl ReservedHeaders {
    /// Reserve the gateway's own names and every identity header any route uses: a header
    /// trusted by one legacy system must not pass through to another either.
    pub fn new(routes: &[Route]) -> ReservedHeaders {
        let mut names: HashSet<String> = FORWARDING.iter().map(|s| (*s).to_owned()).collect();
        names.insert(fold(sso::assertion::HEADER));
        names.insert(REQUEST_ID.to_owned());
        for route in routes {
            for h in &route.headers {
                names.insert(fold(&h.name));
            }
        }
        let lengths = names.iter().map(String::len).collect();
        ReservedHeaders {
            names: names.into_iter().collect(),
            lengths,
        }
    }

    /// Whether a client-supplied header called `name` must be removed.
    pub fn is_reserved(&self, name: &str) -> bool {
        // Most headers are neither reserved nor near a reserved name: decide those without
        // allocating (this runs for every header of every request).
        let prefix = RESERVED_PREFIX.as_bytes();
        let bytes = name.as_bytes();
        let has_prefix = bytes.len() >= prefix.len()
            && bytes
                .iter()
                .zip(prefix)
                .all(|(&b, &p)| b.to_ascii_lowercase() == p || (b == b'_' && p == b'-'));
        if has_prefix {
            return true;
        }
        if !self.lengths.contains(&name.len()) {
            return false;
        }
        // Common headers share lengths with reserved ones (`accept-encoding` and
        // `x-forwarded-for`): compare folding on the fly rather than allocate a folded copy.
        self.names.iter().any(|n| folds_to(name, n))
    }
}

fn field(identity: &Identity, field: IdentityField) -> String {
    match field {
        IdentityField::User => identity.user.clone(),
        IdentityField::Name => identity.name.clone(),
        IdentityField::Mail => identity.mail.clone().unwrap_or_default(),
        IdentityField::Department => identity.department.clone().unwrap_or_default(),
        IdentityField::Groups => identity.groups.join(","),
    }
}

/// Encode a value so it is a valid header value whatever it contains (no control bytes in
/// any encoding).
pub fn encode(value: &str, encoding: HeaderEncoding) -> Vec<u8> {
    match encoding {
        HeaderEncoding::Percent => utf8_percent_encode(value, ENCODE).to_string().into_bytes(),
        HeaderEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .encode(value)
            .into_bytes(),
        HeaderEncoding::Rfc2047 => rfc2047(value).into_bytes(),
        HeaderEncoding::ShiftJis => shift_jis(value),
        HeaderEncoding::ShiftJisPercent => {
            percent_encoding::percent_encode(&shift_jis(value), ENCODE)
                .to_string()
                .into_bytes()
        }
    }
}

/// RFC 2047 encoded words: printable ASCII as is, anything else as `=?UTF-8?B?...?=` words of
/// at most 75 characters, split on character boundaries and separated by spaces.
fn rfc2047(value: &str) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.contains("=?") {
        return value.to_owned();
    }
    // 45 bytes of UTF-8 make 60 Base64 characters; with `=?UTF-8?B?` and `?=`, 72.
    const CHUNK: usize = 45;
    let mut words = Vec::new();
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if i + c.len_utf8() - start > CHUNK {
            words.push(&value[start..i]);
            start = i;
        }
    }
    words.push(&value[start..]);
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shift_JIS (Windows-31J, as encoding_rs names it) bytes; a character it lacks, or a control
/// character, becomes `?`.
fn shift_jis(value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut buf = [0u8; 4];
    for c in value.chars() {
        if c.is_control() {
            out.push(b'?');
            continue;
        }
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
        if unmappable {
            out.push(b'?');
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// The identity headers for a legacy route, as (name, value) pairs.
pub fn identity_headers(specs: &[HeaderSpec], identity: &Identity) -> Vec<(String, Vec<u8>)> {
    specs
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                encode(&field(identity, s.value), s.encoding),
            )
        })
        .collect()
}

/// The `Cookie` an upstream may see, from the request's `Cookie` header values: the gateway's
/// own cookies removed, the rest joined into one value; `None` when nothing is left. Upstreams
/// never see the session cookie. Values that are not text are dropped.
pub fn strip_gateway_cookies<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<String> {
    let mut kept = String::new();
    for value in values {
        let Ok(text) = std::str::from_utf8(value) else {
            continue;
        };
        for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let name = pair.split('=').next().unwrap_or_default().trim();
            if crate::cookies::is_gateway_cookie(name) {
                continue;
            }
            if !kept.is_empty() {
                kept.push_str("; ");
            }
            kept.push_str(pair);
        }
    }
    (!kept.is_empty()).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sso::AuthMethod;

    fn route_with(names: &[&str]) -> Route {
        Route {
            id: "r".into(),
            name: "r".into(),
            name_en: "r".into(),
            host: None,
            prefix: "/r".into(),
            upstreams: vec![],
            identity: crate::config::IdentityMode::Headers,
            audience: None,
            headers: names
                .iter()
                .map(|n| HeaderSpec {
                    name: (*n).into(),
                    value: IdentityField::User,
                    encoding: HeaderEncoding::Percent,
                })
                .collect(),
            tile: false,
            policy: crate::policy::Policy::new("r", &[], &[]),
            public: false,
            strip_prefix: false,
            response_headers: vec![],
            form_login: None,
            upstream_host: None,
            connect_timeout: std::time::Duration::from_secs(3),
            read_timeout: std::time::Duration::from_secs(120),
        }
    }

    #[test]
    fn every_spelling_of_an_identity_header_is_reserved() {
        let reserved = ReservedHeaders::new(&[route_with(&["X-Remote-User"])]);
        for name in [
            "X-Yakuba-User",
            "x_yakuba_user",
            "X_YAKUBA_USER",
            "x-YaKuBa-assertion",
            "X-Yakuba_Anything-New",
            "x-remote-user",
            "X_Remote_User",
            "X-REMOTE-USER",
            "X-Request-Id",
            "x_request_id",
            "X-Forwarded-For",
            "x_forwarded_for",
            "Forwarded",
        ] {
            assert!(reserved.is_reserved(name), "{name}");
        }
        for name in ["Accept", "X-Remote-Userx", "X-Requested-With", "Cookie"] {
            assert!(!reserved.is_reserved(name), "{name}");
        }
    }

    #[test]
    fn non_ascii_values_are_encoded() {
        let text = |v: &str, e| String::from_utf8(encode(v, e)).unwrap();
        assert_eq!(text("yamada", HeaderEncoding::Percent), "yamada");
        assert_eq!(
            text("山田 太郎", HeaderEncoding::Percent),
            "%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E"
        );
        assert_eq!(text("a\r\nb", HeaderEncoding::Percent), "a%0D%0Ab");
        assert_eq!(text("山田", HeaderEncoding::Base64), "5bGx55Sw");
        assert_eq!(text("yamada", HeaderEncoding::Rfc2047), "yamada");
        assert_eq!(
            text("山田", HeaderEncoding::Rfc2047),
            "=?UTF-8?B?5bGx55Sw?="
        );
        assert_eq!(
            encode("山田 太郎", HeaderEncoding::ShiftJis),
            b"\x8eR\x93c \x91\xbe\x98Y"
        );
        assert_eq!(text("山田", HeaderEncoding::ShiftJisPercent), "%8ER%93c");
        // Shift_JIS lacks this emoji and has no place for a newline.
        assert_eq!(encode("A😀\nB", HeaderEncoding::ShiftJis), b"A??B");
    }

    #[test]
    fn long_rfc2047_values_split_into_short_words_on_character_boundaries() {
        let long = "総務部総務課文書係".repeat(4);
        let encoded = String::from_utf8(encode(&long, HeaderEncoding::Rfc2047)).unwrap();
        let mut decoded = String::new();
        for word in encoded.split(' ') {
            assert!(word.len() <= 75, "{word}");
            let b64 = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            decoded.push_str(&String::from_utf8(bytes).unwrap());
        }
        assert_eq!(decoded, long);
    }

    #[test]
    fn identity_headers_carry_the_configured_fields() {
        let who = Identity {
            user: "tanaka".into(),
            name: "田中 一郎".into(),
            mail: Some("tanaka@city.example".into()),
            department: Some("総務課".into()),
            groups: vec!["a".into(), "b".into()],
            method: AuthMethod::Ldap,
        };
        let specs = vec![
            HeaderSpec {
                name: "X-Remote-User".into(),
                value: IdentityField::User,
                encoding: HeaderEncoding::Percent,
            },
            HeaderSpec {
                name: "X-Remote-Name".into(),
                value: IdentityField::Name,
                encoding: HeaderEncoding::Base64,
            },
            HeaderSpec {
                name: "X-Remote-Groups".into(),
                value: IdentityField::Groups,
                encoding: HeaderEncoding::Percent,
            },
        ];
        let h = identity_headers(&specs, &who);
        assert_eq!(h[0], ("X-Remote-User".into(), b"tanaka".to_vec()));
        assert_eq!(h[1].1, b"55Sw5LitIOS4gOmDjg==");
        assert_eq!(h[2].1, b"a%2Cb");
    }

    #[test]
    fn gateway_cookies_never_reach_upstreams() {
        fn strip(values: &[&str]) -> Option<String> {
            strip_gateway_cookies(values.iter().map(|v| v.as_bytes()))
        }
        assert_eq!(
            strip(&["a=1; __Host-yakuba_session=SECRET; b=2"]).as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(strip(&["__Host-yakuba_session=SECRET"]), None);
        assert_eq!(
            strip(&["a=1; __HOST-Yakuba_Session=SECRET"]).as_deref(),
            Some("a=1")
        );
        assert_eq!(
            strip(&["__Host-yakuba_login=n;yakuba_lang=en"]).as_deref(),
            Some("yakuba_lang=en")
        );
        // Several Cookie headers (HTTP/2 sends one per cookie) become one.
        assert_eq!(
            strip(&["a=1", "__Host-yakuba_session=SECRET", "b=2"]).as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(
            strip_gateway_cookies([&b"a=\xff"[..], &b"c=3"[..]]).as_deref(),
            Some("c=3")
        );
    }
}
