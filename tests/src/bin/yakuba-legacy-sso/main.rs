//! Stand-ins for legacy business systems that each expect identity in a different single
//! sign-on style: a signed JWT checked against the gateway's JWKS (`--style jwt`), HTTP Basic
//! authentication (`--style basic`), and an old Shift_JIS login form with its own session
//! cookie (`--style form`). Used by the whole-system tests and the demo; not product code.

mod accounts;
mod basic;
mod form;
mod jwt;
mod markup;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};

use crate::accounts::Account;

/// How the sample system expects to learn who the user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Style {
    /// Verify the gateway's signed assertion with its published JWKS.
    Jwt,
    /// HTTP Basic authentication against `--account` entries.
    Basic,
    /// Its own login form (Shift_JIS by default, always gzip) and session cookie.
    Form,
}

/// Character set of the form-style system's pages and submitted forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Charset {
    /// Shift_JIS (encoded as Windows-31J, as browsers do).
    #[value(name = "shift_jis", alias = "shift-jis", alias = "sjis")]
    ShiftJis,
    /// EUC-JP.
    #[value(name = "euc-jp", alias = "euc_jp")]
    EucJp,
    /// UTF-8.
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
}

impl Charset {
    /// The encoding that turns page text into bytes and form bytes into text.
    fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            Charset::ShiftJis => encoding_rs::SHIFT_JIS,
            Charset::EucJp => encoding_rs::EUC_JP,
            Charset::Utf8 => encoding_rs::UTF_8,
        }
    }

    /// The label written in `Content-Type` and the page's `<meta>`.
    fn label(self) -> &'static str {
        match self {
            Charset::ShiftJis => "Shift_JIS",
            Charset::EucJp => "EUC-JP",
            Charset::Utf8 => "UTF-8",
        }
    }
}

/// A sample legacy system expecting one single sign-on style (a test and demo stand-in).
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on (loopback only in tests and demos).
    #[arg(long)]
    listen: SocketAddr,
    /// The system's Japanese name, shown on its pages.
    #[arg(long)]
    name: String,
    /// Which single sign-on style this system expects.
    #[arg(long, value_enum)]
    style: Style,

    /// jwt: where the gateway publishes its keys (`https://127.0.0.1:PORT/.yakuba/jwks.json`).
    #[arg(long)]
    jwks_url: Option<String>,
    /// jwt: PEM certificate to trust for the JWKS URL (the gateway's self-signed one). No other
    /// root is trusted.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// jwt: the audience this system accepts (the route's `audience`).
    #[arg(long)]
    audience: Option<String>,
    /// jwt: the issuer this system accepts.
    #[arg(long, default_value = "yakuba-gateway")]
    issuer: String,
    /// jwt: clock skew tolerated on `exp` and `nbf`, in seconds.
    #[arg(long, default_value_t = 5)]
    leeway: u64,

    /// basic, form: an account as `LOGIN:PASSWORD` (repeatable; UTF-8, the password may
    /// contain `:`).
    #[arg(long = "account", value_name = "LOGIN:PASSWORD")]
    accounts: Vec<Account>,
    /// form: character set of the pages and of submitted forms.
    #[arg(long, value_enum, default_value = "shift_jis")]
    charset: Charset,
    /// form: name of the session cookie.
    #[arg(long, default_value = "LEGACYSESSID")]
    session_cookie: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        bail!("--listen must be a loopback address, not {}", args.listen);
    }
    let app = match args.style {
        Style::Jwt => {
            let (Some(jwks_url), Some(audience)) = (args.jwks_url, args.audience) else {
                bail!("--style jwt needs --jwks-url and --audience");
            };
            jwt::router(jwt::Settings {
                name: args.name,
                jwks_url,
                ca: args.ca,
                audience,
                issuer: args.issuer,
                leeway: args.leeway,
            })?
        }
        Style::Basic => {
            if args.accounts.is_empty() {
                bail!("--style basic needs at least one --account LOGIN:PASSWORD");
            }
            basic::router(args.name, args.accounts)
        }
        Style::Form => {
            if args.accounts.is_empty() {
                bail!("--style form needs at least one --account LOGIN:PASSWORD");
            }
            form::router(form::Settings {
                name: args.name,
                accounts: args.accounts,
                charset: args.charset,
                session_cookie: args.session_cookie,
            })?
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server failed")?;
    Ok(())
}
