//! The calls that enroll accounts in one region: CreateMember, CreateInvitations, and the accept
//! in the member account.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::{StreamExt, stream};
use tokio::sync::Semaphore;

use crate::aws::macie::InvitationOptions;
use crate::domain::{Account, AccountId, Region};
use crate::error::Error;
use crate::outcome::{Outcome, Report};
use crate::policy::{failure, plan};
use crate::workflow::scope::{Scope, Task};
use crate::workflow::steps::baseline::apply_member_baseline;

/// The report of a task's outcome in the region.
pub(super) fn report_task(region: &Region, task: &Task, outcome: Outcome) -> Report {
    Report::account(&task.account.id, Some(region), outcome, &task.origin)
}

/// Associates the tasks' accounts with the administrator (CreateMember): those associated, and the
/// reports of those that were not. Once Macie refuses one for its member quota, no further
/// CreateMember is sent in the region: each account left is reported, to be dead-lettered at once
/// with what to do, instead of one doomed call each.
pub(super) async fn associate_members<'t>(
    scope: Scope<'_>,
    region: &Region,
    tasks: Vec<&'t Task>,
) -> (Vec<&'t Task>, Vec<Report>) {
    let quota_reached = &AtomicBool::new(false);
    let associate = |task: &'t Task| async move {
        (
            task,
            associate_one(scope, region, &task.account, quota_reached).await,
        )
    };
    let results = scope
        .each(tasks, associate, |task| (task, Err(Outcome::Deferred)))
        .await;
    let mut associated = Vec::new();
    let mut reports = Vec::new();
    for (task, result) in results {
        match result {
            Ok(()) => associated.push(task),
            Err(outcome) => reports.push(report_task(region, task, outcome)),
        }
    }
    (associated, reports)
}

/// One account associated (CreateMember), unless Macie refused another for its member quota
/// already (then it is reported with the quota's stop, without a doomed call) or the deadline is
/// near.
pub(super) async fn associate_one(
    scope: Scope<'_>,
    region: &Region,
    account: &Account,
    quota_reached: &AtomicBool,
) -> Result<(), Outcome> {
    if quota_reached.load(Ordering::Relaxed) {
        return Err(failure::quota_stop(region));
    }
    if scope.deadline.near() {
        return Err(Outcome::Deferred);
    }
    let result = scope.app.macie.associate(region, account).await;
    if let Err(error) = &result
        && failure::is_quota_refusal(error)
    {
        quota_reached.store(true, Ordering::Relaxed);
    }
    result.map_err(|error| failure::outcome_in(&error, region))
}

/// Associates the accounts of `associate` (CreateMember) and invites them, with those of `invite`
/// (associated already), 50 to a CreateInvitations call, in one pipeline: a batch goes out as soon
/// as its 50 members exist, behind the CreateMember calls still running, and the calls of both
/// are at most MAX_CALLS_IN_FLIGHT at once. None starts once the deadline is near: an account
/// associated and not invited then is deferred, and its retry finds it associated and invites it
/// alone. Those invited (with ACCEPT_ROLE_NAME, to be accepted), and the reports of the others (or
/// of all, without it).
pub(super) async fn associate_and_invite<'t>(
    scope: Scope<'_>,
    region: &Region,
    associate: Vec<&'t Task>,
    invite: Vec<&'t Task>,
) -> (Vec<&'t Task>, Vec<Report>) {
    let app = scope.app;
    let limit = app.config.max_calls_in_flight;
    let calls = &Semaphore::new(limit);
    let refused = &Mutex::new(Vec::new());
    let quota_reached = &AtomicBool::new(false);
    let associated = stream::iter(associate)
        .map(|task| async move {
            let _call = calls.acquire().await;
            (
                task,
                associate_one(scope, region, &task.account, quota_reached).await,
            )
        })
        .buffer_unordered(limit)
        .filter_map(|(task, result)| async move {
            let Err(refusal) = result else {
                return Some(task);
            };
            let report = report_task(region, task, refusal);
            refused.lock().unwrap().push(report);
            None
        });
    let mut seen = BTreeSet::new();
    let sent: Vec<Vec<(&Task, Outcome)>> = stream::iter(invite)
        .chain(associated)
        .filter(|task| std::future::ready(seen.insert(&task.account.id)))
        .chunks(plan::MAX_ACCOUNTS_PER_INVITATION)
        .map(|batch| async move {
            let _call = calls.acquire().await;
            invite_batch(scope, region, batch).await
        })
        .buffer_unordered(limit)
        .collect()
        .await;
    let mut reports = std::mem::take(&mut *refused.lock().unwrap());
    let mut to_accept = Vec::new();
    for (task, outcome) in sent.into_iter().flatten() {
        match (&outcome, &app.config.accept_role_name) {
            (Outcome::Invited, Some(_)) => to_accept.push(task),
            _ => reports.push(report_task(region, task, outcome)),
        }
    }
    (to_accept, reports)
}

/// One CreateInvitations call for a batch of at most 50, unless the deadline is near: each
/// account's outcome (invited, or why not).
async fn invite_batch<'t>(
    scope: Scope<'_>,
    region: &Region,
    batch: Vec<&'t Task>,
) -> Vec<(&'t Task, Outcome)> {
    let config = &scope.app.config;
    let result = match scope.deadline.near() {
        true => Err(Outcome::Deferred),
        false => {
            let options = InvitationOptions {
                message: config.invitation_message.as_deref(),
                disable_email_notification: config.disable_email_notification,
            };
            let mut ids: Vec<AccountId> = batch.iter().map(|t| t.account.id.clone()).collect();
            ids.sort();
            let sent = scope.app.macie.invite(region, &ids, options).await;
            sent.map_err(|error| failure::outcome_in(&error, region))
        }
    };
    let outcome = |id: &AccountId| match &result {
        Ok(unprocessed) => unprocessed
            .iter()
            .find(|entry| &entry.account_id == id)
            .map_or(Outcome::Invited, Outcome::unprocessed),
        Err(outcome) => outcome.clone(),
    };
    let outcomes = batch
        .into_iter()
        .map(|task| (task, outcome(&task.account.id)));
    outcomes.collect()
}

/// In the member account, through `role_name`: enables Macie, finds the administrator's invitation
/// and accepts it. What fails goes the way of every failure: re-queued, or dead-lettered.
pub(super) async fn accept_in_member(
    scope: Scope<'_>,
    region: &Region,
    account_id: &AccountId,
    role_name: &str,
    administrator: Option<&AccountId>,
) -> (Outcome, Vec<Outcome>) {
    // An invitation is accepted only from this account: unknown, nothing is accepted (fail closed).
    let Some(administrator) = administrator else {
        return (
            Outcome::failed(
                "the function's own account is unknown (neither its ARN nor STS GetCallerIdentity \
             names it), and an invitation is accepted only from it: accept the invitation in the \
             member account, or run the function where Lambda gives it its ARN",
            ),
            Vec::new(),
        );
    };
    let steps = async {
        let session = scope
            .app
            .macie
            .member_session(region, account_id, role_name)
            .await?;
        session.enable_macie().await?;
        match session.invitation_from(administrator).await? {
            Some(invitation_id) => {
                session.accept(administrator, &invitation_id).await?;
                // Inside the member now: its own frequency and publication, as the baseline says.
                let baseline = apply_member_baseline(scope, &session).await;
                Ok((Outcome::Accepted, baseline))
            }
            None => Ok((
                Outcome::pending(
                    "the member account sees no pending invitation from this administrator yet",
                ),
                Vec::new(),
            )),
        }
    };
    steps
        .await
        .unwrap_or_else(|error: Error| (failure::outcome_in(&error, region), Vec::new()))
}
