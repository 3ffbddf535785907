//! The invocation's clocks: now, as Organizations', Macie's and the metrics' timestamps are read,
//! the deadline, and the bounded concurrent work that stops starting calls when it is near.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{StreamExt, stream};

/// No new call starts this close to the invocation's deadline: what remains is re-queued, which
/// takes a few SendMessageBatch calls. An invocation with less than 40 s in all keeps a quarter of
/// its time instead (local emulators give 3 s, Lambda's default timeout).
pub(crate) const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// Now, in seconds since the epoch, as Organizations' and Macie's timestamps are compared.
pub(crate) fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// Now, in milliseconds since the epoch, as metrics are stamped.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// A time in seconds since the epoch as ISO 8601 (RFC 3339, UTC), as people and logs read it.
pub(crate) fn iso_time(seconds: i64) -> String {
    aws_smithy_types::DateTime::from_secs(seconds)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| format!("{seconds} seconds since the epoch"))
}

/// When the invocation must stop starting calls.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Option<SystemTime>);

impl Deadline {
    /// From the runtime's deadline in milliseconds since the epoch, read as the invocation starts.
    /// A value before 2000 is no epoch time and means none is known: 0 when the runtime has none,
    /// and `cargo lambda watch` sends its timeout (600000) there.
    pub(crate) fn from_epoch_millis(millis: u64) -> Self {
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

    pub(crate) fn near(&self) -> bool {
        self.0.is_some_and(|stop| SystemTime::now() >= stop)
    }
}

/// Runs `work` on every item, at most `limit` at once, in any order. An item whose turn comes when
/// the deadline is near is not started: `deferred(item)` stands for its result.
pub(crate) async fn before_deadline<I, T, Fut>(
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

    #[test]
    fn times_are_written_as_iso_8601() {
        assert_eq!(iso_time(1_796_416_229), "2026-12-04T20:30:29Z");
    }
}
