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
    for source in sources()
        .iter()
        .filter(|s| file_name(&s.path) != "store.rs")
    {
        for line in code_lines(&source.text) {
            for marker in [
                "sqlx::query",
                "query_as",
                "query_scalar",
                ".execute(",
                "SELECT ",
                "INSERT ",
            ] {
                assert!(
                    !line.contains(marker),
                    "{} runs SQL outside a store.rs: {line}",
                    source.path
                );
            }
        }
    }
}

#[test]
fn models_do_no_io() {
    for source in sources()
        .iter()
        .filter(|s| file_name(&s.path) == "model.rs")
    {
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
