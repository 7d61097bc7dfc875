//! Reading the audit segments the real processes write, for whole-system tests: every record
//! as written (Elastic Common Schema), with short keys added for matching.

use std::path::Path;

/// The dotted ECS paths behind the short keys tests match on.
const SHORT_KEYS: &[(&str, &[&str])] = &[
    ("kind", &["event", "action"]),
    ("reason", &["event", "reason"]),
    ("decision", &["yakuba", "decision"]),
    ("status", &["http", "response", "status_code"]),
    ("path", &["url", "path"]),
    ("route", &["yakuba", "route"]),
    ("session", &["yakuba", "session"]),
    ("rule", &["rule", "name"]),
    ("credential", &["yakuba", "credential"]),
];

/// Every record in the segment files of `dir` (oldest segment first), each as written plus
/// the short keys `kind` (`event.action`), `reason`, `decision`, `status`, `path`, `route`,
/// `session`, `rule`, `credential`, `user` (the user acted on, else the one who acted; it replaces the ECS
/// `user` object, which [`ecs_records`] keeps) and `actor` (the one who acted on another).
pub fn records(dir: &Path) -> Vec<serde_json::Value> {
    ecs_records(dir).into_iter().map(with_short_keys).collect()
}

/// The text of every segment file in `dir` (compressed ones decompressed), oldest first.
fn segment_texts(dir: &Path) -> Vec<String> {
    sso::audit::segment::list(dir)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            // A segment may be compressed between listing and reading.
            let contents = sso::audit::segment::read(&s.path).or_else(|_| {
                sso::audit::segment::read(&sso::audit::segment::compressed_path(&s.path))
            });
            contents
                .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Every record in the segment files of `dir` (oldest segment first), exactly as written.
pub fn ecs_records(dir: &Path) -> Vec<serde_json::Value> {
    segment_texts(dir)
        .iter()
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn with_short_keys(mut record: serde_json::Value) -> serde_json::Value {
    let get =
        |r: &serde_json::Value, path: &[&str]| path.iter().fold(r.clone(), |v, k| v[*k].clone());
    let mut added: Vec<(&str, serde_json::Value)> = SHORT_KEYS
        .iter()
        .map(|(short, path)| (*short, get(&record, path)))
        .collect();
    let name = get(&record, &["user", "name"]);
    match get(&record, &["user", "target", "name"]) {
        serde_json::Value::Null => added.push(("user", name)),
        target => {
            added.push(("user", target));
            added.push(("actor", name));
        }
    }
    if let Some(map) = record.as_object_mut() {
        for (key, value) in added {
            if !value.is_null() {
                map.insert(key.to_owned(), value);
            }
        }
    }
    record
}

/// The text of every segment file in `dir` (compressed ones decompressed) and of every
/// checkpoint file beside it, for searching for secrets.
pub fn raw_text(dir: &Path) -> String {
    let mut text = segment_texts(dir).concat();
    let checkpoints = dir.with_file_name(format!(
        "{}-checkpoints",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("audit")
    ));
    if let Ok(entries) = std::fs::read_dir(checkpoints) {
        for e in entries.flatten() {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    text
}
