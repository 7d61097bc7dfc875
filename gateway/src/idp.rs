//! The OpenID providers the gateway offers, each discovered on first use and again after a
//! failed discovery, so that a provider that is down when the gateway starts neither stops
//! the gateway nor needs a restart once it is back.

use std::sync::Arc;

use sso::oidc::{OidcClient, OidcError, OidcSettings};

/// One configured provider.
pub struct Provider {
    /// Its settings (the client secret already read).
    pub settings: OidcSettings,
    /// Put before the mapped login id.
    user_prefix: String,
    client: tokio::sync::Mutex<Option<Arc<OidcClient>>>,
}

impl Provider {
    /// A provider not yet discovered.
    pub fn new(settings: OidcSettings, user_prefix: String) -> Provider {
        Provider {
            settings,
            user_prefix,
            client: tokio::sync::Mutex::new(None),
        }
    }

    /// Make `identity` (as the provider's claims map it) this gateway's user: the configured
    /// prefix goes before the login id.
    pub fn adopt(&self, identity: &mut sso::Identity) {
        if !self.user_prefix.is_empty() {
            identity.user.insert_str(0, &self.user_prefix);
        }
    }

    /// The provider's id.
    pub fn id(&self) -> &str {
        &self.settings.id
    }

    /// The discovered client, discovering it now if that has not succeeded yet.
    pub async fn client(&self) -> Result<Arc<OidcClient>, OidcError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let client = Arc::new(OidcClient::discover(self.settings.clone()).await?);
        tracing::info!(idp = %self.settings.id, "OpenID provider discovered");
        *slot = Some(client.clone());
        Ok(client)
    }
}
