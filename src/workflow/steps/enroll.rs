//! The calls that enroll accounts in one region: CreateMember, CreateInvitations, and the accept
//! in the member account.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::aws::macie::InvitationOptions;
use crate::domain::{AccountId, Region};
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
    let quota_reached = AtomicBool::new(false);
    let quota_reached = &quota_reached;
    let associate = |task: &'t Task| async move {
        if quota_reached.load(Ordering::Relaxed) {
            return (task, Err(failure::quota_stop(region)));
        }
        let result = scope.app.macie.associate(region, &task.account).await;
        if let Err(error) = &result
            && failure::is_quota_refusal(error)
        {
            quota_reached.store(true, Ordering::Relaxed);
        }
        (
            task,
            result.map_err(|error| failure::outcome_in(&error, region)),
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

/// Invites the tasks' accounts (CreateInvitations, 50 a call): with ACCEPT_ROLE_NAME, those invited
/// go on to be accepted; the reports of the others (or of all, without it).
pub(super) async fn send_invitations<'t>(
    scope: Scope<'_>,
    region: &Region,
    tasks: Vec<&'t Task>,
) -> (Vec<&'t Task>, Vec<Report>) {
    let app = scope.app;
    let by_id: BTreeMap<&AccountId, &Task> =
        tasks.iter().map(|task| (&task.account.id, *task)).collect();
    let options = InvitationOptions {
        message: app.config.invitation_message.as_deref(),
        disable_email_notification: app.config.disable_email_notification,
    };
    let batches = plan::invitation_batches(by_id.keys().map(|id| (*id).clone()).collect());
    let send = |batch: Vec<AccountId>| async move {
        let result = app.macie.invite(region, &batch, options).await;
        (
            batch,
            result.map_err(|error| failure::outcome_in(&error, region)),
        )
    };
    let sent = scope.each(batches, send, |batch| (batch, Err(Outcome::Deferred)));
    let mut to_accept = Vec::new();
    let mut reports = Vec::new();
    for (batch, result) in sent.await {
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
                _ => reports.push(report_task(region, by_id[id], outcome)),
            }
        }
    }
    (to_accept, reports)
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
