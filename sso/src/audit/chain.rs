//! The hash chain: each line carries the SHA-256 of the line before it, and the parts of a
//! written line that reading tools need ([`Probe`]), parsed without building the whole
//! record.

use std::borrow::Cow;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// The `prev` of the first record a stream ever writes.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of one line (without its newline), in lowercase hex.
pub fn line_hash(line: &[u8]) -> String {
    hex(&Sha256::digest(line))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The fields of a written line that verification, indexing and search read.
#[derive(Debug, Deserialize, Default)]
pub struct Probe<'a> {
    /// `@timestamp`.
    #[serde(rename = "@timestamp", borrow, default)]
    pub timestamp: Cow<'a, str>,
    /// `event`.
    #[serde(borrow, default)]
    pub event: ProbeEvent<'a>,
    /// `user`.
    #[serde(borrow, default)]
    pub user: Option<ProbeUser<'a>>,
    /// `http`.
    #[serde(default)]
    pub http: Option<ProbeHttp>,
    /// `yakuba`.
    #[serde(borrow, default)]
    pub yakuba: ProbeYakuba<'a>,
}

/// `event` of a [`Probe`].
#[derive(Debug, Deserialize, Default)]
pub struct ProbeEvent<'a> {
    /// `event.action`.
    #[serde(borrow, default)]
    pub action: Cow<'a, str>,
    /// `event.reason`.
    #[serde(borrow, default)]
    pub reason: Cow<'a, str>,
}

/// `user` of a [`Probe`].
#[derive(Debug, Deserialize, Default)]
pub struct ProbeUser<'a> {
    /// `user.name`.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// `user.target`.
    #[serde(borrow, default)]
    pub target: Option<ProbeTarget<'a>>,
}

/// `user.target` of a [`Probe`].
#[derive(Debug, Deserialize, Default)]
pub struct ProbeTarget<'a> {
    /// `user.target.name`.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
}

/// `http` of a [`Probe`].
#[derive(Debug, Deserialize, Default)]
pub struct ProbeHttp {
    /// `http.response`.
    #[serde(default)]
    pub response: Option<ProbeResponse>,
}

/// `http.response` of a [`Probe`].
#[derive(Debug, Deserialize, Default)]
pub struct ProbeResponse {
    /// `http.response.status_code`.
    #[serde(default)]
    pub status_code: Option<u16>,
}

/// `yakuba` of a [`Probe`].
#[derive(Debug, Deserialize, Default)]
pub struct ProbeYakuba<'a> {
    /// `yakuba.decision`.
    #[serde(borrow, default)]
    pub decision: Option<Cow<'a, str>>,
    /// `yakuba.route`.
    #[serde(borrow, default)]
    pub route: Option<Cow<'a, str>>,
    /// `yakuba.chain`.
    #[serde(borrow, default)]
    pub chain: Option<ProbeLink<'a>>,
    /// `yakuba.seal`, kept whole for checking.
    #[serde(default)]
    pub seal: Option<serde_json::Value>,
    /// `yakuba.detail`, kept whole (segment openers and prune records carry chain facts).
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

/// `yakuba.chain` of a [`Probe`].
#[derive(Debug, Deserialize, Default)]
pub struct ProbeLink<'a> {
    /// Sequence number.
    #[serde(default)]
    pub seq: u64,
    /// Hash of the previous line.
    #[serde(borrow, default)]
    pub prev: Cow<'a, str>,
}

impl<'a> Probe<'a> {
    /// Parse one line.
    pub fn parse(line: &'a str) -> Option<Probe<'a>> {
        serde_json::from_str(line).ok()
    }

    /// `@timestamp` as Unix milliseconds.
    pub fn time_ms(&self) -> Option<i64> {
        parse_timestamp(&self.timestamp)
    }

    /// The user acted on, else the user who acted: what a search "by user" matches, together
    /// with [`Probe::actor`].
    pub fn users(&self) -> impl Iterator<Item = &str> {
        let user = self.user.as_ref();
        user.and_then(|u| u.name.as_deref())
            .into_iter()
            .chain(user.and_then(|u| u.target.as_ref()?.name.as_deref()))
    }

    /// `http.response.status_code`.
    pub fn status(&self) -> Option<u16> {
        self.http.as_ref()?.response.as_ref()?.status_code
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (the only form records are written in) as Unix milliseconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'.' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let mut n = 0i64;
        for &c in &b[range] {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(c - b'0');
        }
        Some(n)
    };
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)?).ok()?,
        time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?,
        u8::try_from(num(8..10)?).ok()?,
    )
    .ok()?;
    let days = i64::from(date.to_julian_day())
        - i64::from(
            time::Date::from_calendar_date(1970, time::Month::January, 1)
                .ok()?
                .to_julian_day(),
        );
    let secs = days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?;
    Some(secs * 1000 + num(20..23)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::format_ms;

    #[test]
    fn timestamps_read_back_as_written() {
        for ms in [0, 1_775_032_200_123, 1_800_000_000_999] {
            assert_eq!(parse_timestamp(&format_ms(ms)), Some(ms));
        }
        assert_eq!(parse_timestamp("2026-04-01T08:30:00Z"), None);
        assert_eq!(parse_timestamp("2026-13-01T08:30:00.000Z"), None);
    }

    #[test]
    fn hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            line_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(GENESIS.len(), 64);
    }
}
