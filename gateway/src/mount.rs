//! Systems mounted under a path prefix although they think they own the whole site: the
//! prefix comes off the request path, and goes back onto what the responses say about paths
//! (`Location`, and `Path=` of `Set-Cookie`), so that a legacy system's redirects and cookies
//! stay under its own prefix and never reach another route.

/// The upstream path for canonical `path` on a route mounted at `prefix` (no trailing
/// slash): `/zaimu/menu` → `/menu`, `/zaimu` → `/`.
pub fn strip(prefix: &str, path: &str) -> String {
    match path.strip_prefix(prefix) {
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A `Location` from the upstream, put under `prefix`: root-relative paths get the prefix,
/// and absolute URLs naming the upstream's own address (`upstream_authority`, or the
/// `Host` it was sent) become root-relative ones under the prefix. Anything else (another
/// site, a relative reference) is left alone.
pub fn location(prefix: &str, value: &str, own_authorities: &[&str]) -> String {
    if value.starts_with('/') && !value.starts_with("//") {
        return format!("{prefix}{value}");
    }
    for scheme in ["http://", "https://"] {
        if let Some(rest) = value.strip_prefix(scheme) {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if own_authorities
                .iter()
                .any(|a| !a.is_empty() && a.eq_ignore_ascii_case(authority))
            {
                let path = if path.is_empty() { "/" } else { path };
                return format!("{prefix}{path}");
            }
        }
    }
    value.to_owned()
}

/// A `Set-Cookie` from the upstream with its `Path` put under `prefix` (a cookie without one
/// gets the prefix, so it is never sent to other routes).
pub fn set_cookie(prefix: &str, value: &str) -> String {
    let mut parts: Vec<String> = value.split(';').map(|p| p.trim().to_owned()).collect();
    let mut has_path = false;
    for part in parts.iter_mut().skip(1) {
        if let Some((key, path)) = part.split_once('=')
            && key.trim().eq_ignore_ascii_case("path")
        {
            has_path = true;
            let path = path.trim();
            *part = if path.starts_with('/') {
                format!("Path={prefix}{}", path.trim_end_matches('/'))
            } else {
                format!("Path={prefix}")
            };
        }
    }
    if !has_path {
        parts.push(format!("Path={prefix}"));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_the_prefix_going_up() {
        assert_eq!(strip("/zaimu", "/zaimu/menu/top"), "/menu/top");
        assert_eq!(strip("/zaimu", "/zaimu/"), "/");
        assert_eq!(strip("/zaimu", "/zaimu"), "/");
    }

    #[test]
    fn redirects_stay_under_the_prefix() {
        let own = ["127.0.0.1:18712", "zaimu.internal"];
        assert_eq!(
            location("/zaimu", "/menu/top?x=1", &own),
            "/zaimu/menu/top?x=1"
        );
        assert_eq!(
            location("/zaimu", "http://127.0.0.1:18712/menu", &own),
            "/zaimu/menu"
        );
        assert_eq!(location("/zaimu", "http://ZAIMU.internal", &own), "/zaimu/");
        // Other sites and protocol-relative or relative references are not ours to change.
        assert_eq!(
            location("/zaimu", "https://www.city.example/", &own),
            "https://www.city.example/"
        );
        assert_eq!(location("/zaimu", "//evil/", &own), "//evil/");
        assert_eq!(location("/zaimu", "next", &own), "next");
    }

    #[test]
    fn cookie_paths_stay_under_the_prefix() {
        assert_eq!(
            set_cookie("/zaimu", "S=abc; Path=/; HttpOnly"),
            "S=abc; Path=/zaimu; HttpOnly"
        );
        assert_eq!(
            set_cookie("/zaimu", "P=ja; path=/menu"),
            "P=ja; Path=/zaimu/menu"
        );
        assert_eq!(set_cookie("/zaimu", "N=1"), "N=1; Path=/zaimu");
    }
}
