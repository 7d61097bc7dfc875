//! Logging staff into legacy business systems through their own HTML login page: recognising
//! that page, finding and filling in its form, posting it in the system's charset, and
//! replaying the whole login over HTTP with credentials the gateway takes from its vault.
//!
//! This is the part that knows no proxy framework. The gateway decides when to replay (its
//! route has a [`FormLoginSettings`] and the upstream answered with its login page), calls
//! [`replay`], and hands the resulting cookies to the browser. Passwords and cookie values
//! never appear in errors, logs or `Debug` output.

mod body;
mod cookie;
mod encode;
mod form;
mod page;
mod replay;
mod settings;

pub use body::{decompress, page_encoding};
pub use cookie::set_cookie_pair;
pub use encode::encode_form;
pub use form::{LoginForm, find_login_form, is_login_page};
pub use replay::{ReplayOutcome, replay};
pub use settings::{Charset, FormLoginSettings};

/// Largest body (after decompression) read from a legacy system: 4 MiB.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Why a form login could not be replayed. No message contains a password or a cookie value.
#[derive(Debug, thiserror::Error)]
pub enum FormLoginError {
    /// The system could not be reached, or stopped answering (the source says how; its URL
    /// is stripped, since a form action may carry a session id).
    #[error("cannot reach the system")]
    Http(#[source] reqwest::Error),
    /// The system answered with a status that is neither a page nor a redirect.
    #[error("the system answered with status {0}")]
    Status(u16),
    /// The login page has no login form (or only a GET one).
    #[error("no login form on the login page")]
    NoForm,
    /// A body could not be read: corrupt, too large, or in an unknown content coding.
    #[error("unreadable response body: {0}")]
    Body(String),
    /// A field (its name given, never its value) has a character the charset cannot write.
    #[error("the {field:?} field has characters that {charset} cannot write")]
    Unencodable {
        /// The field's name.
        field: String,
        /// The charset's name (`Shift_JIS`, `EUC-JP`).
        charset: &'static str,
    },
    /// The login form posts to another origin than the system's: credentials are not sent.
    #[error("the login form posts to another origin")]
    ForeignAction,
    /// The login page redirects to another origin (the page is fetched only on the system).
    #[error("the login page redirects to another origin")]
    ForeignRedirect,
    /// The configured login path is not an absolute path on the system.
    #[error("the login path {0:?} is not an absolute path on the system")]
    LoginPath(String),
    /// An extra header given to [`replay`] is not a valid HTTP header.
    #[error("the header {0:?} is not a valid HTTP header")]
    Header(String),
    /// The HTTP client followed a redirect by itself, losing the cookies sent on the way:
    /// build it with `reqwest::redirect::Policy::none()`.
    #[error("the HTTP client follows redirects; build it with redirect::Policy::none()")]
    ClientFollowsRedirects,
}
