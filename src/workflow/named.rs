//! The workflow for the accounts an event, an invocation or the retry queue names: creation
//! requests resolved, accounts confined to MACIE_REGIONS, screened and looked up, then invited in
//! each of their regions.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use lambda_runtime::tracing;

use crate::app::App;
use crate::config::Config;
use crate::domain::{
    Account, AccountId, CreateAccountRequestId, Creation, Origin, Region, Subject, Work,
};
use crate::error::Error;
use crate::event::{RecentJoins, Request};
use crate::policy::plan;
use crate::quote::iso_time;
use crate::report::outcome::{CreationFailure, NotAnAddition, Outcome, Report, Run};
use crate::workflow::lookup::{
    Resolution, look_up, read_backfill_cutoff, resolve, screen_excluded_units,
};
use crate::workflow::region::{Memberships, invite_in_region};
use crate::workflow::{Deadline, Scope, Task, confine_and_report, now_seconds};

/// An account named by the work, with the work it came from.
struct Named {
    id: AccountId,
    origin: Origin,
}

/// Invites the work's subjects: resolves creation requests, screens and looks up the accounts,
/// then associates and invites them in their regions.
pub(crate) async fn invite_named(
    scope: Scope<'_>,
    works: Vec<Work>,
    known: Option<&[Account]>,
) -> Run {
    let (app, deadline) = (scope.app, scope.deadline);
    let mut run = Run::default();
    let works = confine_and_report(app, &mut run, works);
    let mut named = Vec::new();
    let mut requests = Vec::new();
    for Work { subject, origin } in works {
        match subject {
            Subject::Account(id) => named.push(Named { id, origin }),
            Subject::Request(id) => requests.push((id, origin)),
            // The job hands reconciles and departures to their own workflows; one that reaches
            // here is reported, never dropped.
            Subject::Reconcile | Subject::Departure(_) => {
                let outcome = Outcome::failed("not an account to invite");
                run.reports
                    .push(Report::new(subject, None, outcome, &origin));
            }
        }
    }
    named.extend(take_created_accounts(
        &mut run,
        resolve(app, requests, deadline).await,
    ));
    let tasks = plan_tasks(scope, &mut run, named, known).await;
    let (tasks, existing, note) = hold_backfill(app, tasks).await;
    run.backfill = note;
    let planner = app.planning();
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
async fn hold_backfill(app: &App, tasks: Tasks) -> (Tasks, Tasks, Option<String>) {
    let from_events = tasks
        .values()
        .flatten()
        .any(|task| !task.origin.by_operator);
    let cutoff = match from_events {
        true => read_backfill_cutoff(app).await,
        false => None,
    };
    let Some(cutoff) = cutoff else {
        return (tasks, Tasks::new(), None);
    };
    let (mut new, mut existing) = (Tasks::new(), Tasks::new());
    for (region, tasks) in tasks {
        let (before, since): (Vec<Task>, Vec<Task>) = tasks.into_iter().partition(|task| {
            !task.origin.by_operator
                && plan::existed_before_deployment(&task.account, cutoff.deployed)
        });
        existing.insert(region.clone(), before);
        new.insert(region, since);
    }
    let held = existing.values().any(|tasks| !tasks.is_empty());
    (new, existing, held.then_some(cutoff.note))
}

/// The tasks of each region.
type Tasks = BTreeMap<Region, Vec<Task>>;

/// The accounts the creation requests made; what else became of them goes into the run.
fn take_created_accounts(run: &mut Run, resolutions: Vec<Resolution>) -> Vec<Named> {
    let mut created = Vec::new();
    for Resolution {
        request_id,
        origin,
        creation,
    } in resolutions
    {
        let outcome = match creation {
            Ok(Creation::Succeeded(id)) => {
                created.push(Named { id, origin });
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
    named: Vec<Named>,
    known: Option<&[Account]>,
) -> BTreeMap<Region, Vec<Task>> {
    let (app, deadline) = (scope.app, scope.deadline);
    let ids = named.iter().map(|named| named.id.clone()).collect();
    let screening = plan::screen(ids, &app.config.excluded_account_ids, scope.own_account);
    let skipped: BTreeMap<&AccountId, &str> = screening
        .skipped
        .iter()
        .map(|(id, reason)| (id, *reason))
        .collect();
    let looked_up = look_up_eligible(app, screening.to_look_up.clone(), known, deadline).await;
    let mut reported = BTreeSet::new();
    let mut planned = BTreeSet::new();
    let mut tasks: BTreeMap<Region, Vec<Task>> = BTreeMap::new();
    for Named { id, origin } in named {
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
        for region in &origin.regions {
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

/// Each account looked up and checked against EXCLUDED_OU_IDS: the account, or the outcome to report.
async fn look_up_eligible(
    app: &App,
    ids: Vec<AccountId>,
    known: Option<&[Account]>,
    deadline: Deadline,
) -> BTreeMap<AccountId, Result<Account, Outcome>> {
    let mut looked_up = look_up(app, ids, known, deadline).await;
    let found: Vec<AccountId> = looked_up
        .iter()
        .filter(|(_, result)| result.is_ok())
        .map(|(id, _)| id.clone())
        .collect();
    for (id, verdict) in screen_excluded_units(app, found, deadline).await {
        if let Err(outcome) = verdict {
            looked_up.insert(id, Err(outcome));
        }
    }
    looked_up
}

/// The work an event names (`account_work`: what is to be done with each account, invited or its
/// departure acted on): a first attempt, in the regions it names or MACIE_REGIONS, refused
/// whole when it names more than MAX_ACCOUNTS_PER_EVENT. `message_id` ties the work to the retry
/// queue's message that brought it, if any.
pub(crate) fn make_works(
    request: Request,
    account_work: fn(AccountId) -> Subject,
    config: &Config,
    message_id: Option<&str>,
) -> Result<Vec<Work>, Error> {
    let count = request.account_ids.len() + request.create_account_request_ids.len();
    if count > config.max_accounts_per_event {
        return Err(Error::TooManyAccounts {
            count,
            limit: config.max_accounts_per_event,
        });
    }
    let origin = Origin {
        message_id: message_id.map(str::to_owned),
        by_operator: request.by_operator,
        ..Origin::first(request.regions.as_deref().unwrap_or(&config.regions))
    };
    let accounts = request.account_ids.into_iter().map(account_work);
    let requests = request
        .create_account_request_ids
        .into_iter()
        .map(Subject::Request);
    Ok(accounts
        .chain(requests)
        .map(|subject| Work {
            subject,
            origin: origin.clone(),
        })
        .collect())
}

/// The accounts that joined around a join event that named none, as a request (`None` when no
/// account joined then), from the organization's accounts: `known` when they were listed already,
/// else listed now into `known`, so that they are not read again.
pub(crate) async fn find_recent_joins(
    app: &App,
    joins: &RecentJoins,
    known: &mut Option<Vec<Account>>,
) -> Result<Option<Request>, Error> {
    let (after, until) = bound_join_window(joins);
    let accounts = match known {
        Some(accounts) => accounts,
        None => known.insert(app.organizations.list_accounts().await?),
    };
    let account_ids: Vec<AccountId> = accounts
        .iter()
        // An account created in the organization is named by its CreateAccountResult: only joins
        // by invitation are this event's.
        .filter(|account| account.joined_by_invitation)
        .filter(|account| {
            account
                .joined
                .is_some_and(|when| (after..=until).contains(&when))
        })
        .filter(|account| !joins.not.contains(&account.id))
        .map(|account| account.id.clone())
        .collect();
    tracing::info!(
        accounts = account_ids.len(),
        after,
        until,
        "accounts that joined around an AccountJoinedOrganization event that named none"
    );
    let request = (!account_ids.is_empty()).then(|| Request {
        account_ids,
        ..Request::default()
    });
    Ok(request)
}

/// The seconds since the epoch between which an account counts as the join of `joins`.
fn bound_join_window(joins: &RecentJoins) -> (i64, i64) {
    let around = joins.around.unwrap_or_else(now_seconds);
    (
        around - RecentJoins::BEFORE_SECONDS,
        around + RecentJoins::AFTER_SECONDS,
    )
}

/// What to report when no account joined around a join event.
pub(crate) fn report_no_recent_join(joins: &RecentJoins) -> NotAnAddition {
    let (after, until) = bound_join_window(joins);
    NotAnAddition {
        event: "AccountJoinedOrganization".to_owned(),
        reason: format!(
            "no account of the organization joined between {} and {}; the next reconcile invites \
             any account that was missed",
            iso_time(after),
            iso_time(until)
        ),
    }
}
