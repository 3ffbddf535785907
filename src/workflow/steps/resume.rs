//! RESUME_PAUSED in one region: each `Paused` member of the organization resumed, the way the
//! region's mode allows: by the delegated Macie administrator (UpdateMemberSession), or by
//! invitation inside the member through ACCEPT_ROLE_NAME (UpdateMacieSession); under DRY_RUN, the
//! plan.

use crate::domain::{AccountId, MemberStatus, Mode, Region};
use crate::outcome::{Outcome, Report};
use crate::policy::failure;
use crate::policy::plan::judge_resume;
use crate::workflow::scope::{Scope, Task};
use crate::workflow::steps::baseline::apply_member_baseline;
use crate::workflow::steps::enroll::report_task;

/// Resumes the `tasks`' members (`Paused`, RESUME_PAUSED on) in `region`, at most
/// MAX_CALLS_IN_FLIGHT at once and none past the deadline.
pub(crate) async fn resume_in_region<'t>(
    scope: Scope<'_>,
    region: &Region,
    tasks: Vec<&'t Task>,
) -> Vec<Report> {
    if tasks.is_empty() {
        return Vec::new();
    }
    let mode = match scope.mode_in(region).await {
        Ok(read) => read.mode,
        Err(outcome) => {
            let reports = tasks
                .iter()
                .map(|task| report_task(region, task, outcome.clone()));
            return reports.collect();
        }
    };
    let resume = |task: &'t Task| async move {
        let outcomes = resume_one(scope, region, &task.account.id, mode).await;
        let reports = outcomes
            .into_iter()
            .map(|outcome| report_task(region, task, outcome));
        reports.collect::<Vec<_>>()
    };
    let deferred = |task: &'t Task| vec![report_task(region, task, Outcome::Deferred)];
    let resumed = scope.each(tasks, resume, deferred).await;
    resumed.into_iter().flatten().collect()
}

/// One member resumed, in `mode`: its outcome, and inside the member (by invitation) those of its
/// own baseline.
async fn resume_one(scope: Scope<'_>, region: &Region, id: &AccountId, mode: Mode) -> Vec<Outcome> {
    let app = scope.app;
    let role = app.config.accept_role_name.as_deref();
    if let Err(reason) = judge_resume(mode, role) {
        let status = MemberStatus::Paused;
        return vec![Outcome::Drifted { status, reason }];
    }
    if app.config.dry_run {
        let actions = vec!["resume"];
        return vec![Outcome::Planned { actions }];
    }
    let resumed = match (mode, role) {
        (Mode::Invitations, Some(role)) => {
            async {
                let session = app.macie.member_session(region, id, role).await?;
                session.resume_macie().await?;
                Ok(apply_member_baseline(scope, &session).await)
            }
            .await
        }
        _ => app
            .macie
            .resume_member(region, id)
            .await
            .map(|()| Vec::new()),
    };
    match resumed {
        Ok(baseline) => std::iter::once(Outcome::Resumed).chain(baseline).collect(),
        Err(error) => vec![failure::outcome_in(&error, region)],
    }
}
