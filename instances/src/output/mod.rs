//! Every path a command reads or writes, and how it writes: the one module that keeps agora from
//! destroying its own inputs or leaving half-written outputs (docs/formats.md, "Inputs and
//! outputs").
//!
//! A command declares its paths to a [`Gate`] before any work: the files it reads (instance,
//! edges, settings, warm start, policies, dynamics, logs, solutions, import sources), the
//! directories it reads as a whole (a serving artifact) and its outputs. The gate refuses an
//! output, before anything is read past the paths themselves, when it is:
//!
//! - the same file as an input (compared by device and inode, so `./d.json`, `d.json` and a hard
//!   link all count): `agora solve d.json --out d.json` must not destroy the day;
//! - a directory that holds an input (the output directory is replaced as a whole), or a path
//!   inside a directory read as a whole (an artifact), or that directory itself;
//! - a symbolic link (the final component): writing through it would replace the link, or, where
//!   followed, a file elsewhere;
//! - an existing file that is not a regular file where a file is expected (a device, fifo,
//!   socket or directory), or not a directory where a directory is expected;
//! - an existing file that is read-only: its owner said not to change it;
//! - an existing directory holding a file the command does not write (a mistyped `--out` must
//!   never delete someone's directory);
//! - the same path as another output of the same command.
//!
//! Files are then written atomically ([`AtomicFile`], [`write_atomic`], [`write_dir_atomic`]): a
//! temporary file beside the target, synced, then renamed onto it (a directory is swapped in with
//! one atomic exchange), so a failed or killed command leaves the old output or the new one, never
//! a mix, and a full disk leaves no temporary file behind.

mod atomic;
mod gate;

pub use atomic::{write_atomic, write_dir_atomic, write_dir_streaming, AtomicFile, DirFiles, ExistingDir, Sink};
pub use gate::{Gate, Role};

use std::io::{Error, ErrorKind};
use std::path::{Path, PathBuf};

/// What an output path should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A file (`--out FILE`).
    File,
    /// A directory (`--out DIR`).
    Dir,
}

/// Checks `out` against the output rules that concern it alone and the files the command read
/// (`inputs`, compared by inode); the [`Gate`] adds the rules between paths. The error (kind
/// `AlreadyExists`, `PermissionDenied`, or `NotFound` for a directory that does not exist to
/// hold it) says which rule refused it.
pub fn check_output(out: &Path, kind: OutputKind, inputs: &[&Path]) -> std::io::Result<()> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // The writers create no directories (a mistyped path must not create a tree): a
            // missing one is refused here, before any work, not when the output is written.
            let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            if !parent.is_dir() {
                return Err(refusal(out, ErrorKind::NotFound, &format!("its directory {} does not exist", parent.display())));
            }
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Err(refusal(out, ErrorKind::AlreadyExists, "it is a symbolic link (write to the file it points to, or choose another path)"));
    }
    for input in inputs {
        if same_file(out, input) {
            return Err(refusal(out, ErrorKind::AlreadyExists, &format!("it is an input of this command ({}); choose another output", input.display())));
        }
    }
    match kind {
        OutputKind::File if meta.is_dir() => return Err(refusal(out, ErrorKind::AlreadyExists, "it is a directory, and a file is written here")),
        OutputKind::File if !meta.is_file() => return Err(refusal(out, ErrorKind::AlreadyExists, "it is not a regular file (a device, fifo or socket)")),
        OutputKind::Dir if !meta.is_dir() => {
            return Err(refusal(out, ErrorKind::AlreadyExists, "it exists and is not a directory, and a directory is written here"))
        }
        _ => {}
    }
    if meta.permissions().readonly() {
        return Err(refusal(out, ErrorKind::PermissionDenied, "it is read-only"));
    }
    Ok(())
}

/// The error refusing `out`: `OUT: refusing to write: WHY; nothing was written`.
fn refusal(out: &Path, kind: ErrorKind, why: &str) -> Error {
    Error::new(kind, format!("{}: refusing to write: {why}; nothing was written", out.display()))
}

/// Whether `a` and `b` name the same existing file (device and inode on Unix).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => same_node(&ma, &mb) || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y),
        _ => false,
    }
}

/// `path` made absolute with every symbolic link resolved, also when it does not exist yet: its
/// nearest existing ancestor canonicalised, the rest appended (`..` in the missing part kept as
/// written, which can only make two paths compare unequal, never equal by mistake).
pub(crate) fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf()) };
    let mut missing = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(p) = at.canonicalize() {
            return missing.iter().rev().fold(p, |acc: PathBuf, part| acc.join(part));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                at = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(unix)]
fn same_node(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_node(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {

    /// An output whose directory does not exist is refused before any work, naming it.
    #[test]
    fn an_output_in_a_missing_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("no/such/out.json");
        let e = check_output(&out, OutputKind::File, &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("does not exist") && e.to_string().contains("no/such"), "{e}");
        assert!(check_output(&dir.path().join("out.json"), OutputKind::File, &[]).is_ok());
        assert!(check_output(Path::new("relative-out.json"), OutputKind::File, &[]).is_ok());
    }

    use super::*;

    #[test]
    fn inputs_links_read_only_files_and_devices_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("d.json");
        std::fs::write(&input, "{}").unwrap();
        let dotted = dir.path().join(".").join("d.json");
        assert!(check_output(&dotted, OutputKind::File, &[&input]).is_err());
        assert!(check_output(&dir.path().join("new.json"), OutputKind::File, &[&input]).is_ok());
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(check_output(&link, OutputKind::File, &[]).unwrap_err().to_string().contains("symbolic link"));
            assert!(check_output(Path::new("/dev/null"), OutputKind::File, &[]).unwrap_err().to_string().contains("not a regular file"));
        }
        let ro = dir.path().join("ro.json");
        std::fs::write(&ro, "x").unwrap();
        let mut p = std::fs::metadata(&ro).unwrap().permissions();
        p.set_readonly(true);
        std::fs::set_permissions(&ro, p).unwrap();
        // Root may write read-only files; agora refuses them all the same.
        assert!(check_output(&ro, OutputKind::File, &[]).unwrap_err().to_string().contains("read-only"));
        assert!(check_output(&input, OutputKind::Dir, &[]).unwrap_err().to_string().contains("not a directory"));
        assert!(check_output(dir.path(), OutputKind::File, &[]).unwrap_err().to_string().contains("is a directory"));
    }

    #[test]
    fn a_missing_path_resolves_through_its_existing_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(resolved(&dir.path().join("a/./x/y.json")), real.join("a/x/y.json"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("l")).unwrap();
            assert_eq!(resolved(&dir.path().join("l/new.json")), real.join("a/new.json"), "a link in the existing part is followed");
        }
    }
}
