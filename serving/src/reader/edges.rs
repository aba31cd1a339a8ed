//! The per-edge file, streamed: `edges.csv` is hashed a buffer at a time before anything is
//! parsed, then parsed a record at a time (and hashed again, so that what was parsed is what was
//! checked), each row validated and handed on; it is never held whole. At 10^7 edges the file is
//! 560 MB of text and its rows as [`EdgeRow`]s about as much again.

use std::fs::File;
use std::io::{BufReader, Read};

use sha2::{Digest, Sha256};

use super::*;

/// Reads through to `inner` and hashes what passes.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// Reads what is left, then the hex SHA-256 and the size of everything read.
    fn finish(mut self, path: &Path) -> Result<(String, u64), ReadError> {
        std::io::copy(&mut self, &mut std::io::sink()).map_err(|source| ReadError::Io { path: path.to_path_buf(), source })?;
        Ok((hex(&self.hasher.finalize()), self.bytes))
    }
}

/// Opens a regular file of the artifact (a fifo or device named like one would block or never end).
pub(super) fn open(path: &Path) -> Result<File, ReadError> {
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err(ReadError::Io { path: path.to_path_buf(), source: std::io::Error::other("not a regular file") });
        }
    }
    File::open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ReadError::Missing { path: path.to_path_buf() }
        } else {
            ReadError::Io { path: path.to_path_buf(), source }
        }
    })
}

/// The hex SHA-256 and the size of the file at `path`, read a buffer at a time.
pub(super) fn hash_file(path: &Path) -> Result<(String, u64), ReadError> {
    Hashing::new(open(path)?).finish(path)
}

/// Parses `edges.csv` at `path`, which hashed to `sha256` when checked, a record at a time:
/// `row` validates each record and hands it on. If the file no longer hashes to `sha256` once
/// read (it changed since it was checked), that is the error, whatever else went wrong.
pub(super) fn stream_csv(path: &Path, sha256: &str, mut row: impl FnMut(&Rec) -> Result<(), ReadError>) -> Result<(), ReadError> {
    let header = HEADERS[3];
    let mut reader = csv::Reader::new(BufReader::with_capacity(1 << 20, Hashing::new(open(path)?)));
    let mut fields = Vec::new();
    let mut parse = || -> Result<(), ReadError> {
        let syntax = |e: csv::ReadError| match e {
            csv::ReadError::Io(source) => ReadError::Io { path: path.to_path_buf(), source },
            csv::ReadError::Syntax { line, message } => ReadError::Csv { path: path.to_path_buf(), line, message },
        };
        match reader.read(&mut fields).map_err(syntax)? {
            Some(_) if fields == header => {}
            _ => return Err(ReadError::Csv { path: path.to_path_buf(), line: 1, message: format!("the header must be {}", header.join(",")) }),
        }
        while let Some(line) = reader.read(&mut fields).map_err(syntax)? {
            if fields.len() != header.len() {
                return Err(ReadError::Csv { path: path.to_path_buf(), line, message: format!("{} fields, expected {}", fields.len(), header.len()) });
            }
            row(&Rec { path, line, header, fields: &fields })?;
        }
        Ok(())
    };
    let parsed = parse();
    let (found, _) = reader.into_inner().into_inner().finish(path)?;
    if found != sha256 {
        return Err(ReadError::Checksum { path: path.to_path_buf(), expected: sha256.to_string(), found });
    }
    parsed
}
