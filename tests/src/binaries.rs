//! Where the workspace's binaries are: beside the running executable in cargo's target dir.

use std::path::PathBuf;

use anyhow::{Context as _, bail};

/// The path of the workspace binary `name` (e.g. `yakuba-gateway`), which must be built
/// first (`cargo build --workspace --bins`).
pub fn path(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate the running executable")?;
    let mut dir = exe.parent().map(PathBuf::from);
    // Test executables live in target/<profile>/deps, binaries in target/<profile>.
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join(name);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent().map(PathBuf::from);
    }
    bail!(
        "binary `{name}` not found next to {}: run `cargo build --workspace --bins` first",
        exe.display()
    )
}
