//! The cookies a legacy system sets during a replay, kept to send back as a browser would.

/// The `name` and `value` of a Set-Cookie header value (RFC 6265, section 5.2).
///
/// The part before the first `;`, split at its first `=` and trimmed; `None` without an `=`
/// or with an empty name, which browsers ignore.
pub fn set_cookie_pair(set_cookie: &str) -> Option<(&str, &str)> {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    let (name, value) = pair.split_once('=')?;
    let name = name.trim();
    (!name.is_empty()).then_some((name, value.trim()))
}

/// Whether a Set-Cookie header value deletes its cookie (`Max-Age` of zero or less).
///
/// `Expires` in the past is not looked at: systems that delete cookies that way also send
/// empty values, which do no harm.
fn deletes(set_cookie: &str) -> bool {
    set_cookie.split(';').skip(1).any(|attribute| {
        attribute.split_once('=').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("max-age")
                && value
                    .trim()
                    .parse::<i64>()
                    .is_ok_and(|seconds| seconds <= 0)
        })
    })
}

/// Cookies by name, for one origin and one replay (paths and expiry do not matter there).
#[derive(Default)]
pub(super) struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    /// Keep what a Set-Cookie header value sets: a later cookie replaces one of the same name.
    pub(super) fn store(&mut self, set_cookie: &str) {
        let Some((name, value)) = set_cookie_pair(set_cookie) else {
            return;
        };
        self.cookies.retain(|(kept, _)| kept != name);
        if !deletes(set_cookie) {
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// The Cookie header value to send, or `None` when there are no cookies.
    pub(super) fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pair_is_read_before_the_attributes() {
        let cases = [
            (
                "JSESSIONID=ABC123; Path=/app; HttpOnly",
                Some(("JSESSIONID", "ABC123")),
            ),
            (" sid = a=b==; Secure", Some(("sid", "a=b=="))),
            ("empty=", Some(("empty", ""))),
            ("quoted=\"x y\"", Some(("quoted", "\"x y\""))),
            ("novalue", None),
            ("=nameless", None),
            ("", None),
        ];
        for (header, expected) in cases {
            assert_eq!(set_cookie_pair(header), expected, "{header}");
        }
    }

    #[test]
    fn later_cookies_replace_earlier_ones_of_the_same_name() {
        let mut jar = CookieJar::default();
        assert_eq!(jar.header(), None);
        jar.store("a=1; Path=/");
        jar.store("b=2");
        jar.store("a=3; HttpOnly");
        jar.store("broken");
        assert_eq!(jar.header().as_deref(), Some("b=2; a=3"));
    }

    #[test]
    fn a_cookie_with_max_age_zero_is_deleted() {
        let mut jar = CookieJar::default();
        jar.store("a=1");
        jar.store("b=2");
        jar.store("a=; Max-Age=0; Path=/");
        jar.store("c=3; max-age=60");
        assert_eq!(jar.header().as_deref(), Some("b=2; c=3"));
    }
}
