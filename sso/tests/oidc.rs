//! The OpenID Connect relying party against a real OpenID provider (oidc-provider under Node,
//! started by the harness): the code flow with PKCE, refusals of wrong states, tampered and
//! foreign ID tokens, a key rotation between logins, RP-initiated logout, back-channel
//! logout tokens, crafted and delivered by the provider itself, and sessions re-validated by
//! refresh token while an administrator changes, disables and deletes accounts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use harness::oidc::{
    Browser, LogoutTokenCatcher, OidcClientSpec, OidcOptions, OidcProvider, SigningKey,
    generate_signing_key, sample_accounts,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sso::AuthMethod;
use sso::oidc::{
    BACKCHANNEL_LOGOUT_EVENT, LoginStart, OidcClient, OidcLogin, OidcSettings, RefreshTokenSecret,
};

// The root of an integration test looks for modules beside it, not in a folder of its name.
#[path = "oidc/refresh.rs"]
mod refresh;

/// The gateway's callback as registered; nothing listens there; the browser stops at it.
const REDIRECT: &str = "https://127.0.0.1:9/.yakuba/oidc/test-idp/callback";
const POST_LOGOUT: &str = "https://127.0.0.1:9/";

struct Setup {
    provider: OidcProvider,
    client: OidcClient,
    spec: OidcClientSpec,
}

async fn setup(backchannel_logout_uri: Option<&str>) -> anyhow::Result<Setup> {
    let mut spec = OidcClientSpec::gateway(REDIRECT);
    spec.backchannel_logout_uri = backchannel_logout_uri.map(str::to_owned);
    setup_with(OidcOptions {
        clients: vec![spec],
        ..OidcOptions::default()
    })
    .await
}

/// A provider started with `options` and a client discovered for its first client.
async fn setup_with(options: OidcOptions) -> anyhow::Result<Setup> {
    let spec = options.clients.first().context("no client")?.clone();
    let provider = OidcProvider::start(options)?;
    let mut settings = OidcSettings::new("test-idp", provider.issuer(), &spec.client_id, REDIRECT);
    settings.client_secret = spec.client_secret.clone();
    settings.scopes = ["profile", "email", "groups", "department"]
        .map(String::from)
        .to_vec();
    settings.post_logout_redirect_url = Some(POST_LOGOUT.into());
    let client = OidcClient::discover(settings).await?;
    Ok(Setup {
        provider,
        client,
        spec,
    })
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Logs `login` in at the provider and returns the callback URL the browser was sent to.
async fn callback(browser: &Browser, start: &LoginStart, login: &str) -> anyhow::Result<url::Url> {
    let account = sample_accounts()
        .into_iter()
        .find(|a| a.login == login)
        .context("no such sample account")?;
    let url = browser
        .login(
            start.url.as_str(),
            &account.login,
            &account.password,
            REDIRECT,
        )
        .await?;
    Ok(url::Url::parse(url.as_str())?)
}

async fn log_in(client: &OidcClient, browser: &Browser, login: &str) -> anyhow::Result<OidcLogin> {
    let start = client.begin_login();
    let back = callback(browser, &start, login).await?;
    let code = query(&back, "code").context("no code")?;
    let state = query(&back, "state").context("no state")?;
    let iss = query(&back, "iss");
    Ok(client
        .finish_login(&start.pending, &code, &state, iss.as_deref())
        .await?)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sign(key: &SigningKey, kid: &str, claims: &Value, typ: &str) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    header.typ = Some(typ.to_owned());
    let encoding = EncodingKey::from_rsa_pem(key.private_pem.as_bytes())?;
    Ok(jsonwebtoken::encode(&header, claims, &encoding)?)
}

fn payload(jwt: &str) -> anyhow::Result<Value> {
    let part = jwt.split('.').nth(1).context("not a JWT")?;
    Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part)?)?)
}

fn reason<T: std::fmt::Debug>(result: Result<T, sso::oidc::OidcError>) -> &'static str {
    match result {
        Ok(value) => panic!("accepted: {value:?}"),
        Err(error) => error.reason(),
    }
}

#[tokio::test]
async fn a_code_flow_login_with_pkce_yields_the_mapped_identity() -> anyhow::Result<()> {
    let s = setup(None).await?;
    let start = s.client.begin_login();
    let url = url::Url::parse(start.url.as_str())?;
    assert_eq!(
        query(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query(&url, "code_challenge").is_some_and(|c| c.len() == 43));
    assert_eq!(query(&url, "state").as_deref(), Some(start.pending.state()));
    assert!(query(&url, "nonce").is_some_and(|n| n.len() >= 16));
    assert_eq!(
        query(&url, "scope").as_deref(),
        Some("openid profile email groups department")
    );

    let browser = Browser::new()?;
    let back = callback(&browser, &start, "yamada").await?;
    let code = query(&back, "code").context("no code")?;
    let state = query(&back, "state").context("no state")?;
    let iss = query(&back, "iss");
    assert_eq!(iss.as_deref(), Some(s.provider.issuer()));
    let login = s
        .client
        .finish_login(&start.pending, &code, &state, iss.as_deref())
        .await?;
    assert_eq!(login.identity.user, "yamada");
    assert_eq!(login.identity.name, "山田 太郎");
    assert_eq!(
        login.identity.mail.as_deref(),
        Some("yamada@city.yakuba.test")
    );
    assert_eq!(login.identity.department.as_deref(), Some("総務課"));
    assert_eq!(login.identity.groups, ["soumu-staff", "all-staff"]);
    assert_eq!(login.identity.method, AuthMethod::Oidc);
    assert_eq!(AuthMethod::Oidc.as_str(), "oidc");
    assert_eq!(login.sub, "u-0001");
    // oidc-provider puts `sid` in ID tokens only for clients with back-channel logout.
    assert_eq!(login.sid, None);
    assert!(!format!("{login:?}").contains(login.id_token.as_str()));

    // A code is good once.
    let again = s
        .client
        .finish_login(&start.pending, &code, &state, None)
        .await;
    assert_eq!(reason(again), "code_rejected");
    Ok(())
}

#[tokio::test]
async fn a_callback_with_the_wrong_state_or_issuer_is_refused_before_the_code_is_spent()
-> anyhow::Result<()> {
    let s = setup(None).await?;
    let start = s.client.begin_login();
    let other = s.client.begin_login();
    let back = callback(&Browser::new()?, &start, "sato").await?;
    let code = query(&back, "code").context("no code")?;
    let state = query(&back, "state").context("no state")?;

    let wrong = |pending, state: &str, iss: Option<&str>| {
        let code = code.clone();
        let state = state.to_owned();
        let iss = iss.map(str::to_owned);
        let client = &s.client;
        async move {
            client
                .finish_login(pending, &code, &state, iss.as_deref())
                .await
        }
    };
    assert_eq!(
        reason(wrong(&start.pending, "forged", None).await),
        "bad_state"
    );
    assert_eq!(reason(wrong(&start.pending, "", None).await), "bad_state");
    assert_eq!(
        reason(wrong(&other.pending, &state, None).await),
        "bad_state"
    );
    let evil = Some("https://evil.example");
    assert_eq!(
        reason(wrong(&start.pending, &state, evil).await),
        "wrong_issuer"
    );

    let login = wrong(&start.pending, &state, Some(s.provider.issuer())).await?;
    assert_eq!(login.identity.user, "sato");
    Ok(())
}

#[tokio::test]
async fn a_code_redeemed_with_another_logins_pkce_verifier_is_refused() -> anyhow::Result<()> {
    let s = setup(None).await?;
    let victim = s.client.begin_login();
    let back = callback(&Browser::new()?, &victim, "yamada").await?;
    let code = query(&back, "code").context("no code")?;
    // An attacker who stole the code starts their own login and injects it there.
    let attacker = s.client.begin_login();
    let result = s
        .client
        .finish_login(&attacker.pending, &code, attacker.pending.state(), None)
        .await;
    assert_eq!(reason(result), "code_rejected");
    Ok(())
}

#[tokio::test]
async fn tampered_and_foreign_id_tokens_are_refused() -> anyhow::Result<()> {
    let s = setup(None).await?;
    let start = s.client.begin_login();
    let nonce = query(&url::Url::parse(start.url.as_str())?, "nonce").context("no nonce")?;
    let back = callback(&Browser::new()?, &start, "yamada").await?;
    let code = query(&back, "code").context("no code")?;
    let login = s
        .client
        .finish_login(&start.pending, &code, start.pending.state(), None)
        .await?;
    let raw = login.id_token.as_str();
    s.client.verify_id_token(raw, &nonce).await?;
    assert_eq!(
        reason(s.client.verify_id_token(raw, "other-nonce").await),
        "invalid_id_token"
    );

    // Another subject in the payload, the provider's signature kept.
    let mut claims = payload(raw)?;
    claims["sub"] = json!("u-0002");
    let parts: Vec<&str> = raw.split('.').collect();
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = format!("{}.{body}.{}", parts[0], parts[2]);
    assert_eq!(
        reason(s.client.verify_id_token(&tampered, &nonce).await),
        "invalid_id_token"
    );

    // The same claims signed with the provider's key pass (so the refusals below are about
    // the key, not the crafting); signed with a key of our own, under the provider's key id
    // or a new one, they do not.
    let kid = s.provider.signing_key().kid.clone();
    let genuine = sign(s.provider.signing_key(), &kid, &claims, "JWT")?;
    s.client.verify_id_token(&genuine, &nonce).await?;
    let foreign = generate_signing_key("foreign")?;
    for kid in [kid.as_str(), "foreign"] {
        let forged = sign(&foreign, kid, &claims, "JWT")?;
        assert_eq!(
            reason(s.client.verify_id_token(&forged, &nonce).await),
            "invalid_id_token"
        );
    }
    let unsigned = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
    assert_eq!(
        reason(s.client.verify_id_token(&unsigned, &nonce).await),
        "invalid_id_token"
    );
    let mut expired = claims.clone();
    expired["exp"] = json!(now() - 60);
    let expired = sign(s.provider.signing_key(), &kid, &expired, "JWT")?;
    assert_eq!(
        reason(s.client.verify_id_token(&expired, &nonce).await),
        "invalid_id_token"
    );
    Ok(())
}

#[tokio::test]
async fn a_login_after_the_provider_rotates_its_keys_succeeds() -> anyhow::Result<()> {
    let mut s = setup(None).await?;
    let first = log_in(&s.client, &Browser::new()?, "yamada").await?;
    let old_kid = s.provider.signing_key().kid.clone();
    assert_eq!(
        jsonwebtoken::decode_header(first.id_token.as_str())?.kid,
        Some(old_kid.clone())
    );

    s.provider.rotate_keys()?;
    let new_kid = s.provider.signing_key().kid.clone();
    assert_ne!(new_kid, old_kid);
    // The provider lost its sessions with the restart, so this is a full login again.
    let second = log_in(&s.client, &Browser::new()?, "yamada").await?;
    assert_eq!(
        jsonwebtoken::decode_header(second.id_token.as_str())?.kid,
        Some(new_kid)
    );
    assert_eq!(second.identity.user, "yamada");
    Ok(())
}

#[tokio::test]
async fn logout_tokens_are_validated_and_each_is_accepted_once() -> anyhow::Result<()> {
    let s = setup(None).await?;
    let key = s.provider.signing_key().clone();
    let base = json!({
        "iss": s.provider.issuer(),
        "aud": s.spec.client_id,
        "iat": now(),
        "exp": now() + 120,
        "jti": "jti-valid",
        "sub": "u-0001",
        "sid": "sid-1",
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    let with = |changes: &[(&str, Value)], jti: &str| {
        let mut claims = base.clone();
        claims["jti"] = json!(jti);
        for (name, value) in changes {
            if value.is_null() {
                claims.as_object_mut().map(|c| c.remove(*name));
            } else {
                claims[*name] = value.clone();
            }
        }
        claims
    };

    let refused = [
        ("nonce", with(&[("nonce", json!("n"))], "j1")),
        ("no events", with(&[("events", Value::Null)], "j2")),
        (
            "event not an object",
            with(
                &[("events", json!({ BACKCHANNEL_LOGOUT_EVENT: "x" }))],
                "j3",
            ),
        ),
        (
            "other event",
            with(&[("events", json!({"urn:other": {}}))], "j4"),
        ),
        (
            "no sub or sid",
            with(&[("sub", Value::Null), ("sid", Value::Null)], "j5"),
        ),
        ("no jti", with(&[("jti", Value::Null)], "")),
        (
            "other audience",
            with(&[("aud", json!("someone-else"))], "j6"),
        ),
        (
            "other issuer",
            with(&[("iss", json!("https://evil.example"))], "j7"),
        ),
        ("no iat", with(&[("iat", Value::Null)], "j8")),
        (
            "old iat",
            with(&[("iat", json!(now() - 3600)), ("exp", Value::Null)], "j9"),
        ),
        ("future iat", with(&[("iat", json!(now() + 3600))], "j10")),
        ("expired", with(&[("exp", json!(now() - 600))], "j11")),
    ];
    for (what, claims) in &refused {
        let token = sign(&key, &key.kid, claims, "logout+jwt")?;
        let result = s.client.validate_logout_token(&token).await;
        assert_eq!(
            result.as_ref().map_err(|e| e.reason()).err(),
            Some("invalid_logout_token"),
            "{what}: {result:?}"
        );
    }
    let foreign = generate_signing_key("foreign")?;
    for kid in [key.kid.as_str(), "foreign"] {
        let token = sign(&foreign, kid, &with(&[], "j12"), "logout+jwt")?;
        assert_eq!(
            reason(s.client.validate_logout_token(&token).await),
            "invalid_logout_token"
        );
    }
    let hmac = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &with(&[], "j13"),
        &EncodingKey::from_secret(s.spec.client_secret.as_bytes()),
    )?;
    assert_eq!(
        reason(s.client.validate_logout_token(&hmac).await),
        "invalid_logout_token"
    );

    let valid = sign(&key, &key.kid, &with(&[], "j1"), "logout+jwt")?;
    let logout = s.client.validate_logout_token(&valid).await?;
    assert_eq!(logout.sub.as_deref(), Some("u-0001"));
    assert_eq!(logout.sid.as_deref(), Some("sid-1"));
    assert_eq!(
        reason(s.client.validate_logout_token(&valid).await),
        "replayed_logout_token"
    );
    let sid_only = sign(
        &key,
        &key.kid,
        &with(&[("sub", Value::Null)], "j14"),
        "logout+jwt",
    )?;
    let logout = s.client.validate_logout_token(&sid_only).await?;
    assert_eq!((logout.sub, logout.sid.as_deref()), (None, Some("sid-1")));
    Ok(())
}

#[tokio::test]
async fn rp_initiated_logout_makes_the_provider_send_a_valid_backchannel_logout()
-> anyhow::Result<()> {
    let catcher = LogoutTokenCatcher::start()?;
    let s = setup(Some(catcher.uri())).await?;
    let browser = Browser::new()?;
    let login = log_in(&s.client, &browser, "yamada").await?;
    assert!(login.sid.as_deref().is_some_and(|sid| !sid.is_empty()));

    let url = s
        .client
        .logout_url(
            Some(&login.id_token),
            Some(POST_LOGOUT),
            Some("after-logout"),
        )
        .context("the provider has an end-session endpoint")?;
    let issuer = url::Url::parse(s.provider.issuer())?;
    assert_eq!(
        url.origin().ascii_serialization(),
        issuer.origin().ascii_serialization()
    );
    assert_eq!(
        query(&url, "id_token_hint").as_deref(),
        Some(login.id_token.as_str())
    );
    assert_eq!(
        query(&url, "post_logout_redirect_uri").as_deref(),
        Some(POST_LOGOUT)
    );
    assert_eq!(
        query(&url, "client_id").as_deref(),
        Some(s.spec.client_id.as_str())
    );

    let landed = browser.logout(url.as_str(), POST_LOGOUT).await?;
    assert_eq!(
        landed
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .as_deref(),
        Some("after-logout")
    );

    let token = catcher.next_token(Duration::from_secs(10)).await?;
    assert!(payload(&token)?.get("nonce").is_none());
    let logout = s.client.validate_logout_token(&token).await?;
    assert_eq!(logout.sub.as_deref(), Some(login.sub.as_str()));
    assert_eq!(logout.sid, login.sid);
    assert_eq!(
        reason(s.client.validate_logout_token(&token).await),
        "replayed_logout_token"
    );
    Ok(())
}

#[tokio::test]
async fn an_unreachable_provider_is_reported_as_such() -> anyhow::Result<()> {
    let port = harness::process::free_port()?;
    let mut settings =
        OidcSettings::new("gone", &format!("http://127.0.0.1:{port}"), "c", REDIRECT);
    settings.client_secret = "s".into();
    let result = OidcClient::discover(settings).await;
    assert_eq!(reason(result), "idp_unreachable");
    Ok(())
}

/// The gateway runs these on a multi-threaded runtime, so they must be `Send`.
#[test]
fn the_clients_futures_can_move_between_threads() {
    fn assert_send<T: Send>(_: T) {}
    fn check(client: &OidcClient, start: &LoginStart) {
        assert_send(client.finish_login(&start.pending, "code", "state", None));
        assert_send(client.validate_logout_token("jwt"));
        assert_send(client.verify_id_token("jwt", "nonce"));
        assert_send(client.refresh(&RefreshTokenSecret::from_stored("rt".into()), "sub"));
    }
    let _ = check;
}
