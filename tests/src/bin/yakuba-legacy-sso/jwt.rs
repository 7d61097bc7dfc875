//! `--style jwt`: a third-party system that verifies the gateway's signed assertion itself,
//! with `jsonwebtoken` and the gateway's published JWKS, not with Yakuba's own verifier.
//!
//! The key set is fetched on first need and fetched again, at most once per request, when a
//! token names a `kid` the cached set lacks (key rotation).
//!
//! - `…/_whoami`: 200 `{"system", "sub", "claims"}`, or 401 `{"error": CODE, "detail"}`.
//! - `GET /_stats`: `{"ok", "refused", "jwks_fetches"}`.
//! - any other path: an HTML page with the verified user's name and department, or 401.
//!
//! A key set that cannot be fetched is the system's trouble, not the token's: 503 with error
//! `jwks_unavailable`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::markup::{document, escape};

/// The header the gateway puts the assertion in.
const HEADER: &str = sso::assertion::HEADER;

/// What the jwt-style system is told on the command line.
#[derive(Debug)]
pub struct Settings {
    /// Japanese system name.
    pub name: String,
    /// The gateway's JWKS URL.
    pub jwks_url: String,
    /// The only certificate trusted for the JWKS URL.
    pub ca: Option<PathBuf>,
    /// The accepted audience.
    pub audience: String,
    /// The accepted issuer.
    pub issuer: String,
    /// Clock skew tolerated, in seconds.
    pub leeway: u64,
}

struct Jwt {
    name: String,
    verifier: Verifier,
    ok: AtomicU64,
    refused: AtomicU64,
}

/// The jwt-style system.
pub fn router(settings: Settings) -> anyhow::Result<Router> {
    let mut client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(10));
    if let Some(ca) = &settings.ca {
        let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .with_context(|| format!("no PEM certificate in {}", ca.display()))?;
        client = client.add_root_certificate(cert);
    }
    let verifier = Verifier {
        client: client.build().context("cannot build the HTTPS client")?,
        jwks_url: settings.jwks_url,
        audience: settings.audience,
        issuer: settings.issuer,
        leeway: settings.leeway,
        keys: tokio::sync::Mutex::new(None),
        fetches: AtomicU64::new(0),
    };
    let state = Arc::new(Jwt {
        name: settings.name,
        verifier,
        ok: AtomicU64::new(0),
        refused: AtomicU64::new(0),
    });
    Ok(Router::new().fallback(handle).with_state(state))
}

/// Why a request was not accepted: an HTTP status, a short code for tests and a detail.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    detail: String,
}

impl Refusal {
    fn new(code: &'static str, detail: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            code,
            detail: detail.into(),
        }
    }
}

/// Checks assertions against the gateway's key set.
struct Verifier {
    client: reqwest::Client,
    jwks_url: String,
    audience: String,
    issuer: String,
    leeway: u64,
    /// The cached key set; the lock also keeps concurrent requests from fetching it twice.
    keys: tokio::sync::Mutex<Option<JwkSet>>,
    fetches: AtomicU64,
}

impl Verifier {
    /// Verify `token` and return all its claims.
    async fn verify(&self, token: &str) -> Result<Map<String, Value>, Refusal> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| Refusal::new("malformed", format!("cannot read the JWT header: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(Refusal::new(
                "wrong_algorithm",
                format!("expected EdDSA, got {:?}", header.alg),
            ));
        }
        let kid = header
            .kid
            .ok_or_else(|| Refusal::new("no_kid", "the JWT header names no key (kid)"))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                let code = match e.kind() {
                    ErrorKind::ExpiredSignature => "expired",
                    ErrorKind::ImmatureSignature => "not_yet_valid",
                    ErrorKind::InvalidAudience => "wrong_audience",
                    ErrorKind::InvalidIssuer => "wrong_issuer",
                    ErrorKind::InvalidSignature => "bad_signature",
                    ErrorKind::InvalidAlgorithm => "wrong_algorithm",
                    ErrorKind::MissingRequiredClaim(_) => "missing_claim",
                    _ => "malformed",
                };
                Refusal::new(code, e.to_string())
            })
    }

    /// The decoding key named `kid`, fetching the key set when none is cached yet and once
    /// more when the cached set does not know `kid`.
    async fn key(&self, kid: &str) -> Result<DecodingKey, Refusal> {
        let mut cached = self.keys.lock().await;
        let mut fetched = false;
        if cached.is_none() {
            *cached = Some(self.fetch().await?);
            fetched = true;
        }
        let known = cached.as_ref().is_some_and(|set| set.find(kid).is_some());
        if !known && !fetched {
            *cached = Some(self.fetch().await?);
        }
        let jwk = cached
            .as_ref()
            .and_then(|set| set.find(kid))
            .ok_or_else(|| Refusal::new("unknown_kid", format!("no key {kid:?} in the JWKS")))?;
        if jwk
            .common
            .key_algorithm
            .is_some_and(|alg| alg != KeyAlgorithm::EdDSA)
        {
            return Err(Refusal::new("wrong_algorithm", "the JWK is not for EdDSA"));
        }
        match &jwk.algorithm {
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                DecodingKey::from_jwk(jwk).map_err(|e| Refusal::new("bad_key", e.to_string()))
            }
            _ => Err(Refusal::new("bad_key", "the JWK is not an Ed25519 key")),
        }
    }

    async fn fetch(&self) -> Result<JwkSet, Refusal> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let unavailable = |e: reqwest::Error| Refusal {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "jwks_unavailable",
            detail: format!("cannot fetch {}: {}", self.jwks_url, chain(&e)),
        };
        self.client
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json::<JwkSet>()
            .await
            .map_err(unavailable)
    }
}

/// An error with its causes (reqwest puts the TLS or connection reason in the source).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn handle(State(state): State<Arc<Jwt>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.ends_with("/_stats") {
        return Json(serde_json::json!({
            "ok": state.ok.load(Ordering::Relaxed),
            "refused": state.refused.load(Ordering::Relaxed),
            "jwks_fetches": state.verifier.fetches.load(Ordering::Relaxed),
        }))
        .into_response();
    }
    let whoami = path.ends_with("/_whoami");
    let token = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let verified = match token {
        None | Some("") => Err(Refusal::new("missing", format!("no {HEADER} header"))),
        Some(token) => state.verifier.verify(token).await,
    };
    let claims = match verified {
        Ok(claims) => claims,
        Err(refusal) => {
            state.refused.fetch_add(1, Ordering::Relaxed);
            eprintln!("jwt: refused {path}: {}: {}", refusal.code, refusal.detail);
            return refused(&state.name, whoami, &refusal);
        }
    };
    state.ok.fetch_add(1, Ordering::Relaxed);
    let text = |key: &str| claims.get(key).and_then(Value::as_str).unwrap_or("");
    if whoami {
        return Json(serde_json::json!({
            "system": state.name, "sub": text("sub"), "claims": claims,
        }))
        .into_response();
    }
    let groups = claims
        .get("groups")
        .and_then(Value::as_array)
        .map(|g| {
            g.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Html(document(
        "UTF-8",
        &state.name,
        &format!(
            "<h1>{name}</h1><p>ようこそ {display} さん（署名付き JWT で確認済み）</p>\
             <table><tr><th>利用者ID</th><td>{sub}</td></tr>\
             <tr><th>氏名</th><td>{display}</td></tr>\
             <tr><th>所属</th><td>{dept}</td></tr>\
             <tr><th>グループ</th><td>{groups}</td></tr></table>\
             <p>要求パス: <code>{path}</code></p>",
            name = escape(&state.name),
            display = escape(text("name")),
            sub = escape(text("sub")),
            dept = escape(text("dept")),
            groups = escape(&groups),
            path = escape(&path),
        ),
    ))
    .into_response()
}

fn refused(name: &str, json: bool, refusal: &Refusal) -> Response {
    if json {
        return (
            refusal.status,
            Json(serde_json::json!({ "error": refusal.code, "detail": refusal.detail })),
        )
            .into_response();
    }
    let body = document(
        "UTF-8",
        name,
        &format!(
            "<h1>{}</h1><p class=\"error\">利用者を確認できませんでした（{}）。</p>\
             <p>ゲートウェイ経由で開いてください。</p>",
            escape(name),
            escape(refusal.code),
        ),
    );
    (refusal.status, Html(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::sync::RwLock;

    /// A signer with a fresh Ed25519 key, and the JWKS that publishes it.
    fn signer() -> (sso::AssertionSigner, Value, tempfile::NamedTempFile) {
        let (private, public) = sso::assertion::generate_ed25519_pem().unwrap();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(private.as_bytes()).unwrap();
        let (kid, jwks) = sso::assertion::jwks(public.as_bytes()).unwrap();
        let signer = sso::AssertionSigner::from_file(file.path(), Duration::from_secs(60))
            .unwrap()
            .with_kid(kid);
        (signer, jwks, file)
    }

    fn claims(aud: &str, iat: i64) -> sso::Claims {
        sso::Claims {
            iss: String::new(),
            aud: aud.into(),
            sub: "yamada".into(),
            iat,
            nbf: 0,
            exp: 0,
            name: "山田 太郎".into(),
            mail: None,
            dept: Some("総務課".into()),
            groups: vec!["soumu".into()],
            amr: sso::AuthMethod::Local,
            sid: "s".into(),
            csrf: "c".into(),
            apps: vec![],
        }
    }

    fn now() -> i64 {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
    }

    /// Serve whatever key set `jwks` holds at `http://ADDR/jwks.json`.
    async fn serve_jwks(jwks: Arc<RwLock<Value>>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let jwks = jwks.clone();
                async move { Json(jwks.read().unwrap().clone()) }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/jwks.json")
    }

    fn verifier(jwks_url: String) -> Verifier {
        Verifier {
            client: reqwest::Client::new(),
            jwks_url,
            audience: "keiyaku".into(),
            issuer: sso::assertion::ISSUER.into(),
            leeway: 5,
            keys: tokio::sync::Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    #[tokio::test]
    async fn assertions_verify_with_the_published_key_and_rotation_refetches_once() {
        let (first, first_jwks, _f1) = signer();
        let jwks = Arc::new(RwLock::new(first_jwks));
        let verifier = verifier(serve_jwks(jwks.clone()).await);

        let token = first.sign(claims("keiyaku", now())).unwrap();
        let got = verifier.verify(&token).await.unwrap();
        assert_eq!(got["sub"], "yamada");
        assert_eq!(got["dept"], "総務課");
        verifier.verify(&token).await.unwrap();
        assert_eq!(verifier.fetches.load(Ordering::Relaxed), 1, "cached");

        let wrong_aud = first.sign(claims("yakuba-app", now())).unwrap();
        assert_eq!(
            verifier.verify(&wrong_aud).await.unwrap_err().code,
            "wrong_audience"
        );
        let expired = first.sign(claims("keiyaku", now() - 120)).unwrap();
        assert_eq!(verifier.verify(&expired).await.unwrap_err().code, "expired");

        // The gateway rotates its key: the new kid is unknown, so the set is fetched again.
        let (second, second_jwks, _f2) = signer();
        *jwks.write().unwrap() = second_jwks;
        let token = second.sign(claims("keiyaku", now())).unwrap();
        assert_eq!(verifier.verify(&token).await.unwrap()["sub"], "yamada");
        assert_eq!(verifier.fetches.load(Ordering::Relaxed), 2);

        // A kid nobody publishes costs one fetch per request, no more.
        let retired = first.sign(claims("keiyaku", now())).unwrap();
        assert_eq!(
            verifier.verify(&retired).await.unwrap_err().code,
            "unknown_kid"
        );
        assert_eq!(verifier.fetches.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn garbage_and_unreachable_key_sets_are_told_apart() {
        let verifier = verifier("http://127.0.0.1:9/jwks.json".into());
        assert_eq!(
            verifier.verify("not-a-token").await.unwrap_err().code,
            "malformed"
        );
        let (signer, _, _f) = signer();
        let token = signer.sign(claims("keiyaku", now())).unwrap();
        let refusal = verifier.verify(&token).await.unwrap_err();
        assert_eq!(refusal.code, "jwks_unavailable");
        assert_eq!(refusal.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
