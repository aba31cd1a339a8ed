//! Atomic writes: a file through a temporary file and a rename, a directory through a temporary
//! directory and one atomic exchange. A failure (a full disk, a closed pipe of a writer) removes
//! the temporary file or directory and leaves the target as it was; a process killed at any
//! moment leaves the old output or the new one complete, never a mix (a stray temporary file
//! named `.NAME.PID.tmp` may stay beside it, never under the target's name).

use std::fs::File;
use std::io::{BufWriter, Error, ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{check_output, OutputKind};

/// What the atomic writers write to: the file system, or in tests a writer that fails after N
/// bytes as a full disk does.
pub trait Sink: Write {
    /// Makes the bytes written durable (`fsync`).
    fn sync(&mut self) -> std::io::Result<()>;
}

impl Sink for File {
    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_all()
    }
}

/// Opens a temporary file for writing: `File::create`, or in tests a failing writer.
pub(crate) type Open<S> = fn(&Path) -> std::io::Result<S>;

fn create_file(path: &Path) -> std::io::Result<File> {
    File::create(path)
}

/// An output file being written: bytes go to a temporary file beside the target, which
/// [`AtomicFile::commit`] syncs and renames onto it. Dropped without a commit (an error on the
/// way, a panic), the temporary file is removed and the target is untouched.
pub struct AtomicFile<S: Sink = File> {
    target: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<S>>,
}

impl AtomicFile<File> {
    /// Starts writing `path`, which must pass the output rules for a file ([`check_output`]).
    pub fn create(path: &Path) -> std::io::Result<AtomicFile<File>> {
        AtomicFile::create_with(path, create_file)
    }
}

impl<S: Sink> AtomicFile<S> {
    pub(crate) fn create_with(path: &Path, open: Open<S>) -> std::io::Result<AtomicFile<S>> {
        check_output(path, OutputKind::File, &[])?;
        let file_name = path.file_name().ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("{} is not a file path", path.display())))?;
        let tmp = parent_of(path).join(format!(".{}.{}.tmp", file_name.to_string_lossy(), std::process::id()));
        let out = open(&tmp).map_err(|e| described(e, path))?;
        Ok(AtomicFile { target: path.to_path_buf(), tmp, out: Some(BufWriter::with_capacity(1 << 20, out)) })
    }

    /// Syncs the bytes written and renames them onto the target: from here on a reader sees the
    /// whole new file, before it the whole old one (or none).
    pub fn commit(mut self) -> std::io::Result<()> {
        let out = self.out.take().expect("an AtomicFile is committed once");
        let result = (|| {
            let mut sink = out.into_inner().map_err(|e| e.into_error())?;
            sink.sync()?;
            drop(sink);
            std::fs::rename(&self.tmp, &self.target)?;
            sync_dir(&parent_of(&self.target));
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result.map_err(|e| described(e, &self.target))
    }
}

impl<S: Sink> Write for AtomicFile<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let target = &self.target;
        self.out.as_mut().expect("not committed").write(buf).map_err(|e| described(e, target))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let target = &self.target;
        self.out.as_mut().expect("not committed").flush().map_err(|e| described(e, target))
    }
}

impl<S: Sink> Drop for AtomicFile<S> {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically ([`AtomicFile`]). The target must pass the output rules
/// ([`crate::output`]) for a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, bytes, create_file)
}

pub(crate) fn write_atomic_with<S: Sink>(path: &Path, bytes: &[u8], open: Open<S>) -> std::io::Result<()> {
    let mut f = AtomicFile::create_with(path, open)?;
    f.write_all(bytes)?;
    f.commit()
}

/// What [`write_dir_atomic`] may do with an output directory that already exists.
#[derive(Debug, Clone, Copy)]
pub enum ExistingDir<'a> {
    /// Refuse unless it is empty (an artifact is never overwritten).
    Refuse,
    /// Replace it when it holds nothing but files with these names (a previous run's output);
    /// refuse otherwise, so that a mistyped `--out` never deletes someone's directory.
    ReplaceIfOnly(&'a [&'a str]),
}

impl ExistingDir<'_> {
    /// Refuses `dir` when it exists and holds an entry `self` does not allow replacing (error of
    /// kind `AlreadyExists`). The [`super::Gate`] runs this before any work, the writer again
    /// just before it replaces the directory.
    pub fn check(&self, dir: &Path) -> std::io::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let name = entry?.file_name();
            let allowed = match self {
                ExistingDir::Refuse => false,
                ExistingDir::ReplaceIfOnly(names) => names.iter().any(|n| name == *n),
            };
            if !allowed {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "{}: refusing to write: it exists and holds {}, which this command does not write: choose another directory; nothing was written",
                        dir.display(),
                        crate::limits::excerpt(&name.to_string_lossy())
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Writes `files` (name, contents) as the directory `dir`, atomically: every file goes into a
/// temporary directory beside `dir` and is synced, then the temporary directory takes `dir`'s
/// place in one atomic exchange (an existing `dir` that `existing` allows replacing ends up under
/// the temporary name and is removed after). On failure the temporary directory is removed and
/// `dir` is left as it was. A refused `dir` is an error of kind `AlreadyExists`.
pub fn write_dir_atomic<N: AsRef<str>, B: AsRef<[u8]>>(dir: &Path, files: &[(N, B)], existing: ExistingDir) -> std::io::Result<()> {
    write_dir_atomic_with(dir, files, existing, create_file)
}

pub(crate) fn write_dir_atomic_with<N: AsRef<str>, B: AsRef<[u8]>, S: Sink>(
    dir: &Path,
    files: &[(N, B)],
    existing: ExistingDir,
    open: Open<S>,
) -> std::io::Result<()> {
    write_dir_streaming_with(dir, existing, open, |d| files.iter().try_for_each(|(file, bytes)| d.file(file.as_ref(), |f| f.write_all(bytes.as_ref()))))
}

/// The temporary directory [`write_dir_streaming`] fills: each file is written by a closure,
/// through a buffer, and synced when the closure returns.
pub struct DirFiles<'a, S: Sink = File> {
    tmp: &'a Path,
    open: Open<S>,
}

impl<S: Sink> DirFiles<'_, S> {
    /// Creates the file `name` in the directory and hands `write` a buffered writer to it; the
    /// file is flushed and synced after `write` returns. What `write` returns is returned.
    pub fn file<T>(&mut self, name: &str, write: impl FnOnce(&mut BufWriter<S>) -> std::io::Result<T>) -> std::io::Result<T> {
        let mut f = BufWriter::with_capacity(1 << 20, (self.open)(&self.tmp.join(name))?);
        let out = write(&mut f)?;
        f.into_inner().map_err(|e| e.into_error())?.sync()?;
        Ok(out)
    }
}

/// [`write_dir_atomic`] with files written one at a time by `fill` (so that a large file is
/// streamed, never held whole): `fill` writes them through [`DirFiles::file`], into the temporary
/// directory that takes `dir`'s place once `fill` returns `Ok`. On any error, `fill`'s
/// included, `dir` is left as it was and nothing else remains.
pub fn write_dir_streaming<T>(dir: &Path, existing: ExistingDir, fill: impl FnOnce(&mut DirFiles<File>) -> std::io::Result<T>) -> std::io::Result<T> {
    write_dir_streaming_with(dir, existing, create_file, fill)
}

pub(crate) fn write_dir_streaming_with<T, S: Sink>(
    dir: &Path,
    existing: ExistingDir,
    open: Open<S>,
    fill: impl FnOnce(&mut DirFiles<S>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    check_output(dir, OutputKind::Dir, &[])?;
    existing.check(dir)?;
    let name = dir.file_name().ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("{} is not a directory path", dir.display())))?;
    // A missing parent is an error, as for a file: a mistyped path must not create a tree.
    let parent = parent_of(dir);
    let tmp = parent.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir(&tmp)?;
        let out = fill(&mut DirFiles { tmp: &tmp, open })?;
        sync_dir(&tmp);
        if dir.exists() {
            // The old directory and the new one trade places in one step; the old one, now under
            // the temporary name, is removed after.
            exchange(&tmp, dir)?;
        } else {
            std::fs::rename(&tmp, dir)?;
        }
        sync_dir(&parent);
        Ok(out)
    })();
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map_err(|e| described(e, dir))
}

/// Swaps the directories `a` and `b` atomically (Linux `renameat2(RENAME_EXCHANGE)`). Where the
/// file system cannot, `b` is moved aside and `a` renamed into its place: two renames, between
/// which a killed process leaves the old output under `.NAME.PID.tmp` beside it.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    let aside = a.with_extension("old");
    std::fs::rename(b, &aside)?;
    if let Err(e) = std::fs::rename(a, b) {
        let _ = std::fs::rename(&aside, b);
        return Err(e);
    }
    std::fs::rename(&aside, a)
}

/// The directory a path's temporary sibling goes in: its parent, or `.`.
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a rename in `dir` durable (best effort: not every file system syncs directories).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `e` as the error of writing `target`: a full disk says so in the user's words.
fn described(e: Error, target: &Path) -> Error {
    if e.kind() == ErrorKind::StorageFull || e.raw_os_error() == Some(28) {
        Error::new(ErrorKind::StorageFull, format!("no space left on the device writing {}; nothing was written", target.display()))
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disk with `LEFT` bytes free: writes past them fail as a full disk does (ENOSPC).
    struct FullAfter<const LEFT: u64> {
        file: File,
        written: u64,
    }

    impl<const LEFT: u64> Write for FullAfter<LEFT> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.written >= LEFT {
                return Err(Error::from_raw_os_error(28));
            }
            let n = buf.len().min((LEFT - self.written) as usize);
            self.written += n as u64;
            self.file.write(&buf[..n])
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.file.flush()
        }
    }

    impl<const LEFT: u64> Sink for FullAfter<LEFT> {
        fn sync(&mut self) -> std::io::Result<()> {
            self.file.sync_all()
        }
    }

    fn full_after<const LEFT: u64>(p: &Path) -> std::io::Result<FullAfter<LEFT>> {
        Ok(FullAfter { file: File::create(p)?, written: 0 })
    }

    /// Every entry of `dir`, with its bytes.
    fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let bytes = if e.path().is_file() { std::fs::read(e.path()).unwrap() } else { Vec::new() };
                (e.file_name().to_string_lossy().into_owned(), bytes)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_full_disk_fails_the_file_leaves_the_old_one_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        std::fs::write(&out, "old").unwrap();
        let big = vec![b'x'; 3 << 20];
        let e = write_atomic_with(&out, &big, full_after::<1000>).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::StorageFull);
        assert!(e.to_string().contains("no space left") && e.to_string().contains("out.json"), "{e}");
        assert_eq!(listing(dir.path()), vec![("out.json".to_string(), b"old".to_vec())]);
        // Room enough: written whole.
        write_atomic_with(&out, &big, full_after::<{ 4 << 20 }>).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), big);
        assert_eq!(listing(dir.path()).len(), 1);
    }

    #[test]
    fn a_full_disk_fails_the_directory_leaves_the_old_one_and_no_temporary_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("report");
        let names = ["a.json", "b.svg"];
        write_dir_atomic(&dir, &[("a.json", "old a"), ("b.svg", "old b")], ExistingDir::ReplaceIfOnly(&names)).unwrap();
        let before = listing(&dir);
        let e =
            write_dir_atomic_with(&dir, &[("a.json", "new a"), ("b.svg", "new b, longer than the disk")], ExistingDir::ReplaceIfOnly(&names), full_after::<8>)
                .unwrap_err();
        assert!(e.to_string().contains("no space left"), "{e}");
        assert_eq!(listing(&dir), before);
        assert_eq!(listing(root.path()).len(), 1, "no temporary directory beside it: {:?}", listing(root.path()));
        // The replacement swaps the whole directory.
        write_dir_atomic(&dir, &[("a.json", "new a")], ExistingDir::ReplaceIfOnly(&names)).unwrap();
        assert_eq!(listing(&dir), vec![("a.json".to_string(), b"new a".to_vec())]);
        assert_eq!(listing(root.path()).len(), 1);
    }

    #[test]
    fn a_dropped_file_is_removed_and_the_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.csv");
        std::fs::write(&out, "old").unwrap();
        {
            let mut f = AtomicFile::create(&out).unwrap();
            f.write_all(b"half of a new").unwrap();
        }
        assert_eq!(listing(dir.path()), vec![("out.csv".to_string(), b"old".to_vec())]);
    }

    #[test]
    fn a_directory_holding_other_files_is_refused_before_writing() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("notes.txt"), "mine").unwrap();
        let e = write_dir_atomic(root.path(), &[("a.json", "x")], ExistingDir::ReplaceIfOnly(&["a.json"])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert!(e.to_string().contains("notes.txt"), "{e}");
        assert_eq!(listing(root.path()), vec![("notes.txt".to_string(), b"mine".to_vec())]);
    }
}
