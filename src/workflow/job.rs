//! What each trigger asks for, as one job (the one place a trigger is wired to its work), and the
//! run of invitation work, which invocations and the retry queue share.

use crate::app::App;
use crate::domain::{Account, AccountId, Origin, Region, Subject, Work};
use crate::error::Error;
use crate::event::{Delivery, Ignored, Trigger};
use crate::policy::plan;
use crate::report::outcome::Run;
use crate::report::summary::Reconciliation;
use crate::workflow::Scope;
use crate::workflow::named::{find_recent_joins, invite_named, make_works, report_no_recent_join};
use crate::workflow::reconcile::{Roster, list_roster, reconcile_all};
use crate::workflow::removal::remove_named;

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
    app: &App,
    trigger: Trigger,
    message_id: Option<&str>,
    known: &mut Option<Vec<Account>>,
) -> Result<Job, Error> {
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
        Trigger::InviteRecentJoins(joins) => match find_recent_joins(app, &joins, known).await? {
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
            let job = Box::pin(job_of(app, *trigger, message_id, known)).await?;
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
    let app = scope.app;
    let (reconciles, named): (Vec<Work>, Vec<Work>) = works
        .into_iter()
        .partition(|work| work.subject == Subject::Reconcile);
    let (departures, named): (Vec<Work>, Vec<Work>) = named
        .into_iter()
        .partition(|work| matches!(work.subject, Subject::Departure(_)));
    let mut run = Run::default();
    let listed;
    let known = match (known, reconciles.first()) {
        (None, Some(first)) => match list_roster(app, &first.origin).await? {
            Roster::Accounts(accounts) => {
                listed = accounts;
                Some(listed.as_slice())
            }
            Roster::Later(later) => {
                run = later;
                None
            }
        },
        (known, _) => known,
    };
    run.absorb(invite_named(scope, named, known).await);
    if !departures.is_empty() {
        run.absorb(remove_named(scope, departures, known).await);
    }
    if reconciles.is_empty() {
        return Ok((run, None));
    }
    let reconciliation = match known {
        Some(accounts) => reconcile_all(scope, &mut run, reconciles, accounts).await,
        None => Reconciliation::default(),
    };
    Ok((run, Some(reconciliation)))
}
