//! Automated sensitive data discovery as policy: for each Enabled member of the organization in a
//! region, whether its discovery goes off, comes back on, or is left as the administrator set it;
//! and, over every region, which members cost more than the limit in the month.
//!
//! Discovery is turned on only where someone asked for it (Macie API reference,
//! GetAutomatedDiscoveryConfiguration: `NEW` or `NONE` "if you want to selectively enable automated
//! sensitive data discovery for only particular member accounts"): this function turned it off
//! itself and nothing keeps it off now, Macie's own `autoEnableOrganizationMembers` is `ALL`, or
//! DISCOVERY_OTHERS is `on`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::{CostAction, DiscoveryPolicy, Others};
use crate::domain::{
    AccountId, AutoEnable, Decided, Discovery, DiscoveryConfiguration, DiscoveryMark, OffReason,
    Region, Usd,
};
use crate::outcome::Outcome;

/// At most this many members over the cost limit are named; the answer counts them all.
const OVER_LIMIT_NAMED: usize = 100;

/// The Enabled members that are accounts of the organization (the only ones the policy touches),
/// with what their tags say of their discovery.
pub(crate) type Marks = BTreeMap<AccountId, DiscoveryMark>;

/// What is known of a region's members, for the policy.
pub(crate) struct DiscoveryFacts<'a> {
    /// The accounts anywhere under DISCOVERY_OFF_OU_IDS.
    pub under_off_units: &'a BTreeSet<AccountId>,
    /// Each member's discovery status, as ListAutomatedDiscoveryAccounts answers it.
    pub statuses: &'a BTreeMap<AccountId, Discovery>,
    /// The members over DISCOVERY_COST_LIMIT_USD this month, all regions summed, where a reconcile
    /// read the costs (`None`: not read, and a member turned off for its cost stays off).
    pub over_limit: Option<&'a BTreeSet<AccountId>>,
    /// Whom Macie enables discovery for by itself in the region.
    pub auto_enable: &'a AutoEnable,
    /// Decisions made earlier and carried by a retry: made again as they were.
    pub decided: &'a BTreeMap<AccountId, Decided>,
}

/// The accounts under DISCOVERY_OFF_OU_IDS, as walked; and the units that could not be walked,
/// each named with what to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct UnitsWalked {
    pub accounts: BTreeSet<AccountId>,
    pub unread: Vec<String>,
}

/// One member whose discovery the policy changes, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DiscoveryChange {
    pub account_id: AccountId,
    pub decided: Decided,
    pub reason: String,
    /// Its tag says this function turned it off (or may: unread), so turning it on removes the tag.
    pub untag: bool,
    /// The status is to be set (else it is set already, and only the tag is left to write).
    pub set: bool,
}

/// What the policy calls for in a region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DiscoveryPlan {
    pub changes: Vec<DiscoveryChange>,
    /// Members whose discovery is off and stays so, as the administrator set it, and why.
    pub left_off: usize,
    pub left_off_note: Option<String>,
}

/// Whether a member whose discovery is off must have its tag read before the policy can decide:
/// nothing keeps it off, nothing turns every such member on (or costs were not read, and the tag
/// alone tells a member off for its cost), and its tag was not in the listing.
pub(crate) fn needs_mark(
    policy: &DiscoveryPolicy,
    facts: &DiscoveryFacts,
    members: &Marks,
    id: &AccountId,
) -> bool {
    let mark = members.get(id).copied().unwrap_or(DiscoveryMark::Unread);
    // Where costs were not read, a member off for its cost is known by its tag alone.
    let cost_unknown = facts.over_limit.is_none() && policy.cost_action == CostAction::Disable;
    facts.statuses.get(id) == Some(&Discovery::Off)
        && mark == DiscoveryMark::Unread
        && wanted_off(policy, facts, id, mark).is_none()
        && (asked_on(policy, facts.auto_enable).is_none() || cost_unknown)
        && !facts.decided.contains_key(id)
}

/// Why every member that nothing keeps off gets discovery, where something says so.
fn asked_on(policy: &DiscoveryPolicy, auto_enable: &AutoEnable) -> Option<&'static str> {
    match (policy.others, auto_enable) {
        (Others::On, _) => Some("DISCOVERY_OTHERS is on"),
        (_, AutoEnable::All) => Some("Macie's autoEnableOrganizationMembers is ALL here"),
        _ => None,
    }
}

/// Why the member's discovery must be off, if it must: listed, under a listed unit, or over the
/// cost limit with `disable` (and, where costs were not read, turned off for its cost already).
fn wanted_off(
    policy: &DiscoveryPolicy,
    facts: &DiscoveryFacts,
    id: &AccountId,
    mark: DiscoveryMark,
) -> Option<OffReason> {
    let over = match facts.over_limit {
        Some(over) => over.contains(id),
        None => mark == DiscoveryMark::Ours(OffReason::Cost),
    };
    if policy.off_account_ids.contains(id) {
        Some(OffReason::Account)
    } else if facts.under_off_units.contains(id) {
        Some(OffReason::Unit)
    } else if over && policy.cost_action == CostAction::Disable {
        Some(OffReason::Cost)
    } else {
        None
    }
}

/// What an off reason says in the answer.
fn say_off(reason: OffReason) -> &'static str {
    match reason {
        OffReason::Account => "listed in DISCOVERY_OFF_ACCOUNT_IDS",
        OffReason::Unit => "under a unit of DISCOVERY_OFF_OU_IDS",
        OffReason::Cost => {
            "this month's automated-discovery cost, all regions summed, is over \
             DISCOVERY_COST_LIMIT_USD, with DISCOVERY_COST_ACTION=disable: off until a reconcile \
             finds it under the limit"
        }
    }
}

/// What the policy calls for: off where it must be; on again only where this function turned it
/// off and nothing keeps it off now, or where something asks for it (`ALL`, DISCOVERY_OTHERS=on);
/// everything else as it is. A decision carried by a retry is made again as it was.
pub(crate) fn judge_discovery(
    policy: &DiscoveryPolicy,
    facts: &DiscoveryFacts,
    members: &Marks,
) -> DiscoveryPlan {
    let mut plan = DiscoveryPlan::default();
    let mut unread = 0;
    for (id, mark) in members {
        let status = facts.statuses.get(id).copied();
        let untag = *mark != DiscoveryMark::NotOurs;
        let change = |decided: Decided, reason: String| DiscoveryChange {
            account_id: id.clone(),
            decided,
            reason,
            untag,
            set: true,
        };
        if let Some(decided) = facts.decided.get(id) {
            plan.changes.extend(judge_decided(
                change(*decided, String::new()),
                *mark,
                status,
            ));
            continue;
        }
        match (wanted_off(policy, facts, id, *mark), status) {
            (Some(reason), Some(Discovery::On) | None) => plan.changes.push(change(
                Decided {
                    status: Discovery::Off,
                    reason: Some(reason),
                },
                say_off(reason).to_owned(),
            )),
            (None, Some(Discovery::Off)) => {
                let on = Decided {
                    status: Discovery::On,
                    reason: None,
                };
                match (asked_on(policy, facts.auto_enable), mark) {
                    (Some(why), _) => plan.changes.push(change(on, why.to_owned())),
                    (None, DiscoveryMark::Ours(reason)) => plan.changes.push(change(
                        on,
                        format!(
                            "this function turned it off ({}); nothing keeps it off now",
                            reason.name()
                        ),
                    )),
                    (None, DiscoveryMark::Unread) => unread += 1,
                    (None, DiscoveryMark::NotOurs) => plan.left_off += 1,
                }
            }
            _ => {}
        }
    }
    plan.left_off_note = say_left_off(facts.auto_enable, plan.left_off, unread);
    plan.left_off += unread;
    plan
}

/// A decision carried by a retry, as `change`: made again where the status, or the tag, is not as
/// decided yet.
fn judge_decided(
    change: DiscoveryChange,
    mark: DiscoveryMark,
    status: Option<Discovery>,
) -> Option<DiscoveryChange> {
    let decided = change.decided;
    let tagged = match decided.reason {
        Some(reason) => mark == DiscoveryMark::Ours(reason),
        None => !change.untag,
    };
    let set = status != Some(decided.status);
    let reason = decided
        .reason
        .map_or("the decision of an earlier attempt", say_off);
    (set || !tagged).then(|| DiscoveryChange {
        set,
        reason: reason.to_owned(),
        ..change
    })
}

/// Why the members left off were left so.
fn say_left_off(auto_enable: &AutoEnable, left: usize, unread: usize) -> Option<String> {
    let mut notes = Vec::new();
    if left > 0 {
        notes.push(format!(
            "{left} left off as the administrator set it: Macie's autoEnableOrganizationMembers is \
             {} here and DISCOVERY_OTHERS is keep, and this function did not turn them off",
            auto_enable.name()
        ));
    }
    if unread > 0 {
        notes.push(format!(
            "{unread} left off: their tags could not be read, so whether this function turned them \
             off is unknown; the next reconcile tries again"
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// A member over the cost limit this month: its total over MACIE_REGIONS, and its cost in each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverLimit {
    pub account_id: AccountId,
    pub cost_usd: Usd,
    pub regions: BTreeMap<Region, Usd>,
}

/// The month's automated-discovery costs over every region: what DISCOVERY_COST_LIMIT_USD is
/// compared with, per member and per calendar month, all regions summed (Macie's estimates "apply
/// only to the current AWS Region": Macie user guide, "Reviewing estimated usage costs").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    pub limit_usd: Usd,
    /// Every member's cost, added.
    pub cost_usd: Usd,
    /// The costliest member's total.
    pub largest_cost_usd: Usd,
    /// How many members are over the limit, and the first 100 of them, costliest first.
    pub over_cost_limit: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub over_cost_limit_members: Vec<OverLimit>,
    /// The regions whose costs could not be read: their members' totals leave them out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread_regions: Vec<Region>,
}

impl DiscoveryTally {
    /// A region's tally, from the administrator's configuration there.
    pub(crate) fn of(configuration: &DiscoveryConfiguration) -> Self {
        DiscoveryTally {
            administrator: configuration.status.name(),
            auto_enable_organization_members: Some(configuration.auto_enable.name().to_owned()),
            note: None,
            cost_usd: None,
            largest_cost_usd: None,
            left_off: 0,
            left_off_note: None,
            units_not_read: Vec::new(),
        }
    }
}

impl CostReport {
    /// The members over the limit, every one of them (the report names the first 100).
    pub(crate) fn over(&self, all: &BTreeMap<AccountId, Usd>) -> BTreeSet<AccountId> {
        all.iter()
            .filter(|(_, total)| **total > self.limit_usd)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Each member's total over the regions, and the report of them against `limit`: only the
/// organization's `members` count.
pub(crate) fn judge_costs(
    limit: Usd,
    by_region: &BTreeMap<Region, BTreeMap<AccountId, Usd>>,
    members: &BTreeSet<AccountId>,
) -> (BTreeMap<AccountId, Usd>, CostReport) {
    let mut totals: BTreeMap<AccountId, Usd> = BTreeMap::new();
    for costs in by_region.values() {
        for (id, cost) in costs.iter().filter(|(id, _)| members.contains(*id)) {
            let total = totals.entry(id.clone()).or_default();
            *total = total.plus(*cost);
        }
    }
    let mut over: Vec<OverLimit> = totals
        .iter()
        .filter(|(_, total)| **total > limit)
        .map(|(id, total)| OverLimit {
            account_id: id.clone(),
            cost_usd: *total,
            regions: by_region
                .iter()
                .filter_map(|(region, costs)| Some((region.clone(), *costs.get(id)?)))
                .collect(),
        })
        .collect();
    over.sort_by_key(|over| std::cmp::Reverse(over.cost_usd));
    let report = CostReport {
        limit_usd: limit,
        cost_usd: totals.values().copied().fold(Usd::default(), Usd::plus),
        largest_cost_usd: totals.values().copied().max().unwrap_or_default(),
        over_cost_limit: over.len(),
        over_cost_limit_members: over.into_iter().take(OVER_LIMIT_NAMED).collect(),
        unread_regions: Vec::new(),
    };
    (totals, report)
}

/// A reconcile's findings of discovery in one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryTally {
    /// The administrator's own automated discovery: `ENABLED`, or `DISABLED` (then nothing is
    /// turned on or off, and `note` says so).
    pub administrator: &'static str,
    /// Macie's own `autoEnableOrganizationMembers` here: `ALL`, `NEW` or `NONE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_enable_organization_members: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// With DISCOVERY_COST_LIMIT_USD: the members' cost in this region this month, added, and the
    /// costliest member's here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<Usd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_cost_usd: Option<Usd>,
    /// Members whose discovery is off and was left so, and why.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub left_off: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_off_note: Option<String>,
    /// Units of DISCOVERY_OFF_OU_IDS that could not be walked (gone, or refused), each with what to
    /// do; the rest of the policy was applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units_not_read: Vec<String>,
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
    use crate::domain::fixtures::{account_id as id, region};

    fn usd(amount: &str) -> Usd {
        Usd::parse(amount).unwrap()
    }

    /// The plan's changes, as (account, status).
    fn changes(plan: &DiscoveryPlan) -> Vec<(&str, Discovery)> {
        plan.changes
            .iter()
            .map(|change| (change.account_id.as_str(), change.decided.status))
            .collect()
    }

    struct Case {
        members: BTreeMap<AccountId, DiscoveryMark>,
        statuses: BTreeMap<AccountId, Discovery>,
        units: BTreeSet<AccountId>,
        decided: BTreeMap<AccountId, Decided>,
    }

    impl Case {
        /// Four members: 1 listed (on), 2 under a unit (off), 3 off by the administrator's hand,
        /// 4 off by this function's hand (for a unit it has left).
        fn new() -> Self {
            use DiscoveryMark::{NotOurs, Ours};
            Case {
                members: BTreeMap::from([
                    (id("111111111111"), NotOurs),
                    (id("222222222222"), NotOurs),
                    (id("333333333333"), NotOurs),
                    (id("444444444444"), Ours(OffReason::Unit)),
                ]),
                statuses: BTreeMap::from([
                    (id("111111111111"), Discovery::On),
                    (id("222222222222"), Discovery::Off),
                    (id("333333333333"), Discovery::Off),
                    (id("444444444444"), Discovery::Off),
                ]),
                units: BTreeSet::from([id("222222222222")]),
                decided: BTreeMap::new(),
            }
        }

        fn facts<'a>(
            &'a self,
            auto_enable: &'a AutoEnable,
            over: Option<&'a BTreeSet<AccountId>>,
        ) -> DiscoveryFacts<'a> {
            DiscoveryFacts {
                under_off_units: &self.units,
                statuses: &self.statuses,
                over_limit: over,
                auto_enable,
                decided: &self.decided,
            }
        }
    }

    fn listing() -> DiscoveryPolicy {
        DiscoveryPolicy {
            off_account_ids: BTreeSet::from([id("111111111111")]),
            ..DiscoveryPolicy::default()
        }
    }

    #[test]
    fn with_none_only_what_is_listed_goes_off_and_only_what_it_turned_off_comes_back() {
        let case = Case::new();
        let plan = judge_discovery(
            &listing(),
            &case.facts(&AutoEnable::None, None),
            &case.members,
        );
        assert_eq!(
            changes(&plan),
            [
                ("111111111111", Discovery::Off),
                ("444444444444", Discovery::On)
            ]
        );
        assert_eq!(plan.changes[0].decided.reason, Some(OffReason::Account));
        assert!(plan.changes[1].untag);
        assert_eq!(plan.left_off, 1, "the administrator's own choice is kept");
        assert!(plan.left_off_note.unwrap().contains("NONE"));
    }

    #[test]
    fn with_all_or_others_on_every_member_nothing_keeps_off_comes_on() {
        let case = Case::new();
        let others_on = DiscoveryPolicy {
            others: Others::On,
            ..listing()
        };
        for (policy, auto_enable) in [(listing(), AutoEnable::All), (others_on, AutoEnable::None)] {
            let plan = judge_discovery(&policy, &case.facts(&auto_enable, None), &case.members);
            assert_eq!(
                changes(&plan),
                [
                    ("111111111111", Discovery::Off),
                    ("333333333333", Discovery::On),
                    ("444444444444", Discovery::On)
                ]
            );
            assert_eq!(plan.left_off, 0);
        }
    }

    #[test]
    fn a_cost_limit_alone_turns_nothing_on() {
        let mut case = Case::new();
        case.members
            .insert(id("444444444444"), DiscoveryMark::NotOurs);
        let report = DiscoveryPolicy {
            cost_limit: Some(usd("25")),
            ..DiscoveryPolicy::default()
        };
        let over = BTreeSet::from([id("111111111111")]);
        let plan = judge_discovery(
            &report,
            &case.facts(&AutoEnable::New, Some(&over)),
            &case.members,
        );
        assert_eq!(changes(&plan), []);
        assert_eq!(
            plan.left_off, 2,
            "333 and 444, off as the administrator set them"
        );
    }

    #[test]
    fn a_member_off_for_its_cost_stays_off_until_costs_are_read_and_under_the_limit() {
        let mut case = Case::new();
        case.members
            .insert(id("444444444444"), DiscoveryMark::Ours(OffReason::Cost));
        let disable = DiscoveryPolicy {
            cost_limit: Some(usd("25")),
            cost_action: CostAction::Disable,
            ..DiscoveryPolicy::default()
        };
        // An event (no costs read), even with ALL: kept off.
        let plan = judge_discovery(&disable, &case.facts(&AutoEnable::All, None), &case.members);
        assert!(!changes(&plan).contains(&("444444444444", Discovery::On)));
        // A reconcile that read this month's costs and finds it under the limit: back on.
        let under = BTreeSet::new();
        let plan = judge_discovery(
            &disable,
            &case.facts(&AutoEnable::None, Some(&under)),
            &case.members,
        );
        assert_eq!(changes(&plan), [("444444444444", Discovery::On)]);
        // Over the limit: off where it was on.
        let over = BTreeSet::from([id("111111111111")]);
        let plan = judge_discovery(
            &disable,
            &case.facts(&AutoEnable::None, Some(&over)),
            &case.members,
        );
        assert_eq!(changes(&plan)[0], ("111111111111", Discovery::Off));
        assert_eq!(plan.changes[0].decided.reason, Some(OffReason::Cost));
    }

    #[test]
    fn a_decision_carried_by_a_retry_is_made_again_as_it_was() {
        let mut case = Case::new();
        let off_for_cost = Decided {
            status: Discovery::Off,
            reason: Some(OffReason::Cost),
        };
        case.decided.insert(id("111111111111"), off_for_cost);
        let facts = case.facts(&AutoEnable::All, None);
        let plan = judge_discovery(&DiscoveryPolicy::default(), &facts, &case.members);
        assert_eq!(plan.changes[0].decided, off_for_cost);
    }

    #[test]
    fn an_unread_tag_is_read_only_where_the_decision_hangs_on_it() {
        let mut case = Case::new();
        case.members
            .insert(id("333333333333"), DiscoveryMark::Unread);
        let policy = listing();
        let facts = case.facts(&AutoEnable::None, None);
        let members = &case.members;
        assert!(needs_mark(&policy, &facts, members, &id("333333333333")));
        assert!(!needs_mark(&policy, &facts, members, &id("111111111111")));
        let all = case.facts(&AutoEnable::All, None);
        assert!(!needs_mark(&policy, &all, members, &id("333333333333")));
        let plan = judge_discovery(&policy, &facts, members);
        assert!(plan.left_off_note.unwrap().contains("could not be read"));
    }

    #[test]
    fn costs_are_summed_over_the_regions_per_member() {
        let by_region = BTreeMap::from([
            (
                region("us-east-1"),
                BTreeMap::from([
                    (id("111111111111"), usd("20")),
                    (id("999999999999"), usd("500")),
                ]),
            ),
            (
                region("eu-west-1"),
                BTreeMap::from([
                    (id("111111111111"), usd("20")),
                    (id("222222222222"), usd("3")),
                ]),
            ),
        ]);
        let members = BTreeSet::from([id("111111111111"), id("222222222222")]);
        let (totals, report) = judge_costs(usd("25"), &by_region, &members);
        assert_eq!(report.over_cost_limit, 1);
        let over = &report.over_cost_limit_members[0];
        assert_eq!(
            (over.account_id.as_str(), over.cost_usd),
            ("111111111111", usd("40"))
        );
        assert_eq!(over.regions.len(), 2);
        assert_eq!(report.cost_usd, usd("43"), "a non-member counts nowhere");
        assert_eq!(report.over(&totals), BTreeSet::from([id("111111111111")]));
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
