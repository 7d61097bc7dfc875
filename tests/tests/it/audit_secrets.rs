//! Never log secrets: staff log in through every path the gateway offers (a local account,
//! OpenLDAP, Active Directory, an OpenID provider) and use systems with vaulted credentials
//! (HTTP Basic and a login form); then every log output (the audit segments of gateway and
//! app, the stderr of every process, a syslog collector over UDP and TCP) is searched for
//! every secret used: passwords, tokens, the authorization code, cookies, raw session ids and
//! vault secrets, as written and as a form or a Basic header would carry them.

use std::io::Read as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use harness::oidc::{Browser, OidcClientSpec, OidcOptions, OidcProvider, sample_accounts};
use harness::process::free_port;
use harness::samba::{self, SambaDc};
use harness::samples::LegacySso;
use harness::slapd::{self, Slapd};
use harness::system::{LOCAL_PASSWORD, LdapTarget, System, SystemOptions};
use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};

use crate::client::{self, get, hidden, post_form};

const CLIENT_SECRET: &str = "oidc-client-secret-never-logged-4711";
const BASIC_PASSWORD: &str = "文書の秘密パス9";
const FORM_PASSWORD: &str = "庶務の秘密パス8";

/// Syslog messages received on loopback, over UDP and TCP.
struct Collector {
    udp: std::net::SocketAddr,
    tcp: std::net::SocketAddr,
    text: Arc<Mutex<String>>,
}

impl Collector {
    fn start() -> Collector {
        let text = Arc::new(Mutex::new(String::new()));
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (udp_addr, tcp_addr) = (udp.local_addr().unwrap(), tcp.local_addr().unwrap());
        let sink = text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = udp.recv(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let sink = text.clone();
        std::thread::spawn(move || {
            for stream in tcp.incoming() {
                let Ok(mut stream) = stream else { return };
                let sink = sink.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 65536];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            return;
                        }
                        sink.lock()
                            .unwrap()
                            .push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                });
            }
        });
        Collector {
            udp: udp_addr,
            tcp: tcp_addr,
            text,
        }
    }

    fn toml(&self) -> String {
        format!(
            "[[audit.syslog]]\naddress = \"{}\"\ntransport = \"udp\"\n\
             [[audit.syslog]]\naddress = \"{}\"\ntransport = \"tcp\"\n",
            self.udp, self.tcp
        )
    }

    fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }
}

/// The forms a secret could take in a log: as is, form-encoded, percent-encoded.
fn forms_of(secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let mut forms = vec![secret.to_owned(), form, percent];
    forms.dedup();
    forms
}

/// Panic naming the first secret found in `logs`.
fn assert_no_secret(logs: &str, secrets: &[(&str, String)]) {
    assert!(logs.len() > 10_000, "suspiciously little was logged");
    for (what, secret) in secrets {
        assert!(
            secret.len() >= 8,
            "{what} is too short to search for: {secret:?}"
        );
        for form in forms_of(secret) {
            assert!(!logs.contains(&form), "{what} ({form}) appears in a log");
        }
    }
}

/// A browser's cookie jar for the gateway's origin.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, resp: &reqwest::Response) {
        for value in resp.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            self.0.retain(|(n, _)| n != name);
            if !value.is_empty() && !text.contains("Max-Age=0") {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn values(&self) -> Vec<(String, String)> {
        self.0.clone()
    }
}

async fn navigate(sys: &System, jar: &mut Jar, path: &str) -> reqwest::Response {
    let resp = sys
        .client()
        .unwrap()
        .get(sys.url(path))
        .header(COOKIE, jar.header())
        .header(ACCEPT, "text/html")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    jar.take(&resp);
    resp
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// Follow the gateway's redirects within its own origin until a page answers.
async fn open(sys: &System, jar: &mut Jar, path: &str) -> reqwest::Response {
    let mut path = path.to_owned();
    for _ in 0..8 {
        let resp = navigate(sys, jar, &path).await;
        if !resp.status().is_redirection() {
            return resp;
        }
        path = location(&resp);
    }
    panic!("too many redirects from {path}");
}

/// Enrol `login`/`password` on the vault page at `enrol_path`.
async fn enrol(sys: &System, jar: &mut Jar, enrol_path: &str, login: &str, password: &str) {
    let html = navigate(sys, jar, enrol_path).await.text().await.unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let return_to = hidden(&html, "return").unwrap();
    let resp = sys
        .client()
        .unwrap()
        .post(sys.url(enrol_path.split('?').next().unwrap()))
        .header(COOKIE, jar.header())
        .form(&[
            ("csrf", csrf.as_str()),
            ("return", return_to.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "enrolment at {enrol_path}");
    jar.take(&resp);
}

/// JWTs (`eyJ…​.…​.…`) in some bytes: tokens the gateway keeps in its session store.
fn jwts_in(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut found = Vec::new();
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("eyJ") {
        let token: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        rest = &rest[at + token.len().max(3)..];
        if token.matches('.').count() == 2 && token.len() > 100 {
            found.push(token);
        }
    }
    found
}

#[tokio::test]
async fn no_secret_of_a_local_ldap_oidc_or_vault_login_reaches_any_log() {
    let collector = Collector::start();
    let ldap = Slapd::start(&slapd::sample_directory_ldif()).unwrap();
    let bunsho = LegacySso::start(
        "basic",
        "文書管理",
        &["--account", &format!("tanaka:{BASIC_PASSWORD}")],
    )
    .unwrap();
    let shomu = LegacySso::start(
        "form",
        "庶務事務",
        &["--account", &format!("tanaka:{FORM_PASSWORD}")],
    )
    .unwrap();
    let gw_port = free_port().unwrap();
    let idp_port = free_port().unwrap();
    let origin = format!("https://localhost:{gw_port}");
    let secret_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret_file.path(), format!("{CLIENT_SECRET}\n")).unwrap();
    let sys = System::start(SystemOptions {
        https_port: Some(gw_port),
        ldap: Some(LdapTarget {
            url: ldap.url.clone(),
            bind_dn: ldap.admin_dn.clone(),
            bind_password: ldap.admin_password.clone(),
            base_dn: ldap.base_dn.clone(),
            section: None,
        }),
        extra_gateway_toml: format!(
            r#"
[[routes]]
id = "keiyaku"
name = "契約管理"
path_prefix = "/keiyaku/"
upstreams = ["{{legacy0}}"]
identity = "assertion"
audience = "keiyaku"
[[routes]]
id = "bunsho"
name = "文書管理"
path_prefix = "/bunsho/"
upstreams = ["{bunsho}"]
identity = "basic"
[[routes]]
id = "shomu"
name = "庶務事務"
path_prefix = "/shomu/"
upstreams = ["{shomu}"]
identity = "form_login"
strip_prefix = true
[routes.form_login]
login_path = "/login"
logout_path = "/logout"
marker = "ログインしてください"
username_field = "user_id"
password_field = "passwd"
charset = "shift_jis"
[[oidc]]
id = "city"
display_name = {{ ja = "庁内統合認証", en = "City sign-in" }}
issuer = "http://127.0.0.1:{idp_port}"
client_id = "gateway"
client_secret_file = "{secret}"
redirect_url = "{origin}/.yakuba/oidc/city/callback"
post_logout_redirect_url = "{origin}/.yakuba/login?logged_out=1"
scopes = ["profile", "email", "groups", "department"]
[audit]
{syslog}"#,
            bunsho = bunsho.addr,
            shomu = shomu.addr,
            secret = secret_file.path().display(),
            syslog = collector.toml(),
        ),
        ..SystemOptions::default()
    })
    .unwrap();
    let _idp = OidcProvider::start(OidcOptions {
        port: Some(idp_port),
        clients: vec![OidcClientSpec {
            client_id: "gateway".into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![format!("{origin}/.yakuba/oidc/city/callback")],
            post_logout_redirect_uris: vec![format!("{origin}/.yakuba/login?logged_out=1")],
            backchannel_logout_uri: None,
        }],
        extra_ca_file: Some(sys.data_dir().join("tls/cert.pem")),
        ..OidcOptions::default()
    })
    .unwrap();
    let mut secrets: Vec<(&str, String)> = vec![
        ("the local password", LOCAL_PASSWORD.to_owned()),
        (
            "the LDAP user's password",
            slapd::TANAKA.password.to_owned(),
        ),
        ("the LDAP service password", ldap.admin_password.clone()),
        ("the OpenID client secret", CLIENT_SECRET.to_owned()),
        ("the Basic vault password", BASIC_PASSWORD.to_owned()),
        ("the form vault password", FORM_PASSWORD.to_owned()),
        (
            "the Basic header",
            base64::engine::general_purpose::STANDARD.encode(format!("tanaka:{BASIC_PASSWORD}")),
        ),
    ];

    // A local account, with a failed attempt first (its wrong password is a secret too).
    let wrong = "wrong-local-guess-77";
    assert_eq!(client::login(&sys, "yamada", wrong).await.status, 401);
    secrets.push(("a mistyped password", wrong.to_owned()));
    let local = client::login(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(local.status, 303);
    let local_cookie = format!("__Host-yakuba_session={}", local.session.clone().unwrap());
    secrets.push(("a session id", local.session.unwrap()));
    let portal = get(&sys, "/", Some(&local_cookie))
        .await
        .text()
        .await
        .unwrap();
    // The assertion a system receives is a token too.
    let echo: serde_json::Value = get(&sys, "/keiyaku/_echo", Some(&local_cookie))
        .await
        .json()
        .await
        .unwrap();
    let assertion = echo["headers"]["x-yakuba-assertion"][0]
        .as_str()
        .expect("the system got an assertion")
        .to_owned();
    secrets.push(("an identity assertion", assertion));
    let csrf = hidden(&portal, "csrf").unwrap();
    post_form(
        &sys,
        "/.yakuba/logout",
        &local_cookie,
        &[("csrf", csrf.as_str())],
    )
    .await;

    // The directory (OpenLDAP): log in, then use both vaulted systems.
    let page = sys
        .client()
        .unwrap()
        .get(sys.url("/.yakuba/login"))
        .send()
        .await
        .unwrap();
    let nonce = client::set_cookie(&page, "__Host-yakuba_login").unwrap();
    secrets.push(("a login form cookie", nonce));
    let tanaka = client::login(&sys, slapd::TANAKA.uid, slapd::TANAKA.password).await;
    assert_eq!(tanaka.status, 303, "{}", tanaka.body);
    let mut jar = Jar::default();
    jar.0.push((
        "__Host-yakuba_session".into(),
        tanaka.session.clone().unwrap(),
    ));
    secrets.push(("a directory user's session id", tanaka.session.unwrap()));
    let first = navigate(&sys, &mut jar, "/bunsho/_whoami").await;
    enrol(&sys, &mut jar, &location(&first), "tanaka", BASIC_PASSWORD).await;
    let basic = navigate(&sys, &mut jar, "/bunsho/_whoami").await;
    assert_eq!(basic.status(), 200);
    // The form system's login page leads to enrolment first.
    let shomu_page = open(&sys, &mut jar, "/shomu/menu").await;
    assert_eq!(shomu_page.status(), 200);
    assert!(shomu_page.url().path().starts_with("/.yakuba/vault/shomu"));
    enrol(
        &sys,
        &mut jar,
        "/.yakuba/vault/shomu?return=%2Fshomu%2Fmenu",
        "tanaka",
        FORM_PASSWORD,
    )
    .await;
    let menu = open(&sys, &mut jar, "/shomu/menu").await;
    assert_eq!(menu.status(), 200);
    // Every cookie the browser now holds (the gateway's and the systems' own sessions).
    for (_, value) in jar.values().into_iter().filter(|(_, v)| v.len() >= 8) {
        secrets.push(("a cookie", value));
    }

    // The OpenID provider: the code flow, then a logout that carries the ID token.
    let account = sample_accounts()
        .into_iter()
        .find(|a| a.login == "sato")
        .unwrap();
    let started = get(&sys, "/.yakuba/oidc/city/start?return_to=%2F", None).await;
    assert_eq!(started.status(), 303);
    let state_cookie = client::set_cookie(&started, "__Host-yakuba_oidc").unwrap();
    let browser = Browser::new().unwrap();
    let back = browser
        .login(
            &location(&started),
            &account.login,
            &account.password,
            &format!("{origin}/.yakuba/oidc/city/callback"),
        )
        .await
        .unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("an authorization code");
    let callback = sys
        .client()
        .unwrap()
        .get(sys.url(&format!("{}?{}", back.path(), back.query().unwrap())))
        .header(COOKIE, format!("__Host-yakuba_oidc={state_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), 303);
    let oidc_session = client::set_cookie(&callback, "__Host-yakuba_session").unwrap();
    secrets.push(("the OpenID user's password", account.password.clone()));
    secrets.push(("the authorization code", code));
    secrets.push(("the OpenID state cookie", state_cookie));
    secrets.push(("an OpenID user's session id", oidc_session.clone()));
    let cookie = format!("__Host-yakuba_session={oidc_session}");
    let portal = get(&sys, "/", Some(&cookie)).await.text().await.unwrap();
    let csrf = hidden(&portal, "csrf").unwrap();
    let out = post_form(&sys, "/.yakuba/logout", &cookie, &[("csrf", csrf.as_str())]).await;
    let to_idp = location(&out);
    let id_token = reqwest::Url::parse(&to_idp)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "id_token_hint")
        .map(|(_, v)| v.into_owned())
        .expect("the logout carries the ID token");
    secrets.push(("an ID token", id_token));
    for token in jwts_in(&std::fs::read(sys.data_dir().join("gateway.db")).unwrap()) {
        secrets.push(("a token kept in the session store", token));
    }

    // Everything is written (the writer drains every 20 ms; collectors get their copies).
    assert!(sys.audit_has(|r| r["kind"] == "logout" && r["user"] == "sato"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let syslog = collector.text();
    assert!(
        syslog.contains("\"user\":{\"name\":\"tanaka\""),
        "the collector got records"
    );
    let logs = format!("{}{syslog}", sys.all_logs());
    for needle in [
        "vault_enrolled",
        "\"auth_method\":\"oidc\"",
        "\"auth_method\":\"ldap\"",
    ] {
        assert!(logs.contains(needle), "the logs lack {needle}");
    }
    assert_no_secret(&logs, &secrets);
}

#[tokio::test]
async fn no_secret_of_an_active_directory_login_reaches_any_log() {
    let dc = SambaDc::shared().unwrap();
    let collector = Collector::start();
    let section = format!(
        r#"
[ldap]
urls = ["{url}"]
ca_file = "{ca}"
bind_dn = "{svc}"
bind_password_file = "ldap.password"
user_base = "{staff}"
user_filter = "(&(objectCategory=person)(objectClass=user)(sAMAccountName={{login}}))"
upn_filter = "(&(objectCategory=person)(objectClass=user)(userPrincipalName={{login}}))"
domains = ["{domain}"]
group_base = "{base}"
group_filter = "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={{dn}}))"
timeout = "5s"
[ldap.attributes]
login = "sAMAccountName"
department = "department"
"#,
        url = samba::LDAPS_URL,
        ca = dc.ca_file.display(),
        svc = samba::SERVICE_DN,
        staff = samba::STAFF_OU,
        domain = samba::DOMAIN,
        base = samba::BASE_DN,
    );
    let sys = System::start(SystemOptions {
        ldap: Some(LdapTarget {
            url: samba::LDAPS_URL.to_owned(),
            bind_dn: samba::SERVICE_DN.to_owned(),
            bind_password: samba::SERVICE_PASSWORD.to_owned(),
            base_dn: samba::BASE_DN.to_owned(),
            section: Some(section),
        }),
        extra_gateway_toml: format!("[audit]\n{}", collector.toml()),
        ..SystemOptions::default()
    })
    .unwrap();
    let t = samba::TANAKA;
    let wrong = "ad-wrong-guess-3141";
    assert_eq!(client::login(&sys, t.login, wrong).await.status, 401);
    let by_upn = client::login(
        &sys,
        &format!("{}@{}", t.login, samba::UPN_SUFFIX),
        t.password,
    )
    .await;
    assert_eq!(by_upn.status, 303, "{}", by_upn.body);
    let by_domain =
        client::login(&sys, &format!("{}\\{}", samba::DOMAIN, t.login), t.password).await;
    assert_eq!(by_domain.status, 303);
    let cookie = format!(
        "__Host-yakuba_session={}",
        by_domain.session.clone().unwrap()
    );
    assert_eq!(get(&sys, "/zaimu/", Some(&cookie)).await.status(), 200);
    assert!(sys.audit_has(|r| r["kind"] == "request" && r["route"] == "zaimu"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let logs = format!("{}{}", sys.all_logs(), collector.text());
    assert!(logs.contains("\"auth_method\":\"ldap\""));
    assert_no_secret(
        &logs,
        &[
            ("the AD user's password", t.password.to_owned()),
            (
                "the AD service password",
                samba::SERVICE_PASSWORD.to_owned(),
            ),
            ("a mistyped password", wrong.to_owned()),
            ("a session id", by_upn.session.unwrap()),
            ("a session id", by_domain.session.unwrap()),
        ],
    );
}
