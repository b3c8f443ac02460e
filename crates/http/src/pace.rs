//! The slowest body accepted. A server can keep every single read under the read
//! timeout and still never finish (a slow loris), so a body must also arrive at a
//! minimum rate, averaged over windows as long as the read timeout.

use std::io::{self, Read};
use std::time::{Duration, Instant};

/// At least `bytes_per_second`, averaged over each `window`; 0 accepts any pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MinRate {
    pub bytes_per_second: u64,
    pub window: Duration,
}

/// A body reader that fails with [`io::ErrorKind::TimedOut`] when a window ends with
/// fewer bytes than the rate asks for.
pub(crate) struct Paced<R> {
    inner: R,
    rate: MinRate,
    window_start: Instant,
    in_window: u64,
}

impl<R: Read> Paced<R> {
    pub(crate) fn new(inner: R, rate: MinRate) -> Self {
        Paced {
            inner,
            rate,
            window_start: Instant::now(),
            in_window: 0,
        }
    }
}

impl<R: Read> Read for Paced<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 || self.rate.bytes_per_second == 0 {
            return Ok(n);
        }
        self.in_window += n as u64;
        let elapsed = self.window_start.elapsed();
        if elapsed >= self.rate.window {
            let wanted = u128::from(self.rate.bytes_per_second) * elapsed.as_millis() / 1000;
            if u128::from(self.in_window) < wanted {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the body stalled: {} bytes in {} ms, under the minimum of {} bytes/s",
                        self.in_window,
                        elapsed.as_millis(),
                        self.rate.bytes_per_second
                    ),
                ));
            }
            self.window_start = Instant::now();
            self.in_window = 0;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives one byte per read, sleeping first.
    struct Trickle(Duration);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            std::thread::sleep(self.0);
            buf[0] = b'x';
            Ok(1)
        }
    }

    #[test]
    fn a_trickle_under_the_rate_fails_after_a_window_and_a_fast_body_passes() {
        let rate = MinRate {
            bytes_per_second: 1000,
            window: Duration::from_millis(50),
        };
        let mut slow = Paced::new(Trickle(Duration::from_millis(10)), rate);
        let err = io::copy(&mut slow, &mut io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(
            err.to_string().contains("under the minimum of 1000 bytes/s"),
            "{err}"
        );

        let mut fast = Paced::new(&[7u8; 100_000][..], rate);
        assert_eq!(io::copy(&mut fast, &mut io::sink()).unwrap(), 100_000);
    }
}
