//! The watch loop's state: when the next tick is due (the interval, or a shorter
//! backoff while the mirror or registry is down), and the status a service reports.
//! The loop itself (clock, sleeping, signals, files) is the caller's.

use crate::advisory::duration;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How often to tick: `30s`, `15m`, `6h`, `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(Duration);

impl Interval {
    /// The interval as a duration.
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl FromStr for Interval {
    type Err = Error;

    fn from_str(text: &str) -> Result<Interval> {
        let bad = |reason| Error::BadInterval {
            text: text.to_owned(),
            reason,
        };
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| bad("it has no unit"))?;
        let (number, unit) = text.split_at(split);
        let number: u64 = number
            .parse()
            .map_err(|_| bad("it does not start with a number"))?;
        let unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad("the unit is not s, m, h or d")),
        };
        match number.checked_mul(unit) {
            Some(0) => Err(bad("it is zero")),
            Some(seconds) => Ok(Interval(Duration::from_secs(seconds))),
            None => Err(bad("it is too long")),
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&duration(self.0.as_secs()))
    }
}

/// The longest first retry after a transient failure; later retries double it, up
/// to the interval.
const FIRST_RETRY: Duration = Duration::from_secs(5);

/// What a tick came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum TickOutcome {
    /// Every image was checked; `updated` were rebuilt (or, without rebuilding,
    /// have an update waiting).
    Done {
        /// Images checked.
        images: usize,
        /// Images with a changed lock.
        updated: Vec<String>,
    },
    /// The tick stopped at an error; nothing after the failing step was done.
    Failed {
        /// The mirror or registry could not be reached: retried sooner.
        transient: bool,
        /// The error and its causes.
        error: String,
    },
    /// A signal asked the loop to stop before the tick was done.
    Interrupted,
}

/// One tick, as the status file records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    /// Ticks are numbered from 1.
    pub number: u64,
    /// When it started (seconds since 1970, UTC).
    pub started_at: u64,
    /// When it finished.
    pub finished_at: u64,
    /// What it came to.
    #[serde(flatten)]
    pub outcome: TickOutcome,
}

/// What the loop is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// A tick is under way.
    Running,
    /// Waiting for the next tick.
    Waiting,
    /// Waiting to retry after the mirror or registry could not be reached.
    BackingOff,
    /// Stopped by a signal.
    Stopped,
}

/// The status file's content: what a service monitor reads. It holds the last tick
/// only, so it does not grow however long the loop runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// What the loop is doing.
    pub state: State,
    /// The process.
    pub pid: u32,
    /// When the loop started (seconds since 1970, UTC).
    pub started_at: u64,
    /// The interval between ticks, in seconds.
    pub interval_seconds: u64,
    /// Ticks started.
    pub ticks: u64,
    /// Failed ticks since the last one that was done.
    pub failures_in_a_row: u32,
    /// When the last tick that was done finished.
    pub last_success_at: Option<u64>,
    /// When the next tick is due.
    pub next_tick_at: Option<u64>,
    /// The last tick that finished.
    pub last_tick: Option<Tick>,
}

/// The loop's schedule and status.
#[derive(Debug, Clone)]
pub struct Watch {
    interval: Duration,
    status: Status,
    current_start: u64,
}

impl Watch {
    /// A loop ticking every `interval`, started at `now` by process `pid`.
    pub fn new(interval: Interval, pid: u32, now: u64) -> Watch {
        Watch {
            interval: interval.duration(),
            status: Status {
                state: State::Running,
                pid,
                started_at: now,
                interval_seconds: interval.duration().as_secs(),
                ticks: 0,
                failures_in_a_row: 0,
                last_success_at: None,
                next_tick_at: Some(now),
                last_tick: None,
            },
            current_start: now,
        }
    }

    /// The status to write.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// A tick starts at `now`; returns its number.
    pub fn start_tick(&mut self, now: u64) -> u64 {
        self.status.ticks += 1;
        self.status.state = State::Running;
        self.status.next_tick_at = None;
        self.current_start = now;
        self.status.ticks
    }

    /// The tick finished at `now` with `outcome`; returns how long to wait before the
    /// next one: the interval, or after a transient failure a backoff that starts at
    /// five seconds (or the interval, if shorter) and doubles up to the interval.
    pub fn finish_tick(&mut self, now: u64, outcome: TickOutcome) -> Duration {
        let wait = match &outcome {
            TickOutcome::Done { .. } => {
                self.status.failures_in_a_row = 0;
                self.status.last_success_at = Some(now);
                self.status.state = State::Waiting;
                self.interval
            }
            TickOutcome::Failed { transient, .. } => {
                self.status.failures_in_a_row = self.status.failures_in_a_row.saturating_add(1);
                if *transient {
                    self.status.state = State::BackingOff;
                    self.backoff()
                } else {
                    self.status.state = State::Waiting;
                    self.interval
                }
            }
            TickOutcome::Interrupted => {
                self.status.state = State::Stopped;
                Duration::ZERO
            }
        };
        self.status.last_tick = Some(Tick {
            number: self.status.ticks,
            started_at: self.current_start,
            finished_at: now,
            outcome,
        });
        self.status.next_tick_at =
            (self.status.state != State::Stopped).then(|| now.saturating_add(wait.as_secs()));
        wait
    }

    /// A signal stopped the loop between ticks.
    pub fn stop(&mut self) {
        self.status.state = State::Stopped;
        self.status.next_tick_at = None;
    }

    fn backoff(&self) -> Duration {
        let first = FIRST_RETRY.min(self.interval);
        let doublings = self.status.failures_in_a_row.saturating_sub(1).min(16);
        first.saturating_mul(1 << doublings).min(self.interval)
    }

    /// The log line for the last finished tick.
    pub fn log_line(&self) -> String {
        let Some(tick) = &self.status.last_tick else {
            return "no tick yet".to_owned();
        };
        let took = duration(tick.finished_at.saturating_sub(tick.started_at));
        let what = match &tick.outcome {
            TickOutcome::Done { images, updated } if updated.is_empty() => {
                format!("{images} images, none changed")
            }
            TickOutcome::Done { images, updated } => {
                format!(
                    "{images} images, {} updated: {}",
                    updated.len(),
                    updated.join(", ")
                )
            }
            TickOutcome::Failed { transient, error } => {
                let kind = if *transient { "unreachable" } else { "failed" };
                format!("{kind} ({} in a row): {error}", self.status.failures_in_a_row)
            }
            TickOutcome::Interrupted => "interrupted".to_owned(),
        };
        let next = match (self.status.state, self.status.next_tick_at) {
            (State::Stopped, _) | (_, None) => "stopping".to_owned(),
            (_, Some(at)) => format!("next in {}", duration(at.saturating_sub(tick.finished_at))),
        };
        format!("tick {} ({took}): {what}; {next}", tick.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(transient: bool) -> TickOutcome {
        TickOutcome::Failed {
            transient,
            error: "cannot reach `127.0.0.1:5000`".into(),
        }
    }

    #[test]
    fn intervals_parse_with_their_unit() {
        let secs = |t: &str| t.parse::<Interval>().unwrap().duration().as_secs();
        assert_eq!(secs("1s"), 1);
        assert_eq!(secs("15m"), 900);
        assert_eq!(secs("6h"), 21_600);
        assert_eq!(secs("1d"), 86_400);
        assert_eq!("15m".parse::<Interval>().unwrap().to_string(), "15m");
    }

    #[test]
    fn bad_intervals_say_what_is_wrong() {
        let err = |t: &str| t.parse::<Interval>().unwrap_err().to_string();
        assert_eq!(err("15"), "`15` is not an interval: it has no unit");
        assert_eq!(
            err("m"),
            "`m` is not an interval: it does not start with a number"
        );
        assert_eq!(
            err("15w"),
            "`15w` is not an interval: the unit is not s, m, h or d"
        );
        assert_eq!(err("0s"), "`0s` is not an interval: it is zero");
        assert_eq!(
            err("99999999999999999999d"),
            "`99999999999999999999d` is not an interval: it does not start with a number"
        );
    }

    #[test]
    fn transient_failures_back_off_doubling_up_to_the_interval_and_success_resets() {
        let mut watch = Watch::new("1m".parse().unwrap(), 7, 1000);
        let mut waits = Vec::new();
        for _ in 0..6 {
            watch.start_tick(1000);
            waits.push(watch.finish_tick(1000, failed(true)).as_secs());
        }
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
        assert_eq!(watch.status().state, State::BackingOff);
        assert_eq!(watch.status().failures_in_a_row, 6);
        watch.start_tick(2000);
        let wait = watch.finish_tick(
            2001,
            TickOutcome::Done {
                images: 3,
                updated: vec![],
            },
        );
        assert_eq!(wait.as_secs(), 60);
        assert_eq!(watch.status().failures_in_a_row, 0);
        assert_eq!(watch.status().last_success_at, Some(2001));
        assert_eq!(watch.status().next_tick_at, Some(2061));
        watch.start_tick(2061);
        assert_eq!(watch.finish_tick(2061, failed(true)).as_secs(), 5);
    }

    #[test]
    fn a_short_interval_caps_the_first_retry() {
        let mut watch = Watch::new("1s".parse().unwrap(), 7, 0);
        watch.start_tick(0);
        assert_eq!(watch.finish_tick(0, failed(true)).as_secs(), 1);
    }

    #[test]
    fn a_permanent_failure_waits_the_whole_interval() {
        let mut watch = Watch::new("15m".parse().unwrap(), 7, 0);
        watch.start_tick(0);
        assert_eq!(watch.finish_tick(3, failed(false)).as_secs(), 900);
        assert_eq!(watch.status().state, State::Waiting);
    }

    #[test]
    fn the_status_keeps_only_the_last_tick() {
        let mut watch = Watch::new("1s".parse().unwrap(), 7, 0);
        for n in 0..1000 {
            watch.start_tick(n);
            watch.finish_tick(
                n,
                TickOutcome::Done {
                    images: 2,
                    updated: vec!["hello".into()],
                },
            );
        }
        let json = serde_json::to_string(watch.status()).unwrap();
        assert!(json.len() < 400, "{json}");
        assert_eq!(watch.status().ticks, 1000);
        assert_eq!(watch.status().last_tick.as_ref().unwrap().number, 1000);
    }

    #[test]
    fn log_lines_say_what_the_tick_did_and_when_the_next_is() {
        let mut watch = Watch::new("15m".parse().unwrap(), 7, 0);
        watch.start_tick(0);
        watch.finish_tick(
            12,
            TickOutcome::Done {
                images: 6,
                updated: vec!["hello".into(), "cc".into()],
            },
        );
        assert_eq!(
            watch.log_line(),
            "tick 1 (12s): 6 images, 2 updated: hello, cc; next in 15m"
        );
        watch.start_tick(900);
        watch.finish_tick(901, failed(true));
        assert_eq!(
            watch.log_line(),
            "tick 2 (1s): unreachable (1 in a row): cannot reach `127.0.0.1:5000`; next in 5s"
        );
        watch.start_tick(906);
        watch.finish_tick(906, TickOutcome::Interrupted);
        assert_eq!(watch.log_line(), "tick 3 (0s): interrupted; stopping");
        assert_eq!(watch.status().state, State::Stopped);
    }
}
