//! Automated sensitive data discovery as policy: for each Enabled member of the organization in a
//! region, whether its discovery should be on or off, and which members cost more than the limit.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::{CostAction, DiscoveryPolicy};
use crate::domain::{AccountId, Discovery, Usd};
use crate::outcome::Outcome;

/// At most this many members over the cost limit are named per region; the tally counts them all.
const OVER_LIMIT_NAMED: usize = 100;

/// What is known of a region's members, for the policy.
pub(crate) struct DiscoveryFacts<'a> {
    /// The Enabled members that are accounts of the organization: the only ones the policy touches.
    pub members: &'a BTreeSet<AccountId>,
    /// The accounts anywhere under DISCOVERY_OFF_OU_IDS.
    pub under_off_units: &'a BTreeSet<AccountId>,
    /// Each member's discovery status, as ListAutomatedDiscoveryAccounts answers it.
    pub statuses: &'a BTreeMap<AccountId, Discovery>,
    /// Each member's month-to-date discovery cost, where it was read (a cost limit is set).
    pub costs: Option<&'a BTreeMap<AccountId, Usd>>,
}

/// One member whose discovery the policy changes, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DiscoveryChange {
    pub account_id: AccountId,
    pub status: Discovery,
    pub reason: String,
}

/// A member over the cost limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverLimit {
    pub account_id: AccountId,
    pub cost_usd: Usd,
}

/// What the policy calls for in a region: the changes, and what the costs say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DiscoveryPlan {
    pub changes: Vec<DiscoveryChange>,
    /// The members over DISCOVERY_COST_LIMIT_USD, costliest first (at most 100).
    pub over_limit: Vec<OverLimit>,
    /// How many members are over the limit.
    pub over_limit_count: usize,
    /// The members' month-to-date discovery cost, added; `None` where costs were not read.
    pub total: Option<Usd>,
    /// The costliest member's.
    pub largest: Option<Usd>,
}

/// A reconcile's findings of discovery in one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryTally {
    /// The administrator's own automated discovery: `ENABLED`, or `DISABLED` (then nothing is
    /// turned on or off, and `note` says so).
    pub administrator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// With DISCOVERY_COST_LIMIT_USD: the members' month-to-date discovery cost, added, and the
    /// costliest member's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<Usd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_cost_usd: Option<Usd>,
    /// How many members are over the limit, and the first 100 of them, costliest first.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub over_cost_limit: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub over_cost_limit_members: Vec<OverLimit>,
}

/// What the policy calls for: off for the accounts listed (by ID or under a listed unit), and,
/// with DISCOVERY_COST_ACTION=disable, for those whose month-to-date cost is over the limit; on
/// for every other member. A member's discovery is changed only where its status differs (or is
/// not known: setting it again is harmless).
pub(crate) fn judge_discovery(policy: &DiscoveryPolicy, facts: &DiscoveryFacts) -> DiscoveryPlan {
    let cost_of = |id: &AccountId| facts.costs.and_then(|costs| costs.get(id)).copied();
    let over = |id: &AccountId| {
        policy
            .cost_limit
            .zip(cost_of(id))
            .is_some_and(|(limit, cost)| cost > limit)
    };
    let mut plan = DiscoveryPlan::default();
    for id in facts.members {
        let (status, reason) = if policy.off_account_ids.contains(id) {
            (
                Discovery::Off,
                "listed in DISCOVERY_OFF_ACCOUNT_IDS".to_owned(),
            )
        } else if facts.under_off_units.contains(id) {
            (
                Discovery::Off,
                "under a unit of DISCOVERY_OFF_OU_IDS".to_owned(),
            )
        } else if over(id) && policy.cost_action == CostAction::Disable {
            let (cost, limit) = (
                cost_of(id).unwrap_or_default(),
                policy.cost_limit.unwrap_or_default(),
            );
            let reason = format!(
                "month-to-date automated-discovery cost {cost} is over DISCOVERY_COST_LIMIT_USD \
                 ({limit}), with DISCOVERY_COST_ACTION=disable: off until next month"
            );
            (Discovery::Off, reason)
        } else {
            let reason = "not listed in DISCOVERY_OFF_OU_IDS or DISCOVERY_OFF_ACCOUNT_IDS";
            (Discovery::On, reason.to_owned())
        };
        if facts.statuses.get(id) != Some(&status) {
            plan.changes.push(DiscoveryChange {
                account_id: id.clone(),
                status,
                reason,
            });
        }
    }
    if let Some(costs) = facts.costs {
        tally_costs(&mut plan, facts.members, costs, &over);
    }
    plan
}

/// The members' costs into `plan`: their total, the largest, and those `over` the limit, costliest
/// first.
fn tally_costs(
    plan: &mut DiscoveryPlan,
    members: &BTreeSet<AccountId>,
    costs: &BTreeMap<AccountId, Usd>,
    over: &dyn Fn(&AccountId) -> bool,
) {
    let member_costs: Vec<(&AccountId, Usd)> = members
        .iter()
        .map(|id| (id, costs.get(id).copied().unwrap_or_default()))
        .collect();
    plan.total = Some(
        member_costs
            .iter()
            .map(|(_, cost)| *cost)
            .fold(Usd::default(), Usd::plus),
    );
    plan.largest = Some(
        member_costs
            .iter()
            .map(|(_, cost)| *cost)
            .max()
            .unwrap_or_default(),
    );
    let mut over_limit: Vec<OverLimit> = member_costs
        .into_iter()
        .filter(|(id, _)| over(id))
        .map(|(id, cost)| OverLimit {
            account_id: id.clone(),
            cost_usd: cost,
        })
        .collect();
    over_limit.sort_by_key(|over| std::cmp::Reverse(over.cost_usd));
    plan.over_limit_count = over_limit.len();
    over_limit.truncate(OVER_LIMIT_NAMED);
    plan.over_limit = over_limit;
}

/// The outcome of a member whose discovery Macie would not change (BatchUpdateAutomatedDiscoveryAccounts'
/// `errors`): settled, with what the code means, never retried forever; the next reconcile applies
/// the policy again.
pub(crate) fn judge_discovery_refusal(code: &str) -> Outcome {
    let meaning = match code {
        "ACCOUNT_PAUSED" => {
            "Macie is suspended (paused) in the member account; the next reconcile applies the \
             policy once it is resumed"
        }
        "ACCOUNT_NOT_FOUND" => {
            "Macie does not find the account among this administrator's members; the next \
             reconcile applies the policy if it is one again"
        }
        _ => "Macie gave a reason this function does not know; the next reconcile tries again",
    };
    Outcome::skipped(format!(
        "automated discovery not changed: {code}: {meaning}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::account_id as id;

    fn usd(amount: &str) -> Usd {
        Usd::parse(amount).unwrap()
    }

    #[test]
    fn listed_members_go_off_others_on_and_only_what_differs_changes() {
        let policy = DiscoveryPolicy {
            off_account_ids: BTreeSet::from([id("111111111111")]),
            ..DiscoveryPolicy::default()
        };
        let members = BTreeSet::from([
            id("111111111111"),
            id("222222222222"),
            id("333333333333"),
            id("444444444444"),
        ]);
        let under_off_units = BTreeSet::from([id("222222222222")]);
        let statuses = BTreeMap::from([
            (id("111111111111"), Discovery::On),
            (id("222222222222"), Discovery::Off),
            (id("333333333333"), Discovery::Off),
            (id("444444444444"), Discovery::On),
        ]);
        let facts = DiscoveryFacts {
            members: &members,
            under_off_units: &under_off_units,
            statuses: &statuses,
            costs: None,
        };
        let plan = judge_discovery(&policy, &facts);
        let changes: Vec<(&str, Discovery)> = plan
            .changes
            .iter()
            .map(|change| (change.account_id.as_str(), change.status))
            .collect();
        assert_eq!(
            changes,
            [
                ("111111111111", Discovery::Off),
                ("333333333333", Discovery::On)
            ]
        );
        assert_eq!(plan.total, None);
    }

    #[test]
    fn the_cost_limit_names_members_over_it_and_disable_turns_them_off() {
        let members = BTreeSet::from([id("111111111111"), id("222222222222")]);
        let statuses = BTreeMap::from([
            (id("111111111111"), Discovery::On),
            (id("222222222222"), Discovery::On),
        ]);
        let costs = BTreeMap::from([
            (id("111111111111"), usd("30.10")),
            (id("222222222222"), usd("2")),
            // Not a member of the organization: counted nowhere.
            (id("999999999999"), usd("500")),
        ]);
        let none = BTreeSet::new();
        let facts = DiscoveryFacts {
            members: &members,
            under_off_units: &none,
            statuses: &statuses,
            costs: Some(&costs),
        };
        let report = DiscoveryPolicy {
            cost_limit: Some(usd("25")),
            ..DiscoveryPolicy::default()
        };
        let plan = judge_discovery(&report, &facts);
        assert!(plan.changes.is_empty());
        assert_eq!(
            plan.over_limit,
            [OverLimit {
                account_id: id("111111111111"),
                cost_usd: usd("30.10")
            }]
        );
        assert_eq!(plan.total, Some(usd("32.10")));
        assert_eq!(plan.largest, Some(usd("30.10")));

        let disable = DiscoveryPolicy {
            cost_action: CostAction::Disable,
            ..report
        };
        let plan = judge_discovery(&disable, &facts);
        assert_eq!(plan.changes.len(), 1);
        assert_eq!(plan.changes[0].status, Discovery::Off);
        assert!(
            plan.changes[0].reason.contains("30.10 USD"),
            "{}",
            plan.changes[0].reason
        );
    }

    #[test]
    fn a_refusal_is_settled_with_what_its_code_means() {
        for code in ["ACCOUNT_PAUSED", "ACCOUNT_NOT_FOUND", "SOMETHING_NEW"] {
            let outcome = judge_discovery_refusal(code);
            assert!(outcome.row().settled, "{code}");
            assert!(outcome.detail().unwrap().contains(code));
        }
    }
}
