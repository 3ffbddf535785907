//! What each account's relationship calls for in one region, sorted into actions (associate,
//! invite, accept, resume) and the reports of those that call for nothing more; under DRY_RUN, the
//! plan of the actions.

use crate::domain::{MemberStatus, Membership, Mode, Region, email_digest};
use crate::outcome::{Outcome, Report};
use crate::policy::plan::{self, MemberAction, MemberPolicy};
use crate::workflow::scope::Task;
use crate::workflow::steps::enroll::report_task;

/// A task, and its relationship with the administrator in the region (`None`: none), or the
/// outcome to report when it could not be read.
pub(super) struct Relationship<'t> {
    pub task: &'t Task,
    pub status: Result<Option<Membership>, Outcome>,
}

/// The region's tasks sorted by what each relationship calls for.
#[derive(Default)]
pub(super) struct Actions<'t> {
    pub reports: Vec<Report>,
    /// Members already, counted instead of reported (a reconcile's listing).
    pub members_already: usize,
    pub associate: Vec<&'t Task>,
    pub invite: Vec<&'t Task>,
    pub accept: Vec<&'t Task>,
    /// Paused members to resume (RESUME_PAUSED).
    pub resume: Vec<&'t Task>,
}

impl Actions<'_> {
    /// Whether some account is to be added: the only work that needs the region's mode.
    pub(super) fn adds(&self) -> bool {
        !(self.associate.is_empty() && self.invite.is_empty())
    }

    /// The actions through Organizations, where the function's account is the delegated Macie
    /// administrator: CreateMember alone enables an account of the organization, so an account
    /// associated by invitation and never invited (`Created`) is added the same way, and no
    /// invitation is ever sent (Macie user guide, "Managing multiple Macie accounts with AWS
    /// Organizations").
    pub(super) fn through_organizations(mut self) -> Self {
        let invite = std::mem::take(&mut self.invite);
        self.associate.extend(invite);
        self
    }

    /// Reports every account that was to be added with `outcome`: the region's mode could not be
    /// read for now.
    pub(super) fn report_unadded(&mut self, region: &Region, outcome: &Outcome) {
        let unadded = std::mem::take(&mut self.associate)
            .into_iter()
            .chain(std::mem::take(&mut self.invite));
        let reports = unadded.map(|task| report_task(region, task, outcome.clone()));
        self.reports.extend(reports);
    }
}

/// Sorts the tasks by what each relationship calls for; reports those that call for nothing more.
pub(super) fn sort_by_action<'t>(
    region: &Region,
    relationships: impl IntoIterator<Item = Relationship<'t>>,
    policy: MemberPolicy,
    count_members: bool,
    now: i64,
) -> Actions<'t> {
    let mut actions = Actions::default();
    for Relationship { task, status } in relationships {
        let status = match status {
            Ok(status) => status,
            Err(outcome) => {
                actions.reports.push(report_task(region, task, outcome));
                continue;
            }
        };
        let outcome = match judge_member(task, status.as_ref(), policy, now) {
            MemberAction::AssociateAndInvite => {
                actions.associate.push(task);
                continue;
            }
            MemberAction::Invite => {
                actions.invite.push(task);
                continue;
            }
            MemberAction::Accept => {
                actions.accept.push(task);
                continue;
            }
            MemberAction::AlreadyMember if count_members => {
                actions.members_already += 1;
                continue;
            }
            MemberAction::AlreadyMember => Outcome::AlreadyMember {
                status: status.map_or(MemberStatus::Other(String::new()), |m| m.status.clone()),
            },
            MemberAction::Wait(reason) => Outcome::pending(reason),
            MemberAction::Skip(reason) => Outcome::skipped(reason),
            MemberAction::Resume => {
                actions.resume.push(task);
                continue;
            }
            MemberAction::Drifted(reason) => Outcome::Drifted {
                status: status.map_or(MemberStatus::Other(String::new()), |m| m.status),
                reason,
            },
        };
        actions.reports.push(report_task(region, task, outcome));
    }
    actions
}

/// What the task's relationship calls for: as the plan says, but a member whose email could not
/// be verified is invited again once Organizations gives the account another email (corrected).
fn judge_member(
    task: &Task,
    membership: Option<&Membership>,
    policy: MemberPolicy,
    now: i64,
) -> MemberAction {
    match membership {
        Some(member)
            if member.status == MemberStatus::EmailVerificationFailed
                && member.email_digest.is_some()
                && member.email_digest != Some(email_digest(&task.account.email)) =>
        {
            MemberAction::AssociateAndInvite
        }
        _ => plan::member_action(membership, policy, now),
    }
}

/// DRY_RUN: what would be done with each task in `mode`, and no call.
pub(super) fn report_planned(
    region: &Region,
    actions: Actions,
    policy: MemberPolicy,
    mode: Mode,
) -> Vec<Report> {
    let planned = |steps: &[&'static str], then_accept: bool| Outcome::Planned {
        actions: steps
            .iter()
            .copied()
            .chain(then_accept.then_some("accept"))
            .collect(),
    };
    let mut reports = actions.reports;
    let steps = [
        (
            actions.associate,
            match mode {
                Mode::Organizations => planned(&["associate"], false),
                Mode::Invitations => planned(&["associate", "invite"], policy.accept),
            },
        ),
        (actions.invite, planned(&["invite"], policy.accept)),
        (actions.accept, planned(&[], true)),
    ];
    for (tasks, outcome) in steps {
        reports.extend(
            tasks
                .into_iter()
                .map(|task| report_task(region, task, outcome.clone())),
        );
    }
    reports
}
