//! Times typed by people searching the audit log: RFC 3339 with a zone, or a date and time
//! without one, taken as Japan Standard Time (what staff and security teams in a Japanese
//! city hall mean).

use super::segment::JST_OFFSET_SECS;

/// Parse `2026-04-01`, `2026-04-01T09:00`, `2026-04-01 09:00:30`, `2026-04-01T09:00:00.250`,
/// each optionally followed by `Z`, `+09:00` or `+0900`; without a zone the time is JST. A
/// bare date means the start of that day, or with `end_of_day` the start of the next (for an
/// exclusive upper bound). Returns Unix milliseconds.
pub fn parse_time(text: &str, end_of_day: bool) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{text}` is not a time: use 2026-04-01, 2026-04-01T09:00 (JST) or 2026-04-01T00:00:00Z"
        )
    };
    let text = text.trim();
    let (date_part, rest) = text.split_at(text.len().min(10));
    let date = parse_date(date_part).ok_or_else(bad)?;
    let day_ms = (i64::from(date.to_julian_day()) - 2_440_588) * 86_400_000;
    if rest.is_empty() {
        let day = day_ms - JST_OFFSET_SECS * 1000;
        return Ok(if end_of_day { day + 86_400_000 } else { day });
    }
    let rest = rest.strip_prefix(['T', ' ']).ok_or_else(bad)?;
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let offset_secs = match zone {
        "" => JST_OFFSET_SECS,
        "Z" | "z" => 0,
        z => parse_offset(z).ok_or_else(bad)?,
    };
    let clock_ms = parse_clock(clock).ok_or_else(bad)?;
    Ok(day_ms + clock_ms - offset_secs * 1000)
}

fn digits(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn parse_date(text: &str) -> Option<time::Date> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    time::Date::from_calendar_date(
        i32::try_from(digits(y)?).ok()?,
        time::Month::try_from(u8::try_from(digits(m)?).ok()?).ok()?,
        u8::try_from(digits(d)?).ok()?,
    )
    .ok()
}

fn parse_clock(text: &str) -> Option<i64> {
    let (hms, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = hms.split(':');
    let h = digits(parts.next()?)?;
    let m = digits(parts.next()?)?;
    let s = parts.next().map_or(Some(0), digits)?;
    if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let ms = if fraction.is_empty() {
        0
    } else {
        let padded: String = fraction.chars().chain("000".chars()).take(3).collect();
        digits(&padded)?
    };
    Some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

fn parse_offset(text: &str) -> Option<i64> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = text[1..].replace(':', "");
    if body.len() != 4 {
        return None;
    }
    let (h, m) = body.split_at(2);
    Some(sign * (digits(h)? * 3600 + digits(m)? * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_without_a_zone_are_jst_and_dates_cover_whole_days() {
        // 2026-04-01T00:00:00Z
        let utc_midnight = 1_775_001_600_000;
        let jst = 9 * 3_600_000;
        let cases = [
            ("2026-04-01T00:00:00Z", false, utc_midnight),
            ("2026-04-01T09:00", false, utc_midnight),
            ("2026-04-01 09:00:30", false, utc_midnight + 30_000),
            ("2026-04-01T09:00:00.25", false, utc_midnight + 250),
            ("2026-04-01T09:00:00+09:00", false, utc_midnight),
            ("2026-04-01T10:00:00+1000", false, utc_midnight),
            ("2026-04-01", false, utc_midnight - jst),
            ("2026-04-01", true, utc_midnight - jst + 86_400_000),
        ];
        for (text, end, expected) in cases {
            assert_eq!(parse_time(text, end), Ok(expected), "{text}");
        }
        for bad in [
            "yesterday",
            "2026-4-1",
            "2026-04-01T25:00",
            "2026-04-01X09:00",
            "2026-04-01T09:00+9",
        ] {
            assert!(parse_time(bad, false).is_err(), "{bad}");
        }
    }
}
