//! Sessions re-validated by refresh token while an administrator changes, disables and
//! deletes accounts at the provider, rotates tokens, or the provider is down.

use anyhow::Context as _;
use harness::oidc::{Browser, OidcClientSpec, OidcOptions, sample_accounts};
use sso::oidc::{OidcClient, OidcError, OidcLogin, RefreshTokenSecret};

use super::{REDIRECT, Setup, log_in, reason, setup, setup_with};

fn refresh_token_of(login: &OidcLogin) -> anyhow::Result<RefreshTokenSecret> {
    login
        .refresh_token
        .clone()
        .context("the provider issued no refresh token")
}

#[tokio::test]
async fn a_refresh_keeps_the_identity_and_picks_up_changes_made_at_the_provider()
-> anyhow::Result<()> {
    let s = setup(None).await?;
    let login = log_in(&s.client, &Browser::new()?, "yamada").await?;
    let token = refresh_token_of(&login)?;
    assert!(!format!("{login:?}").contains(token.as_str()));
    let same = s.client.refresh(&token, &login.sub).await?;
    assert_eq!(same.identity, login.identity);
    // This provider renews a confidential client's token only late in its life.
    assert_eq!(same.refresh_token, None);

    let mut yamada = sample_accounts()
        .into_iter()
        .find(|a| a.login == "yamada")
        .context("no yamada")?;
    yamada.department = "会計課".into();
    yamada.groups = vec!["kaikei-staff".into(), "all-staff".into()];
    s.provider.update_account(yamada)?;
    let moved = s.client.refresh(&token, &login.sub).await?.identity;
    assert_eq!(moved.department.as_deref(), Some("会計課"));
    assert_eq!(moved.groups, ["kaikei-staff", "all-staff"]);
    assert_eq!(
        (&moved.user, &moved.name),
        (&login.identity.user, &login.identity.name)
    );

    // The refreshed ID token names yamada: a caller expecting someone else is refused.
    assert_eq!(
        reason(s.client.refresh(&token, "u-0002").await),
        "invalid_id_token"
    );
    Ok(())
}

#[tokio::test]
async fn a_refresh_for_a_disabled_or_deleted_account_or_with_a_garbage_token_is_revoked()
-> anyhow::Result<()> {
    let s = setup(None).await?;
    let yamada = log_in(&s.client, &Browser::new()?, "yamada").await?;
    let sato = log_in(&s.client, &Browser::new()?, "sato").await?;
    let (yamada_token, sato_token) = (refresh_token_of(&yamada)?, refresh_token_of(&sato)?);

    s.provider.disable_account("yamada")?;
    let refused = s.client.refresh(&yamada_token, &yamada.sub).await;
    // Refused at the token endpoint, before any access token reaches userinfo.
    match refused {
        Err(OidcError::Revoked(why)) => assert!(why.starts_with("invalid_grant"), "{why}"),
        other => panic!("not revoked: {other:?}"),
    }
    s.client.refresh(&sato_token, &sato.sub).await?;
    let again = log_in(&s.client, &Browser::new()?, "yamada").await;
    let again = again
        .map(|login| login.identity.user)
        .map_err(|e| e.to_string());
    assert!(
        again
            .as_ref()
            .is_err_and(|e| e.contains("refused the login")),
        "{again:?}"
    );

    s.provider.delete_account("sato")?;
    let refused = s.client.refresh(&sato_token, &sato.sub).await;
    assert_eq!(reason(refused), "idp_revoked");

    let garbage = RefreshTokenSecret::from_stored("not-a-refresh-token".into());
    assert_eq!(
        reason(s.client.refresh(&garbage, &yamada.sub).await),
        "idp_revoked"
    );
    Ok(())
}

#[tokio::test]
async fn a_rotated_refresh_token_replaces_the_old_one_and_reusing_a_spent_one_revokes_the_grant()
-> anyhow::Result<()> {
    let s = setup_with(OidcOptions {
        clients: vec![OidcClientSpec::gateway(REDIRECT)],
        rotate_refresh_tokens: true,
        ..OidcOptions::default()
    })
    .await?;
    let login = log_in(&s.client, &Browser::new()?, "sato").await?;
    let first = refresh_token_of(&login)?;
    let refreshed = s.client.refresh(&first, &login.sub).await?;
    let second = refreshed.refresh_token.context("not rotated")?;
    assert_ne!(second, first);
    let refreshed = s.client.refresh(&second, &login.sub).await?;
    let third = refreshed.refresh_token.context("not rotated")?;

    // The provider takes the reuse of a spent token for theft and revokes the whole grant, so
    // a gateway must never refresh one session twice at once.
    let reused = s.client.refresh(&first, &login.sub).await;
    assert_eq!(reason(reused), "idp_revoked");
    let latest = s.client.refresh(&third, &login.sub).await;
    assert_eq!(reason(latest), "idp_revoked");
    Ok(())
}

#[tokio::test]
async fn a_refresh_while_the_provider_is_down_is_not_a_revocation() -> anyhow::Result<()> {
    let Setup {
        provider, client, ..
    } = setup(None).await?;
    let login = log_in(&client, &Browser::new()?, "sato").await?;
    let token = refresh_token_of(&login)?;
    drop(provider);
    let result = client.refresh(&token, &login.sub).await;
    assert_eq!(reason(result), "idp_unreachable");
    Ok(())
}

#[tokio::test]
async fn with_refresh_off_a_login_keeps_no_refresh_token() -> anyhow::Result<()> {
    let s = setup(None).await?;
    let mut settings = s.client.settings().clone();
    settings.refresh = false;
    let client = OidcClient::discover(settings).await?;
    let login = log_in(&client, &Browser::new()?, "yamada").await?;
    assert_eq!(login.refresh_token, None);
    // The provider did issue one: the same login through the refreshing client keeps it.
    let kept = log_in(&s.client, &Browser::new()?, "yamada").await?;
    let token = refresh_token_of(&kept)?;
    assert_eq!(
        reason(client.refresh(&token, &kept.sub).await),
        "oidc_settings"
    );
    Ok(())
}
