//! The provider's userinfo endpoint, read with an access token after a login or a refresh.

use openidconnect::url::Url;
use serde_json::{Map, Value};

use super::claims::claim_text;
use super::{OidcError, error_chain};

/// The claims userinfo gives for `access_token`, which must be about `sub`. A 401 (the
/// provider no longer accepts the token or its user) is [`OidcError::Revoked`].
pub(super) async fn fetch(
    http: &reqwest::Client,
    url: &Url,
    access_token: &str,
    sub: &str,
) -> Result<Map<String, Value>, OidcError> {
    let response = http
        .get(url.clone())
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| OidcError::Unreachable(format!("userinfo: {}", error_chain(&e))))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(OidcError::Revoked(
            "userinfo refused the access token (401)".into(),
        ));
    }
    if !status.is_success() {
        return Err(OidcError::Idp(format!("userinfo answered {status}")));
    }
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_json {
        return Err(OidcError::Idp(
            "userinfo is not plain JSON (signed or encrypted userinfo is not supported)".into(),
        ));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| OidcError::Unreachable(format!("userinfo: {}", error_chain(&e))))?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&body).map_err(|e| OidcError::Idp(format!("userinfo: {e}")))?;
    // OpenID Connect Core §5.3.2: userinfo about another subject must not be used.
    if claim_text(&claims, "sub").as_deref() != Some(sub) {
        return Err(OidcError::Idp("userinfo is about another subject".into()));
    }
    Ok(claims)
}
