//! Where a streamed body goes: a writer that can start over when a retry restarts it.

use std::io::{self, Seek, Write};

/// A writer that a retry can reset to empty. A download that fails half-way is
/// retried from the start, so whatever was written must be discarded first.
pub trait Sink: Write {
    /// Discards everything written so far.
    fn restart(&mut self) -> io::Result<()>;
}

impl Sink for Vec<u8> {
    fn restart(&mut self) -> io::Result<()> {
        self.clear();
        Ok(())
    }
}

impl Sink for std::fs::File {
    fn restart(&mut self) -> io::Result<()> {
        self.set_len(0)?;
        self.rewind()
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn restart(&mut self) -> io::Result<()> {
        (**self).restart()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn restarting_a_file_discards_what_was_written() {
        let mut file = tempfile_in_target();
        file.write_all(b"partial").unwrap();
        file.restart().unwrap();
        file.write_all(b"full").unwrap();
        file.rewind().unwrap();
        let mut back = String::new();
        file.read_to_string(&mut back).unwrap();
        assert_eq!(back, "full");
    }

    fn tempfile_in_target() -> std::fs::File {
        let path = std::env::temp_dir().join(format!("buckle-http-sink-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }
}
