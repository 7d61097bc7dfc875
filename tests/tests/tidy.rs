//! House rules that a walk over the sources can enforce (ARCHITECTURE.md, "Invariants").

#![expect(
    clippy::unwrap_used,
    reason = "a tidy check that cannot read the tree should fail loudly"
)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources(krate: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&root().join(krate).join("src"), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

fn uses(text: &str, krate: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        !l.starts_with("//")
            && (l.contains(&format!("use {krate}::")) || l.contains(&format!("{krate}::")))
    })
}

#[test]
fn sso_knows_nothing_of_the_frameworks() {
    let manifest = std::fs::read_to_string(root().join("sso/Cargo.toml")).unwrap();
    for framework in ["pingora", "axum", "askama", "sqlx"] {
        assert!(
            !manifest.contains(&format!("\n{framework}")),
            "sso depends on {framework}"
        );
        for (path, text) in sources("sso") {
            assert!(
                !uses(&text, framework),
                "{} uses {framework}",
                path.display()
            );
        }
    }
}

/// Whether `text` runs no SQL through sqlx.
fn is_sql_free(text: &str) -> bool {
    !["sqlx::query", "query_as::<", "query_scalar"]
        .iter()
        .any(|needle| text.contains(needle))
}

#[test]
fn the_sql_check_recognises_queries() {
    assert!(!is_sql_free(
        "let n: i64 = sqlx::query_scalar(\"SELECT 1\").fetch_one(&pool).await?;"
    ));
    assert!(is_sql_free("let n = cache.get(&key);"));
}

#[test]
fn sql_lives_only_in_store_modules() {
    for krate in ["app", "gateway"] {
        let src = root().join(krate).join("src");
        for (path, text) in sources(krate) {
            // Judged by the path inside the crate's src/ (the checkout's own path may hold
            // any name): a store.rs file, or anything in a store/ folder.
            let inner = path.strip_prefix(&src).unwrap();
            let is_store = inner.file_name().is_some_and(|n| n == "store.rs")
                || inner.components().any(|c| c.as_os_str() == "store");
            if !is_store && !is_sql_free(&text) {
                panic!("{} runs SQL outside a store module", path.display());
            }
        }
    }
}

// The app's own layout rules (doc paragraphs, routes-only axum/askama, the four roles of a
// feature folder) are checked in app/tests/it/tidy.rs.

#[test]
fn model_modules_do_no_io() {
    for krate in ["app", "gateway"] {
        for (path, text) in sources(krate) {
            if path.file_name().is_some_and(|n| n == "model.rs") {
                // Deriving `sqlx::Type` for an id newtype is a declaration, not IO.
                for io in [
                    "sqlx::query",
                    "Pool",
                    "Executor",
                    "std::fs",
                    "tokio::fs",
                    "std::net",
                    "tokio::net",
                    "reqwest",
                ] {
                    assert!(!text.contains(io), "{} does IO via {io}", path.display());
                }
            }
        }
    }
}

#[test]
fn no_grab_bag_modules() {
    let banned = ["util", "utils", "common", "helpers", "misc", "shared"];
    for krate in ["app", "gateway", "sso", "tests"] {
        let mut files = Vec::new();
        rust_files(&root().join(krate).join("src"), &mut files);
        for path in files {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let parent = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            assert!(
                !banned.contains(&stem.as_str()),
                "{} is a grab-bag module",
                path.display()
            );
            assert!(
                !banned.contains(&parent.as_str()),
                "{} is in a grab-bag folder",
                path.display()
            );
        }
    }
}

#[test]
fn the_gateway_never_opens_the_apps_database_and_vice_versa() {
    for (path, text) in sources("gateway") {
        assert!(
            !text.contains("app.db") && !text.contains("yakuba_app"),
            "{} refers to the app's database",
            path.display()
        );
    }
    for (path, text) in sources("app") {
        assert!(
            !text.contains("sessions.db") && !text.contains("FROM sessions"),
            "{} refers to the gateway's store",
            path.display()
        );
    }
}
