//! The one error type of the app's request handling, [`AppError`]. It says what went wrong in
//! domain terms and what the user is told; `routes.rs` turns it into an HTTP response.

use crate::i18n::Lang;

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request carried no valid identity assertion from the gateway.
    #[error("no valid identity assertion")]
    Unauthenticated,
    /// Nothing lives at the requested path.
    #[error("not found")]
    NotFound,
    /// The signed-in user is not in the organisation tables, or has retired.
    #[error("not current staff")]
    NotStaff,
    /// The user may not do this (not their booking, not in their administrator scope, ...).
    #[error("forbidden")]
    Forbidden,
    /// A form came back without the session's CSRF token: a forged or stale post.
    #[error("form without a valid CSRF token")]
    Csrf,
    /// The database failed; a lock wait that ran out ([`is_busy`]) counts as
    /// [`Severity::Busy`], anything else as internal.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A page template failed to render.
    #[error("cannot render page: {0}")]
    Render(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A security-relevant action was done but the audit log could not record it
    /// (`[audit] on_failure = "fail_closed"`).
    #[error("the audit log could not record an administrative action")]
    AuditUnavailable,
}

/// How bad an error is, which decides its status and whether it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The user has no valid identity (HTTP 401).
    Unauthenticated,
    /// The user asked for something that does not exist (HTTP 404).
    NotFound,
    /// The user may not do what they asked, or the form was forged or stale (HTTP 403).
    Forbidden,
    /// The database could not take the request in time because others held its locks
    /// (HTTP 503 with `Retry-After`): nothing was written, and trying again shortly works.
    Busy,
    /// Our fault; logged with its details (HTTP 500).
    Internal,
}

/// What a busy database tells the user, in Japanese; a form shows it above the input it
/// kept.
pub const BUSY_JA: &str = "ただいま混み合っています。しばらくしてからもう一度お試しください。";
/// What a busy database tells the user, in English.
pub const BUSY_EN: &str = "The system is busy right now. Please try again in a moment.";

/// Whether `error` means that the database was busy rather than broken: SQLite's
/// `SQLITE_BUSY` or `SQLITE_LOCKED` (a writer waited longer than `busy_timeout` for the write
/// lock: "database is locked"), PostgreSQL's lock and serialisation failures (`55P03`
/// lock_not_available, `40001` serialization_failure, `40P01` deadlock_detected), or no free
/// connection in the pool within its acquire timeout.
pub fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or_default();
            // SQLite reports extended codes (`517` is SQLITE_BUSY_SNAPSHOT); the primary code
            // is the low byte.
            let sqlite_busy = code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
            sqlite_busy
                || matches!(code, "55P03" | "40001" | "40P01")
                || db.message().contains("database is locked")
        }
        _ => false,
    }
}

/// The busy message in `lang`, for a form shown again with its input kept.
pub fn busy_notice(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => BUSY_JA,
        Lang::En => BUSY_EN,
    }
}

impl AppError {
    /// Whether the database was busy (see [`is_busy`]): the user should try again shortly.
    pub fn is_busy(&self) -> bool {
        matches!(self, AppError::Database(error) if is_busy(error))
    }

    /// How bad the error is.
    pub fn severity(&self) -> Severity {
        match self {
            AppError::Unauthenticated => Severity::Unauthenticated,
            AppError::NotFound => Severity::NotFound,
            AppError::Forbidden | AppError::Csrf | AppError::NotStaff => Severity::Forbidden,
            AppError::Database(error) if is_busy(error) => Severity::Busy,
            AppError::Database(_) | AppError::Render(_) | AppError::AuditUnavailable => {
                Severity::Internal
            }
        }
    }

    /// What the user is told: Japanese first, then English; never internals.
    pub fn public_message(&self) -> &'static str {
        if let AppError::Csrf = self {
            return "フォームの有効期限が切れたか、正しくない送信です。\
                    ページを再読み込みしてからもう一度操作してください。\n\
                    The form has expired or was not sent from this site. \
                    Reload the page and try again.\n";
        }
        if let AppError::AuditUnavailable = self {
            return "操作は行われましたが、監査ログに記録できませんでした。\
                    情報化戦略部へご連絡ください。\n\
                    The action was done, but the audit log could not record it. \
                    Please contact IT.\n";
        }
        if let AppError::NotStaff = self {
            return "職員として登録されていないか、退職済みのため利用できません。\n\
                    You are not registered as current staff of the city.\n";
        }
        match self.severity() {
            Severity::Unauthenticated => {
                "認証が必要です。Yakuba にはゲートウェイからログインしてアクセスしてください。\n\
                 Authentication required: sign in through the Yakuba gateway.\n"
            }
            Severity::NotFound => {
                "ページが見つかりません。\nThe page you asked for does not exist.\n"
            }
            Severity::Forbidden => {
                "この操作を行う権限がありません。\nYou are not allowed to do this.\n"
            }
            Severity::Busy => {
                "ただいま混み合っています。しばらくしてからもう一度お試しください。\n\
                 The system is busy right now. Please try again in a moment.\n"
            }
            Severity::Internal => {
                "システムエラーが発生しました。しばらくしてからもう一度お試しください。\
                 解決しない場合は情報システム担当にお問い合わせください。\n\
                 Something went wrong on our side. Please try again later.\n"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_tell_the_user_nothing_about_internals() {
        let error = AppError::Database(sqlx::Error::Protocol("pool of sockets".into()));
        assert_eq!(error.severity(), Severity::Internal);
        assert!(!error.public_message().contains("pool"));
        assert!(error.public_message().starts_with("システムエラー"));
    }

    #[test]
    fn each_error_has_its_own_severity() {
        assert_eq!(
            AppError::Unauthenticated.severity(),
            Severity::Unauthenticated
        );
        assert_eq!(AppError::NotFound.severity(), Severity::NotFound);
        assert!(AppError::Unauthenticated.public_message().contains("認証"));
        assert_eq!(AppError::Forbidden.severity(), Severity::Forbidden);
        assert_eq!(AppError::Csrf.severity(), Severity::Forbidden);
        assert!(AppError::Forbidden.public_message().contains("権限"));
        assert!(AppError::Csrf.public_message().contains("再読み込み"));
    }

    #[test]
    fn a_pool_without_a_free_connection_is_busy_not_broken() {
        let error = AppError::Database(sqlx::Error::PoolTimedOut);
        assert_eq!(error.severity(), Severity::Busy);
        assert!(error.public_message().starts_with(BUSY_JA));
        assert!(error.public_message().contains(BUSY_EN));
        assert!(!is_busy(&sqlx::Error::RowNotFound));
    }
}
