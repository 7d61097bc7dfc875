//! Re-validation of a session at the provider with the refresh token of its login: the
//! provider answers with the user's current claims, or refuses because the user was disabled
//! or deleted or the grant revoked, which ends the session.

use openidconnect::core::CoreErrorResponseType;
use openidconnect::{OAuth2TokenResponse, RefreshToken};
use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::claims::{claim_text, map_identity};
use super::{OidcClient, OidcError, token_failure, userinfo};
use crate::identity::Identity;

/// A refresh token, kept by the gateway with the session it backs. Does not print.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RefreshTokenSecret(String);

impl RefreshTokenSecret {
    /// The token, for storing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A refresh token kept in the session store.
    pub fn from_stored(token: String) -> RefreshTokenSecret {
        RefreshTokenSecret(token)
    }
}

impl std::fmt::Debug for RefreshTokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshTokenSecret(<redacted>)")
    }
}

/// A session the provider still vouches for.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The user as the provider describes them now, mapped as at login.
    pub identity: Identity,
    /// A new refresh token when the provider rotated it: the old one is then spent, and this
    /// one must replace it in the session. `None` when the old one stays valid.
    pub refresh_token: Option<RefreshTokenSecret>,
}

impl OidcClient {
    /// Asks the provider about the session of subject `sub` (the [`super::OidcLogin::sub`] of
    /// its login) with its refresh token: the refresh grant (the client authenticated as for
    /// the code), the ID token if one comes back (validated as at login, about `sub`; its
    /// nonce is the login's, which is not kept, so it is not compared), then userinfo with the
    /// new access token, mapped as at login.
    ///
    /// [`OidcError::Revoked`] means the session must end; [`OidcError::Unreachable`] and
    /// the others mean the provider could not say, and the session may be kept meanwhile.
    /// A claim the provider puts only in ID tokens is absent when it sends none on refresh.
    pub async fn refresh(
        &self,
        refresh_token: &RefreshTokenSecret,
        sub: &str,
    ) -> Result<Refreshed, OidcError> {
        if !self.settings.refresh {
            return Err(OidcError::Settings(format!(
                "refresh is off for the provider `{}`",
                self.settings.id
            )));
        }
        let token = RefreshToken::new(refresh_token.0.clone());
        let tokens = self
            .client
            .exchange_refresh_token(&token)
            .map_err(|e| OidcError::Idp(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| token_failure(e, refusal))?;
        let id_token = match tokens.extra_fields().id_token() {
            Some(raw) => {
                let claims = self
                    .validated_claims(&raw.to_string(), |_: Option<&_>| Ok(()))
                    .await?;
                // OpenID Connect Core §12.2: the refreshed ID token is about the same subject.
                if claim_text(&claims, "sub").as_deref() != Some(sub) {
                    return Err(OidcError::InvalidIdToken(
                        "the refreshed ID token is about another subject".into(),
                    ));
                }
                Some(claims)
            }
            None => None,
        };
        let userinfo = match &self.userinfo {
            Some(url) => {
                Some(userinfo::fetch(&self.http, url, tokens.access_token().secret(), sub).await?)
            }
            None => None,
        };
        if id_token.is_none() && userinfo.is_none() {
            return Err(OidcError::Idp(
                "the refresh brought no ID token and the provider has no userinfo".into(),
            ));
        }
        let identity = map_identity(
            &self.settings.claims,
            &id_token.unwrap_or_default(),
            &userinfo.unwrap_or_else(Map::new),
        )?;
        // Providers that do not rotate often send the same token back.
        let rotated = tokens
            .refresh_token()
            .map(|token| token.secret())
            .filter(|token| *token != refresh_token.as_str())
            .map(|token| RefreshTokenSecret(token.clone()));
        Ok(Refreshed {
            identity,
            refresh_token: rotated,
        })
    }
}

/// A refused refresh: `invalid_grant` (RFC 6749 §5.2: the grant is invalid, expired or
/// revoked) ends the session; any other refusal (`invalid_client`, ...) is the gateway's or
/// the provider's misconfiguration, not the user's, and does not.
fn refusal(kind: &CoreErrorResponseType, text: String) -> OidcError {
    match kind {
        CoreErrorResponseType::InvalidGrant => OidcError::Revoked(text),
        _ => OidcError::Idp(format!("token endpoint refused the refresh: {text}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_does_not_print_and_stores_as_a_plain_string() {
        let token = RefreshTokenSecret::from_stored("rt-secret-value".into());
        assert!(!format!("{token:?}").contains("rt-secret"));
        let json = serde_json::to_string(&token).expect("serialises");
        assert_eq!(json, "\"rt-secret-value\"");
        let back: RefreshTokenSecret = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, token);
        assert_eq!(back.as_str(), "rt-secret-value");
    }

    #[test]
    fn only_invalid_grant_is_a_revocation() {
        let text = || "why".to_owned();
        let revoked = refusal(&CoreErrorResponseType::InvalidGrant, text());
        assert_eq!(revoked.reason(), "idp_revoked");
        for kind in [
            CoreErrorResponseType::InvalidClient,
            CoreErrorResponseType::UnauthorizedClient,
            CoreErrorResponseType::Extension("server_error".into()),
        ] {
            assert_eq!(refusal(&kind, text()).reason(), "idp_error");
        }
    }
}
