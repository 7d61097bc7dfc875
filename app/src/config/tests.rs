//! Unit tests of the configuration: the shipped files, defaults, every problem with its key
//! path, database URLs and working hours.

use super::*;

const MINIMAL: &str = r#"
        database = "sqlite://var/app.db"
        [assertion]
        verify_key = "assertion.pub"
    "#;

fn problems(text: &str) -> Vec<Problem> {
    match Config::parse(text, "test.toml") {
        Ok(config) => panic!("expected problems, got {config:?}"),
        Err(e) => e.problems,
    }
}

fn keys(text: &str) -> Vec<String> {
    problems(text).into_iter().map(|p| p.key).collect()
}

/// Every shipped file under `config/` whose name mentions the app.
fn shipped_app_configs(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            shipped_app_configs(&path, found);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("app") && n.ends_with(".toml"))
        {
            found.push(path);
        }
    }
}

#[test]
fn every_shipped_app_config_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let mut files = Vec::new();
    shipped_app_configs(&dir, &mut files);
    assert!(
        files.len() >= 2,
        "expected config/app.toml and config/demo/app.toml, found {files:?}"
    );
    for file in files {
        if let Err(e) = Config::load(&file) {
            panic!("{e}");
        }
    }
}

#[test]
fn defaults_listen_on_loopback_in_japanese() {
    let config = Config::parse(MINIMAL, "test.toml").unwrap();
    assert_eq!(config.listen, "127.0.0.1:8701".parse().unwrap());
    assert!(config.listen.ip().is_loopback());
    assert_eq!(config.default_lang, Lang::Ja);
    assert!(!config.seed_demo_if_empty);
    assert_eq!(config.assertion.audience, "yakuba-app");
    assert_eq!(config.assertion.max_skew, Duration::from_secs(5));
    assert_eq!(config.assertion.max_lifetime, Duration::from_secs(300));
    assert_eq!(
        config.database,
        DatabaseUrl::Sqlite {
            path: "var/app.db".into()
        }
    );
}

#[test]
fn database_urls_select_their_backend() {
    let table = [
        ("sqlite://var/demo/app.db", Some(Backend::Sqlite)),
        ("sqlite:///var/lib/yakuba/app.db", Some(Backend::Sqlite)),
        ("sqlite:app.db", Some(Backend::Sqlite)),
        ("postgres://yakuba@db.example/app", Some(Backend::Postgres)),
        (
            "postgresql://yakuba:pw@10.0.0.5:5432/app",
            Some(Backend::Postgres),
        ),
        ("sqlite::memory:", None),
        ("sqlite://", None),
        ("sqlite://app.db?mode=ro", None),
        ("postgres:///app", None),
        ("mysql://db/app", None),
        ("/var/lib/yakuba/app.db", None),
    ];
    for (text, expected) in table {
        assert_eq!(
            DatabaseUrl::parse(text).ok().map(|url| url.backend()),
            expected,
            "{text}"
        );
    }
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/yakuba/app.db").unwrap(),
        DatabaseUrl::Sqlite {
            path: "/var/lib/yakuba/app.db".into()
        }
    );
}

#[test]
fn database_passwords_never_show() {
    let url = DatabaseUrl::parse("postgres://yakuba:s3cret@db/app").unwrap();
    assert!(!format!("{url}").contains("s3cret"));
    assert!(!format!("{url:?}").contains("s3cret"));
    let text = r#"
            database = "mysql://yakuba:s3cret@db/app"
            [assertion]
            verify_key = "k"
        "#;
    let shown: String = problems(text).iter().map(|p| p.to_string()).collect();
    assert!(shown.contains("database"), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn every_problem_is_reported_at_once_with_its_key() {
    let text = r#"
            database = "oracle://x"
            [assertion]
            verify_key = ""
            audience = " "
            max_skew = "5"
            max_lifetime = "0s"
        "#;
    assert_eq!(
        keys(text),
        [
            "database",
            "assertion.max_skew",
            "assertion.max_lifetime",
            "assertion.audience",
            "assertion.verify_key",
        ]
    );
}

#[test]
fn unknown_keys_are_refused_with_their_place() {
    let text = r#"
            database = "sqlite://a.db"
            [assertion]
            verify_key = "k"
            max_skw = "5s"
        "#;
    let found = problems(text);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("max_skw"), "{found:?}");
    assert_eq!(found[0].key, "assertion.max_skw");
}

#[test]
fn parse_errors_name_the_key_to_fix() {
    let table = [
        ("[assertion]\nverify_key = \"k\"\n", "database"),
        ("database = \"sqlite://a\"\n", "assertion"),
        (
            "database = \"sqlite://a\"\n\n[assertion]\naudience = \"x\"\n",
            "assertion.verify_key",
        ),
        (
            "database = \"sqlite://a\"\n[assertion]\nverify_key = \"k\"\n[extra]\nx = 1\n",
            "extra",
        ),
        (
            "database = 1\n[assertion]\nverify_key = \"k\"\n",
            "database",
        ),
        (
            "database = \"sqlite://a\"\nlisten = \"x\"\n[assertion]\nverify_key = \"k\"\n",
            "listen",
        ),
        (
            "database = \"sqlite://a\"\n[assertion]\nverify_key = \"k\"\naudience = 3\n",
            "assertion.audience",
        ),
    ];
    for (text, key) in table {
        assert_eq!(keys(text), [key], "{text}");
    }
}

#[test]
fn a_bad_language_is_refused() {
    let text = r#"
            database = "sqlite://a.db"
            default_lang = "fr"
            [assertion]
            verify_key = "k"
        "#;
    assert_eq!(keys(text), ["default_lang"]);
}

#[test]
fn a_missing_verify_key_file_is_found_by_check_files() {
    let config = Config::parse(MINIMAL, "test.toml").unwrap();
    let found = config.check_files();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, "assertion.verify_key");
}

#[test]
fn working_hours_default_to_0830_1715_and_are_configured_with_a_break() {
    let config = Config::parse(MINIMAL, "test.toml").unwrap();
    assert_eq!(config.working_hours, WorkingHours::default());
    let text = format!(
        "{MINIMAL}\n[schedule]\nwork_start = \"09:00\"\nwork_end = \"17:45\"\n\
         break_start = \"12:00\"\nbreak_end = \"13:00\"\n"
    );
    let hours = Config::parse(&text, "test.toml").unwrap().working_hours;
    let at = |h, m| time::Time::from_hms(h, m, 0).unwrap();
    assert_eq!(
        (hours.start(), hours.end(), hours.pause()),
        (at(9, 0), at(17, 45), Some((at(12, 0), at(13, 0))))
    );
}

#[test]
fn bad_working_hours_are_reported_with_their_keys() {
    let table = [
        ("work_start = \"8:30\"", "schedule.work_start"),
        ("work_end = \"17:75\"", "schedule.work_end"),
        (
            "work_start = \"18:00\"\nwork_end = \"09:00\"",
            "schedule.work_end",
        ),
        ("break_start = \"12:00\"", "schedule.break_start"),
        (
            "break_start = \"13:00\"\nbreak_end = \"12:00\"",
            "schedule.break_end",
        ),
        (
            "break_start = \"07:00\"\nbreak_end = \"08:00\"",
            "schedule.break_start",
        ),
        ("lunch = \"12:00-13:00\"", "schedule.lunch"),
    ];
    for (lines, key) in table {
        let text = format!("{MINIMAL}\n[schedule]\n{lines}\n");
        assert_eq!(keys(&text), [key], "{lines}");
    }
}

#[test]
fn errors_list_every_problem() {
    let e = Config::parse("database = 1", "x.toml").unwrap_err();
    assert!(e.to_string().starts_with("1 problem in x.toml:"), "{e}");
}
