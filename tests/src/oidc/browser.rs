//! The browser side of OpenID Connect tests: [`Browser`] walks the provider's login and logout
//! pages without JavaScript, and [`LogoutTokenCatcher`] is a relying party's back-channel
//! logout endpoint that keeps what it receives.

use std::collections::HashMap;
use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::routing::post;
use reqwest::Url;
use reqwest::redirect::Policy;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::MAX_STEPS;

/// A cookie-keeping HTTP client that follows the provider's redirects by hand, fills in the
/// login form and submits the logout confirmation, and stops at the relying party.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
}

/// What the provider showed, when it was a form the browser knows.
enum Page {
    Login {
        action: String,
    },
    LogoutConfirmation {
        action: String,
        fields: Vec<(String, String)>,
    },
    Other,
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new() -> anyhow::Result<Browser> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the test browser's HTTP client")?;
        Ok(Browser { http })
    }

    /// Opens `authorization_url`, logs in with `login` and `password` (consent is automatic)
    /// and returns the redirect that leaves the provider for a URL starting with `stop_at`,
    /// usually the relying party's redirect URI with `code` and `state`.
    ///
    /// A provider session from an earlier login is reused: then no form is shown.
    pub async fn login(
        &self,
        authorization_url: &str,
        login: &str,
        password: &str,
        stop_at: &str,
    ) -> anyhow::Result<Url> {
        self.walk(authorization_url, Some((login, password)), stop_at)
            .await
    }

    /// Opens a logout URL (the provider's end-session endpoint), confirms the logout and
    /// returns the redirect to a URL starting with `stop_at` (the post-logout redirect URI).
    pub async fn logout(&self, logout_url: &str, stop_at: &str) -> anyhow::Result<Url> {
        self.walk(logout_url, None, stop_at).await
    }

    async fn walk(
        &self,
        start: &str,
        credentials: Option<(&str, &str)>,
        stop_at: &str,
    ) -> anyhow::Result<Url> {
        let mut url = Url::parse(start).with_context(|| format!("parsing {start}"))?;
        let mut response = self.http.get(url.clone()).send().await?;
        let mut logins_submitted = 0;
        for _ in 0..MAX_STEPS {
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .with_context(|| {
                        format!("{} from {url} without Location", response.status())
                    })?;
                url = url
                    .join(location)
                    .with_context(|| format!("resolving Location {location} against {url}"))?;
                if url.as_str().starts_with(stop_at) {
                    return Ok(url);
                }
                response = self.http.get(url.clone()).send().await?;
                continue;
            }
            let status = response.status();
            let body = response.text().await?;
            match read_page(&body) {
                Page::Login { action } => {
                    let Some((login, password)) = credentials else {
                        bail!("{url} asked for a login during a logout");
                    };
                    if logins_submitted > 0 {
                        bail!("the provider refused the login of {login}: {body}");
                    }
                    logins_submitted += 1;
                    url = url.join(&action)?;
                    let form = [("login", login), ("password", password)];
                    response = self.http.post(url.clone()).form(&form).send().await?;
                }
                Page::LogoutConfirmation { action, fields } => {
                    url = url.join(&action)?;
                    response = self.http.post(url.clone()).form(&fields).send().await?;
                }
                Page::Other => bail!("unexpected page from {url} ({status}): {body}"),
            }
        }
        bail!("no redirect to {stop_at} after {MAX_STEPS} requests; last at {url}")
    }
}

/// Recognises the provider's login form and its logout confirmation form.
fn read_page(html: &str) -> Page {
    if let Some(form) = form_tag(html, "login")
        && let Some(action) = attribute(form.tag, "action")
    {
        return Page::Login { action };
    }
    if let Some(form) = form_tag(html, "op.logoutForm")
        && let Some(action) = attribute(form.tag, "action")
    {
        let fields = form
            .inner
            .split("<input")
            .skip(1)
            .filter_map(|input| {
                let tag = input.split('>').next()?;
                Some((attribute(tag, "name")?, attribute(tag, "value")?))
            })
            .collect();
        return Page::LogoutConfirmation { action, fields };
    }
    Page::Other
}

struct FormTag<'a> {
    tag: &'a str,
    inner: &'a str,
}

/// The opening tag and the contents of the `<form>` with the given `id`.
fn form_tag<'a>(html: &'a str, id: &str) -> Option<FormTag<'a>> {
    let marker = format!("id=\"{id}\"");
    html.split("<form").skip(1).find_map(|rest| {
        let (tag, after) = rest.split_once('>')?;
        if !tag.contains(&marker) {
            return None;
        }
        let inner = after.split("</form>").next().unwrap_or(after);
        Some(FormTag { tag, inner })
    })
}

/// A double-quoted attribute's value, with the entities the provider's pages use decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = tag.get(start..)?.split('"').next()?;
    Some(decode_entities(value))
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(end) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = &after[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A back-channel logout endpoint on a free loopback port: it answers every POSTed
/// `logout_token` with 200 and keeps the tokens for [`LogoutTokenCatcher::next_token`].
/// Runs on its own thread and runtime, so it serves whatever the test's runtime is doing.
#[derive(Debug)]
pub struct LogoutTokenCatcher {
    uri: String,
    tokens: Mutex<mpsc::UnboundedReceiver<String>>,
    _stop: oneshot::Sender<()>,
}

impl LogoutTokenCatcher {
    /// Starts listening; the endpoint is [`LogoutTokenCatcher::uri`].
    pub fn start() -> anyhow::Result<LogoutTokenCatcher> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("binding the back-channel logout listener")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let (sender, receiver) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the back-channel listener's runtime")?;
        std::thread::Builder::new()
            .name("logout-token-catcher".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = Router::new()
                        .route("/backchannel-logout", post(receive))
                        .with_state(sender);
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })
            .context("starting the back-channel listener's thread")?;
        Ok(LogoutTokenCatcher {
            uri: format!("http://127.0.0.1:{port}/backchannel-logout"),
            tokens: Mutex::new(receiver),
            _stop: stop,
        })
    }

    /// The URI to register as `backchannel_logout_uri`.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The next logout token received, waiting up to `timeout`.
    pub async fn next_token(&self, timeout: Duration) -> anyhow::Result<String> {
        let mut tokens = self.tokens.lock().await;
        match tokio::time::timeout(timeout, tokens.recv()).await {
            Ok(Some(token)) => Ok(token),
            Ok(None) => bail!("the back-channel listener at {} stopped", self.uri),
            Err(_) => bail!("no logout token reached {} within {timeout:?}", self.uri),
        }
    }
}

async fn receive(
    State(tokens): State<mpsc::UnboundedSender<String>>,
    Form(form): Form<HashMap<String, String>>,
) -> StatusCode {
    match form.get("logout_token") {
        Some(token) => {
            let _ = tokens.send(token.clone());
            StatusCode::OK
        }
        None => StatusCode::BAD_REQUEST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logout_confirmation_form_is_read_with_its_hidden_fields() {
        let html = r#"<h1>x</h1><form id="op.logoutForm" method="post" action="http://127.0.0.1:1/session/end/confirm"><input type="hidden" name="xsrf" value="a&amp;b"/><input type="hidden" name="logout" value="yes"/></form>"#;
        let Page::LogoutConfirmation { action, fields } = read_page(html) else {
            panic!("not recognised");
        };
        assert_eq!(action, "http://127.0.0.1:1/session/end/confirm");
        assert_eq!(
            fields,
            [
                ("xsrf".to_owned(), "a&b".to_owned()),
                ("logout".to_owned(), "yes".to_owned())
            ]
        );
    }

    #[test]
    fn entities_decode_and_unknown_ones_stay() {
        assert_eq!(decode_entities("a&#38;b&#x3c;&bogus;c&"), "a&b<&bogus;c&");
    }
}
