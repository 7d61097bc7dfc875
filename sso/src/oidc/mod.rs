//! Logins through an OpenID provider: the relying-party side of the authorization code flow
//! with PKCE (S256), state and nonce, ID token validation with the provider's keys (fetched
//! again when a token names an unknown key), userinfo, claims mapped to an [`Identity`],
//! RP-initiated logout URLs, back-channel logout tokens, and re-validation of a session by
//! its refresh token.
//!
//! The gateway keeps each [`PendingLogin`] on its side, keyed by its state, between
//! [`OidcClient::begin_login`] and [`OidcClient::finish_login`], and later the login's
//! [`RefreshTokenSecret`] for [`OidcClient::refresh`]. Tokens, codes and secrets are never
//! logged; the raw ID token and the refresh token are kept in types that do not print.

mod claims;
mod keys;
mod logout;
mod refresh;
mod settings;
mod userinfo;

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdToken, CoreIdTokenVerifier,
    CoreJwsSigningAlgorithm,
};
use openidconnect::url::Url;
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, DiscoveryError,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpClientError, IssuerUrl, Nonce,
    NonceVerifier, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError,
    StandardErrorResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::identity::Identity;
use claims::{claim_text, map_identity};
use keys::{KeyStore, Keys};
use logout::ReplayCache;

pub use logout::{BACKCHANNEL_LOGOUT_EVENT, BackchannelLogout};
pub use refresh::{RefreshTokenSecret, Refreshed};
pub use settings::{OidcClaimMapping, OidcLabel, OidcSettings};

/// ID token signature algorithms accepted: asymmetric ones only, never `none` or HMAC.
const ID_TOKEN_ALGORITHMS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Why an OpenID Connect login or logout did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The settings are unusable.
    #[error("OpenID provider settings: {0}")]
    Settings(String),
    /// The provider did not answer (connection refused, timeout, TLS failure).
    #[error("OpenID provider unreachable: {0}")]
    Unreachable(String),
    /// The provider answered something unusable (bad discovery document, HTTP error).
    #[error("OpenID provider error: {0}")]
    Idp(String),
    /// The callback's state does not belong to the pending login.
    #[error("the state does not match the login in progress")]
    BadState,
    /// The callback names another issuer than this provider (a mix-up attack).
    #[error("the callback names another issuer")]
    WrongIssuer,
    /// The token endpoint refused the code (used, expired, or the PKCE verifier differs).
    #[error("the provider refused the authorization code: {0}")]
    CodeRejected(String),
    /// The ID token is missing, unsigned, badly signed, expired, or for someone else.
    #[error("invalid ID token: {0}")]
    InvalidIdToken(String),
    /// The claim configured as the login id is absent.
    #[error("the provider sent no `{0}` claim")]
    MissingClaim(String),
    /// A back-channel logout token failed validation.
    #[error("invalid logout token: {0}")]
    InvalidLogoutToken(String),
    /// A back-channel logout token's `jti` was seen before.
    #[error("logout token replayed")]
    ReplayedLogoutToken,
    /// The provider refused a refresh token (`invalid_grant`: the user was disabled or
    /// deleted, the grant revoked, the provider session ended, the token expired or was
    /// already used) or the access token it gave (userinfo answered 401): the session it
    /// backs must end.
    #[error("the provider no longer accepts this session: {0}")]
    Revoked(String),
}

impl OidcError {
    /// A stable reason code for audit records.
    pub fn reason(&self) -> &'static str {
        match self {
            OidcError::Settings(_) => "oidc_settings",
            OidcError::Unreachable(_) => "idp_unreachable",
            OidcError::Idp(_) => "idp_error",
            OidcError::BadState => "bad_state",
            OidcError::WrongIssuer => "wrong_issuer",
            OidcError::CodeRejected(_) => "code_rejected",
            OidcError::InvalidIdToken(_) => "invalid_id_token",
            OidcError::MissingClaim(_) => "missing_claim",
            OidcError::InvalidLogoutToken(_) => "invalid_logout_token",
            OidcError::ReplayedLogoutToken => "replayed_logout_token",
            OidcError::Revoked(_) => "idp_revoked",
        }
    }
}

type HttpError = HttpClientError<reqwest::Error>;

/// An error and its sources on one line, for messages about network failures.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn discovery_failure(context: &str, error: DiscoveryError<HttpError>) -> OidcError {
    match error {
        DiscoveryError::Request(e) => {
            OidcError::Unreachable(format!("{context}: {}", error_chain(&e)))
        }
        other => OidcError::Idp(format!("{context}: {}", error_chain(&other))),
    }
}

/// A login in progress: what the gateway keeps (server-side, keyed by [`PendingLogin::state`])
/// between sending the browser to the provider and the provider's callback.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    provider: String,
    state: String,
    nonce: String,
    pkce_verifier: String,
}

impl PendingLogin {
    /// The `state` sent to the provider, which comes back on the callback.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The [`OidcSettings::id`] of the provider this login went to.
    pub fn provider(&self) -> &str {
        &self.provider
    }
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Where to send the browser, and what to keep until it comes back.
#[derive(Debug)]
pub struct LoginStart {
    /// The provider's authorization URL with the PKCE challenge, state, nonce and scopes.
    pub url: Url,
    /// The login to keep until the callback.
    pub pending: PendingLogin,
}

/// The raw ID token of a login, kept for `id_token_hint` at logout. Does not print.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdTokenHint(String);

impl IdTokenHint {
    /// The compact JWS, for storing and for [`OidcClient::logout_url`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An ID token kept in the session store, for its `id_token_hint` at logout.
    pub fn from_stored(token: String) -> IdTokenHint {
        IdTokenHint(token)
    }
}

impl std::fmt::Debug for IdTokenHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenHint(<redacted>)")
    }
}

/// A finished login.
#[derive(Debug, Clone)]
pub struct OidcLogin {
    /// The user, with [`AuthMethod::Oidc`].
    pub identity: Identity,
    /// The provider's subject identifier, which back-channel logout may name.
    pub sub: String,
    /// The provider's session id, which back-channel logout names, if the provider sent one.
    pub sid: Option<String>,
    /// The ID token, for `id_token_hint` at logout.
    pub id_token: IdTokenHint,
    /// The refresh token, for [`OidcClient::refresh`]; `None` when the provider issued none
    /// or [`OidcSettings::refresh`] is off.
    pub refresh_token: Option<RefreshTokenSecret>,
}

type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// One discovered OpenID provider, ready for logins. Cheap to share behind an `Arc`.
pub struct OidcClient {
    settings: OidcSettings,
    issuer: IssuerUrl,
    client: DiscoveredClient,
    http: reqwest::Client,
    keys: KeyStore,
    userinfo: Option<Url>,
    end_session: Option<Url>,
    replay: Mutex<ReplayCache>,
    /// Whether a login without a refresh token was already reported, so the log says it once.
    no_refresh_token_reported: AtomicBool,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("settings", &self.settings)
            .field("end_session", &self.end_session)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    /// Checks the settings, reads the provider's discovery document (which must name the
    /// configured issuer) and its keys.
    pub async fn discover(settings: OidcSettings) -> Result<OidcClient, OidcError> {
        let problems = settings.problems();
        if !problems.is_empty() {
            return Err(OidcError::Settings(problems.join("; ")));
        }
        let http = settings.http_client()?;
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| OidcError::Settings(format!("issuer: {e}")))?;
        let redirect = RedirectUrl::new(settings.redirect_url.clone())
            .map_err(|e| OidcError::Settings(format!("redirect_url: {e}")))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer.clone(), &http)
            .await
            .map_err(|e| discovery_failure("discovery", e))?;
        if metadata.token_endpoint().is_none() {
            return Err(OidcError::Idp("discovery names no token endpoint".into()));
        }
        let end_session = metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
            .map(|url| url.url().clone());
        let userinfo = metadata.userinfo_endpoint().map(|url| url.url().clone());
        let keys = KeyStore::new(
            metadata.jwks_uri().clone(),
            metadata.jwks().clone(),
            settings.jwks_min_refetch_interval,
        );
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.clone()),
            Some(ClientSecret::new(settings.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        Ok(OidcClient {
            settings,
            issuer,
            client,
            http,
            keys,
            userinfo,
            end_session,
            replay: Mutex::new(ReplayCache::default()),
            no_refresh_token_reported: AtomicBool::new(false),
        })
    }

    /// The settings this client was discovered with.
    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// Starts a login: a fresh state, nonce and PKCE verifier, and the URL to send the
    /// browser to.
    pub fn begin_login(&self) -> LoginStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        LoginStart {
            url,
            pending: PendingLogin {
                provider: self.settings.id.clone(),
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        }
    }

    /// Finishes a login from the provider's callback: checks the state (in constant time) and
    /// the `iss` parameter if the provider sent one, exchanges the code with the PKCE
    /// verifier, validates the ID token, reads userinfo and maps the claims.
    pub async fn finish_login(
        &self,
        pending: &PendingLogin,
        code: &str,
        returned_state: &str,
        returned_issuer: Option<&str>,
    ) -> Result<OidcLogin, OidcError> {
        let state_matches: bool = pending
            .state
            .as_bytes()
            .ct_eq(returned_state.as_bytes())
            .into();
        if !state_matches || pending.provider != self.settings.id {
            return Err(OidcError::BadState);
        }
        if returned_issuer.is_some_and(|iss| iss != self.issuer.as_str()) {
            return Err(OidcError::WrongIssuer);
        }
        let request = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Idp(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
        let tokens = request
            .request_async(&self.http)
            .await
            .map_err(|e| token_failure(e, |_, text| OidcError::CodeRejected(text)))?;
        let raw = tokens
            .extra_fields()
            .id_token()
            .ok_or_else(|| OidcError::InvalidIdToken("the token response has none".into()))?
            .to_string();
        let claims = self.verify_id_token(&raw, &pending.nonce).await?;
        let sub =
            claim_text(&claims, "sub").ok_or_else(|| OidcError::InvalidIdToken("no sub".into()))?;
        let userinfo = match &self.userinfo {
            Some(url) => userinfo::fetch(&self.http, url, tokens.access_token().secret(), &sub)
                .await
                // The access token is seconds old: its refusal is the provider's fault, not a
                // revocation of a session that does not exist yet.
                .map_err(|e| match e {
                    OidcError::Revoked(text) => OidcError::Idp(text),
                    other => other,
                })?,
            None => Map::new(),
        };
        let identity = map_identity(&self.settings.claims, &claims, &userinfo)?;
        Ok(OidcLogin {
            identity,
            sid: claim_text(&claims, "sid"),
            sub,
            id_token: IdTokenHint(raw),
            refresh_token: self.kept_refresh_token(tokens.refresh_token()),
        })
    }

    /// The refresh token of a login, if the settings keep it; the first login without one is
    /// reported, since its sessions cannot be re-validated.
    fn kept_refresh_token(
        &self,
        issued: Option<&openidconnect::RefreshToken>,
    ) -> Option<RefreshTokenSecret> {
        if !self.settings.refresh {
            return None;
        }
        if issued.is_none() && !self.no_refresh_token_reported.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                idp = %self.settings.id,
                "the OpenID provider issued no refresh token, so its sessions cannot be \
                 re-validated; some providers issue one only for the `offline_access` scope"
            );
        }
        issued.map(|token| RefreshTokenSecret::from_stored(token.secret().clone()))
    }

    /// Validates an ID token (signature with the provider's keys, fetched again once when the
    /// token names an unknown key; issuer; audience; expiry; nonce) and returns its claims.
    /// [`OidcClient::finish_login`] calls it; it is public for tests and tools.
    pub async fn verify_id_token(
        &self,
        raw: &str,
        nonce: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let nonce = Nonce::new(nonce.to_owned());
        self.validated_claims(raw, &nonce).await
    }

    /// [`OidcClient::verify_id_token`] with any check of the nonce.
    async fn validated_claims(
        &self,
        raw: &str,
        nonce: impl NonceVerifier + Copy,
    ) -> Result<Map<String, Value>, OidcError> {
        let token = CoreIdToken::from_str(raw)
            .map_err(|e| OidcError::InvalidIdToken(format!("unreadable: {e}")))?;
        let keys = self.keys.current();
        match self.check_id_token(&token, &keys, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let fresh = self
                    .keys
                    .refetch_after_miss(keys.generation, &self.http)
                    .await?;
                let Some(fresh) = fresh else {
                    return Err(OidcError::InvalidIdToken(
                        "signed with a key the provider does not have".into(),
                    ));
                };
                self.check_id_token(&token, &fresh, nonce)
            }
            other => other,
        }
        .map_err(|e| OidcError::InvalidIdToken(error_chain(&e)))?;
        // The signature is verified: the payload can be read as it stands.
        raw.split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| OidcError::InvalidIdToken("unreadable payload".into()))
    }

    fn check_id_token(
        &self,
        token: &CoreIdToken,
        keys: &Keys,
        nonce: impl NonceVerifier,
    ) -> Result<(), ClaimsVerificationError> {
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(self.settings.client_id.clone()),
            self.issuer.clone(),
            keys.oidc.clone(),
        )
        .set_allowed_algs(ID_TOKEN_ALGORITHMS);
        token.claims(&verifier, nonce).map(|_| ())
    }

    /// The provider's end-session URL for RP-initiated logout, or `None` if it has none.
    /// `post_logout_redirect` must be registered at the provider (usually
    /// [`OidcSettings::post_logout_redirect_url`]); `state` comes back with the browser.
    pub fn logout_url(
        &self,
        id_token_hint: Option<&IdTokenHint>,
        post_logout_redirect: Option<&str>,
        state: Option<&str>,
    ) -> Option<Url> {
        let mut url = self.end_session.clone()?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(hint) = id_token_hint {
                query.append_pair("id_token_hint", hint.as_str());
            }
            query.append_pair("client_id", &self.settings.client_id);
            if let Some(redirect) = post_logout_redirect {
                query.append_pair("post_logout_redirect_uri", redirect);
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
        }
        Some(url)
    }
}

type TokenError = RequestTokenError<HttpError, StandardErrorResponse<CoreErrorResponseType>>;

/// The error for a failed token request: `refused` makes it from the provider's error code and
/// a text for the log; network failures are [`OidcError::Unreachable`].
fn token_failure(
    error: TokenError,
    refused: impl FnOnce(&CoreErrorResponseType, String) -> OidcError,
) -> OidcError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let mut text = response.error().to_string();
            if let Some(description) = response.error_description() {
                text.push_str(": ");
                text.push_str(description);
            }
            refused(response.error(), text)
        }
        RequestTokenError::Request(e) => {
            OidcError::Unreachable(format!("token endpoint: {}", error_chain(&e)))
        }
        other => OidcError::Idp(format!("token endpoint: {}", error_chain(&other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let pending = PendingLogin {
            provider: "idp".into(),
            state: "state-value".into(),
            nonce: "nonce-value".into(),
            pkce_verifier: "verifier-value".into(),
        };
        let printed = format!("{pending:?} {:?}", IdTokenHint("eyJ.token".into()));
        for secret in ["state-value", "nonce-value", "verifier-value", "eyJ"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }
}
