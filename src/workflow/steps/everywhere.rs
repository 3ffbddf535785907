//! The discovery policy over a reconcile's regions: each region's Enabled members, every region's
//! month-to-date costs read first and summed per member, then the policy applied in each region.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use crate::domain::{AccountId, DiscoveryMark, Membership, Origin, Region, Subject, Usd};
use crate::outcome::{Report, Run};
use crate::policy::discovery::{CostReport, DiscoveryTally, judge_costs};
use crate::policy::failure;
use crate::workflow::scope::Scope;
use crate::workflow::steps::discovery::{Member, Members, apply_discovery};

/// A region's Enabled members that are accounts of the organization (`enabled`), with their ARNs
/// and discovery tags as listed, where a discovery policy is set (else `None`: no discovery work
/// there).
pub(crate) fn find_enabled_members(
    scope: Scope<'_>,
    enabled: &[(&AccountId, &Membership)],
) -> Option<BTreeMap<AccountId, Member>> {
    if !scope.app.config.discovery.is_set() {
        return None;
    }
    let member = |membership: &Membership| Member {
        arn: membership.arn.clone(),
        mark: membership.discovery_mark,
    };
    let found = enabled.iter().map(|(id, m)| ((*id).clone(), member(m)));
    Some(found.collect())
}

/// What the policy found and did over a reconcile's regions.
pub(crate) struct Everywhere {
    /// Each region's findings, for its tally.
    pub tallies: Vec<Option<DiscoveryTally>>,
    /// With a cost limit: the month's costs over every region.
    pub costs: Option<CostReport>,
}

/// The discovery policy, applied in each region to its Enabled members, those that the run
/// accepted or added included. With a cost limit, every region's costs are read first, and each
/// member's total over the regions is what the limit is compared with. A read that fails leaves
/// the region's reconcile to go on later, as one work item.
pub(crate) async fn apply_discovery_everywhere(
    scope: Scope<'_>,
    regions: &[Region],
    enabled: Vec<Option<BTreeMap<AccountId, Member>>>,
    run: &mut Run,
    origin: &Origin,
) -> Everywhere {
    let members: Vec<Option<BTreeMap<AccountId, Member>>> = regions
        .iter()
        .zip(enabled)
        .map(|(region, enabled)| Some(add_enabled_now(enabled?, region, &run.reports)))
        .collect();
    let costs = read_costs(scope, regions, &members, run, origin).await;
    let over_limit = costs.as_ref().and_then(|costs| costs.over.clone());
    let applied = join_all(regions.iter().zip(members).map(|(region, members)| {
        let over_limit = over_limit.clone();
        async move {
            let members = Members {
                members: members?,
                whole: true,
                over_limit,
                decided: BTreeMap::new(),
            };
            let report =
                |id: &AccountId, outcome| Report::account(id, Some(region), outcome, origin);
            let applied = apply_discovery(scope, region, members, report).await;
            Some(applied.map_err(|outcome| {
                Report::new(Subject::Reconcile, Some(region.clone()), outcome, origin)
            }))
        }
    }))
    .await;
    let mut tallies = Vec::new();
    for (region, applied) in regions.iter().zip(applied) {
        tallies.push(match applied {
            Some(Ok(Some(mut done))) => {
                run.reports.extend(done.reports);
                if let Some(costs) = &costs {
                    (done.tally.cost_usd, done.tally.largest_cost_usd) = costs.of_region(region);
                }
                Some(done.tally)
            }
            Some(Err(report)) => {
                run.reports.push(report);
                None
            }
            Some(Ok(None)) | None => None,
        });
    }
    Everywhere {
        tallies,
        costs: costs.map(|costs| costs.report),
    }
}

/// The region's listed Enabled members, and those the run made Enabled (new members: no tag yet).
fn add_enabled_now(
    mut members: BTreeMap<AccountId, Member>,
    region: &Region,
    reports: &[Report],
) -> BTreeMap<AccountId, Member> {
    let now = reports
        .iter()
        .filter(|report| report.region.as_ref() == Some(region))
        .filter(|report| report.outcome.row().enabled);
    for report in now {
        if let Subject::Account(id) = &report.subject {
            let new = Member {
                arn: None,
                mark: DiscoveryMark::NotOurs,
            };
            members.entry(id.clone()).or_insert(new);
        }
    }
    members
}

/// The month's costs, read in every region with members.
struct Costs {
    report: CostReport,
    /// Each region's costs of the organization's members.
    by_region: BTreeMap<Region, BTreeMap<AccountId, Usd>>,
    /// The members over the limit; `None` where a region's costs could not be read, and then no
    /// member is turned off or on for its cost.
    over: Option<BTreeSet<AccountId>>,
}

impl Costs {
    /// The region's cost of the members, added, and its costliest member's.
    fn of_region(&self, region: &Region) -> (Option<Usd>, Option<Usd>) {
        let Some(costs) = self.by_region.get(region) else {
            return (None, None);
        };
        let total = costs.values().copied().fold(Usd::default(), Usd::plus);
        (
            Some(total),
            Some(costs.values().copied().max().unwrap_or_default()),
        )
    }
}

/// With DISCOVERY_COST_LIMIT_USD, each region's month-to-date costs (GetUsageStatistics), and each
/// member's total over the regions against the limit; a region that cannot be read is reported
/// on its reconcile, to be tried again.
async fn read_costs(
    scope: Scope<'_>,
    regions: &[Region],
    members: &[Option<BTreeMap<AccountId, Member>>],
    run: &mut Run,
    origin: &Origin,
) -> Option<Costs> {
    let limit = scope.app.config.discovery.cost_limit?;
    let wanted: Vec<&Region> = regions
        .iter()
        .zip(members)
        .filter(|(_, members)| members.is_some())
        .map(|(region, _)| region)
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let all: BTreeSet<AccountId> = members
        .iter()
        .flatten()
        .flat_map(|m| m.keys().cloned())
        .collect();
    let macie = &scope.app.macie;
    let read = join_all(wanted.iter().map(|region| macie.discovery_costs(region))).await;
    let mut by_region = BTreeMap::new();
    let mut unread = Vec::new();
    for (region, costs) in wanted.into_iter().zip(read) {
        match costs {
            Ok(costs) => {
                let costs = costs.into_iter().filter(|(id, _)| all.contains(id));
                by_region.insert(region.clone(), costs.collect());
            }
            Err(error) => {
                let outcome = failure::outcome_in(&error, region);
                let report = Report::new(Subject::Reconcile, Some(region.clone()), outcome, origin);
                run.reports.push(report);
                unread.push(region.clone());
            }
        }
    }
    let (totals, mut report) = judge_costs(limit, &by_region, &all);
    let over = unread.is_empty().then(|| report.over(&totals));
    report.unread_regions = unread;
    Some(Costs {
        report,
        by_region,
        over,
    })
}
