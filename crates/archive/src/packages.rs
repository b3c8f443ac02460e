//! Packages index -> binary packages: which file to fetch, how to decode it, and a
//! parallel parse of the decoded deb822 text.

use crate::error::{Error, Result};
use crate::release::{ListedFile, Release};
use buckle_debian::{deb822, BinaryPackage, Suite};
use rayon::prelude::*;
use std::io::Read;

/// How a Packages index file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `Packages.xz`
    Xz,
    /// `Packages.gz`
    Gzip,
    /// `Packages`
    None,
}

impl Compression {
    /// Best first: the smallest download.
    const PREFERENCE: [Compression; 3] = [Compression::Xz, Compression::Gzip, Compression::None];

    fn suffix(self) -> &'static str {
        match self {
            Compression::Xz => ".xz",
            Compression::Gzip => ".gz",
            Compression::None => "",
        }
    }
}

/// The index file to fetch for one `<component>/binary-<arch>` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexChoice {
    /// `<component>/binary-<arch>`
    pub dir: String,
    /// The file to download, relative to the suite directory.
    pub path: String,
    /// Its digest and size from Release.
    pub listed: ListedFile,
    /// Its compression.
    pub compression: Compression,
    /// The decoded index's digest and size, when Release lists `Packages` itself.
    pub decoded: Option<ListedFile>,
}

impl IndexChoice {
    /// Picks the best compression Release lists for `dir` (`.xz`, else `.gz`, else plain).
    pub fn pick(release: &Release, suite: &Suite, dir: &str) -> Result<IndexChoice> {
        let plain = format!("{dir}/Packages");
        let decoded = release.sha256.get(&plain).copied();
        Compression::PREFERENCE
            .into_iter()
            .find_map(|compression| {
                let path = format!("{plain}{}", compression.suffix());
                let listed = *release.sha256.get(&path)?;
                Some(IndexChoice {
                    dir: dir.to_owned(),
                    path,
                    listed,
                    compression,
                    decoded,
                })
            })
            .ok_or_else(|| Error::IndexNotListed {
                suite: suite.clone(),
                dir: dir.to_owned(),
            })
    }

    /// The by-hash path of the chosen file, relative to the suite directory.
    pub fn by_hash_path(&self) -> String {
        format!("{}/by-hash/SHA256/{}", self.dir, self.listed.sha256)
    }
}

/// Decompresses `bytes`, refusing output longer than `limit` bytes.
pub fn decode(compression: Compression, bytes: &[u8], limit: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let reader: Box<dyn Read + '_> = match compression {
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new(bytes)),
        Compression::Gzip => Box::new(flate2::read::GzDecoder::new(bytes)),
        Compression::None => Box::new(bytes),
    };
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the decoded index is larger than {limit} bytes"),
        ));
    }
    Ok(out)
}

/// Chunks below this size are not split further.
const MIN_CHUNK: usize = 1 << 20;

/// Parses a decoded Packages index into binary packages, splitting the text at
/// paragraph boundaries and parsing the pieces in parallel. Errors give the line.
pub fn parse_index(text: &str) -> std::result::Result<Vec<BinaryPackage>, String> {
    parse_text(text, 0)
}

/// `text` parsed as lines after the first `lines_before` of the index.
fn parse_text(text: &str, lines_before: usize) -> std::result::Result<Vec<BinaryPackage>, String> {
    let pieces = (rayon::current_num_threads() * 4).max(1);
    let chunks = split_paragraphs(text, (text.len() / pieces).max(MIN_CHUNK));
    let parsed: Vec<std::result::Result<Vec<BinaryPackage>, String>> = chunks
        .par_iter()
        .map(|&(start, chunk)| {
            parse_chunk(chunk).map_err(|(line, message)| {
                let before = text.get(..start).unwrap_or_default();
                let line = lines_before + line + before.bytes().filter(|&b| b == b'\n').count();
                format!("line {line}: {message}")
            })
        })
        .collect();
    let mut packages = Vec::with_capacity(parsed.iter().map(|p| p.as_ref().map_or(0, Vec::len)).sum());
    for chunk in parsed {
        packages.extend(chunk?);
    }
    Ok(packages)
}

/// How much of a decoded index [`parse_index_from`] holds at once.
const STREAM_PIECE: usize = 8 << 20;

/// Why an index read from a reader gave no packages.
#[derive(Debug)]
pub enum StreamError {
    /// Reading failed (for a cache entry: also when its content does not hash to its
    /// name, which the reader finds at the end).
    Read(std::io::Error),
    /// The text is not a Packages index; the whole input was read and is intact.
    Syntax(String),
}

/// Parses a decoded Packages index from `reader` a few MiB at a time, each piece cut at
/// a paragraph boundary and parsed in parallel, so that the whole text is never held in
/// memory. A syntax error is reported only after the rest was read, so that a reader
/// that checks a digest at the end says first whether the bytes were intact.
pub fn parse_index_from(reader: &mut impl Read) -> std::result::Result<Vec<BinaryPackage>, StreamError> {
    let mut packages = Vec::new();
    let mut pending: Vec<u8> = Vec::with_capacity(STREAM_PIECE * 2);
    let mut lines_before = 0;
    let mut failure = None;
    loop {
        let start = pending.len();
        pending.resize(start + STREAM_PIECE, 0);
        let n = read_full(reader, &mut pending[start..]).map_err(StreamError::Read)?;
        pending.truncate(start + n);
        let at_end = n == 0;
        // Up to the last paragraph boundary; everything at the end.
        let cut = if at_end {
            pending.len()
        } else {
            match pending.windows(2).rposition(|w| w == b"\n\n") {
                Some(at) => at + 2,
                None => continue,
            }
        };
        if failure.is_none() {
            match std::str::from_utf8(&pending[..cut]) {
                Ok(text) => match parse_text(text, lines_before) {
                    Ok(parsed) => packages.extend(parsed),
                    Err(reason) => failure = Some(reason),
                },
                Err(e) => {
                    let line =
                        lines_before + pending[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
                    failure = Some(format!("line {line}: not UTF-8"));
                }
            }
            lines_before += pending[..cut].iter().filter(|&&b| b == b'\n').count();
        }
        pending.drain(..cut);
        if at_end {
            break;
        }
    }
    match failure {
        Some(reason) => Err(StreamError::Syntax(reason)),
        None => Ok(packages),
    }
}

/// Reads until `buf` is full or the reader ends; returns how much was read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Parses one chunk; errors carry the line within the chunk.
fn parse_chunk(chunk: &str) -> std::result::Result<Vec<BinaryPackage>, (usize, String)> {
    let mut out = Vec::with_capacity(chunk.len() / 800);
    for paragraph in deb822::paragraphs(chunk) {
        let paragraph = paragraph.map_err(|e| match e {
            buckle_debian::Error::Deb822Syntax { line, found } => (
                line,
                format!("expected `Field: value` or a continuation line, found `{found}`"),
            ),
            other => (0, other.to_string()),
        })?;
        let package = BinaryPackage::from_index_stanza(&paragraph).map_err(|e| {
            (
                e.line,
                format!("stanza of package `{}`: {}", e.package, e.problem),
            )
        })?;
        out.push(package);
    }
    Ok(out)
}

/// Splits `text` into chunks of about `target` bytes that each end after a blank line
/// (so no paragraph is cut), with each chunk's byte offset.
fn split_paragraphs(text: &str, target: usize) -> Vec<(usize, &str)> {
    let target = target.max(1);
    let mut chunks = Vec::with_capacity(text.len() / target + 1);
    let mut start = 0;
    while start < text.len() {
        let rest = text.get(start..).unwrap_or_default();
        let tail = rest.as_bytes().get(target..).unwrap_or_default();
        let end = match tail.windows(2).position(|w| w == b"\n\n") {
            Some(i) => start + target + i + 2,
            None => text.len(),
        };
        chunks.push((start, text.get(start..end).unwrap_or_default()));
        start = end;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stanza(name: &str) -> String {
        format!(
            "Package: {name}\nVersion: 1.0-1\nArchitecture: amd64\nDepends: libc6 (>= 2.36)\nDescription: d\n long\n .\n more\nFilename: pool/main/{name}.deb\nSize: 10\nSHA256: {}\n",
            buckle_digest::Sha256::of(name.as_bytes())
        )
    }

    #[test]
    fn chunks_end_at_paragraph_boundaries_and_cover_the_text() {
        let text: String = (0..5000).map(|i| stanza(&format!("p{i}")) + "\n").collect();
        let chunks = split_paragraphs(&text, 10_000);
        assert!(chunks.len() > 1);
        let joined: String = chunks.iter().map(|(_, c)| *c).collect();
        assert_eq!(joined, text);
        for (start, chunk) in &chunks {
            assert!(chunk.starts_with("Package: "));
            assert_eq!(&text[*start..*start + chunk.len()], *chunk);
        }
    }

    #[test]
    fn parallel_parse_keeps_index_order() {
        let text: String = (0..20000).map(|i| stanza(&format!("p{i}")) + "\n").collect();
        let packages = parse_index(&text).unwrap();
        assert_eq!(packages.len(), 20000);
        assert!(packages
            .iter()
            .enumerate()
            .all(|(i, p)| p.name.as_str() == format!("p{i}")));
    }

    #[test]
    fn bad_stanza_deep_in_the_index_reports_its_absolute_line() {
        let mut text: String = (0..20000).map(|i| stanza(&format!("p{i}")) + "\n").collect();
        let lines_before = text.lines().count();
        text.push_str("Package: broken\nArchitecture: amd64\n");
        let err = parse_index(&text).unwrap_err();
        assert_eq!(
            err,
            format!(
                "line {}: stanza of package `broken`: missing `Version` field",
                lines_before + 1
            )
        );
    }

    /// Hands out at most 1000 bytes per read, as a pipe or a hashing reader may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(1000).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn an_index_read_a_piece_at_a_time_parses_as_a_whole_one_and_keeps_absolute_lines() {
        // More than two pieces, so that paragraphs straddle the cuts.
        let mut text = String::new();
        let mut i = 0;
        while text.len() < STREAM_PIECE * 2 + 12345 {
            text.push_str(&(stanza(&format!("p{i}")) + "\n"));
            i += 1;
        }
        let streamed = parse_index_from(&mut Trickle(text.as_bytes())).unwrap();
        assert_eq!(streamed, parse_index(&text).unwrap());
        let lines_before = text.lines().count();
        text.push_str("Package: broken\nArchitecture: amd64\n");
        let Err(StreamError::Syntax(reason)) = parse_index_from(&mut Trickle(text.as_bytes())) else {
            panic!("a broken stanza was accepted")
        };
        assert_eq!(reason, parse_index(&text).unwrap_err());
        assert!(
            reason.starts_with(&format!("line {}:", lines_before + 1)),
            "{reason}"
        );
    }

    #[test]
    fn best_listed_compression_is_picked() {
        let text = "Date: Sat, 21 Nov 2026 09:15:44 UTC\nSHA256:\n 2efd6103f013081f8118f4c9f228739bc97bff2e4e1de496f80458c7e72a24ac 56634892 main/binary-amd64/Packages\n 4967137e99422deb3b08e4eab8d6e756abfc826ef2c3744f50c1ab8ed053bf7e 13335627 main/binary-amd64/Packages.gz\n";
        let release = Release::parse(text, "u").unwrap();
        let suite: Suite = "trixie".parse().unwrap();
        let choice = IndexChoice::pick(&release, &suite, "main/binary-amd64").unwrap();
        assert_eq!(choice.compression, Compression::Gzip);
        assert_eq!(choice.path, "main/binary-amd64/Packages.gz");
        assert_eq!(choice.decoded.unwrap().size, 56634892);
        assert_eq!(
            choice.by_hash_path(),
            "main/binary-amd64/by-hash/SHA256/4967137e99422deb3b08e4eab8d6e756abfc826ef2c3744f50c1ab8ed053bf7e"
        );
        let err = IndexChoice::pick(&release, &suite, "main/binary-arm64").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Release of `trixie` lists no Packages index `main/binary-arm64/Packages[.xz|.gz]`"
        );
    }

    #[test]
    fn decoding_past_the_limit_is_refused() {
        let data = vec![b'a'; 10_000];
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, &data).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(decode(Compression::Gzip, &gz, 10_000).unwrap(), data);
        assert!(decode(Compression::Gzip, &gz, 9_999).is_err());
    }
}
