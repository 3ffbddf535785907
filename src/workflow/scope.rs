//! The invocation and the one context its workflows share (`Scope`): the application, the
//! function's own account, the deadline, the one bound on removals, and what is read at most once
//! an invocation (each region's mode, the accounts under DISCOVERY_OFF_OU_IDS).

use std::collections::BTreeMap;
use std::sync::Mutex;

use lambda_runtime::tracing;

use crate::app::App;
use crate::domain::{Account, AccountId, Origin, Region, Work};
use crate::outcome::{Outcome, Report, Run};
use crate::policy::departure::{Departed, RemovalBound};
use crate::policy::discovery::UnitsWalked;
use crate::policy::mode::RegionMode;
use crate::policy::plan;
use crate::workflow::clock::{Deadline, before_deadline};

/// Each region's mode, read at most once an invocation, and only where it is needed.
type Modes = BTreeMap<Region, tokio::sync::OnceCell<Result<RegionMode, Outcome>>>;

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
type OffUnits = tokio::sync::OnceCell<Result<UnitsWalked, Outcome>>;

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
    pub(super) modes: &'a Modes,
    pub(super) off_units: &'a OffUnits,
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

    /// Lets `departed`'s removals go, or holds them back, under the invocation's one bound
    /// ([`RemovalBound::bound_removals`]).
    pub(crate) fn bound_removals(&self, departed: &mut [Departed]) {
        self.removals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .hold_removals(departed);
    }

    /// Runs `work` on every item, at most MAX_CALLS_IN_FLIGHT at once, and none once the deadline
    /// is near: `deferred(item)` stands for its result ([`before_deadline`]).
    pub(crate) async fn each<I, T, Fut: Future<Output = T>>(
        &self,
        items: impl IntoIterator<Item = I>,
        work: impl Fn(I) -> Fut,
        deferred: impl Fn(I) -> T,
    ) -> Vec<T> {
        let limit = self.app.config.max_calls_in_flight;
        before_deadline(items, limit, self.deadline, work, deferred).await
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

/// The work confined to MACIE_REGIONS; each subject and region refused is reported in `run`, and
/// no call is made there.
pub(crate) fn confine_and_report(scope: Scope<'_>, run: &mut Run, works: Vec<Work>) -> Vec<Work> {
    let confined = plan::confine_works(works, &scope.app.config.regions);
    for (work, region) in confined.refused {
        let outcome = Outcome::skipped(plan::region_refusal(&region));
        let report = Report::new(work.subject, Some(region), outcome, &work.origin);
        run.reports.push(report);
    }
    confined.works
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
}
