//! The workflows: the accounts an event names (`named`), the reconcile of the whole organization
//! (`reconcile`), the messages of the retry queue (`retry`), what becomes of each subject
//! afterwards (`settle`), and the preflight (`check`); with what they share: the look-ups (`lookup`), the work in one region
//! (`region`), the invocation's deadline and bounded concurrent calls (here).

pub mod check;
pub mod lookup;
pub mod named;
pub mod reconcile;
pub mod region;
pub mod retry;
pub mod settle;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{StreamExt, stream};

use crate::app::App;
use crate::domain::{Account, Origin, Region, Work};
use crate::outcome::{CreationFailure, Outcome, Report};
use crate::plan;

/// No new call starts this close to the invocation's deadline: what remains is re-queued, which
/// takes a few SendMessageBatch calls. An invocation with less than 40 s in all keeps a quarter of
/// its time instead (local emulators give 3 s, Lambda's default timeout).
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// Now, in seconds since the epoch, as Organizations' and Macie's timestamps are compared.
pub fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// When the invocation must stop starting calls.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(Option<SystemTime>);

impl Deadline {
    /// From the runtime's deadline in milliseconds since the epoch, read as the invocation starts.
    /// A value before 2000 is no epoch time and means none is known: 0 when the runtime has none,
    /// and `cargo lambda watch` sends its timeout (600000) there.
    pub fn from_epoch_millis(millis: u64) -> Self {
        Self::at(millis, SystemTime::now())
    }

    fn at(millis: u64, now: SystemTime) -> Self {
        const YEAR_2000_MILLIS: u64 = 946_684_800_000;
        Deadline((millis >= YEAR_2000_MILLIS).then(|| {
            let deadline = UNIX_EPOCH + Duration::from_millis(millis);
            let time_left = deadline.duration_since(now).unwrap_or_default();
            deadline - DEADLINE_MARGIN.min(time_left / 4)
        }))
    }

    pub fn near(&self) -> bool {
        self.0.is_some_and(|stop| SystemTime::now() >= stop)
    }
}

/// The work confined to MACIE_REGIONS; each subject and region refused is reported in `run`, and
/// no call is made there.
pub fn confine(app: &App, run: &mut Run, works: Vec<Work>) -> Vec<Work> {
    let confined = plan::confine(works, &app.config.regions);
    for (work, region) in confined.refused {
        let outcome = Outcome::skipped(plan::region_refusal(&region));
        let report = Report::new(work.subject, Some(region), outcome, &work.origin);
        run.reports.push(report);
    }
    confined.works
}

/// Runs `work` on every item, at most `limit` at once, in any order. An item whose turn comes when
/// the deadline is near is not started: `deferred(item)` stands for its result.
pub async fn before_deadline<I, T, Fut>(
    items: impl IntoIterator<Item = I>,
    limit: usize,
    deadline: Deadline,
    work: impl Fn(I) -> Fut,
    deferred: impl Fn(I) -> T,
) -> Vec<T>
where
    Fut: Future<Output = T>,
{
    let (work, deferred) = (&work, &deferred);
    stream::iter(items)
        .map(|item| async move {
            if deadline.near() {
                deferred(item)
            } else {
                work(item).await
            }
        })
        .buffer_unordered(limit)
        .collect()
        .await
}

/// One account to invite in one region, with the work it came from.
#[derive(Clone, Debug)]
pub struct Task {
    pub account: Account,
    pub origin: Origin,
}

/// What a run did: one report per subject (and region), and the creations that failed.
#[derive(Default)]
pub struct Run {
    pub reports: Vec<Report>,
    pub creations_failed: Vec<CreationFailure>,
    /// Per region, the accounts found members already and counted rather than reported (a
    /// reconcile: a report each would grow with the organization).
    pub members_already: BTreeMap<Region, usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(time_left: Duration) -> Duration {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let millis = (now + time_left)
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        Deadline::at(millis, now)
            .0
            .unwrap()
            .duration_since(now)
            .unwrap()
    }

    #[test]
    fn the_margin_is_ten_seconds_or_a_quarter_of_a_short_invocation() {
        assert_eq!(stop(Duration::from_secs(300)), Duration::from_secs(290));
        assert_eq!(stop(Duration::from_secs(40)), Duration::from_secs(30));
        assert_eq!(stop(Duration::from_secs(3)), Duration::from_millis(2_250));
        assert_eq!(Deadline::from_epoch_millis(0).0, None);
        assert_eq!(Deadline::from_epoch_millis(600_000).0, None);
        assert!(Deadline::at(1_000_000_000_000, SystemTime::now()).near());
    }

    #[tokio::test]
    async fn past_the_deadline_nothing_starts() {
        let past = Deadline::at(1_000_000_000_000, SystemTime::now());
        let none = Deadline::from_epoch_millis(0);
        let work = |n: u32| async move { n * 2 };
        let mut done = before_deadline(1..=3, 2, none, work, |_| 0).await;
        done.sort();
        assert_eq!(done, [2, 4, 6]);
        assert_eq!(
            before_deadline(1..=3, 2, past, work, |_| 0).await,
            [0, 0, 0]
        );
    }
}
