//! The feeds published on the web: the Debian security tracker JSON, OSV's Debian
//! records, CISA's KEV catalog and FIRST's EPSS scores. Each is downloaded through
//! `buckle-http` and imported like a file; one that cannot be reached is reported
//! with the URL tried, and the others go on.

use crate::error::{Error, Result};
use crate::import::import;
use crate::store::{FeedInfo, FeedKind, Store};
use buckle_http::Client;
use std::path::Path;

/// Where each remote feed is published.
pub const URLS: [(FeedKind, &str, &str); 4] = [
    (
        FeedKind::Tracker,
        "https://security-tracker.debian.org/tracker/data/json",
        "tracker.json",
    ),
    (
        FeedKind::Osv,
        "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip",
        "osv-debian.zip",
    ),
    (
        FeedKind::Kev,
        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        "kev.json",
    ),
    (
        FeedKind::Epss,
        "https://epss.cyentia.com/epss_scores-current.csv.gz",
        "epss.csv.gz",
    ),
];

/// The largest remote feed accepted (the tracker JSON is about 100 MB).
const LIMIT: u64 = 1 << 30;

/// What happened to one remote feed.
#[derive(Debug)]
pub enum Outcome {
    /// Downloaded and stored.
    Stored(FeedInfo),
    /// Could not be downloaded or read; the error names the URL.
    Failed(Error),
}

/// Downloads and stores every remote feed, each on its own: one failure does not stop
/// the others. `scratch` holds the downloads while they are imported.
pub fn update(client: &Client, store: &Store, scratch: &Path, now: u64) -> Vec<(FeedKind, Outcome)> {
    URLS.iter()
        .map(|(kind, url, file)| {
            let outcome = match fetch(client, store, scratch, kind.title(), url, file, now) {
                Ok(info) => Outcome::Stored(info),
                Err(e) => Outcome::Failed(e),
            };
            (*kind, outcome)
        })
        .collect()
}

fn fetch(
    client: &Client,
    store: &Store,
    scratch: &Path,
    feed: &'static str,
    url: &str,
    file: &str,
    now: u64,
) -> Result<FeedInfo> {
    let bytes = client.get_bytes(url, LIMIT).map_err(|source| Error::Download {
        feed,
        url: url.to_owned(),
        source,
    })?;
    let path = scratch.join(file);
    crate::store::write_atomically(&path, &bytes)?;
    let mut stored = import(store, std::slice::from_ref(&path.to_path_buf()), now)?;
    let mut info = stored.pop().ok_or(Error::UnknownFeed { path })?;
    info.source = vec![url.to_owned()];
    store.put_info(info.clone())?;
    Ok(info)
}
