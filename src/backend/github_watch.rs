//! What the GitHub backend knows of the runs it watches, and when it asks again.
//!
//! Runs are watched through listings: one conditional listing of a repository's runs on
//! one event ([`crate::github::GitHub::list_runs`]) answers for every run of that
//! repository, so watching a hundred runs of one repository costs one request per poll,
//! and an unchanged listing is a 304, which GitHub's rate limit does not charge. A listing
//! is polled every poll interval while one of its runs is running, and is answered from in
//! between, so the executor may ask as often as it likes.
//!
//! GitHub's secondary limits (900 points a minute for the REST API, a GET being one, and
//! 100 requests at once) still count 304s, so when many repositories are watched the
//! interval grows to keep polling within [`POLLS_PER_MINUTE`] in all. Requests are sent
//! one after the other (the executor is sequential), far from the concurrency limit.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use crate::github::runs::Run;

/// Polls a minute across every watched listing: a third of GitHub's 900-point secondary
/// limit, leaving the rest to dispatches, discovery, artifacts and releases.
pub const POLLS_PER_MINUTE: u64 = 300;

/// A repository and the event its runs are listed under.
pub type ListingKey = (String, &'static str);

/// One listing as last seen.
#[derive(Debug, Default)]
struct Listing {
    /// Backend seconds of the last poll; `None` until polled, or when a poll is forced.
    polled_at: Option<u64>,
    runs: HashMap<u64, Run>,
    /// Runs the executor watches that were running at the last look: while there are
    /// any, the listing is polled.
    running: BTreeSet<u64>,
}

#[derive(Debug)]
pub struct Watch {
    /// The shortest wait between two polls of one listing (`--poll-interval`).
    interval: Duration,
    listings: BTreeMap<ListingKey, Listing>,
}

impl Watch {
    pub fn new(interval: Duration) -> Watch {
        Watch {
            interval: interval.max(Duration::from_secs(1)),
            listings: BTreeMap::new(),
        }
    }

    /// The wait between two polls of one listing: the poll interval, longer when so many
    /// listings have running runs that polling them all would exceed [`POLLS_PER_MINUTE`].
    pub fn interval(&self) -> Duration {
        let busy = self
            .listings
            .values()
            .filter(|l| !l.running.is_empty())
            .count() as u64;
        let spread = Duration::from_secs(busy.saturating_mul(60).div_ceil(POLLS_PER_MINUTE));
        self.interval.max(spread)
    }

    /// Whether the listing should be polled at `now`.
    pub fn due(&self, key: &ListingKey, now: u64) -> bool {
        let polled_at = self.listings.get(key).and_then(|l| l.polled_at);
        polled_at.is_none_or(|at| now >= at.saturating_add(self.interval().as_secs()))
    }

    /// A poll of the listing at `now` showed `runs`.
    pub fn record(&mut self, key: &ListingKey, now: u64, runs: impl IntoIterator<Item = Run>) {
        let listing = self.listings.entry(key.clone()).or_default();
        listing.polled_at = Some(now);
        listing.runs = runs.into_iter().map(|run| (run.id, run)).collect();
    }

    /// A run not on the listing's first page, read on its own in the same poll.
    pub fn record_one(&mut self, key: &ListingKey, run: Run) {
        let listing = self.listings.entry(key.clone()).or_default();
        listing.runs.insert(run.id, run);
    }

    /// The run as the last poll showed it.
    pub fn run(&self, key: &ListingKey, id: u64) -> Option<&Run> {
        self.listings.get(key).and_then(|l| l.runs.get(&id))
    }

    /// Whether the executor's run `id` is running (keeping its listing polled).
    pub fn set_running(&mut self, key: &ListingKey, id: u64, running: bool) {
        let listing = self.listings.entry(key.clone()).or_default();
        if running {
            listing.running.insert(id);
        } else {
            listing.running.remove(&id);
        }
    }

    /// The next look at the listing is a poll, whenever it comes.
    pub fn force(&mut self, key: &ListingKey) {
        if let Some(listing) = self.listings.get_mut(key) {
            listing.polled_at = None;
        }
    }

    /// When the next poll after `now` is due, among listings with running runs. Polls
    /// already due wait for the executor's turn (a run the executor stopped asking about
    /// must not keep waking it).
    pub fn next_poll(&self, now: u64) -> Option<u64> {
        let interval = self.interval().as_secs();
        self.listings
            .values()
            .filter(|l| !l.running.is_empty())
            .filter_map(|l| l.polled_at)
            .map(|at| at.saturating_add(interval))
            .filter(|&at| at > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(repo: &str) -> ListingKey {
        (repo.to_string(), "repository_dispatch")
    }

    #[test]
    fn a_listing_is_polled_every_interval_while_a_run_is_running() {
        let mut watch = Watch::new(Duration::from_secs(2));
        let node = key("o/node");
        assert!(watch.due(&node, 0), "never polled");
        watch.record(&node, 10, []);
        watch.set_running(&node, 7, true);
        assert!(!watch.due(&node, 11));
        assert!(watch.due(&node, 12));
        assert_eq!(watch.next_poll(10), Some(12));
        watch.set_running(&node, 7, false);
        assert_eq!(
            watch.next_poll(10),
            None,
            "nothing running, nothing to wake for"
        );
        watch.force(&node);
        assert!(watch.due(&node, 11));
    }

    #[test]
    fn many_busy_repositories_stretch_the_interval_to_stay_within_the_secondary_limits() {
        let mut watch = Watch::new(Duration::from_secs(2));
        for i in 0..10 {
            watch.set_running(&key(&format!("o/r{i}")), i, true);
        }
        assert_eq!(
            watch.interval(),
            Duration::from_secs(2),
            "10 × 30 a minute fits"
        );
        for i in 10..100 {
            watch.set_running(&key(&format!("o/r{i}")), i, true);
        }
        // 100 listings within 300 polls a minute: each every 20 s.
        assert_eq!(watch.interval(), Duration::from_secs(20));
    }
}
