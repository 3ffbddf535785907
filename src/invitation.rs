//! The invitation workflows: the work an event or the retry queue brings, the reconcile of the whole
//! organization, and what becomes of each subject afterwards (done, re-queued or dead-lettered).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::join_all;
use futures_util::{StreamExt, stream};
use lambda_runtime::tracing;

use crate::domain::{
    Account, AccountId, CreateAccountRequestId, Creation, MemberStatus, OrganizationalUnitId,
    Origin, Page, Region, Subject, Work,
};
use crate::error::Error;
use crate::handler::App;
use crate::macie::InvitationOptions;
use crate::message::{DeadLetter, RetryMessage};
use crate::organizations::Parent;
use crate::outcome::{
    CreationFailure, Entry, Outcome, Reconciliation, RegionTally, Report, subject_ids,
};
use crate::plan::{self, Disposition, MemberAction, MemberPolicy, Source};
use crate::queue::Outgoing;

/// No new call starts this close to the invocation's deadline: what remains is re-queued, which
/// takes a few SendMessageBatch calls. An invocation with less than 40 s in all keeps a quarter of
/// its time instead (local emulators give 3 s, Lambda's default timeout).
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

const DEFERRED: &str = "the invocation's deadline was near; left for the next attempt";

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

    fn near(&self) -> bool {
        self.0.is_some_and(|stop| SystemTime::now() >= stop)
    }
}

/// Where the current relationships with Macie come from.
enum Memberships {
    /// Asked for the accounts at hand: GetMember for one, the region's listing for more while it
    /// pays, GetMember for any the listing did not settle.
    Ask,
    /// One ListMembers listing of the region: cheapest for a whole organization.
    Listed(BTreeMap<AccountId, MemberStatus>),
}

/// One account to invite in one region, with the work it came from.
type Task = (Account, Origin);

/// What a run did: one report per subject (and region), and the creations that failed.
#[derive(Default)]
pub struct Run {
    pub reports: Vec<Report>,
    pub creations_failed: Vec<CreationFailure>,
}

/// Invites the work's subjects: resolves creation requests, screens and looks up the accounts,
/// then associates and invites them in their regions.
pub async fn invite(
    app: &App,
    works: Vec<Work>,
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> Run {
    let mut run = Run::default();
    let confined = plan::confine(works, &app.config.regions);
    for (work, region) in confined.refused {
        let outcome = Outcome::skipped(plan::region_refusal(&region));
        run.reports.push(Report::new(
            work.subject,
            Some(region),
            outcome,
            &work.origin,
        ));
    }
    let mut accounts: Vec<(AccountId, Origin)> = Vec::new();
    let mut requests = Vec::new();
    for work in confined.works {
        match work.subject {
            Subject::Account(id) => accounts.push((id, work.origin)),
            Subject::Request(id) => requests.push((id, work.origin)),
        }
    }
    for (request_id, origin, result) in resolve(app, requests, deadline).await {
        match result {
            Ok(Creation::Succeeded(account_id)) => accounts.push((account_id, origin)),
            Ok(Creation::Failed { reason }) => run.creations_failed.push(CreationFailure {
                create_account_request_id: Some(request_id.to_string()),
                failure_reason: reason,
            }),
            Err(outcome) => run.reports.push(Report::new(
                Subject::Request(request_id),
                None,
                outcome,
                &origin,
            )),
            Ok(Creation::InProgress) => run.reports.push(Report::new(
                Subject::Request(request_id),
                None,
                Outcome::pending("the account creation is still IN_PROGRESS"),
                &origin,
            )),
        }
    }

    let screening = plan::screen(
        accounts.iter().map(|(id, _)| id.clone()).collect(),
        &app.config.excluded_account_ids,
        own_account,
    );
    let skipped: BTreeMap<&AccountId, &str> = screening
        .skipped
        .iter()
        .map(|(id, reason)| (id, *reason))
        .collect();
    let mut looked_up = look_up(app, screening.to_look_up.clone(), deadline).await;
    let eligible: Vec<AccountId> = looked_up
        .iter()
        .filter(|(_, result)| result.is_ok())
        .map(|(id, _)| id.clone())
        .collect();
    for (id, verdict) in exclusions(app, eligible, deadline).await {
        if let Err(outcome) = verdict {
            looked_up.insert(id, Err(outcome));
        }
    }
    let mut reported = BTreeSet::new();
    let mut tasks: BTreeMap<Region, Vec<Task>> = BTreeMap::new();
    let mut planned = BTreeSet::new();
    for (id, origin) in accounts {
        if let Some(reason) = skipped.get(&id) {
            if reported.insert(id.clone()) {
                run.reports.push(Report::account(
                    &id,
                    None,
                    Outcome::skipped(*reason),
                    &origin,
                ));
            }
            continue;
        }
        match looked_up.get(&id) {
            Some(Ok(account)) => {
                for region in &origin.regions {
                    // The same account and region from two deliveries is invited once.
                    if planned.insert((id.clone(), region.clone())) {
                        tasks
                            .entry(region.clone())
                            .or_default()
                            .push((account.clone(), origin.clone()));
                    }
                }
            }
            Some(Err(outcome)) => {
                run.reports
                    .push(Report::account(&id, None, outcome.clone(), &origin))
            }
            None => {}
        }
    }
    let regional = join_all(tasks.iter().map(|(region, tasks)| {
        invite_in_region(app, region, tasks, Memberships::Ask, own_account, deadline)
    }))
    .await;
    run.reports.extend(regional.into_iter().flatten());
    run
}

/// Invites every ACTIVE account of the organization that is not a member yet, in every region.
pub async fn reconcile(
    app: &App,
    regions: &[Region],
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> Result<(Run, Reconciliation), Error> {
    let origin = Origin::first(regions);
    let accounts = app.organizations.list_accounts().await?;
    let accounts_in_organization = accounts.len();
    let screening = plan::screen(
        accounts.iter().map(|account| account.id.clone()).collect(),
        &app.config.excluded_account_ids,
        own_account,
    );
    let mut run = Run::default();
    for (id, reason) in &screening.skipped {
        run.reports.push(Report::account(
            id,
            None,
            Outcome::skipped(*reason),
            &origin,
        ));
    }
    let mut candidates: BTreeSet<&AccountId> = screening.to_look_up.iter().collect();
    let mut eligible: Vec<Task> = Vec::new();
    // Removing each candidate as it is met screens an account listed twice only once.
    for account in accounts
        .iter()
        .filter(|account| candidates.remove(&account.id))
    {
        match plan::ineligibility(account) {
            None => eligible.push((account.clone(), origin.clone())),
            Some(reason) => run.reports.push(Report::account(
                &account.id,
                None,
                Outcome::skipped(reason),
                &origin,
            )),
        }
    }

    let verdicts = exclusions(
        app,
        eligible
            .iter()
            .map(|(account, _)| account.id.clone())
            .collect(),
        deadline,
    )
    .await;
    eligible.retain(|(account, origin)| match &verdicts[&account.id] {
        Ok(()) => true,
        Err(outcome) => {
            run.reports
                .push(Report::account(&account.id, None, outcome.clone(), origin));
            false
        }
    });

    let regional = join_all(regions.iter().map(|region| {
        let eligible = &eligible;
        async move {
            match app.macie.list_members(region).await {
                Ok(members) => {
                    let found = members.len();
                    let reports = invite_in_region(
                        app,
                        region,
                        eligible,
                        Memberships::Listed(members),
                        own_account,
                        deadline,
                    )
                    .await;
                    (Some(found), reports)
                }
                Err(error) => {
                    let outcome = Outcome::from_error(&error);
                    let reports = eligible
                        .iter()
                        .map(|(account, origin)| {
                            Report::account(&account.id, Some(region), outcome.clone(), origin)
                        })
                        .collect();
                    (None, reports)
                }
            }
        }
    }))
    .await;
    let mut members_found = Vec::new();
    for (found, reports) in regional {
        members_found.push(found);
        run.reports.extend(reports);
    }
    let tallies = regions
        .iter()
        .zip(members_found)
        .map(|(region, found)| RegionTally::count(region, found, &run.reports))
        .collect();
    Ok((
        run,
        Reconciliation {
            accounts_in_organization,
            regions: tallies,
        },
    ))
}

/// Resolves creation requests: the account each made, or the outcome to report for the request.
async fn resolve(
    app: &App,
    requests: Vec<(CreateAccountRequestId, Origin)>,
    deadline: Deadline,
) -> Vec<(CreateAccountRequestId, Origin, Result<Creation, Outcome>)> {
    stream::iter(requests)
        .map(|(id, origin)| async move {
            if deadline.near() {
                return (id, origin, Err(Outcome::pending(DEFERRED)));
            }
            let result = match app.organizations.creation(&id).await {
                Ok(Some(creation)) => Ok(creation),
                Ok(None) => Ok(Creation::Failed {
                    reason: "Organizations knows no such account creation request (CreateAccountStatusNotFoundException)"
                        .to_owned(),
                }),
                Err(error) => Err(Outcome::from_error(&error)),
            };
            (id, origin, result)
        })
        .buffer_unordered(app.config.max_calls_in_flight)
        .collect()
        .await
}

/// Looks each account up: the eligible ones, or the outcome to report for the others. Many accounts
/// are read from the organization's listing while it pays (see [`plan::keep_listing`]); the others
/// are described one by one.
async fn look_up(
    app: &App,
    ids: Vec<AccountId>,
    deadline: Deadline,
) -> BTreeMap<AccountId, Result<Account, Outcome>> {
    let eligible = |account: Account| match plan::ineligibility(&account) {
        None => Ok(account),
        Some(reason) => Err(Outcome::skipped(reason)),
    };
    let wanted: BTreeSet<AccountId> = ids.into_iter().collect();
    let listing = match plan::source(wanted.len(), plan::ACCOUNTS_LOOKED_UP_ONE_BY_ONE) {
        Source::EachAccount => Listing::default(),
        Source::Listing => {
            read_listing(
                &wanted,
                deadline,
                "ListAccounts",
                |account: &Account| &account.id,
                |token| app.organizations.accounts_page(token),
            )
            .await
        }
    };
    let mut looked_up: BTreeMap<AccountId, Result<Account, Outcome>> = listing
        .found
        .into_iter()
        .map(|(id, account)| (id, eligible(account)))
        .collect();
    let rest: Vec<AccountId> = wanted
        .into_iter()
        .filter(|id| !looked_up.contains_key(id))
        .collect();
    if listing.complete {
        looked_up.extend(
            rest.into_iter()
                .map(|id| (id, Err(Outcome::not_in_organization()))),
        );
        return looked_up;
    }
    let described: Vec<_> = stream::iter(rest)
        .map(|id| async move {
            if deadline.near() {
                return (id, Err(Outcome::pending(DEFERRED)));
            }
            let result = match app.organizations.describe_account(&id).await {
                Ok(Some(account)) => eligible(account),
                Ok(None) => Err(Outcome::not_in_organization()),
                Err(error) => Err(Outcome::from_error(&error)),
            };
            (id, result)
        })
        .buffer_unordered(app.config.max_calls_in_flight)
        .collect()
        .await;
    looked_up.extend(described);
    looked_up
}

/// Whether each account may be invited as far as EXCLUDED_OU_IDS goes: `Err` with the outcome to
/// report when it sits under an excluded unit (at any depth), or its place could not be read.
/// Each account's parents are read with ListParents up to the root; a unit's parent is read once.
async fn exclusions(
    app: &App,
    ids: Vec<AccountId>,
    deadline: Deadline,
) -> BTreeMap<AccountId, Result<(), Outcome>> {
    let excluded = &app.config.excluded_ou_ids;
    if excluded.is_empty() {
        return ids.into_iter().map(|id| (id, Ok(()))).collect();
    }
    let parents: Mutex<BTreeMap<OrganizationalUnitId, Parent>> = Mutex::default();
    let parents = &parents;
    stream::iter(ids)
        .map(|id| async move {
            if deadline.near() {
                return (id, Err(Outcome::pending(DEFERRED)));
            }
            let mut ancestry = Vec::new();
            let mut parent = app.organizations.parent(id.as_str()).await;
            while let Ok(Parent::Unit(unit)) = &parent {
                ancestry.push(unit.clone());
                let known = parents.lock().unwrap().get(unit).cloned();
                parent = match known {
                    Some(known) => Ok(known),
                    None => {
                        let read = app.organizations.parent(unit.as_str()).await;
                        if let Ok(read) = &read {
                            parents.lock().unwrap().insert(unit.clone(), read.clone());
                        }
                        read
                    }
                };
            }
            let verdict = match parent {
                Err(error) => Err(Outcome::from_error(&error)),
                Ok(_) => match plan::excluded_unit(&ancestry, excluded) {
                    Some(unit) => Err(Outcome::skipped(format!(
                        "under organizational unit {unit}, listed in EXCLUDED_OU_IDS"
                    ))),
                    None => Ok(()),
                },
            };
            (id, verdict)
        })
        .buffer_unordered(app.config.max_calls_in_flight)
        .collect()
        .await
}

/// The wanted items a listing held, and whether it was read to the end (then an account it did not
/// hold is not in it).
struct Listing<T> {
    found: BTreeMap<AccountId, T>,
    complete: bool,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            found: BTreeMap::new(),
            complete: false,
        }
    }
}

/// Reads a listing page by page while [`plan::keep_listing`] says it pays. A failed page or a near
/// deadline ends it early: the accounts it has not settled are then asked for one by one, with the
/// retries and re-queueing of every single call.
async fn read_listing<T, Fetch, Fut>(
    wanted: &BTreeSet<AccountId>,
    deadline: Deadline,
    operation: &str,
    key: impl Fn(&T) -> &AccountId,
    mut fetch: Fetch,
) -> Listing<T>
where
    Fetch: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let mut listing = Listing::default();
    let (mut pages, mut token) = (0, None);
    while !deadline.near() {
        let page = match fetch(token.take()).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(operation, %error, "the listing failed; asking for each account instead");
                break;
            }
        };
        pages += 1;
        for item in page.items {
            let id = key(&item);
            if wanted.contains(id) {
                listing.found.insert(id.clone(), item);
            }
        }
        match page.next {
            None => {
                listing.complete = true;
                break;
            }
            Some(next) if plan::keep_listing(pages, listing.found.len(), wanted.len()) => {
                token = Some(next);
            }
            Some(_) => break,
        }
    }
    listing
}

/// Each account's relationship with the administrator in `region`: from the listing the caller
/// has, or from this region's listing while it pays, then GetMember for the rest.
async fn member_statuses<'t>(
    app: &App,
    region: &Region,
    tasks: &'t [Task],
    memberships: Memberships,
    deadline: Deadline,
) -> Vec<(&'t Task, Result<Option<MemberStatus>, Outcome>)> {
    let macie = &app.macie;
    match memberships {
        Memberships::Ask => {
            let wanted: BTreeSet<AccountId> = tasks
                .iter()
                .map(|(account, _)| account.id.clone())
                .collect();
            let listing = match plan::source(wanted.len(), plan::MEMBERSHIPS_ASKED_ONE_BY_ONE) {
                Source::EachAccount => Listing::default(),
                Source::Listing => {
                    read_listing(
                        &wanted,
                        deadline,
                        "ListMembers",
                        |(id, _)| id,
                        |token| macie.members_page(region, token),
                    )
                    .await
                }
            };
            let (listed, unsettled): (Vec<&Task>, Vec<&Task>) = tasks
                .iter()
                .partition(|task| listing.complete || listing.found.contains_key(&task.0.id));
            let mut statuses: Vec<_> = listed
                .into_iter()
                .map(|task| {
                    let status = listing
                        .found
                        .get(&task.0.id)
                        .map(|(_, status)| status.clone());
                    (task, Ok(status))
                })
                .collect();
            let asked: Vec<_> = stream::iter(unsettled)
                .map(|task| async move {
                    if deadline.near() {
                        return (task, Err(Outcome::pending(DEFERRED)));
                    }
                    let status = macie.member_status(region, &task.0.id).await;
                    (task, status.map_err(|error| Outcome::from_error(&error)))
                })
                .buffer_unordered(app.config.max_calls_in_flight)
                .collect()
                .await;
            statuses.extend(asked);
            statuses
        }
        Memberships::Listed(members) => tasks
            .iter()
            .map(|task| (task, Ok(members.get(&task.0.id).cloned())))
            .collect(),
    }
}

/// Associates, invites and (with ACCEPT_ROLE_NAME) accepts the accounts in one region, after what
/// each one's relationship calls for; under DRY_RUN, reports what it would do instead.
async fn invite_in_region(
    app: &App,
    region: &Region,
    tasks: &[Task],
    memberships: Memberships,
    administrator: Option<&AccountId>,
    deadline: Deadline,
) -> Vec<Report> {
    let macie = &app.macie;
    let report = |(account, origin): &Task, outcome| {
        Report::account(&account.id, Some(region), outcome, origin)
    };

    let statuses = member_statuses(app, region, tasks, memberships, deadline).await;
    let policy = MemberPolicy {
        reinvite_removed: app.config.reinvite_removed,
        accept: app.config.accept_role_name.is_some(),
    };
    let mut reports = Vec::new();
    let mut to_associate = Vec::new();
    let mut to_invite = Vec::new();
    let mut to_accept = Vec::new();
    for (task, status) in statuses {
        let status = match status {
            Ok(status) => status,
            Err(outcome) => {
                reports.push(report(task, outcome));
                continue;
            }
        };
        match plan::member_action(status.as_ref(), policy) {
            MemberAction::AlreadyMember => reports.push(report(
                task,
                Outcome::AlreadyMember {
                    status: status.map_or_else(String::new, |s| s.name().to_owned()),
                },
            )),
            MemberAction::AssociateAndInvite => to_associate.push(task),
            MemberAction::Invite => to_invite.push(task),
            MemberAction::Accept => to_accept.push(task),
            MemberAction::Skip(reason) => reports.push(report(task, Outcome::skipped(reason))),
            MemberAction::Fail(reason) => reports.push(report(task, Outcome::failed(reason))),
        }
    }

    if app.config.dry_run {
        let planned = |steps: &[&'static str], then_accept: bool| Outcome::Planned {
            actions: steps
                .iter()
                .copied()
                .chain(then_accept.then_some("accept"))
                .collect(),
        };
        let actions = [
            (
                to_associate,
                planned(&["associate", "invite"], policy.accept),
            ),
            (to_invite, planned(&["invite"], policy.accept)),
            (to_accept, planned(&[], true)),
        ];
        for (tasks, outcome) in actions {
            reports.extend(tasks.into_iter().map(|task| report(task, outcome.clone())));
        }
        return reports;
    }

    let associated: Vec<_> = stream::iter(to_associate)
        .map(|task| async move {
            if deadline.near() {
                return (task, Err(Outcome::pending(DEFERRED)));
            }
            let result = macie.associate(region, &task.0).await;
            (task, result.map_err(|error| Outcome::from_error(&error)))
        })
        .buffer_unordered(app.config.max_calls_in_flight)
        .collect()
        .await;
    for (task, result) in associated {
        match result {
            Ok(()) => to_invite.push(task),
            Err(outcome) => reports.push(report(task, outcome)),
        }
    }

    let by_id: BTreeMap<&AccountId, &Task> =
        to_invite.iter().map(|task| (&task.0.id, *task)).collect();
    let options = InvitationOptions {
        message: app.config.invitation_message.as_deref(),
        disable_email_notification: app.config.disable_email_notification,
    };
    let batches = plan::invitation_batches(by_id.keys().map(|id| (*id).clone()).collect());
    let invitations: Vec<_> = stream::iter(batches)
        .map(|batch| async move {
            if deadline.near() {
                return (batch, Err(Outcome::pending(DEFERRED)));
            }
            let result = macie.invite(region, &batch, options).await;
            (batch, result.map_err(|error| Outcome::from_error(&error)))
        })
        .buffer_unordered(app.config.max_calls_in_flight)
        .collect()
        .await;
    for (batch, result) in invitations {
        for id in &batch {
            let outcome = match &result {
                Ok(unprocessed) => unprocessed
                    .iter()
                    .find(|entry| &entry.account_id == id)
                    .map_or(Outcome::Invited, Outcome::unprocessed),
                Err(outcome) => outcome.clone(),
            };
            match (&outcome, &app.config.accept_role_name) {
                (Outcome::Invited, Some(_)) => to_accept.push(by_id[id]),
                _ => reports.push(report(by_id[id], outcome)),
            }
        }
    }

    if let Some(role_name) = &app.config.accept_role_name {
        let accepted = stream::iter(to_accept)
            .map(|task| async move {
                if deadline.near() {
                    return report(task, Outcome::pending(DEFERRED));
                }
                report(
                    task,
                    accept(app, region, &task.0.id, role_name, administrator).await,
                )
            })
            .buffer_unordered(app.config.max_calls_in_flight)
            .collect::<Vec<_>>()
            .await;
        reports.extend(accepted);
    }
    reports
}

/// In the member account, through `role_name`: enables Macie, finds the administrator's invitation
/// and accepts it. What fails goes the way of every failure: re-queued, or dead-lettered.
async fn accept(
    app: &App,
    region: &Region,
    account_id: &AccountId,
    role_name: &str,
    administrator: Option<&AccountId>,
) -> Outcome {
    // An invitation is accepted only from this account: unknown, nothing is accepted (fail closed).
    let Some(administrator) = administrator else {
        return Outcome::failed(
            "the function's own account is unknown (its ARN names none), and an invitation is \
             accepted only from it: accept the invitation in the member account, or run the function \
             where Lambda gives it its ARN",
        );
    };
    let steps = async {
        let session = app
            .macie
            .member_session(region, account_id, role_name)
            .await?;
        session.enable_macie().await?;
        match session.invitation_from(administrator).await? {
            Some(invitation_id) => {
                session.accept(administrator, &invitation_id).await?;
                Ok(Outcome::Accepted)
            }
            None => Ok(Outcome::pending(
                "the member account sees no pending invitation from this administrator yet",
            )),
        }
    };
    steps
        .await
        .unwrap_or_else(|error: Error| Outcome::from_error(&error))
}

/// What became of the subjects that are not done.
#[derive(Default)]
pub struct Settlement {
    pub requeued: Vec<Entry>,
    pub dead_lettered: Vec<Entry>,
    /// Work that could be neither re-queued nor dead-lettered: the SQS message it came in (if any),
    /// and what it was.
    pub unsent: Vec<(Option<String>, String)>,
}

/// Sends every subject that is not done to the retry queue (with its backoff) or the dead-letter
/// queue (with what to do), as the outcome and the attempt decide.
pub async fn settle(app: &App, reports: &[Report]) -> Settlement {
    let config = &app.config;
    let mut retries = Vec::new();
    let mut dead_letters = Vec::new();
    for report in reports {
        let origin = &report.origin;
        let regions = report
            .region
            .as_ref()
            .map_or_else(|| origin.regions.clone(), |region| vec![region.clone()]);
        let mut history = origin.history.clone();
        history.push(format!(
            "attempt {}: {}",
            origin.attempt,
            report.outcome.attempt_reason()
        ));
        match plan::disposition(&report.outcome, origin.attempt, config.max_attempts) {
            Disposition::Done => {}
            Disposition::Requeue { attempt, reason } => {
                let delay_seconds = plan::backoff_seconds(
                    origin.attempt,
                    config.retry_base_delay_seconds,
                    fastrand::f64(),
                );
                let body = RetryMessage::new(&report.subject, &regions, attempt, &history);
                let mut entry = Entry::new(&report.subject, report.region.as_ref());
                entry.reason = Some(reason);
                entry.attempt = Some(attempt);
                entry.delay_seconds = Some(delay_seconds);
                retries.push((
                    report,
                    entry,
                    Outgoing {
                        body: json(&body),
                        delay_seconds,
                    },
                ));
            }
            Disposition::DeadLetter { reason } => {
                let body =
                    DeadLetter::new(&report.subject, &regions, origin.attempt, &reason, &history);
                let mut entry = Entry::new(&report.subject, report.region.as_ref());
                entry.reason = Some(reason);
                entry.attempt = Some(origin.attempt);
                dead_letters.push((
                    report,
                    entry,
                    Outgoing {
                        body: json(&body),
                        delay_seconds: 0,
                    },
                ));
            }
        }
    }

    let mut settlement = Settlement::default();
    for (sent, report, entry) in send(app, config.retry_queue_url.as_deref(), retries).await {
        let (account_id, create_account_request_id) = subject_ids(&report.subject);
        match sent {
            Ok(()) => {
                tracing::warn!(
                    account_id,
                    create_account_request_id,
                    region = entry.region.as_ref().map_or("", Region::as_str),
                    outcome = "requeued",
                    attempt = entry.attempt,
                    delay_seconds = entry.delay_seconds,
                    reason = entry.reason.as_deref(),
                    "re-queued for another attempt"
                );
                settlement.requeued.push(entry);
            }
            Err(why) => settlement.unsent.push((
                report.origin.message_id.clone(),
                format!(
                    "{} in {}: {why}",
                    report.subject,
                    region_list(&entry, report)
                ),
            )),
        }
    }
    for (sent, report, entry) in
        send(app, config.dead_letter_queue_url.as_deref(), dead_letters).await
    {
        let (account_id, create_account_request_id) = subject_ids(&report.subject);
        let region = entry.region.as_ref().map_or("", Region::as_str);
        let reason = entry.reason.as_deref().unwrap_or("");
        let history = history_excerpt(&report.origin.history);
        match sent {
            Ok(()) => {
                tracing::error!(
                    account_id,
                    create_account_request_id,
                    region,
                    outcome = "deadLettered",
                    attempts = report.origin.attempt,
                    reason,
                    history,
                    "given up: sent to the dead-letter queue"
                );
                settlement.dead_lettered.push(entry);
            }
            // No dead-letter queue: the failure stays in the summary and in this ERROR line.
            Err(why) => tracing::error!(
                account_id,
                create_account_request_id,
                region,
                outcome = "givenUp",
                attempts = report.origin.attempt,
                reason,
                history,
                why,
                "given up, and not dead-lettered"
            ),
        }
    }
    settlement
}

/// Sends the messages to `queue_url`, and says of each whether it went.
async fn send<'a>(
    app: &App,
    queue_url: Option<&str>,
    items: Vec<(&'a Report, Entry, Outgoing)>,
) -> Vec<(Result<(), String>, &'a Report, Entry)> {
    let Some(queue_url) = queue_url else {
        return items
            .into_iter()
            .map(|(report, entry, _)| (Err("no queue is configured".to_owned()), report, entry))
            .collect();
    };
    let messages: Vec<Outgoing> = items
        .iter()
        .map(|(_, _, message)| message.clone())
        .collect();
    let mut unsent: BTreeMap<usize, String> = app
        .queue
        .send(queue_url, &messages)
        .await
        .into_iter()
        .collect();
    items
        .into_iter()
        .enumerate()
        .map(|(index, (report, entry, _))| {
            (unsent.remove(&index).map_or(Ok(()), Err), report, entry)
        })
        .collect()
}

fn region_list(entry: &Entry, report: &Report) -> String {
    match &entry.region {
        Some(region) => region.to_string(),
        None => report
            .origin
            .regions
            .iter()
            .map(Region::as_str)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// What a log line says of a history: how many attempts it records, and the last one cut short.
/// The history is data (a retry message's, which anyone who may send to the queue can write): the
/// dead letter keeps it whole, bounded; a log line quotes only this excerpt.
fn history_excerpt(history: &[String]) -> String {
    match history.last() {
        Some(last) => format!(
            "{} earlier attempts; the last: {}",
            history.len(),
            crate::outcome::redact_emails(&crate::error::excerpt(last))
        ),
        None => "no earlier attempt".to_owned(),
    }
}

fn json<T: serde::Serialize>(body: &T) -> String {
    serde_json::to_string(body).unwrap_or_default()
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
}
