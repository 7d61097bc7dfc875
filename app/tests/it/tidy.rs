//! The house rules that a walk over `src/` can check (invariants 4 and 5 of ARCHITECTURE.md,
//! and module docs), so a rule broken by accident fails here rather than in review.

use std::path::{Path, PathBuf};

const FORBIDDEN_NAMES: [&str; 6] = ["util", "utils", "common", "helpers", "misc", "shared"];

struct Source {
    /// Path relative to `src/`, with `/` separators.
    path: String,
    text: String,
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<Source>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path: PathBuf = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap();
                out.push(Source {
                    path: relative.to_string_lossy().replace('\\', "/"),
                    text: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    assert!(out.len() > 10, "found only {} source files", out.len());
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_routes(path: &str) -> bool {
    file_name(path) == "routes.rs" || path.split('/').any(|part| part == "routes")
}

/// A store module: a `store.rs` file, or any file in a `store/` folder (as the workspace's
/// tidy test judges it), so a store split by role keeps its SQL where the rule allows it.
fn is_store(path: &str) -> bool {
    file_name(path) == "store.rs" || path.split('/').any(|part| part == "store")
}

/// A model module: a `model.rs` file, or any file in a `model/` folder.
fn is_model(path: &str) -> bool {
    file_name(path) == "model.rs" || path.split('/').any(|part| part == "model")
}

/// What gives SQL away in a line of code.
const SQL_MARKERS: [&str; 6] = [
    "sqlx::query",
    "query_as",
    "query_scalar",
    ".execute(",
    "SELECT ",
    "INSERT ",
];

/// The first SQL marker in `line`, if any.
fn sql_in(line: &str) -> Option<&'static str> {
    SQL_MARKERS.into_iter().find(|marker| line.contains(marker))
}

/// Lines of code, without comment lines, so that docs may name what code may not use.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

#[test]
fn every_module_opens_with_a_doc_paragraph() {
    for source in sources() {
        assert!(
            source.text.starts_with("//!"),
            "{} must open with a `//!` paragraph",
            source.path
        );
    }
}

#[test]
fn only_routes_modules_use_axum_or_askama() {
    for source in sources().iter().filter(|s| !is_routes(&s.path)) {
        for line in code_lines(&source.text) {
            assert!(
                !line.contains("axum") && !line.contains("askama"),
                "{} uses a web framework outside routes: {line}",
                source.path
            );
        }
    }
}

#[test]
fn sql_lives_only_in_store_modules() {
    for source in sources().iter().filter(|s| !is_store(&s.path)) {
        for line in code_lines(&source.text) {
            if let Some(marker) = sql_in(line) {
                panic!(
                    "{} runs SQL ({marker}) outside a store module: {line}",
                    source.path
                );
            }
        }
    }
}

#[test]
fn the_sql_rule_tells_store_modules_from_the_rest() {
    for store in [
        "store.rs",
        "facility/store.rs",
        "facility/store/booking.rs",
        "org/store/search/store.rs",
        "org/store/search/fold.rs",
    ] {
        assert!(is_store(store), "{store} is a store module");
    }
    for other in [
        "facility/model.rs",
        "facility/routes/reserve.rs",
        "schedule/saving.rs",
        "backup/restore.rs",
        "facility/stores.rs",
        "org/storefront/page.rs",
    ] {
        assert!(!is_store(other), "{other} is not a store module");
    }
    assert_eq!(
        sql_in(r#"let n: i64 = sqlx::query_scalar("SELECT 1").fetch_one(pool).await?;"#),
        Some("sqlx::query")
    );
    assert_eq!(sql_in("    .execute(&mut *conn)"), Some(".execute("));
    assert_eq!(sql_in("let n = cache.get(&key);"), None);
    assert!(is_model("facility/model.rs") && is_model("facility/model/slot.rs"));
    assert!(!is_model("facility/grid.rs"));
}

#[test]
fn models_do_no_io() {
    for source in sources().iter().filter(|s| is_model(&s.path)) {
        for line in code_lines(&source.text) {
            for io in [
                "std::fs",
                "std::net",
                "std::env",
                "tokio",
                "sqlx::query",
                "AnyPool",
                "now_utc",
            ] {
                assert!(
                    !line.contains(io),
                    "{} is a model but does IO ({io}): {line}",
                    source.path
                );
            }
        }
    }
}

#[test]
fn no_module_is_a_grab_bag() {
    for source in sources() {
        for part in source.path.trim_end_matches(".rs").split('/') {
            assert!(
                !FORBIDDEN_NAMES.contains(&part),
                "{}: name modules after what they do, not `{part}`",
                source.path
            );
        }
    }
}

#[test]
fn features_have_their_four_roles() {
    let sources = sources();
    for feature in ["org", "portal", "facility", "whereabouts", "memo"] {
        for role in ["mod.rs", "model.rs", "store.rs"] {
            let path = format!("{feature}/{role}");
            assert!(
                sources.iter().any(|s| s.path == path),
                "feature {feature} lacks {role}"
            );
        }
    }
}
