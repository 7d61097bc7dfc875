//! Distinguished names (RFC 4514) in one normal form, so that group membership is compared by
//! the whole DN and never by its first RDN alone.
//!
//! Normal form: attribute types lower-cased, values unescaped, trimmed of insignificant spaces,
//! lower-cased (Active Directory and the usual LDAP schemas match DNs case-insensitively) and
//! escaped again in one canonical way; the AVAs of a multi-valued RDN sorted; RDNs joined by
//! `,` without spaces. `CN=Zaimu Users, OU=Groups,DC=City` and `cn=zaimu users,ou=groups,dc=city`
//! have the same normal form; `cn=zaimu users,ou=other,dc=city` does not.

/// Why a string is not a DN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    /// The string is empty.
    #[error("empty DN")]
    Empty,
    /// An RDN has no `=` or an empty attribute type.
    #[error("RDN `{0}` is not `type=value`")]
    NotTypeValue(String),
    /// A `\` is followed by something that is neither a special character nor two hex digits.
    #[error("bad escape in `{0}`")]
    BadEscape(String),
    /// A value decodes to bytes that are not UTF-8.
    #[error("value in `{0}` is not UTF-8")]
    NotUtf8(String),
}

/// The normal form of `dn`.
pub fn normalise_dn(dn: &str) -> Result<String, DnError> {
    if dn.trim().is_empty() {
        return Err(DnError::Empty);
    }
    let mut rdns = Vec::new();
    for rdn in split_unescaped(dn, ',') {
        let mut avas = Vec::new();
        for ava in split_unescaped(rdn, '+') {
            let (kind, value) = ava
                .split_once('=')
                .ok_or_else(|| DnError::NotTypeValue(rdn.to_owned()))?;
            let kind = kind.trim().to_ascii_lowercase();
            if kind.is_empty() {
                return Err(DnError::NotTypeValue(rdn.to_owned()));
            }
            let value = unescape(value.trim_start(), ava)?.to_lowercase();
            avas.push(format!("{kind}={}", escape(&value)));
        }
        avas.sort();
        rdns.push(avas.join("+"));
    }
    Ok(rdns.join(","))
}

/// A group as configuration names it, ready for [`crate::Identity::in_group`]: a DN in its
/// normal form, a plain name unchanged.
pub fn normalise_group(group: &str) -> Result<String, DnError> {
    if looks_like_dn(group) {
        normalise_dn(group)
    } else {
        Ok(group.to_owned())
    }
}

/// Whether `text` looks like a DN rather than a plain group name.
pub fn looks_like_dn(text: &str) -> bool {
    text.contains('=')
}

/// Split on `sep` where it is not escaped by a backslash.
fn split_unescaped(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Decode RFC 4514 escapes (`\,` and `\2C` alike) and drop unescaped trailing spaces.
fn unescape(value: &str, context: &str) -> Result<String, DnError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    // Length of `out` up to the last character that must be kept (escaped or not a space).
    let mut keep = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 3;
            } else if let Some(&c) = bytes.get(i + 1) {
                out.push(c);
                i += 2;
            } else {
                return Err(DnError::BadEscape(context.to_owned()));
            }
            keep = out.len();
        } else {
            out.push(bytes[i]);
            if bytes[i] != b' ' {
                keep = out.len();
            }
            i += 1;
        }
    }
    out.truncate(keep);
    String::from_utf8(out).map_err(|_| DnError::NotUtf8(context.to_owned()))
}

/// Escape a value the one canonical way.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if c == '\0' {
            out.push_str("\\00");
        } else {
            if special {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(dn: &str) -> String {
        normalise_dn(dn).unwrap()
    }

    #[test]
    fn case_and_spacing_do_not_matter() {
        assert_eq!(
            n("CN=Zaimu Users, OU=Groups ,DC=City,DC=example"),
            "cn=zaimu users,ou=groups,dc=city,dc=example"
        );
        assert_eq!(n("cn=財務課,ou=組織"), "cn=財務課,ou=組織");
    }

    #[test]
    fn the_whole_dn_counts_not_the_first_rdn() {
        assert_ne!(
            n("cn=admins,ou=finance,dc=city"),
            n("cn=admins,ou=contractors,dc=city")
        );
    }

    #[test]
    fn hex_and_character_escapes_agree() {
        assert_eq!(n("cn=Tanaka\\, Taro,dc=x"), n("cn=Tanaka\\2C Taro,dc=x"));
        assert_eq!(n("cn=Tanaka\\2c Taro,dc=x"), "cn=tanaka\\, taro,dc=x");
        // UTF-8 written as hex escapes, as some servers return it.
        assert_eq!(n("cn=\\E7\\94\\B0\\E4\\B8\\AD,dc=x"), "cn=田中,dc=x");
    }

    #[test]
    fn escaped_trailing_space_is_kept() {
        assert_eq!(n("cn=a\\ ,dc=x"), "cn=a\\ ,dc=x");
        assert_eq!(n("cn=a  ,dc=x"), "cn=a,dc=x");
    }

    #[test]
    fn multi_valued_rdns_are_sorted() {
        assert_eq!(n("uid=t+CN=Tanaka,dc=x"), n("cn=tanaka+uid=t,dc=x"));
    }

    #[test]
    fn malformed_dns_are_errors() {
        assert_eq!(normalise_dn(""), Err(DnError::Empty));
        assert!(matches!(
            normalise_dn("justaname"),
            Err(DnError::NotTypeValue(_))
        ));
        assert!(matches!(
            normalise_dn("=x,dc=y"),
            Err(DnError::NotTypeValue(_))
        ));
        assert!(matches!(normalise_dn("cn=x\\"), Err(DnError::BadEscape(_))));
        assert!(matches!(
            normalise_dn("cn=\\FF\\FE"),
            Err(DnError::NotUtf8(_))
        ));
    }
}
