//! A reconcile's pass over one region: its members listed (or read while the organization was
//! listed), each group's accounts invited, its coverage measured, and what the later steps need of
//! its members kept, so that the listing can go; REGIONS_AT_ONCE regions at a time.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use crate::domain::{
    Account, AccountId, MemberListing, MemberStatus, Membership, Origin, Region, Subject,
};
use crate::error::Error;
use crate::outcome::Report;
use crate::policy::coverage::{Coverage, Drift, measure_coverage};
use crate::policy::departure::{Departed, find_unread_departures, judge_departures};
use crate::policy::failure;
use crate::workflow::clock::now_seconds;
use crate::workflow::scope::{Scope, Task};
use crate::workflow::steps::baseline::{audits_members, choose_audited};
use crate::workflow::steps::discovery::Member;
use crate::workflow::steps::everywhere::find_enabled_members;
use crate::workflow::steps::lookup::read_marks;
use crate::workflow::steps::region::{Memberships, invite_in_region};

/// The organization's accounts as a reconcile listed them, with their IDs as a set: made once for
/// every region's pass.
pub(crate) struct Roster<'a> {
    pub accounts: &'a [Account],
    pub ids: BTreeSet<&'a AccountId>,
}

impl<'a> Roster<'a> {
    pub(crate) fn of(accounts: &'a [Account]) -> Self {
        let ids = accounts.iter().map(|account| &account.id).collect();
        Roster { accounts, ids }
    }
}

/// What a region's work found and did.
#[derive(Default)]
pub(crate) struct RegionRun {
    /// Members that ListMembers returned; `None` when the listing failed.
    pub members_found: Option<usize>,
    pub reports: Vec<Report>,
    /// The organization's accounts that are members already: counted, not reported.
    pub members_already: usize,
    /// The region's coverage after the run; `None` when the listing failed.
    pub coverage: Option<Coverage>,
}

/// How many regions' member listings a reconcile holds at once.
pub(crate) const REGIONS_AT_ONCE: usize = 2;

/// A region's members, as ListMembers lists them.
pub(crate) type Listed = Result<MemberListing, Error>;

/// Member listings read while the organization was listed (`prefetch`), by region, each with how
/// many of its members were associated while it was (`list_ahead`), not listed.
pub(crate) type Prefetched = BTreeMap<Region, (Listed, usize)>;

/// The member listings of the first REGIONS_AT_ONCE regions of a reconcile, each with its mode
/// read (as the reconcile reads it for its coverage): they do not depend on the organization's
/// listing, so they are read while it is.
pub(crate) async fn prefetch(scope: Scope<'_>, origin: &Origin) -> Prefetched {
    let first = origin.regions.iter().take(REGIONS_AT_ONCE);
    let listed = join_all(first.map(|region| async move {
        let listing = scope.app.macie.list_members(region).await;
        if listing.is_ok() {
            // Memoized: the reconcile's own read is this one.
            let _ = scope.mode_in(region).await;
        }
        (region.clone(), (listing, 0))
    }));
    listed.await.into_iter().collect()
}

/// What a region's pass keeps once its listing is let go: its run, its departed members (judged,
/// not yet bound or removed), and what the discovery policy, the drift outside the organization and
/// the baseline's audit need of its members.
pub(crate) struct RegionPass {
    pub run: RegionRun,
    pub departed: Vec<Departed>,
    pub enabled: Option<BTreeMap<AccountId, Member>>,
    pub outside: BTreeMap<&'static str, usize>,
    pub audit: Vec<AccountId>,
}

/// One region: its members listed (ListMembers, with the marks of the departed accounts' members
/// read where the listing did not carry them), each group's accounts invited, its coverage
/// measured, its departures judged.
pub(crate) async fn pass_region(
    scope: Scope<'_>,
    (region, prefetched): (&Region, Option<(Listed, usize)>),
    roster: &Roster<'_>,
    groups: &[(Scope<'_>, &[Task])],
    origin: &Origin,
) -> RegionPass {
    let (mut listing, ahead) = match prefetched {
        Some(prefetched) => prefetched,
        None => (scope.app.macie.list_members(region).await, 0),
    };
    let accounts = roster.accounts;
    let mut pass = RegionPass {
        run: RegionRun::default(),
        departed: Vec::new(),
        enabled: None,
        outside: BTreeMap::new(),
        audit: Vec::new(),
    };
    if let Ok(members) = &mut listing {
        let unread = find_unread_departures(accounts, members);
        read_marks(scope, region, members, unread).await;
        pass.departed = judge_departures(region, accounts, members, scope.own_account);
        // The organization's Enabled members, which the discovery policy and the audit work on,
        // where either is set.
        if scope.app.config.discovery.is_set() || audits_members(scope) {
            let enabled: Vec<(&AccountId, &Membership)> = members
                .iter()
                .filter(|(id, m)| m.status == MemberStatus::Enabled && roster.ids.contains(id))
                .collect();
            pass.enabled = find_enabled_members(scope, &enabled);
            pass.audit = choose_audited(scope, &enabled, now_seconds());
        }
        let mut drift = Drift::default();
        drift.count_outside(members, &roster.ids);
        pass.outside = drift.outside_organization;
    }
    let run = reconcile_region(region, listing, groups, origin).await;
    pass.run = RegionRun {
        // What ListMembers listed, not the members associated while the organization was listed.
        members_found: run.members_found.map(|found| found - ahead),
        ..run
    };
    pass
}

/// A region whose listing is complete: each group's eligible accounts invited (or planned for),
/// then its coverage measured (before its departed members are removed: `Coverage::less_removed`).
async fn reconcile_listed_region(
    region: &Region,
    members: &MemberListing,
    groups: &[(Scope<'_>, &[Task])],
) -> RegionRun {
    let done = join_all(groups.iter().map(|(scope, tasks)| {
        invite_in_region(*scope, region, tasks, Memberships::Listed(members))
    }))
    .await;
    let mut run = RegionRun {
        members_found: Some(members.len()),
        ..RegionRun::default()
    };
    for done in done {
        run.reports.extend(done.reports);
        run.members_already += done.members_already;
    }
    let eligible = groups
        .iter()
        .flat_map(|(_, tasks)| tasks.iter())
        .map(|task| &task.account.id)
        .collect();
    let now = now_seconds();
    // Read once for the region (the adding above may have read it already): the tally says it,
    // and the quota depends on it.
    let mode = groups[0].0.mode_in(region).await.ok().map(|read| read.mode);
    run.coverage = Some(measure_coverage(
        &eligible,
        members,
        &run.reports,
        now,
        mode,
    ));
    run
}

/// One region: its members listed, then each group's eligible accounts invited (or, for the
/// planner's, planned for) as their relationship calls for. A listing that fails reports every
/// account there with the failure.
async fn reconcile_region(
    region: &Region,
    listing: Result<MemberListing, Error>,
    groups: &[(Scope<'_>, &[Task])],
    origin: &Origin,
) -> RegionRun {
    let eligible = || groups.iter().flat_map(|(_, tasks)| tasks.iter());
    match listing {
        Ok(members) => reconcile_listed_region(region, &members, groups).await,
        // Throttled past the SDK's retries: the region's reconcile goes on later, as one item.
        Err(error) if failure::is_transient(&error) => {
            let outcome = failure::outcome_of(&error);
            let report = Report::new(Subject::Reconcile, Some(region.clone()), outcome, origin);
            RegionRun {
                reports: vec![report],
                ..RegionRun::default()
            }
        }
        Err(error) => {
            let outcome = failure::outcome_in(&error, region);
            let reports = eligible()
                .map(|task| {
                    Report::account(
                        &task.account.id,
                        Some(region),
                        outcome.clone(),
                        &task.origin,
                    )
                })
                .collect();
            RegionRun {
                reports,
                ..RegionRun::default()
            }
        }
    }
}
