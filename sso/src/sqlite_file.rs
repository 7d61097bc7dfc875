//! Restoring an SQLite database file in place, for the gateway's and the app's `restore`:
//! a restore is often run as root into a service's state directory, and must leave files the
//! service can still open.

use std::io;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;

/// `err` with what was being done to which file.
fn context(err: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("cannot {what} {}: {err}", path.display()),
    )
}

/// `target` with `suffix` appended (`-wal`, `-shm`).
fn beside(target: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Put `source` in place of the SQLite file `target` atomically, dropping the old write-ahead
/// log, with the old file's owner and mode when there was one.
pub fn swap(source: &Path, target: &Path) -> io::Result<()> {
    let dir = target.parent().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no directory", target.display()),
        )
    })?;
    std::fs::create_dir_all(dir).map_err(|e| context(e, "create", dir))?;
    let old = std::fs::metadata(target).ok();
    let mut staged_name = std::ffi::OsString::from(".");
    staged_name.push(target.file_name().unwrap_or_default());
    staged_name.push(".restore");
    let staged = dir.join(staged_name);
    std::fs::copy(source, &staged).map_err(|e| context(e, "copy the backup to", &staged))?;
    if let Some(old) = &old {
        std::fs::set_permissions(
            &staged,
            std::fs::Permissions::from_mode(old.mode() & 0o7777),
        )
        .map_err(|e| context(e, "set the old mode on", &staged))?;
        std::os::unix::fs::chown(&staged, Some(old.uid()), Some(old.gid()))
            .map_err(|e| context(e, "give the old owner to", &staged))?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = beside(target, suffix);
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(context(e, "remove", &side)),
        }
    }
    std::fs::rename(&staged, target).map_err(|e| context(e, "move the restored file to", target))
}

/// Give the database `target` and any write-ahead files beside it the owner of their
/// directory: also when no old file was there to take the owner from, and also the `-wal`
/// and `-shm` files that opening the restored copy to check it may leave.
pub fn give_to_directory_owner(target: &Path) -> io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let owner = std::fs::metadata(dir).map_err(|e| context(e, "read", dir))?;
    for suffix in ["", "-wal", "-shm"] {
        let file = beside(target, suffix);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if (meta.uid(), meta.gid()) != (owner.uid(), owner.gid()) {
            std::os::unix::fs::chown(&file, Some(owner.uid()), Some(owner.gid()))
                .map_err(|e| context(e, "give the directory's owner to", &file))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_replaces_the_file_and_drops_its_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let (source, target) = (dir.path().join("backup.db"), dir.path().join("live.db"));
        std::fs::write(&source, b"new").unwrap();
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        std::fs::write(beside(&target, "-wal"), b"wal").unwrap();
        swap(&source, &target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&target).unwrap().mode() & 0o777, 0o640);
        assert!(!beside(&target, "-wal").exists());
        give_to_directory_owner(&target).unwrap();
        let missing = swap(&dir.path().join("absent.db"), &target).unwrap_err();
        assert!(
            missing.to_string().contains("absent.db")
                || missing.to_string().contains(".live.db.restore"),
            "{missing}"
        );
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"new",
            "a failed swap keeps the file"
        );
    }
}
