//! How much of the organization Macie covers in one region, as the reconcile leaves it: measured
//! from the region's listing of members and what the run did there.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::domain::{AccountId, MemberStatus, Membership, Subject};
use crate::outcome::{Outcome, Report};

/// Macie's quota of members by invitation, per administrator and region (the Macie user guide,
/// "macie-quotas").
pub(crate) const MEMBER_QUOTA: usize = 1_000;

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

/// One region's coverage after the reconcile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// The organization's `ACTIVE` accounts, less those excluded and the administrator.
    pub eligible: usize,
    /// Eligible accounts that are `Enabled` members (or were accepted by this run).
    pub enabled: usize,
    /// Eligible accounts invited and not yet accepted (by this run or before).
    pub invited_not_accepted: usize,
    /// Eligible accounts with no membership at all, after this run.
    pub uncovered: usize,
    /// The first of them, by account ID.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncovered_accounts: Vec<AccountId>,
    /// `enabled` out of `eligible`, as a percentage.
    pub share_covered: Percent,
    /// The administrator's members in the region, in any status, which count against the quota
    /// of members by invitation.
    pub quota_used: usize,
    /// `quota_used` out of [`MEMBER_QUOTA`], as a percentage.
    pub quota_used_share: Percent,
}

/// The coverage of a region after a reconcile: `eligible` as screened, `members` as listed at the
/// start of the run, `reports` what the run did in the region.
pub(crate) fn measure_coverage(
    eligible: &BTreeSet<&AccountId>,
    members: &BTreeMap<AccountId, Membership>,
    reports: &[Report],
) -> Coverage {
    let mut now: BTreeMap<&AccountId, &Outcome> = BTreeMap::new();
    let mut removed = 0;
    for report in reports {
        match (&report.subject, &report.outcome) {
            (Subject::Account(id), Outcome::Invited | Outcome::Accepted) => {
                now.insert(id, &report.outcome);
            }
            (Subject::Departure(_), Outcome::Removed) => removed += 1,
            _ => {}
        }
    }
    let (mut enabled, mut invited, mut uncovered) = (0, 0, Vec::new());
    for id in eligible {
        let status = members.get(*id).map(|membership| &membership.status);
        match (now.get(id), status) {
            (Some(Outcome::Accepted), _) | (None, Some(MemberStatus::Enabled)) => enabled += 1,
            (Some(_), _)
            | (None, Some(MemberStatus::Invited | MemberStatus::EmailVerificationInProgress)) => {
                invited += 1
            }
            (None, None) => uncovered.push((*id).clone()),
            (None, Some(_)) => {}
        }
    }
    let associated_now = now.keys().filter(|id| !members.contains_key(**id)).count();
    let quota_used = (members.len() + associated_now).saturating_sub(removed);
    let count = uncovered.len();
    uncovered.truncate(UNCOVERED_LISTED);
    Coverage {
        eligible: eligible.len(),
        enabled,
        invited_not_accepted: invited,
        uncovered: count,
        uncovered_accounts: uncovered,
        share_covered: Percent::of(enabled, eligible.len()),
        quota_used,
        quota_used_share: Percent::of(quota_used, MEMBER_QUOTA),
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
        let members = BTreeMap::from([
            (id("111111111111"), member(MemberStatus::Enabled)),
            (id("222222222222"), member(MemberStatus::Invited)),
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

        let coverage = measure_coverage(&eligible, &members, &reports);

        assert_eq!(coverage.eligible, 6);
        assert_eq!(coverage.enabled, 2);
        assert_eq!(coverage.invited_not_accepted, 2);
        assert_eq!(coverage.uncovered, 1);
        assert_eq!(coverage.uncovered_accounts, [id("666666666666")]);
        assert_eq!(coverage.share_covered.as_f64(), 33.3);
        // Four listed, two associated by the run, one removed.
        assert_eq!(coverage.quota_used, 5);
        assert_eq!(coverage.quota_used_share.as_f64(), 0.5);
    }

    #[test]
    fn nothing_to_cover_is_all_covered() {
        let coverage = measure_coverage(&BTreeSet::new(), &BTreeMap::new(), &[]);
        assert_eq!(coverage.share_covered.as_f64(), 100.0);
    }
}
