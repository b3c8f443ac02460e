//! A streaming reader for the ar container of a `.deb`.
//!
//! Format facts (deb(5), ar(5) "common" format): the file starts with `!<arch>\n`;
//! each member has a 60-byte header — name (16 bytes, space padded, GNU ar may end it
//! with `/`), mtime (12), uid (6), gid (6), octal mode (8), decimal size (10) and the
//! two bytes `` `\n `` — then its content, then one `\n` when the size is odd.

use std::io::{self, Read};

const MAGIC: &[u8; 8] = b"!<arch>\n";
const HEADER_LEN: usize = 60;

/// Why the ar container cannot be read.
#[derive(Debug)]
pub(crate) enum ArError {
    /// The bytes are not an ar archive (or a broken one).
    Format(String),
    /// The underlying reader failed.
    Io(io::Error),
}

impl From<io::Error> for ArError {
    fn from(err: io::Error) -> Self {
        ArError::Io(err)
    }
}

/// One member's name and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub name: String,
    pub size: u64,
}

/// Reads members one after another; each member's content is read through
/// [`ArReader::content`] before asking for the next member (unread bytes are skipped).
pub(crate) struct ArReader<R> {
    inner: R,
    /// Content bytes of the current member not yet read.
    remaining: u64,
    /// Whether a padding byte follows the current member.
    pad: bool,
    started: bool,
}

impl<R: Read> ArReader<R> {
    pub fn new(inner: R) -> Self {
        ArReader {
            inner,
            remaining: 0,
            pad: false,
            started: false,
        }
    }

    /// The next member's header, or `None` at the end of the archive.
    pub fn next_member(&mut self) -> Result<Option<Member>, ArError> {
        if !self.started {
            self.read_magic()?;
            self.started = true;
        }
        self.skip_rest()?;
        let mut header = [0u8; HEADER_LEN];
        match read_full(&mut self.inner, &mut header)? {
            0 => return Ok(None),
            HEADER_LEN => {}
            n => {
                return Err(ArError::Format(format!(
                    "truncated member header: expected {HEADER_LEN} bytes, found {n}"
                )))
            }
        }
        let member = parse_header(&header)?;
        self.remaining = member.size;
        self.pad = member.size % 2 == 1;
        Ok(Some(member))
    }

    /// The current member's content.
    pub fn content(&mut self) -> Content<'_, R> {
        Content { ar: self }
    }

    fn read_magic(&mut self) -> Result<(), ArError> {
        let mut magic = [0u8; MAGIC.len()];
        let n = read_full(&mut self.inner, &mut magic)?;
        if n != MAGIC.len() || &magic != MAGIC {
            return Err(ArError::Format(format!(
                "expected the ar magic `!<arch>`, found {:?}",
                String::from_utf8_lossy(magic.get(..n).unwrap_or_default())
            )));
        }
        Ok(())
    }

    fn skip_rest(&mut self) -> Result<(), ArError> {
        let skip = self.remaining + u64::from(self.pad);
        let skipped = io::copy(&mut (&mut self.inner).take(skip), &mut io::sink())?;
        // A missing final padding byte is tolerated; missing content is not.
        if skipped < self.remaining {
            return Err(ArError::Format(format!(
                "truncated member: {} bytes missing",
                self.remaining - skipped
            )));
        }
        self.remaining = 0;
        self.pad = false;
        Ok(())
    }
}

/// Reader over one member's content; see [`ArReader::content`].
pub(crate) struct Content<'a, R> {
    ar: &'a mut ArReader<R>,
}

impl<R: Read> Read for Content<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from(self.ar.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self.ar.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("ar member truncated: {} bytes missing", self.ar.remaining),
            ));
        }
        self.ar.remaining -= n as u64;
        Ok(n)
    }
}

fn parse_header(header: &[u8; HEADER_LEN]) -> Result<Member, ArError> {
    let field = |range: std::ops::Range<usize>| header.get(range).unwrap_or_default();
    if field(58..60) != b"`\n" {
        return Err(ArError::Format(
            "member header does not end with the ar terminator".to_owned(),
        ));
    }
    let name = std::str::from_utf8(field(0..16))
        .map_err(|_| ArError::Format("member name is not UTF-8".to_owned()))?
        .trim_end_matches(' ');
    let name = name.strip_suffix('/').unwrap_or(name).to_owned();
    let size_text = String::from_utf8_lossy(field(48..58));
    let size = size_text.trim_end_matches(' ').parse().map_err(|_| {
        ArError::Format(format!(
            "member `{name}` has a bad size field {:?}",
            size_text.trim_end()
        ))
    })?;
    Ok(Member { name, size })
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use buckle_testkit::deb::ar_archive;

    fn members(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ArError> {
        let mut ar = ArReader::new(bytes);
        let mut out = Vec::new();
        while let Some(member) = ar.next_member()? {
            let mut content = Vec::new();
            ar.content().read_to_end(&mut content)?;
            out.push((member.name, content));
        }
        Ok(out)
    }

    #[test]
    fn members_with_odd_sizes_are_padded_and_read_back() {
        let input = vec![
            ("debian-binary".to_owned(), b"2.0\n".to_vec()),
            ("odd".to_owned(), b"abc".to_vec()),
            ("empty".to_owned(), Vec::new()),
        ];
        assert_eq!(members(&ar_archive(&input)).unwrap(), input);
    }

    #[test]
    fn unread_member_content_is_skipped() {
        let bytes = ar_archive(&[("a".into(), b"12345".to_vec()), ("b".into(), b"x".to_vec())]);
        let mut ar = ArReader::new(&bytes[..]);
        assert_eq!(ar.next_member().unwrap().unwrap().name, "a");
        let b = ar.next_member().unwrap().unwrap();
        assert_eq!((b.name.as_str(), b.size), ("b", 1));
    }

    #[test]
    fn gnu_style_names_lose_their_slash() {
        let mut bytes = ar_archive(&[("data.tar.xz".into(), b"x".to_vec())]);
        bytes[8 + 11] = b'/';
        assert_eq!(members(&bytes).unwrap()[0].0, "data.tar.xz");
    }

    #[test]
    fn truncated_member_is_an_error() {
        let bytes = ar_archive(&[("a".into(), b"12345678".to_vec())]);
        let err = members(&bytes[..bytes.len() - 3]).unwrap_err();
        assert!(matches!(err, ArError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof));
    }

    #[test]
    fn not_an_ar_archive_is_a_format_error() {
        let err = members(b"PK\x03\x04 zip").unwrap_err();
        assert!(
            matches!(&err, ArError::Format(m) if m.contains("ar magic")),
            "{err:?}"
        );
        let mut bad_size = ar_archive(&[("a".into(), b"1".to_vec())]);
        bad_size[8 + 48] = b'x';
        assert!(matches!(members(&bad_size).unwrap_err(), ArError::Format(m) if m.contains("bad size")));
    }
}
