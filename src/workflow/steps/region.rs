//! The work in one region: each account's relationship with the administrator, then what it calls
//! for (associate, invite, and with ACCEPT_ROLE_NAME accept in the member account), or under
//! DRY_RUN what would be done.

use std::collections::{BTreeMap, BTreeSet};

use lambda_runtime::tracing;

use crate::domain::{AccountId, DiscoveryMark, MemberListing, Mode, Origin, Region, Subject};
use crate::error::Error;
use crate::outcome::{Outcome, Report};
use crate::policy::failure;
use crate::policy::plan::{self, MemberPolicy, Source};
use crate::workflow::clock::now_seconds;
use crate::workflow::scope::{Scope, Task};
use crate::workflow::steps::actions::{Actions, Relationship, report_planned, sort_by_action};
use crate::workflow::steps::discovery::{Member, Members, apply_discovery};
use crate::workflow::steps::enroll::{
    accept_in_member, associate_and_invite, associate_members, report_task,
};
use crate::workflow::steps::lookup::{Listing, read_listing};
use crate::workflow::steps::resume::resume_in_region;

/// Where the current relationships with Macie come from.
pub(crate) enum Memberships<'m> {
    /// Asked for the accounts at hand: GetMember for one, the region's listing for more while it
    /// pays, GetMember for any the listing did not settle.
    Ask,
    /// One ListMembers listing of the region: cheapest for a whole organization.
    Listed(&'m MemberListing),
}

/// What the work in a region did: a report per account that changed or needs attention (and, for
/// accounts asked about one by one, per member already), and how many members already it counted.
pub(crate) struct RegionDone {
    pub reports: Vec<Report>,
    pub members_already: usize,
}

/// Associates, invites and (with ACCEPT_ROLE_NAME) accepts the accounts in one region, after what
/// each one's relationship calls for; under DRY_RUN, reports what it would do instead. With the
/// region's listing at hand (a reconcile), members already are counted, not reported: a reconcile
/// of a large organization holds no report for each of them.
pub(crate) async fn invite_in_region(
    scope: Scope<'_>,
    region: &Region,
    tasks: &[Task],
    memberships: Memberships<'_>,
) -> RegionDone {
    let app = scope.app;
    let count_members = matches!(memberships, Memberships::Listed(_));
    let policy = MemberPolicy {
        reinvite_removed: app.config.reinvite_removed,
        accept: app.config.accept_role_name.is_some(),
        resume_paused: app.config.resume_paused,
    };
    let now = now_seconds();
    let actions = match memberships {
        // Each task's relationship read from the listing as it is sorted, never all at once: a
        // reconcile's tasks are the whole organization.
        Memberships::Listed(members) => {
            let listed = tasks.iter().map(|task| Relationship {
                task,
                status: Ok(members.get(&task.account.id).cloned()),
            });
            sort_by_action(region, listed, policy, count_members, now)
        }
        Memberships::Ask => {
            let relationships = read_relationships(scope, region, tasks).await;
            sort_by_action(region, relationships, policy, count_members, now)
        }
    };
    let members_already = actions.members_already;
    let mut reports = act(scope, region, actions, policy).await;
    // A reconcile applies the discovery policy to the whole region once it is done.
    if !count_members {
        reports.extend(apply_to_enabled(scope, region, tasks, &reports).await);
    }
    RegionDone {
        reports,
        members_already,
    }
}

/// Does what the sorted tasks call for, or under DRY_RUN reports it, in the region's mode (read
/// only where some account is to be added).
async fn act(
    scope: Scope<'_>,
    region: &Region,
    mut actions: Actions<'_>,
    policy: MemberPolicy,
) -> Vec<Report> {
    let mode = match actions.adds() {
        true => match scope.mode_in(region).await {
            Ok(read) => read.mode,
            Err(outcome) => {
                actions.report_unadded(region, &outcome);
                Mode::Invitations
            }
        },
        false => Mode::Invitations,
    };
    if mode == Mode::Organizations {
        actions = actions.through_organizations();
    }
    let resumed = resume_in_region(scope, region, std::mem::take(&mut actions.resume)).await;
    if scope.app.config.dry_run {
        let mut reports = report_planned(region, actions, policy, mode);
        reports.extend(resumed);
        return reports;
    }
    let mut reports = std::mem::take(&mut actions.reports);
    reports.extend(resumed);
    match mode {
        Mode::Organizations => {
            let (associated, refused) = associate_members(scope, region, actions.associate).await;
            reports.extend(refused);
            let added = associated.into_iter();
            reports.extend(added.map(|task| report_task(region, task, Outcome::Added)));
        }
        Mode::Invitations => {
            let (associate, invite) = (actions.associate, actions.invite);
            let (invited, outcomes) = associate_and_invite(scope, region, associate, invite).await;
            reports.extend(outcomes);
            actions.accept.extend(invited);
        }
    }
    if let Some(role_name) = &scope.app.config.accept_role_name {
        let accepted = accept_all(scope, region, actions.accept, role_name);
        reports.extend(accepted.await);
    }
    reports
}

/// The discovery policy, applied to the accounts that the work left Enabled members: at once, as
/// each one becomes one. A read that fails is each such account's outcome, to be retried.
async fn apply_to_enabled(
    scope: Scope<'_>,
    region: &Region,
    tasks: &[Task],
    reports: &[Report],
) -> Vec<Report> {
    let origins: BTreeMap<&AccountId, &Origin> = tasks
        .iter()
        .map(|task| (&task.account.id, &task.origin))
        .collect();
    // Added or accepted by this run: a new member, which no tag of this function's marks yet; found
    // Enabled already: its tags are read where the decision hangs on them.
    let enabled: BTreeMap<AccountId, Member> = reports
        .iter()
        .filter(|report| report.outcome.row().enabled)
        .filter_map(|report| match &report.subject {
            Subject::Account(id) if origins.contains_key(id) => {
                let mark = match report.outcome {
                    Outcome::AlreadyMember { .. } => DiscoveryMark::Unread,
                    _ => DiscoveryMark::NotOurs,
                };
                Some((id.clone(), Member { arn: None, mark }))
            }
            _ => None,
        })
        .collect();
    let report = |id: &AccountId, outcome| Report::account(id, Some(region), outcome, origins[id]);
    let decided = enabled
        .keys()
        .filter_map(|id| Some((id.clone(), origins[id].discovery?)))
        .collect();
    let members = Members {
        members: enabled.clone(),
        whole: false,
        over_limit: None,
        decided,
    };
    match apply_discovery(scope, region, members, report).await {
        Ok(done) => done.map_or_else(Vec::new, |done| done.reports),
        Err(outcome) => enabled
            .keys()
            .map(|id| report(id, outcome.clone()))
            .collect(),
    }
}

/// Accepts each task's invitation in its member account (ACCEPT_ROLE_NAME).
async fn accept_all<'t>(
    scope: Scope<'_>,
    region: &Region,
    tasks: Vec<&'t Task>,
    role_name: &str,
) -> Vec<Report> {
    let administrator = scope.own_account;
    let accept_one = |task: &'t Task| async move {
        let id = &task.account.id;
        let (outcome, baseline) =
            accept_in_member(scope, region, id, role_name, administrator).await;
        let reports = std::iter::once(outcome).chain(baseline);
        reports
            .map(|outcome| report_task(region, task, outcome))
            .collect::<Vec<_>>()
    };
    let later = |task: &'t Task| vec![report_task(region, task, Outcome::Deferred)];
    let accepted = scope.each(tasks, accept_one, later).await;
    accepted.into_iter().flatten().collect()
}

/// Each account's relationship with the administrator in `region`: from this region's listing
/// while it pays, then GetMember for the rest.
async fn read_relationships<'t>(
    scope: Scope<'_>,
    region: &Region,
    tasks: &'t [Task],
) -> Vec<Relationship<'t>> {
    let (mut relationships, unsettled) = read_region_listing(scope, region, tasks).await;
    let ask = |task: &'t Task| async move {
        match scope.app.macie.membership(region, &task.account.id).await {
            Ok(membership) => Asked::Answered(Relationship {
                task,
                status: Ok(membership),
            }),
            Err(error) if failure::needs_listing(&error) => Asked::Unread(task, error),
            Err(error) => Asked::Answered(Relationship {
                task,
                status: Err(failure::outcome_in(&error, region)),
            }),
        }
    };
    let later = |task| {
        Asked::Answered(Relationship {
            task,
            status: Err(Outcome::Deferred),
        })
    };
    let mut unread = Vec::new();
    for asked in scope.each(unsettled, ask, later).await {
        match asked {
            Asked::Answered(relationship) => relationships.push(relationship),
            Asked::Unread(task, error) => unread.push((task, error)),
        }
    }
    relationships.extend(settle_from_listing(scope, region, unread).await);
    relationships
}

/// The relationships the region's listing settles, read while it pays, and the tasks it left
/// unsettled.
async fn read_region_listing<'t>(
    scope: Scope<'_>,
    region: &Region,
    tasks: &'t [Task],
) -> (Vec<Relationship<'t>>, Vec<&'t Task>) {
    let deadline = scope.deadline;
    let wanted: BTreeSet<AccountId> = tasks.iter().map(|task| task.account.id.clone()).collect();
    let listing = match plan::source(wanted.len(), plan::MEMBERSHIPS_ASKED_ONE_BY_ONE) {
        Source::EachAccount => Listing::default(),
        Source::Listing => {
            let pages = scope.app.macie.member_pages(region);
            read_listing(&wanted, deadline, "ListMembers", pages, |(id, _)| id).await
        }
    };
    let (listed, unsettled): (Vec<&Task>, Vec<&Task>) = tasks
        .iter()
        .partition(|task| listing.complete || listing.found.contains_key(&task.account.id));
    let relationships = listed
        .into_iter()
        .map(|task| Relationship {
            task,
            status: Ok(listing
                .found
                .get(&task.account.id)
                .map(|(_, status)| status.clone())),
        })
        .collect();
    (relationships, unsettled)
}

/// What GetMember answered for a task: a relationship (or the outcome to report), or a refusal that
/// the failure policy cannot read as a verdict on the account.
enum Asked<'t> {
    Answered(Relationship<'t>),
    Unread(&'t Task, Error),
}

/// Settles the relationships that GetMember refused in words the failure policy cannot read, from
/// one listing of the region's every relationship (ListMembers, onlyAssociated=false): an account
/// absent from it has none. Only when the listing fails too is the refusal reported (or the
/// listing's failure, when another attempt may pass it).
async fn settle_from_listing<'t>(
    scope: Scope<'_>,
    region: &Region,
    unread: Vec<(&'t Task, Error)>,
) -> Vec<Relationship<'t>> {
    let Some((_, first)) = unread.first() else {
        return Vec::new();
    };
    tracing::info!(
        region = region.as_str(),
        accounts = unread.len(),
        error = %first,
        "GetMember refused in words the failure policy cannot read; settling from the region's member listing"
    );
    let listing = scope.app.macie.list_members(region).await;
    unread
        .into_iter()
        .map(|(task, refusal)| {
            let status = match &listing {
                Ok(members) => Ok(members.get(&task.account.id).cloned()),
                Err(error) if failure::is_transient(error) => {
                    Err(failure::outcome_in(error, region))
                }
                Err(_) => Err(failure::outcome_in(&refusal, region)),
            };
            Relationship { task, status }
        })
        .collect()
}
