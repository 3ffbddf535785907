//! What each trigger asks for, as one job (the one place a trigger is wired to its work, and where
//! its work items are built), and the run of that work, routed once to its workflows, which
//! invocations and the retry queue share.

use lambda_runtime::tracing;

use crate::config::Config;
use crate::domain::{Account, AccountId, CreateAccountRequestId, Origin, Region, Subject, Work};
use crate::error::Error;
use crate::event::{Delivery, Ignored, RecentJoins, Request, Trigger};
use crate::outcome::{NotAnAddition, Report, Run};
use crate::policy::{failure, plan};
use crate::report::summary::Reconciliation;
use crate::workflow::clock::{iso_time, now_seconds};
use crate::workflow::invitation::invite_named;
use crate::workflow::reconcile::reconcile_all;
use crate::workflow::removal::remove_named;
use crate::workflow::scope::{Scope, confine_and_report};
use crate::workflow::steps::ahead::list_ahead;
use crate::workflow::steps::passes::Prefetched;

/// What a trigger asks for.
pub(crate) enum Job {
    /// Invitation work: accounts, creation requests and reconciles, run by [`run_works`].
    Work(Vec<Work>),
    /// A known event that calls for nothing: reported.
    Nothing(Ignored),
    /// A batch of the retry queue.
    Batch(Vec<Delivery>),
    /// The adoption of the untagged members of ACTIVE accounts, in these regions.
    Adopt(Vec<Region>),
    /// The preflight, trying the accept role in these accounts.
    Check(Vec<AccountId>),
    /// A job whose decisions are reported, and nothing changed.
    DryRun(Box<Job>),
}

/// The job a trigger asks for. `message_id` ties its work to the retry queue's message that
/// brought it (a redriven event); `known` holds the organization's accounts once they are listed,
/// so that they are listed once a batch.
pub(crate) async fn job_of(
    scope: Scope<'_>,
    trigger: Trigger,
    message_id: Option<&str>,
    known: &mut Option<Vec<Account>>,
) -> Result<Job, Error> {
    let app = scope.app;
    Ok(match trigger {
        Trigger::Invite(request) => Job::Work(make_works(
            request,
            Subject::Account,
            &app.config,
            message_id,
        )?),
        Trigger::RemoveDeparted(request) => Job::Work(make_works(
            request,
            Subject::Departure,
            &app.config,
            message_id,
        )?),
        Trigger::InviteRecentJoins(joins) => match find_recent_joins(scope, &joins, known).await? {
            Some(request) => Job::Work(make_works(
                request,
                Subject::Account,
                &app.config,
                message_id,
            )?),
            None => Job::Nothing(Ignored::NotAnAddition(report_no_recent_join(&joins))),
        },
        Trigger::Reconcile { regions } => {
            let regions = plan::reconcile_regions(regions.as_deref(), &app.config.regions)?;
            let origin = Origin {
                message_id: message_id.map(str::to_owned),
                ..Origin::first(regions)
            };
            Job::Work(vec![Work {
                subject: Subject::Reconcile,
                origin,
            }])
        }
        Trigger::Adopt { regions } => {
            let regions = plan::reconcile_regions(regions.as_deref(), &app.config.regions)?;
            Job::Adopt(regions.to_vec())
        }
        Trigger::Ignore(ignored) => Job::Nothing(ignored),
        Trigger::Retry(deliveries) => Job::Batch(deliveries),
        Trigger::Check { accounts } => Job::Check(accounts),
        Trigger::DryRun(trigger) => {
            let job = Box::pin(job_of(scope, *trigger, message_id, known)).await?;
            Job::DryRun(Box::new(job))
        }
    })
}

/// Runs the work: the accounts and creation requests to invite, the departures, then the reconciles over one listing
/// of the organization (`known`, else listed now). A listing throttled past the SDK's retries
/// re-queues the reconcile; one refused for good is the error. The reconcile's findings come back
/// where the work held one.
pub(crate) async fn run_works(
    scope: Scope<'_>,
    works: Vec<Work>,
    known: Option<&[Account]>,
) -> Result<(Run, Option<Reconciliation>), Error> {
    let asked_to_reconcile = works.iter().any(|work| work.subject == Subject::Reconcile);
    let mut run = Run::default();
    let routed = route_works(confine_and_report(scope, &mut run, works));
    let listed;
    let mut prefetched = Prefetched::new();
    let known = match (known, routed.reconciles.first()) {
        (None, Some(first)) => {
            let (roster, members) = list_for_reconcile(scope, &routed, first).await;
            prefetched = members;
            match roster? {
                Roster::Accounts(accounts) => {
                    listed = accounts;
                    Some(listed.as_slice())
                }
                Roster::Later(later) => {
                    run.absorb(later);
                    None
                }
            }
        }
        (known, _) => known,
    };
    run.absorb(invite_named(scope, routed.accounts, routed.requests, known).await);
    if !routed.departures.is_empty() {
        run.absorb(remove_named(scope, routed.departures, known).await);
    }
    if !asked_to_reconcile {
        return Ok((run, None));
    }
    let reconciliation = match known {
        Some(accounts) => {
            reconcile_all(scope, &mut run, routed.reconciles, accounts, prefetched).await
        }
        None => Reconciliation::default(),
    };
    Ok((run, Some(reconciliation)))
}

/// The organization's accounts, or, when the listing was throttled past the SDK's retries, the run
/// that re-queues the whole reconcile.
enum Roster {
    Accounts(Vec<Account>),
    Later(Run),
}

/// Lists the organization once for one or more reconciles (a refusal for good is an error). A
/// reconcile alone needs nothing of that listing to list its first regions' members, nor, where a
/// page settles it, to associate the accounts a page brings (`list_ahead`): all go at once. Named
/// work waits for the listing whole, as it may add members.
async fn list_for_reconcile(
    scope: Scope<'_>,
    routed: &Routed,
    origin: &Origin,
) -> (Result<Roster, Error>, Prefetched) {
    let alone =
        routed.accounts.is_empty() && routed.requests.is_empty() && routed.departures.is_empty();
    let (listing, prefetched) = match alone {
        true => list_ahead(scope, origin).await,
        false => (
            scope.app.organizations.list_accounts().await,
            Prefetched::new(),
        ),
    };
    let roster = match listing {
        Ok(accounts) => Ok(Roster::Accounts(accounts)),
        Err(error) if failure::is_transient(&error) => {
            let mut run = Run::default();
            let outcome = failure::outcome_of(&error);
            let report = Report::new(Subject::Reconcile, None, outcome, origin);
            run.reports.push(report);
            Ok(Roster::Later(run))
        }
        Err(error) => Err(error),
    };
    (roster, prefetched)
}

/// The work of an invocation, routed once by what it asks for: each workflow receives only the
/// work it does.
#[derive(Default)]
struct Routed {
    /// Accounts to invite, each with the work it came from.
    accounts: Vec<(AccountId, Origin)>,
    /// Creation requests whose accounts are to be invited.
    requests: Vec<(CreateAccountRequestId, Origin)>,
    /// Accounts whose departure removes the members that the function enrolled.
    departures: Vec<(AccountId, Origin)>,
    /// Reconciles of their regions.
    reconciles: Vec<Origin>,
}

/// Routes each work item to its workflow's list, by its subject.
fn route_works(works: Vec<Work>) -> Routed {
    let mut routed = Routed::default();
    for Work { subject, origin } in works {
        match subject {
            Subject::Account(id) => routed.accounts.push((id, origin)),
            Subject::Request(id) => routed.requests.push((id, origin)),
            Subject::Departure(id) => routed.departures.push((id, origin)),
            // The administrator's settings are the reconcile's to apply: no work names them alone.
            Subject::Reconcile | Subject::Administrator => routed.reconciles.push(origin),
        }
    }
    routed
}

/// The work an event names (`account_work`: what is to be done with each account, invited or its
/// departure acted on): a first attempt, in the regions it names or MACIE_REGIONS, refused
/// whole when it names more than MAX_ACCOUNTS_PER_EVENT. `message_id` ties the work to the retry
/// queue's message that brought it, if any.
fn make_works(
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
async fn find_recent_joins(
    scope: Scope<'_>,
    joins: &RecentJoins,
    known: &mut Option<Vec<Account>>,
) -> Result<Option<Request>, Error> {
    let (after, until) = bound_join_window(joins);
    let accounts = match known {
        Some(accounts) => accounts,
        None => known.insert(scope.app.organizations.list_accounts().await?),
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
fn report_no_recent_join(joins: &RecentJoins) -> NotAnAddition {
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
