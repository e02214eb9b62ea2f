//! The checked file every cache is kept in: a header line (`version`, `what`, the cache's
//! `key` = its file name, the BLAKE3 and length of the rest, and the body's `encoding`), then
//! the body. A file that does not verify is never used. The body is hashed as it is read and
//! as it is written, so neither side needs it whole in memory.

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::CacheError;

/// The header line of a checked cache file (see the module docs).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Header {
    version: u32,
    what: String,
    key: String,
    blake3: String,
    pub(crate) len: usize,
    /// Entries in the body, for binary bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<usize>,
    /// How a [`StampCache`] body is encoded: [`MSGPACK`], or JSON when absent (older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<String>,
}

fn key_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The longest header line read (a header is a few hundred bytes).
const MAX_HEADER: u64 = 64 * 1024;

#[cfg(test)]
/// Reads a checked cache file (a header line, then the body): its header and body, `Ok(None)`
/// when there is none, or why it does not verify (another version or kind, another key, a
/// checksum that does not match). The body is read once into its own buffer (a million
/// images' facts are 1.6 GB; reading the file whole and splitting it held that twice).
pub(crate) fn read_checked(
    path: &Path,
    version: u32,
    what: &str,
) -> Result<Option<(Header, Vec<u8>)>, CacheError> {
    read_checked_with(path, version, what, |header, body| {
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(header.len)
            .map_err(|_| CacheError::Checksum)?;
        body.read_to_end(&mut bytes).map_err(CacheError::Read)?;
        Ok(bytes)
    })
}

/// Hashes and counts the bytes read through it.
struct Verifying<R> {
    inner: R,
    hasher: blake3::Hasher,
    read: usize,
}

impl<R: std::io::Read> std::io::Read for Verifying<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n;
        Ok(n)
    }
}

/// [`read_checked`] with the body decoded as it is read by `decode` (given the header and the
/// body's bytes), so it is never held whole beside what it decodes to: a million images' facts
/// are 1.2 GB of MessagePack. What `decode` made is returned only once every byte of the body
/// has been read and verified (what it leaves unread is read and hashed after it).
pub(crate) fn read_checked_with<T>(
    path: &Path,
    version: u32,
    what: &str,
    decode: impl FnOnce(&Header, &mut dyn std::io::Read) -> Result<T, CacheError>,
) -> Result<Option<(Header, T)>, CacheError> {
    use std::io::{BufRead, Read};
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CacheError::Read(e)),
    };
    let file_len = file.metadata().map_err(CacheError::Read)?.len();
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    (&mut reader)
        .take(MAX_HEADER)
        .read_until(b'\n', &mut line)
        .map_err(CacheError::Read)?;
    if line.pop() != Some(b'\n') {
        return Err(CacheError::NoHeader);
    }
    let header: Header = serde_json::from_slice(&line).map_err(|_| CacheError::BadHeader)?;
    if header.version != version || header.what != what {
        return Err(CacheError::OtherKind {
            found: header.what,
            found_version: header.version,
            what: what.to_string(),
            version,
        });
    }
    if header.key != key_of(path) {
        return Err(CacheError::OtherKey {
            found: header.key,
            expected: key_of(path),
        });
    }
    if header.len as u64 > file_len {
        return Err(CacheError::Checksum);
    }
    // One byte past the body is asked for, so a longer file does not verify.
    let mut body = std::io::BufReader::with_capacity(
        1 << 20,
        Verifying {
            inner: reader.take(header.len as u64 + 1),
            hasher: blake3::Hasher::new(),
            read: 0,
        },
    );
    let decoded = decode(&header, &mut body);
    std::io::copy(&mut body, &mut std::io::sink()).map_err(CacheError::Read)?;
    let body = body.into_inner();
    if body.read != header.len || body.hasher.finalize().to_hex().as_str() != header.blake3 {
        return Err(CacheError::Checksum);
    }
    Ok(Some((header, decoded?)))
}

#[cfg(test)]
/// Writes a checked cache file atomically: the header line (keyed by the file name) and `body`.
pub(crate) fn write_checked(
    path: &Path,
    version: u32,
    what: &str,
    count: Option<usize>,
    body: &[u8],
) -> Result<(), CacheError> {
    write_checked_as(path, version, what, count, None, body)
}

#[cfg(test)]
/// [`write_checked`] with the body's `encoding` named in the header.
pub(super) fn write_checked_as(
    path: &Path,
    version: u32,
    what: &str,
    count: Option<usize>,
    encoding: Option<&str>,
    body: &[u8],
) -> Result<(), CacheError> {
    make_parent(path)?;
    let header = Header {
        version,
        what: what.to_string(),
        key: key_of(path),
        blake3: blake3::hash(body).to_hex().to_string(),
        len: body.len(),
        count,
        encoding: encoding.map(str::to_string),
    };
    let mut line = serde_json::to_vec(&header).map_err(|e| CacheError::Encode(e.to_string()))?;
    line.push(b'\n');
    crate::state::write_atomic_parts(path, &[&line, body]).map_err(|source| CacheError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Makes the folder `path` goes in.
fn make_parent(path: &Path) -> Result<(), CacheError> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|source| CacheError::Write {
            path: dir.to_path_buf(),
            source,
        }),
        None => Ok(()),
    }
}

/// Room left for the header line of a streamed file: it is written last, over spaces, once the
/// body's checksum is known (the JSON header padded with spaces, which every reader of the
/// format accepts).
const HEADER_ROOM: usize = 1024;

/// Hashes and counts the bytes written through it.
struct Hashing<W> {
    inner: W,
    hasher: blake3::Hasher,
    written: usize,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a checked cache file atomically with its body streamed by `encode` as it is made: a
/// million images' facts (1.2 GB encoded) are never held encoded beside the entries they
/// encode. The header line is written over room left for it once the body is complete.
pub(crate) fn write_checked_streamed(
    path: &Path,
    version: u32,
    what: &str,
    count: Option<usize>,
    encoding: Option<&str>,
    encode: impl FnOnce(&mut dyn Write) -> Result<(), CacheError>,
) -> Result<(), CacheError> {
    make_parent(path)?;
    let mut failed = None;
    let written = crate::state::write_atomic_with(path, |file| {
        file.write_all(&[b' '; HEADER_ROOM])?;
        let mut body = BufWriter::with_capacity(
            1 << 20,
            Hashing {
                inner: &mut *file,
                hasher: blake3::Hasher::new(),
                written: 0,
            },
        );
        if let Err(e) = encode(&mut body) {
            failed = Some(e);
            return Err(std::io::Error::other("the entries could not be encoded"));
        }
        let body = body.into_inner().map_err(|e| e.into_error())?;
        let header = Header {
            version,
            what: what.to_string(),
            key: key_of(path),
            blake3: body.hasher.finalize().to_hex().to_string(),
            len: body.written,
            count,
            encoding: encoding.map(str::to_string),
        };
        let mut line = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
        if line.len() >= HEADER_ROOM {
            return Err(std::io::Error::other(format!(
                "its header is longer than {HEADER_ROOM} bytes"
            )));
        }
        line.resize(HEADER_ROOM - 1, b' ');
        line.push(b'\n');
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&line)
    });
    match (failed, written) {
        (Some(e), _) => Err(e),
        (None, Err(source)) => Err(CacheError::Write {
            path: path.to_path_buf(),
            source,
        }),
        (None, Ok(())) => Ok(()),
    }
}
