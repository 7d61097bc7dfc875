//! Query strings made safe for an audit record: the value of every parameter whose name may
//! carry a secret (passwords, tokens, OAuth codes) is replaced by `REDACTED`.

use std::borrow::Cow;

/// Query parameter names whose values are replaced by `REDACTED`: any name containing one of
/// these (ASCII case ignored).
const SECRET_NAME_PARTS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "session",
    "auth",
    "credential",
    "ticket",
    "signature",
    "assertion",
    "saml",
    "cookie",
    "apikey",
    "api_key",
    "private",
];

/// Query parameter names that are secrets only when they are the whole name (`code` is the
/// OAuth authorization code, `state` and `nonce` bind an OpenID login to a browser).
const SECRET_NAMES: &[&str] = &[
    "code", "state", "nonce", "key", "sid", "sig", "otp", "pin", "jwt", "hash",
];

/// Whether a query parameter of this name may carry a secret.
fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| lower.contains(part)) || SECRET_NAMES.contains(&&*lower)
}

/// The query string with the value of every parameter that may carry a secret replaced by
/// `REDACTED`. Names are compared after percent-decoding, and the rest of the query is kept
/// byte for byte. A parameter without `=` is kept only if its name is harmless.
pub fn redact_query(query: &str) -> Cow<'_, str> {
    let needs = query.split('&').any(|pair| {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        is_secret_name(&decode_name(name))
    });
    if !needs {
        return Cow::Borrowed(query);
    }
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        if is_secret_name(&decode_name(name)) {
            out.push_str(name);
            out.push_str("=REDACTED");
        } else {
            out.push_str(pair);
        }
    }
    Cow::Owned(out)
}

fn decode_name(name: &str) -> Cow<'_, str> {
    if !name.contains(['%', '+']) {
        return Cow::Borrowed(name);
    }
    let plus = name.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&plus)
            .decode_utf8_lossy()
            .into_owned(),
    )
}
