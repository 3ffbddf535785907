//! The reconcile: every ACTIVE account of the organization that is not a member yet is invited, in
//! every region, from one listing of the organization and one of each region's members.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use futures_util::{StreamExt, stream};

use crate::domain::{Account, AccountId, Origin, Region, Subject};
use crate::outcome::{Outcome, Report, Run};
use crate::policy::coverage::Coverage;
use crate::policy::departure::Departed;
use crate::policy::plan;
use crate::report::summary::{Reconciliation, RegionTally};
use crate::workflow::removal::remove_departed;
use crate::workflow::scope::{Scope, Task};
use crate::workflow::steps::baseline::apply_baseline_everywhere;
use crate::workflow::steps::discovery::Member;
use crate::workflow::steps::everywhere::apply_discovery_everywhere;
use crate::workflow::steps::lookup::{Cutoff, read_backfill_cutoff, screen_excluded_units};
use crate::workflow::steps::passes::{
    Prefetched, REGIONS_AT_ONCE, RegionPass, RegionRun, Roster, pass_region,
};

/// Runs the reconciles (their regions confined to MACIE_REGIONS) over the organization's accounts,
/// into `run`: what the last found. Each invites every ACTIVE account of the organization that is
/// not a member yet, in each region of its work (a reconcile's first attempt, or a retry of what
/// one could not finish). What cannot be finished for now (a listing throttled past the SDK's
/// retries, the deadline near) goes on as one work item per region, or one for the whole
/// reconcile, never one per account.
pub(crate) async fn reconcile_all(
    scope: Scope<'_>,
    run: &mut Run,
    origins: Vec<Origin>,
    accounts: &[Account],
    mut prefetched: Prefetched,
) -> Reconciliation {
    let mut found = Reconciliation::default();
    for origin in &origins {
        let listed = std::mem::take(&mut prefetched);
        let (reconciled, reconciliation) = reconcile(scope, origin, accounts, listed).await;
        run.absorb(reconciled);
        found = reconciliation;
    }
    found
}

/// The reconcile of `origin`'s regions over the organization's accounts, listed already.
async fn reconcile(
    scope: Scope<'_>,
    origin: &Origin,
    accounts: &[Account],
    prefetched: Prefetched,
) -> (Run, Reconciliation) {
    let regions = &origin.regions;
    let mut run = Run::default();
    let eligible = screen_organization(scope, &mut run, accounts, origin).await;
    let cutoff = match eligible.is_empty() {
        true => None,
        false => read_backfill_cutoff(scope).await,
    };
    let planner = scope.app.planning();
    let predates = |task: &Task| cutoff.as_ref().is_some_and(|c| c.predates(&task.account));
    let (new, existing) = split_off(eligible, predates);
    let planning = scope.with_app(&planner);
    let groups = [(scope, new.as_slice()), (planning, existing.as_slice())];
    let passes = pass_regions(scope, origin, accounts, &groups, prefetched).await;
    let mut members_found = Vec::new();
    for (region, region_run) in regions.iter().zip(passes.runs) {
        members_found.push((region_run.members_found, region_run.coverage));
        run.reports.extend(region_run.reports);
        run.members_already
            .insert(region.clone(), region_run.members_already);
    }
    let (enabled, outside, audit) = (passes.enabled, passes.outside, passes.audit);
    let discovery = apply_discovery_everywhere(scope, regions, enabled, &mut run, origin).await;
    let audited = apply_baseline_everywhere(scope, regions, audit, &mut run, origin).await;
    collapse_deferred(&mut run.reports, origin);
    let mut tallies = count_regions(regions, members_found, &run);
    let found = tallies
        .iter_mut()
        .zip(discovery.tallies)
        .zip(outside)
        .zip(audited);
    for (((tally, discovery), outside), audited) in found {
        tally.discovery = discovery;
        if let Some(coverage) = tally.coverage.as_mut() {
            (coverage.drift.outside_organization, coverage.baseline) = (outside, audited);
        }
    }
    let reconciliation = Reconciliation {
        accounts_in_organization: accounts.len(),
        regions: tallies,
        discovery_cost: discovery.costs,
        backfill: cutoff.map(|cutoff| say_backfill(&cutoff, existing.len())),
    };
    (run, reconciliation)
}

/// `tasks` parted into those that `belongs` leaves and those it takes, in their order. Where it
/// takes all or none (the usual case), no task is copied: a reconcile's tasks are the whole
/// organization.
fn split_off(mut tasks: Vec<Task>, belongs: impl Fn(&Task) -> bool) -> (Vec<Task>, Vec<Task>) {
    let taken = tasks.iter().filter(|task| belongs(task)).count();
    if taken == 0 {
        return (tasks, Vec::new());
    }
    if taken == tasks.len() {
        return (Vec::new(), tasks);
    }
    let mut split = Vec::with_capacity(taken);
    tasks.retain(|task| {
        let goes = belongs(task);
        if goes {
            split.push(task.clone());
        }
        !goes
    });
    tasks.shrink_to_fit();
    (tasks, split)
}

/// What every region's pass found and did, its departures removed.
struct Passes {
    runs: Vec<RegionRun>,
    enabled: Vec<Option<BTreeMap<AccountId, Member>>>,
    outside: Vec<BTreeMap<&'static str, usize>>,
    audit: Vec<Vec<AccountId>>,
}

/// Each region listed and worked in turn, REGIONS_AT_ONCE at a time, what the later steps need
/// kept and its listing let go, so that memory does not grow with the regions; then the departed
/// members of every region, under the invocation's one bound, removed.
async fn pass_regions(
    scope: Scope<'_>,
    origin: &Origin,
    accounts: &[Account],
    groups: &[(Scope<'_>, &[Task])],
    mut prefetched: Prefetched,
) -> Passes {
    let regions = &origin.regions;
    let roster = &Roster::of(accounts);
    let passes: Vec<RegionPass> = stream::iter(regions.iter())
        .map(|region| {
            let listed = prefetched.remove(region);
            pass_region(scope, (region, listed), roster, groups, origin)
        })
        .buffered(REGIONS_AT_ONCE)
        .collect()
        .await;
    let mut departed = Vec::new();
    let mut found = Passes {
        runs: Vec::new(),
        enabled: Vec::new(),
        outside: Vec::new(),
        audit: Vec::new(),
    };
    for pass in passes {
        departed.extend(pass.departed);
        found.enabled.push(pass.enabled);
        found.outside.push(pass.outside);
        found.audit.push(pass.audit);
        found.runs.push(pass.run);
    }
    scope.bound_removals(&mut departed);
    let removals = regions.iter().map(|region| {
        let here = take_region(&mut departed, region).into_iter();
        remove_departed(scope, region, here.map(|d| (d, origin.clone())).collect())
    });
    let removed = join_all(removals.collect::<Vec<_>>()).await;
    for (region_run, removed) in found.runs.iter_mut().zip(removed) {
        if let Some(coverage) = region_run.coverage.as_mut() {
            coverage.less_removed(count_removed(&removed));
        }
        region_run.reports.extend(removed);
    }
    found
}

/// What BACKFILL off held back: how many accounts were only planned for, and why.
fn say_backfill(cutoff: &Cutoff, planned: usize) -> String {
    format!("{planned} accounts planned, not invited: {}", cutoff.note)
}

/// How many members a region's removals removed.
fn count_removed(reports: &[Report]) -> usize {
    let removed = reports
        .iter()
        .filter(|report| report.outcome == Outcome::Removed);
    removed.count()
}

/// Each region's tally: what the run did there, what its listing found, and its coverage.
fn count_regions(
    regions: &[Region],
    found: Vec<(Option<usize>, Option<Coverage>)>,
    run: &Run,
) -> Vec<RegionTally> {
    regions
        .iter()
        .zip(found)
        .map(|(region, (found, coverage))| {
            let members_already = run.members_already.get(region).copied().unwrap_or(0);
            RegionTally::count(region, found, members_already, coverage, &run.reports)
        })
        .collect()
}

/// The departed members of `region`, taken out of `departed`.
fn take_region(departed: &mut Vec<Departed>, region: &Region) -> Vec<Departed> {
    let (here, elsewhere) = std::mem::take(departed)
        .into_iter()
        .partition(|d| &d.region == region);
    *departed = elsewhere;
    here
}

/// Replaces the accounts left for later (the deadline near) by the reconcile of their region, or
/// of every region when some were left before any region: one work item goes on, which lists the
/// region again and so does nothing twice.
fn collapse_deferred(reports: &mut Vec<Report>, origin: &Origin) {
    let mut regions: BTreeSet<Option<Region>> = BTreeSet::new();
    reports.retain(|report| {
        let deferred = report.subject != Subject::Reconcile && report.outcome == Outcome::Deferred;
        if deferred {
            regions.insert(report.region.clone());
        }
        !deferred
    });
    if regions.contains(&None) {
        regions = BTreeSet::from([None]);
    }
    reports.extend(
        regions
            .into_iter()
            .map(|region| Report::new(Subject::Reconcile, region, Outcome::Deferred, origin)),
    );
}

/// The organization's accounts that may be invited: screened, ACTIVE, outside EXCLUDED_OU_IDS.
/// Those that may not are reported in the run.
async fn screen_organization(
    scope: Scope<'_>,
    run: &mut Run,
    accounts: &[Account],
    origin: &Origin,
) -> Vec<Task> {
    let ids = accounts.iter().map(|account| account.id.clone()).collect();
    let screening = plan::screen(
        ids,
        &scope.app.config.excluded_account_ids,
        scope.own_account,
    );
    for (id, reason) in &screening.skipped {
        let outcome = Outcome::skipped(*reason);
        run.reports.push(Report::account(id, None, outcome, origin));
    }
    let mut candidates: BTreeSet<&AccountId> = screening.to_look_up.iter().collect();
    // At most one task per candidate: made at its size, not doubled as it grows (a task per
    // account of the organization).
    let mut eligible: Vec<Task> = Vec::with_capacity(candidates.len());
    // Removing each candidate as it is met screens an account listed twice only once.
    let listed = accounts
        .iter()
        .filter(|account| candidates.remove(&account.id));
    for account in listed {
        match plan::ineligibility(account) {
            None => eligible.push(Task {
                account: account.clone(),
                origin: origin.clone(),
            }),
            Some(reason) => {
                let outcome = Outcome::skipped(reason);
                run.reports
                    .push(Report::account(&account.id, None, outcome, origin));
            }
        }
    }
    let ids = eligible
        .iter()
        .map(|task| task.account.id.clone())
        .collect();
    let refused = screen_excluded_units(scope, ids).await;
    eligible.retain(|task| match refused.get(&task.account.id) {
        None => true,
        Some(outcome) => {
            let report = Report::account(&task.account.id, None, outcome.clone(), &task.origin);
            run.reports.push(report);
            false
        }
    });
    eligible
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{active_account, region};

    fn tasks(ids: &[&str]) -> Vec<Task> {
        let origin = Origin::first(&[region("us-east-1")]);
        let task = |id: &&str| Task {
            account: active_account(id),
            origin: origin.clone(),
        };
        ids.iter().map(task).collect()
    }

    fn ids(tasks: &[Task]) -> Vec<&str> {
        tasks.iter().map(|task| task.account.id.as_str()).collect()
    }

    #[test]
    fn tasks_are_parted_in_their_order_and_not_copied_where_one_side_takes_all() {
        let all = [
            "111111111111",
            "222222222222",
            "333333333333",
            "444444444444",
        ];
        let odd =
            |task: &Task| ["111111111111", "333333333333"].contains(&task.account.id.as_str());
        let (left, taken) = split_off(tasks(&all), odd);
        assert_eq!(ids(&left), ["222222222222", "444444444444"]);
        assert_eq!(ids(&taken), ["111111111111", "333333333333"]);

        let every = tasks(&all);
        let held = every.as_ptr();
        let (left, taken) = split_off(every, |_| true);
        assert!(left.is_empty());
        assert_eq!((ids(&taken), taken.as_ptr()), (all.to_vec(), held));

        let none = tasks(&all);
        let held = none.as_ptr();
        let (left, taken) = split_off(none, |_| false);
        assert!(taken.is_empty());
        assert_eq!((ids(&left), left.as_ptr()), (all.to_vec(), held));
    }
}
