//! Parsing and validation, on small inline files and on every file shipped in `config/`.

use super::*;

const MINIMAL: &str = r#"
[server]
https = "127.0.0.1:8443"
data_dir = "/tmp/x"
[tls]
cert = "cert.pem"
key = "key.pem"
[[local_accounts]]
user = "a"
password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
name = "A"
[[routes]]
id = "app"
name = "ポータル"
upstreams = ["127.0.0.1:8701"]
identity = "assertion"
audience = "yakuba-app"
"#;

#[test]
fn a_minimal_file_parses_with_defaults() {
    let c = GatewayConfig::parse(MINIMAL).unwrap();
    c.validate().unwrap();
    assert_eq!(c.session.idle_timeout, Duration::from_secs(1800));
    assert_eq!(
        c.path(Path::new("gateway.db")),
        PathBuf::from("/tmp/x/gateway.db")
    );
    assert_eq!(c.path(Path::new("/abs")), PathBuf::from("/abs"));
}

#[test]
fn unknown_keys_are_errors() {
    let text = MINIMAL.replace("[tls]", "[tls]\nciphers = \"all\"");
    assert!(GatewayConfig::parse(&text).is_err());
}

#[test]
fn every_problem_is_reported_with_its_key_path() {
    let text = MINIMAL
        .replace(
            "upstreams = [\"127.0.0.1:8701\"]",
            "upstreams = [\"nowhere\"]",
        )
        .replace("audience = \"yakuba-app\"", "")
        + "[[routes]]\nid = \"app\"\nname = \"x\"\npath_prefix = \"x\"\nupstreams = []\nidentity = \"headers\"\n"
        + "[audit]\ndir = \"logs\"\ncheckpoint_dir = \"/tmp/x/logs\"\ncheckpoint_interval = \"0s\"\n";
    let c = GatewayConfig::parse(&text).unwrap();
    let errors = c.validate().unwrap_err().0;
    let keys: Vec<&str> = errors.iter().map(|p| p.key.as_str()).collect();
    for expected in [
        "routes[0].upstreams[0]",
        "routes[0].audience",
        "routes[1].id",
        "routes[1].path_prefix",
        "routes[1].upstreams",
        "routes[1].headers",
        "audit.checkpoint_dir",
        "audit.checkpoint_interval",
    ] {
        assert!(keys.contains(&expected), "{expected} missing from {keys:?}");
    }
}

fn gateway_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            gateway_files(&path, out);
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("gateway"))
            && path.extension().is_some_and(|e| e == "toml")
        {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_gateway_config_parses_and_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let mut files = Vec::new();
    gateway_files(&root, &mut files);
    assert!(
        files.len() >= 2,
        "expected the production and demo configs, found {files:?}"
    );
    for file in files {
        let config =
            GatewayConfig::load(&file).unwrap_or_else(|e| panic!("{}: {e:#}", file.display()));
        config
            .validate()
            .unwrap_or_else(|e| panic!("{}:\n{e}", file.display()));
    }
}

#[test]
fn several_openid_providers_are_configured_and_checked_together() {
    let provider = |id: &str, issuer: &str| {
        format!(
            "\n[[oidc]]\nid = \"{id}\"\ndisplay_name = {{ ja = \"{id}\", en = \"{id}\" }}\n\
             issuer = \"{issuer}\"\nclient_id = \"gw\"\nclient_secret_file = \"s\"\n\
             redirect_url = \"https://yakuba.example/.yakuba/oidc/{id}/callback\"\n"
        )
    };
    let two = format!(
        "{MINIMAL}{}{}",
        provider("city", "https://idp.city.example"),
        provider("pref", "https://idp.pref.example")
    );
    let c = GatewayConfig::parse(&two).unwrap();
    c.validate().unwrap();
    assert_eq!(c.oidc.len(), 2);
    assert_eq!(c.oidc[1].settings.id, "pref");

    // The same id twice, and an issuer over plain HTTP off loopback, are both reported.
    let bad = format!(
        "{MINIMAL}{}{}",
        provider("city", "https://idp.city.example"),
        provider("city", "http://idp.pref.example")
    );
    let problems = GatewayConfig::parse(&bad)
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(problems.contains("oidc[1].id"), "{problems}");
    assert!(problems.contains("issuer"), "{problems}");
}
