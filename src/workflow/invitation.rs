//! The invitation workflow, for the accounts an event, an invocation or the retry queue names:
//! creation requests resolved, accounts screened and looked up, then invited in each of their
//! regions (or, for accounts from before the first deployment while BACKFILL is off, planned for).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use crate::domain::{
    Account, AccountId, CreateAccountRequestId, Creation, Origin, Region, Subject,
};
use crate::outcome::{CreationFailure, Outcome, Report, Run};
use crate::policy::plan;
use crate::workflow::scope::{Scope, Task};
use crate::workflow::steps::lookup::{
    Resolution, look_up, read_backfill_cutoff, resolve, screen_excluded_units,
};
use crate::workflow::steps::region::{Memberships, invite_in_region};

/// An account named by the work, with the work it came from.
struct Invitee {
    id: AccountId,
    origin: Origin,
}

/// Invites the work's subjects: resolves creation requests, screens and looks up the accounts,
/// then associates and invites them in their regions.
pub(crate) async fn invite_named(
    scope: Scope<'_>,
    accounts: Vec<(AccountId, Origin)>,
    requests: Vec<(CreateAccountRequestId, Origin)>,
    known: Option<&[Account]>,
) -> Run {
    let mut run = Run::default();
    let mut named: Vec<Invitee> = accounts
        .into_iter()
        .map(|(id, origin)| Invitee { id, origin })
        .collect();
    named.extend(take_created_accounts(
        &mut run,
        resolve(scope, requests).await,
    ));
    let tasks = plan_tasks(scope, &mut run, named, known).await;
    let (tasks, existing, note) = hold_backfill(scope, tasks).await;
    run.backfill = note;
    let planner = scope.app.planning();
    let groups = [(scope, tasks), (scope.with_app(&planner), existing)];
    let regional = join_all(groups.iter().flat_map(|(scope, tasks)| {
        tasks
            .iter()
            .map(|(region, tasks)| invite_in_region(*scope, region, tasks, Memberships::Ask))
    }));
    run.reports
        .extend(regional.await.into_iter().flat_map(|done| done.reports));
    run
}

/// BACKFILL off holds for events as for the reconcile: the tasks of accounts that joined before
/// the function's first deployment, which an event names (an OU move in Control Tower, an account
/// factory's event, a redriven one), are taken out, to be only planned for, with the note that
/// says why. What an operator named is acted on: an operator asked. No call is made unless some
/// task is an event's.
async fn hold_backfill(scope: Scope<'_>, tasks: Tasks) -> (Tasks, Tasks, Option<String>) {
    let from_events = tasks
        .values()
        .flatten()
        .any(|task| !task.origin.by_operator);
    let cutoff = match from_events {
        true => read_backfill_cutoff(scope).await,
        false => None,
    };
    let Some(cutoff) = cutoff else {
        return (tasks, Tasks::new(), None);
    };
    let (mut new, mut existing) = (Tasks::new(), Tasks::new());
    for (region, tasks) in tasks {
        let (before, since): (Vec<Task>, Vec<Task>) =
            // An operator's manual invocation acts: an operator asked.
            tasks.into_iter().partition(|task| !task.origin.by_operator && cutoff.predates(&task.account));
        existing.insert(region.clone(), before);
        new.insert(region, since);
    }
    let held = existing.values().any(|tasks| !tasks.is_empty());
    (new, existing, held.then_some(cutoff.note))
}

/// The tasks of each region.
type Tasks = BTreeMap<Region, Vec<Task>>;

/// The accounts the creation requests made; what else became of them goes into the run.
fn take_created_accounts(run: &mut Run, resolutions: Vec<Resolution>) -> Vec<Invitee> {
    let mut created = Vec::new();
    for Resolution {
        request_id,
        origin,
        creation,
    } in resolutions
    {
        let outcome = match creation {
            Ok(Creation::Succeeded(id)) => {
                created.push(Invitee { id, origin });
                continue;
            }
            Ok(Creation::Failed { reason }) => {
                run.creations_failed.push(CreationFailure {
                    create_account_request_id: Some(request_id.to_string()),
                    failure_reason: reason,
                });
                continue;
            }
            Ok(Creation::InProgress) => {
                Outcome::pending("the account creation is still IN_PROGRESS")
            }
            Err(outcome) => outcome,
        };
        run.reports
            .push(report_request(request_id, outcome, &origin));
    }
    created
}

fn report_request(request_id: CreateAccountRequestId, outcome: Outcome, origin: &Origin) -> Report {
    Report::new(Subject::Request(request_id), None, outcome, origin)
}

/// The accounts to invite, by region: screened (excluded, the administrator itself), looked up
/// (in the organization, ACTIVE) and outside EXCLUDED_OU_IDS; each account and region once. What
/// is not invited goes into the run, once per account.
async fn plan_tasks(
    scope: Scope<'_>,
    run: &mut Run,
    named: Vec<Invitee>,
    known: Option<&[Account]>,
) -> BTreeMap<Region, Vec<Task>> {
    let ids = named.iter().map(|named| named.id.clone()).collect();
    let screening = plan::screen(
        ids,
        &scope.app.config.excluded_account_ids,
        scope.own_account,
    );
    let skipped: BTreeMap<&AccountId, &str> = screening
        .skipped
        .iter()
        .map(|(id, reason)| (id, *reason))
        .collect();
    let looked_up = look_up_eligible(scope, screening.to_look_up.clone(), known).await;
    let mut reported = BTreeSet::new();
    let mut planned = BTreeSet::new();
    let mut tasks: BTreeMap<Region, Vec<Task>> = BTreeMap::new();
    for Invitee { id, origin } in named {
        if let Some(reason) = skipped.get(&id) {
            // A screened-out account is reported once, however often it was named.
            if reported.insert(id.clone()) {
                let outcome = Outcome::skipped(*reason);
                run.reports
                    .push(Report::account(&id, None, outcome, &origin));
            }
            continue;
        }
        let account = match looked_up.get(&id) {
            Some(Ok(account)) => account,
            Some(Err(outcome)) => {
                let report = Report::account(&id, None, outcome.clone(), &origin);
                run.reports.push(report);
                continue;
            }
            None => continue,
        };
        for region in origin.regions.iter() {
            // The same account and region from two deliveries is invited once.
            if planned.insert((id.clone(), region.clone())) {
                let task = Task {
                    account: account.clone(),
                    origin: origin.clone(),
                };
                tasks.entry(region.clone()).or_default().push(task);
            }
        }
    }
    tasks
}

/// The account, if it may be invited; else why not (not in the organization, not ACTIVE, no email).
fn require_eligible(account: Option<Account>) -> Result<Account, Outcome> {
    let account = account.ok_or_else(Outcome::not_in_organization)?;
    match plan::ineligibility(&account) {
        None => Ok(account),
        Some(reason) => Err(Outcome::skipped(reason)),
    }
}

/// Each account looked up and checked against EXCLUDED_OU_IDS: the account, or the outcome to report.
async fn look_up_eligible(
    scope: Scope<'_>,
    ids: Vec<AccountId>,
    known: Option<&[Account]>,
) -> BTreeMap<AccountId, Result<Account, Outcome>> {
    let mut looked_up: BTreeMap<AccountId, Result<Account, Outcome>> = look_up(scope, ids, known)
        .await
        .into_iter()
        .map(|(id, found)| (id, found.and_then(require_eligible)))
        .collect();
    let found: Vec<AccountId> = looked_up
        .iter()
        .filter(|(_, result)| result.is_ok())
        .map(|(id, _)| id.clone())
        .collect();
    for (id, outcome) in screen_excluded_units(scope, found).await {
        looked_up.insert(id, Err(outcome));
    }
    looked_up
}
