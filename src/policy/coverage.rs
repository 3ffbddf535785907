//! How much of the organization Macie covers in one region, as the reconcile leaves it: measured
//! from the region's listing of members and what the run did there.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::domain::{AccountId, MemberListing, MemberStatus, Membership, Mode, Subject};
use crate::outcome::{Outcome, Report};
use crate::policy::plan::{EMAIL_FAILED, PAUSED};

/// At most this many uncovered accounts are listed per region; `uncovered` counts them all.
const UNCOVERED_LISTED: usize = 100;

/// A share, in tenths of a percent, written as a percentage with one decimal (such as 97.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Percent(u32);

impl Percent {
    /// `part` of `whole`, rounded down to a tenth of a percent; 100 % of nothing.
    pub(crate) fn of(part: usize, whole: usize) -> Self {
        if whole == 0 {
            return Percent(1_000);
        }
        Percent(u32::try_from(part.min(whole) * 1_000 / whole).unwrap_or(1_000))
    }

    /// As a percentage.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

/// How long an invitation may wait for a person to accept it before its account counts as a gap:
/// without ACCEPT_ROLE_NAME, each member account's root user accepts by hand, which takes days, not
/// minutes; an invitation older than this is something for an operator to chase.
pub(crate) const ACCEPTANCE_GRACE_SECONDS: i64 = 7 * 86_400;

/// One region's coverage after the reconcile: of the accounts the function is meant to cover by
/// now, the share that Macie covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// How accounts become members here: by invitation, or through Organizations; absent when it
    /// could not be read for now (the quota is then the smaller, by invitation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// The organization's `ACTIVE` accounts, less those excluded and the administrator.
    pub eligible: usize,
    /// Eligible accounts only planned for on purpose (BACKFILL off, a dry run): not a gap.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub planned: usize,
    /// Eligible accounts that are `Enabled` members (or were accepted by this run).
    pub enabled: usize,
    /// Eligible accounts invited and not yet accepted (by this run or before).
    pub invited_not_accepted: usize,
    /// Of those, the ones invited less than [`ACCEPTANCE_GRACE_SECONDS`] ago: waiting for a
    /// person, not yet a gap.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub awaiting_acceptance: usize,
    /// Eligible accounts with no membership at all after this run, and not planned on purpose.
    pub uncovered: usize,
    /// The first of them, by account ID.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncovered_accounts: Vec<AccountId>,
    /// `enabled` out of what is due (`eligible`, less `planned` and `awaitingAcceptance`), as a
    /// percentage: what CoverageLowAlarm watches (metric ShareCovered). 100 where nothing is due yet
    /// (a dry run, a first week): read it beside `shareOfEligibleEnabled`.
    #[serde(rename = "shareOfDueCovered")]
    pub share_covered: Percent,
    /// `enabled` out of every eligible account, as a percentage: the share covered now, whatever
    /// is planned or awaited (metric ShareEnabled).
    #[serde(rename = "shareOfEligibleEnabled")]
    pub share_enabled: Percent,
    /// The administrator's members in the region, in any status, which count against its quota.
    pub quota_used: usize,
    /// Macie's quota of members in this mode ([`Mode::member_quota`]: 1,000 by invitation, 10,000
    /// through Organizations).
    pub member_quota: usize,
    /// `quota_used` out of `member_quota`, as a percentage.
    pub quota_used_share: Percent,
    /// The members that are not `Enabled`, by state: what lowers the shares, named.
    #[serde(skip_serializing_if = "Drift::is_empty")]
    pub drift: Drift,
    /// With a members' baseline and the member role: the members audited this run (a bounded
    /// number, rolling through the organization), and how many of them met it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineAudit>,
}

/// The members whose own Macie settings a reconcile audited in a region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BaselineAudit {
    pub audited: usize,
    /// Of those, the ones whose settings met the baseline already.
    pub meeting: usize,
    /// Of those, the ones the member role could not reach.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub not_reachable: usize,
}

/// The members of a region that have drifted from `Enabled`: for each state where any member is,
/// how many of the organization's eligible accounts, and the first of them; members outside the
/// organization counted apart. A fact to report, never work to retry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    #[serde(flatten)]
    pub states: BTreeMap<&'static str, Drifted>,
    /// Members that are not accounts of the organization, by state: counted, never acted on.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub outside_organization: BTreeMap<&'static str, usize>,
}

/// The accounts in one drifted state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drifted {
    pub count: usize,
    /// The first of them, by account ID.
    pub accounts: Vec<AccountId>,
    /// What it means, and what to do.
    pub fix: &'static str,
}

impl Drift {
    fn is_empty(&self) -> bool {
        self.states.is_empty() && self.outside_organization.is_empty()
    }

    /// How many of the organization's accounts have drifted: what `MembersDrifted` counts.
    pub(crate) fn total(&self) -> usize {
        self.states.values().map(|drifted| drifted.count).sum()
    }

    fn add(&mut self, state: &'static str, id: &AccountId) {
        let drifted = self.states.entry(state).or_insert_with(|| Drifted {
            fix: say_drift(state),
            ..Drifted::default()
        });
        drifted.count += 1;
        if drifted.accounts.len() < UNCOVERED_LISTED {
            drifted.accounts.push(id.clone());
        }
    }

    /// Counts the members of `members` that are not accounts of the `organization`, by state.
    pub(crate) fn count_outside(
        &mut self,
        members: &MemberListing,
        organization: &BTreeSet<&AccountId>,
    ) {
        let outside = members.iter().filter(|(id, _)| !organization.contains(id));
        for (_, membership) in outside {
            if let Some(state) = drift_state(&membership.status) {
                *self.outside_organization.entry(state).or_default() += 1;
            }
        }
    }
}

/// What a drifted state means, and what to do about it (docs/operations.md, "Member states").
fn say_drift(state: &str) -> &'static str {
    match state {
        "paused" => PAUSED,
        "emailVerificationFailed" => EMAIL_FAILED,
        "resigned" => "the account left this administrator: REINVITE_REMOVED=true invites it again",
        "removed" => "the administrator removed it: REINVITE_REMOVED=true invites it again",
        "regionDisabled" => "the region is disabled in the account: enable it there (AWS Regions)",
        "accountSuspended" => {
            "AWS suspended the account: nothing to do in Macie until it is reinstated"
        }
        "invitedNotAccepted" => {
            "invited over 7 days ago and not accepted: accept in the member account, or set \
             ACCEPT_ROLE_NAME and deploy the member role"
        }
        _ => "a state this function does not know: look at the member in Macie's console",
    }
}

/// The drift key of a state that is not `Enabled`; `None` for `Enabled` and for an invitation on
/// its way (`Created`, `EmailVerificationInProgress`), which are not drift.
pub(crate) fn drift_state(status: &MemberStatus) -> Option<&'static str> {
    Some(match status {
        MemberStatus::Paused => "paused",
        MemberStatus::Resigned => "resigned",
        MemberStatus::Removed => "removed",
        MemberStatus::RegionDisabled => "regionDisabled",
        MemberStatus::EmailVerificationFailed => "emailVerificationFailed",
        MemberStatus::AccountSuspended => "accountSuspended",
        MemberStatus::Other(_) => "other",
        MemberStatus::Invited => "invitedNotAccepted",
        MemberStatus::Enabled
        | MemberStatus::Created
        | MemberStatus::EmailVerificationInProgress => {
            return None;
        }
    })
}

/// What a run did that coverage counts: each account it invited, accepted, added or planned for,
/// and how many departed members it removed.
fn read_run(reports: &[Report]) -> (BTreeMap<&AccountId, &Outcome>, usize) {
    let mut done = BTreeMap::new();
    let mut removed = 0;
    for report in reports {
        match (&report.subject, &report.outcome) {
            (
                Subject::Account(id),
                Outcome::Invited
                | Outcome::Accepted
                | Outcome::Added
                | Outcome::Resumed
                | Outcome::Planned { .. },
            ) => {
                done.insert(id, &report.outcome);
            }
            (Subject::Departure(_), Outcome::Removed) => removed += 1,
            _ => {}
        }
    }
    (done, removed)
}

impl Coverage {
    /// The same coverage, less `removed` members that departed accounts lost after it was
    /// measured: they no longer count against the quota.
    pub(crate) fn less_removed(&mut self, removed: usize) {
        self.quota_used = self.quota_used.saturating_sub(removed);
        self.quota_used_share = Percent::of(self.quota_used, self.member_quota);
    }
}

/// The eligible accounts, counted by where they stand after the run.
#[derive(Default)]
struct EligibleTally {
    enabled: usize,
    invited: usize,
    awaiting: usize,
    planned: usize,
    uncovered: Vec<AccountId>,
    drift: Drift,
}

impl EligibleTally {
    /// Counts one eligible account: what the run `done` to it, else its `membership` as listed.
    fn count(
        &mut self,
        id: &AccountId,
        done: Option<&Outcome>,
        membership: Option<&Membership>,
        now: i64,
    ) {
        let waiting = |membership: &Membership| {
            membership
                .invited_at
                .is_some_and(|invited| now - invited.get() < ACCEPTANCE_GRACE_SECONDS)
        };
        match (done, membership.map(|membership| &membership.status)) {
            (Some(outcome), _) if outcome.row().enabled => self.enabled += 1,
            (None, Some(MemberStatus::Enabled)) => self.enabled += 1,
            (Some(Outcome::Planned { .. }), _) => self.planned += 1,
            // Invited by this run: its invitation has just gone.
            (Some(_), _) => (self.invited, self.awaiting) = (self.invited + 1, self.awaiting + 1),
            (None, Some(MemberStatus::Invited | MemberStatus::EmailVerificationInProgress)) => {
                self.invited += 1;
                let awaiting = membership.is_some_and(waiting);
                self.awaiting += usize::from(awaiting);
                // Past the grace, an invitation no one accepts is drift too.
                if !awaiting && membership.is_some_and(|m| m.status == MemberStatus::Invited) {
                    self.drift.add("invitedNotAccepted", id);
                }
            }
            (None, None) => self.uncovered.push(id.clone()),
            (None, Some(status)) => {
                if let Some(state) = drift_state(status) {
                    self.drift.add(state, id);
                }
            }
        }
    }
}

/// The coverage of a region after a reconcile: `eligible` as screened, `members` as listed at the
/// start of the run, `reports` what the run did in the region, at `now` (seconds since the epoch),
/// in the region's `mode` (`None`: unknown for now).
pub(crate) fn measure_coverage(
    eligible: &BTreeSet<&AccountId>,
    members: &MemberListing,
    reports: &[Report],
    now: i64,
    mode: Option<Mode>,
) -> Coverage {
    let quota = mode.unwrap_or(Mode::Invitations).member_quota();
    let (done, removed) = read_run(reports);
    let mut tally = EligibleTally::default();
    for id in eligible {
        tally.count(id, done.get(id).copied(), members.get(id), now);
    }
    let EligibleTally {
        enabled,
        invited,
        awaiting,
        planned,
        mut uncovered,
        drift,
    } = tally;
    let associated_now = done
        .iter()
        .filter(|(id, outcome)| {
            !matches!(outcome, Outcome::Planned { .. }) && !members.contains_key(id)
        })
        .count();
    let quota_used = (members.len() + associated_now).saturating_sub(removed);
    let count = uncovered.len();
    uncovered.truncate(UNCOVERED_LISTED);
    let expected = eligible.len().saturating_sub(planned + awaiting);
    Coverage {
        mode,
        eligible: eligible.len(),
        planned,
        enabled,
        invited_not_accepted: invited,
        awaiting_acceptance: awaiting,
        uncovered: count,
        uncovered_accounts: uncovered,
        share_covered: Percent::of(enabled, expected),
        share_enabled: Percent::of(enabled, eligible.len()),
        quota_used,
        member_quota: quota,
        quota_used_share: Percent::of(quota_used, quota),
        drift,
        baseline: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Origin;
    use crate::domain::fixtures::{account_id as id, region};

    fn member(status: MemberStatus) -> Membership {
        Membership {
            status,
            invited_at: None,
            mark: crate::domain::Mark::Enrolled,
            arn: None,
            discovery_mark: crate::domain::DiscoveryMark::NotOurs,
            email_digest: None,
        }
    }

    #[test]
    fn coverage_counts_the_run_and_the_listing_together() {
        let ids: Vec<AccountId> = ["111111111111", "222222222222", "333333333333"]
            .into_iter()
            .chain(["444444444444", "555555555555", "666666666666"])
            .map(id)
            .collect();
        let eligible: BTreeSet<&AccountId> = ids.iter().collect();
        let members = MemberListing::from_iter([
            (id("111111111111"), member(MemberStatus::Enabled)),
            (
                id("222222222222"),
                Membership {
                    invited_at: std::num::NonZeroI64::new(NOW - 30 * 86_400),
                    ..member(MemberStatus::Invited)
                },
            ),
            (id("333333333333"), member(MemberStatus::Paused)),
            // A departed account's member, removed by the run.
            (id("999999999999"), member(MemberStatus::Enabled)),
        ]);
        let origin = Origin::first(&[]);
        let report =
            |subject, outcome| Report::new(subject, Some(region("us-east-1")), outcome, &origin);
        let reports = [
            report(Subject::Account(id("444444444444")), Outcome::Accepted),
            report(Subject::Account(id("555555555555")), Outcome::Invited),
            report(Subject::Departure(id("999999999999")), Outcome::Removed),
        ];

        let coverage =
            measure_coverage(&eligible, &members, &reports, NOW, Some(Mode::Invitations));

        assert_eq!(coverage.eligible, 6);
        assert_eq!(coverage.enabled, 2);
        // Of every eligible account, whatever is due: 2 of 6.
        assert_eq!(coverage.share_enabled.as_f64(), 33.3);
        assert_eq!(coverage.invited_not_accepted, 2);
        // Invited by this run: waiting for a person, not a gap; the other was invited long ago.
        assert_eq!(coverage.awaiting_acceptance, 1);
        assert_eq!(coverage.uncovered, 1);
        assert_eq!(coverage.uncovered_accounts, [id("666666666666")]);
        // 2 enabled of the 5 meant to be covered by now.
        assert_eq!(coverage.share_covered.as_f64(), 40.0);
        // Four listed, two associated by the run, one removed.
        assert_eq!(coverage.quota_used, 5);
        assert_eq!(coverage.quota_used_share.as_f64(), 0.5);
    }

    #[test]
    fn through_organizations_an_added_account_is_enabled_and_the_quota_is_ten_thousand() {
        let ids: Vec<AccountId> = ["111111111111", "222222222222"].map(id).to_vec();
        let eligible: BTreeSet<&AccountId> = ids.iter().collect();
        let members =
            MemberListing::from_iter([(id("111111111111"), member(MemberStatus::Enabled))]);
        let origin = Origin::first(&[]);
        let added = Report::new(
            Subject::Account(id("222222222222")),
            Some(region("us-east-1")),
            Outcome::Added,
            &origin,
        );
        let coverage = measure_coverage(
            &eligible,
            &members,
            &[added],
            NOW,
            Some(Mode::Organizations),
        );
        assert_eq!(coverage.enabled, 2);
        assert_eq!(coverage.share_covered.as_f64(), 100.0);
        assert_eq!((coverage.quota_used, coverage.member_quota), (2, 10_000));
        assert_eq!(coverage.quota_used_share.as_f64(), 0.0);
    }

    /// Now, for the tests: 2026-12-06.
    const NOW: i64 = 1_796_530_000;

    #[test]
    fn planned_accounts_and_fresh_invitations_are_no_gap_and_old_invitations_are() {
        let ids: Vec<AccountId> = ["111111111111", "222222222222", "333333333333"]
            .into_iter()
            .chain(["444444444444"])
            .map(id)
            .collect();
        let eligible: BTreeSet<&AccountId> = ids.iter().collect();
        let invited = |days_ago: i64| Membership {
            invited_at: std::num::NonZeroI64::new(NOW - days_ago * 86_400),
            ..member(MemberStatus::Invited)
        };
        let members = MemberListing::from_iter([
            (id("111111111111"), member(MemberStatus::Enabled)),
            (id("222222222222"), invited(2)),
        ]);
        let origin = Origin::first(&[]);
        // BACKFILL off (or a dry run): two accounts only planned for.
        let planned = |account| {
            let outcome = Outcome::Planned {
                actions: vec!["associate", "invite"],
            };
            Report::new(
                Subject::Account(id(account)),
                Some(region("us-east-1")),
                outcome,
                &origin,
            )
        };
        let reports = [planned("333333333333"), planned("444444444444")];

        let coverage =
            measure_coverage(&eligible, &members, &reports, NOW, Some(Mode::Invitations));
        assert_eq!((coverage.planned, coverage.awaiting_acceptance), (2, 1));
        assert_eq!(coverage.uncovered, 0);
        assert_eq!(
            coverage.share_covered.as_f64(),
            100.0,
            "nothing for an operator to do"
        );
        // Ten days on, the invitation still waits: now it is a gap.
        let later = measure_coverage(
            &eligible,
            &members,
            &reports,
            NOW + 8 * 86_400,
            Some(Mode::Invitations),
        );
        assert_eq!(later.awaiting_acceptance, 0);
        assert_eq!(later.share_covered.as_f64(), 50.0);
    }

    #[test]
    fn nothing_to_cover_is_all_covered() {
        let coverage = measure_coverage(
            &BTreeSet::new(),
            &MemberListing::default(),
            &[],
            NOW,
            Some(Mode::Invitations),
        );
        assert_eq!(coverage.share_covered.as_f64(), 100.0);
    }
}
