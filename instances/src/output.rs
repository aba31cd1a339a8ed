//! The rules every output path obeys, in one place (docs/formats.md, "Outputs"). An output is
//! refused, before anything is written, when it is:
//!
//! - the same file as an input (compared by device and inode, so `./d.json`, `d.json` and a hard
//!   link all count): `agora solve d.json --out d.json` must not destroy the day;
//! - a symbolic link (the final component): writing through it would replace the link, or, where
//!   followed, a file elsewhere;
//! - an existing file that is not a regular file where a file is expected (a device, fifo,
//!   socket or directory), or not a directory where a directory is expected;
//! - an existing file that is read-only: its owner said not to change it.
//!
//! Files are then written atomically (a temporary file beside the target, then a rename), so a
//! failed command leaves no partial output.

use std::io::{Error, ErrorKind};
use std::path::Path;

/// What an output path should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A file (`--out FILE`).
    File,
    /// A directory (`--out DIR`).
    Dir,
}

/// Checks `out` against the output rules, given the files the command read (`inputs`). The
/// error (kind `AlreadyExists` or `PermissionDenied`) says which rule refused it.
pub fn check_output(out: &Path, kind: OutputKind, inputs: &[&Path]) -> std::io::Result<()> {
    let refuse = |kind: ErrorKind, why: String| Err(Error::new(kind, format!("{}: refusing to write: {why}; nothing was written", out.display())));
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return refuse(ErrorKind::AlreadyExists, "it is a symbolic link (write to the file it points to, or choose another path)".into());
    }
    for input in inputs {
        if same_file(out, input) {
            return refuse(ErrorKind::AlreadyExists, format!("it is an input of this command ({}); choose another output", input.display()));
        }
    }
    match kind {
        OutputKind::File if meta.is_dir() => return refuse(ErrorKind::AlreadyExists, "it is a directory, and a file is written here".into()),
        OutputKind::File if !meta.is_file() => return refuse(ErrorKind::AlreadyExists, "it is not a regular file (a device, fifo or socket)".into()),
        OutputKind::Dir if !meta.is_dir() => {
            return refuse(ErrorKind::AlreadyExists, "it exists and is not a directory, and a directory is written here".into())
        }
        _ => {}
    }
    if meta.permissions().readonly() {
        return refuse(ErrorKind::PermissionDenied, "it is read-only".into());
    }
    Ok(())
}

/// Whether `a` and `b` name the same existing file (device and inode on Unix).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => same_node(&ma, &mb) || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y),
        _ => false,
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
}
