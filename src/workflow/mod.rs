//! The workflows: the one dispatch (`dispatch`) of what each trigger asks for (`job`) to the
//! accounts an event names (`invitation`), the reconcile of the whole organization (`reconcile`), the
//! removal of departed accounts' members (`removal`), the adoption of untagged members (`adopt`),
//! the messages of the retry queue (`retry`) and the preflight (`check`), and what becomes of each
//! subject afterwards (`settle`); with what they share: the look-ups (`lookup`), the work in one
//! region (`region`), the discovery policy in one region (`discovery`), and here the invocation,
//! its deadline, its one bound on removals, its regions' modes and bounded concurrent calls.

pub(crate) mod adopt;
pub(crate) mod check;
pub(crate) mod discovery;
pub(crate) mod dispatch;
pub(crate) mod invitation;
pub(crate) mod job;
pub(crate) mod lookup;
pub(crate) mod reconcile;
pub(crate) mod region;
pub(crate) mod removal;
pub(crate) mod retry;
pub(crate) mod settle;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{StreamExt, stream};
use lambda_runtime::tracing;

use crate::app::App;
use crate::domain::{Account, AccountId, Origin, Region, Work};
use crate::outcome::{Outcome, Report, Run};
use crate::policy::departure::{Departed, RemovalBound};
use crate::policy::mode::RegionMode;
use crate::policy::plan;
use crate::workflow::lookup::{read_accounts_under_off_units, read_mode};

/// Each region's mode, read at most once an invocation, and only where it is needed.
type Modes = BTreeMap<Region, tokio::sync::OnceCell<Result<RegionMode, Outcome>>>;

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

/// What every workflow knows of the invocation it runs in.
pub(crate) struct Invocation {
    /// The account that runs the function (the Macie administrator), where it is known.
    pub own_account: Option<AccountId>,
    /// When to stop starting calls.
    pub deadline: Deadline,
    /// The function's name, for its metrics.
    pub function_name: String,
    /// The one bound on the invocation's removals (MAX_REMOVALS, REMOVE_DEPARTED), which every
    /// workflow that removes members goes through.
    removals: Mutex<RemovalBound>,
    /// Each configured region's mode, once read.
    modes: Modes,
    /// The accounts under DISCOVERY_OFF_OU_IDS, once read.
    off_units: OffUnits,
}

/// The accounts under DISCOVERY_OFF_OU_IDS, read at most once an invocation.
type OffUnits = tokio::sync::OnceCell<Result<BTreeSet<AccountId>, Outcome>>;

impl Invocation {
    /// The invocation of `context`: the function's account, its deadline and its name.
    pub(crate) async fn of(app: &App, context: &lambda_runtime::Context) -> Self {
        let function_name = match context.env_config.function_name.as_str() {
            // A local emulator may name none.
            "" => "macie-invite".to_owned(),
            name => name.to_owned(),
        };
        Invocation {
            own_account: own_account(app, &context.invoked_function_arn).await,
            deadline: Deadline::from_epoch_millis(context.deadline),
            function_name,
            removals: Mutex::new(RemovalBound::new(
                app.config.remove_departed,
                app.config.max_removals,
            )),
            modes: app
                .config
                .regions
                .iter()
                .map(|region| (region.clone(), tokio::sync::OnceCell::new()))
                .collect(),
            off_units: OffUnits::new(),
        }
    }

    /// The one context of this invocation's workflows, acting through `app`: the only place an
    /// invocation is opened.
    pub(crate) fn scope<'a>(&'a self, app: &'a App) -> Scope<'a> {
        Scope {
            app,
            own_account: self.own_account.as_ref(),
            deadline: self.deadline,
            removals: &self.removals,
            modes: &self.modes,
            off_units: &self.off_units,
        }
    }
}

/// What every workflow of an invocation works with, as one value: the application (or its
/// planner), the function's own account (the Macie administrator), the deadline, and the
/// invocation's one bound on removals.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The settings and the adapters; the planner's under a dry run or for what BACKFILL holds.
    pub app: &'a App,
    /// The account that runs the function, where it is known: never invited, never removed.
    pub own_account: Option<&'a AccountId>,
    /// When to stop starting calls.
    pub deadline: Deadline,
    removals: &'a Mutex<RemovalBound>,
    modes: &'a Modes,
    off_units: &'a OffUnits,
}

impl<'a> Scope<'a> {
    /// The same scope, acting through `app` (the planner, which plans instead of acting).
    pub(crate) fn with_app<'b>(&self, app: &'b App) -> Scope<'b>
    where
        'a: 'b,
    {
        let this: Scope<'b> = *self;
        Scope { app, ..this }
    }

    /// The mode of `region` ([`read_mode`]): read the first time a workflow of the invocation
    /// needs it, and known from then on.
    pub(crate) async fn mode_in(&self, region: &Region) -> Result<RegionMode, Outcome> {
        match self.modes.get(region) {
            Some(mode) => mode
                .get_or_init(|| read_mode(self.app, region))
                .await
                .clone(),
            None => read_mode(self.app, region).await,
        }
    }

    /// The accounts anywhere under DISCOVERY_OFF_OU_IDS ([`read_accounts_under_off_units`]): read
    /// the first time a workflow of the invocation needs them.
    pub(crate) async fn accounts_under_off_units(&self) -> Result<BTreeSet<AccountId>, Outcome> {
        let read = || read_accounts_under_off_units(self.app);
        self.off_units.get_or_init(read).await.clone()
    }

    /// Lets `departed`'s removals go, or holds them back, under the invocation's one bound
    /// ([`RemovalBound::hold_removals`]).
    pub(crate) fn hold_removals(&self, departed: &mut [Departed]) {
        self.removals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .hold_removals(departed);
    }
}

/// The account that runs the function (the Macie administrator): from its ARN, as Lambda always
/// sends it, with no call; where the ARN names none (a local emulator: cargo lambda watch sends
/// `function-arn`), from STS GetCallerIdentity. When neither tells, the account is not screened
/// out (Macie itself refuses to make the administrator its own member) and no invitation is accepted.
async fn own_account(app: &App, function_arn: &str) -> Option<AccountId> {
    if let Some(account) = account_in_arn(function_arn) {
        return Some(account);
    }
    match app.sts.caller_account().await {
        Ok(account) => Some(account),
        Err(error) => {
            tracing::warn!(
                function_arn = crate::quote::excerpt(function_arn),
                %error,
                "neither the function ARN nor STS names the function's account; the administrator account is not screened out"
            );
            None
        }
    }
}

/// The account of `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
fn account_in_arn(function_arn: &str) -> Option<AccountId> {
    function_arn
        .split(':')
        .nth(4)
        .and_then(|account| AccountId::parse(account, "invoked_function_arn").ok())
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

/// The work confined to MACIE_REGIONS; each subject and region refused is reported in `run`, and
/// no call is made there.
pub(crate) fn confine_and_report(app: &App, run: &mut Run, works: Vec<Work>) -> Vec<Work> {
    let confined = plan::confine_works(works, &app.config.regions);
    for (work, region) in confined.refused {
        let outcome = Outcome::skipped(plan::region_refusal(&region));
        let report = Report::new(work.subject, Some(region), outcome, &work.origin);
        run.reports.push(report);
    }
    confined.works
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

/// One account to invite in one region, with the work it came from.
#[derive(Clone, Debug)]
pub(crate) struct Task {
    pub account: Account,
    pub origin: Origin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_account_comes_from_the_function_arn() {
        let own =
            account_in_arn("arn:aws:lambda:us-east-1:123456789012:function:macie-invite").unwrap();
        assert_eq!(own.as_str(), "123456789012");
        for arn in ["", "arn:aws:lambda:us-east-1::function:x", "function-arn"] {
            assert_eq!(account_in_arn(arn), None, "{arn}");
        }
    }

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
