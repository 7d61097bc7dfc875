//! `database`: which database the app keeps its data in, as a URL that never shows its
//! password.

use std::fmt;
use std::path::PathBuf;

/// Which database the app keeps its data in.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file, created if missing; a relative path resolves against the current
    /// directory.
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// A PostgreSQL server.
    Postgres {
        /// The full `postgres://` URL, password included; never logged (see `Display`).
        url: url::Url,
    },
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH` (also `sqlite:PATH`) or `postgres://...` (also `postgresql://`).
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        if let Some(rest) = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if rest.contains('?') {
                return Err(format!(
                    "`{text}`: SQLite options in the URL are not supported; the app sets them"
                ));
            }
            if path.is_empty() || path == ":memory:" {
                return Err(format!(
                    "`{text}` names no file; an in-memory database would lose all data on restart"
                ));
            }
            return Ok(DatabaseUrl::Sqlite { path: path.into() });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let url =
                url::Url::parse(text).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err("the PostgreSQL URL names no host".to_owned());
            }
            return Ok(DatabaseUrl::Postgres { url });
        }
        Err(format!(
            "`{}` is neither `sqlite://PATH` nor `postgres://...`",
            redact_text(text)
        ))
    }

    /// The backend this URL selects.
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite { .. } => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        }
    }
}

/// Hides whatever sits between `://` and `@`, where a password would be, in text that did not
/// parse as a URL.
fn redact_text(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &text[..scheme_end], &text[at..])
        }
        _ => text.to_owned(),
    }
}

/// Shows the database without its password, so it can go into logs.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres { url } => {
                let mut shown = url.clone();
                if shown.password().is_some() {
                    // Only fails for URLs that cannot have a password, which this one has.
                    let _ = shown.set_password(Some("***"));
                }
                write!(f, "{shown}")
            }
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// A database backend; each has its own migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}
