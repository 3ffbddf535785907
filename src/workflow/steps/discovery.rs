//! Automated sensitive data discovery as policy, in one region: the administrator's own status,
//! the members' statuses (and, with a cost limit, their month-to-date costs), then the changes the
//! policy calls for, in batches; under DRY_RUN, the plan. Never the organization-wide setting.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::macie::DISCOVERY_ACCOUNTS_PER_ASK;
use crate::domain::{AccountId, Discovery, Region};
use crate::error::Error;
use crate::outcome::{Outcome, Report};
use crate::policy::discovery::{
    DiscoveryChange, DiscoveryFacts, DiscoveryPlan, DiscoveryTally, judge_discovery,
    judge_discovery_refusal,
};
use crate::policy::failure;
use crate::workflow::scope::Scope;
use futures_util::future::join_all;

/// BatchUpdateAutomatedDiscoveryAccounts is sent at most this many changes a call: the model
/// names no maximum, and 50 is what ListAutomatedDiscoveryAccounts takes at once.
const CHANGES_PER_CALL: usize = 50;

/// What applying the policy in a region did.
pub(crate) struct DiscoveryDone {
    /// A report per member changed (or planned to be), or refused.
    pub reports: Vec<Report>,
    pub tally: DiscoveryTally,
}

/// Which members, and how much to read.
pub(crate) enum Members {
    /// The region's every Enabled member of the organization (a reconcile): every status listed,
    /// and the costs read where a cost limit is set.
    Whole(BTreeSet<AccountId>),
    /// Just these, which an event made (or found) Enabled: their statuses asked by ID, no costs.
    Named(BTreeSet<AccountId>),
}

/// Applies DISCOVERY_OFF_OU_IDS, DISCOVERY_OFF_ACCOUNT_IDS and the cost limit to `members` in
/// `region`, each report made with `origin`'s work. `Ok(None)`: no policy is set, or no member to
/// apply it to, and no call was made.
///
/// # Errors
/// The outcome of a read that failed (the administrator's status, the members' statuses or costs,
/// the units' accounts), for the caller to report on the subject it retries.
pub(crate) async fn apply_discovery(
    scope: Scope<'_>,
    region: &Region,
    members: Members,
    report: impl Fn(&AccountId, Outcome) -> Report,
) -> Result<Option<DiscoveryDone>, Outcome> {
    let (app, policy) = (scope.app, &scope.app.config.discovery);
    let (ids, whole) = match members {
        Members::Whole(ids) => (ids, true),
        Members::Named(ids) => (ids, false),
    };
    if !policy.is_set() || ids.is_empty() {
        return Ok(None);
    }
    let read = |error: Error| failure::outcome_in(&error, region);
    let administrator = app
        .macie
        .administrator_discovery(region)
        .await
        .map_err(read)?;
    let mut tally = DiscoveryTally {
        administrator: administrator.name(),
        note: None,
        cost_usd: None,
        largest_cost_usd: None,
        over_cost_limit: 0,
        over_cost_limit_members: Vec::new(),
    };
    if administrator == Discovery::Off {
        tally.note = Some(
            "the administrator's own automated discovery is off here, so it is off for every \
             member: nothing is turned on or off",
        );
        return Ok(Some(DiscoveryDone {
            reports: Vec::new(),
            tally,
        }));
    }
    let under_off_units = scope.accounts_under_off_units().await?;
    let statuses = read_statuses(scope, region, &ids, whole)
        .await
        .map_err(read)?;
    let costs = match (whole, policy.cost_limit) {
        (true, Some(_)) => Some(app.macie.discovery_costs(region).await.map_err(read)?),
        _ => None,
    };
    let facts = DiscoveryFacts {
        members: &ids,
        under_off_units: &under_off_units,
        statuses: &statuses,
        costs: costs.as_ref(),
    };
    let plan = judge_discovery(policy, &facts);
    tally.cost_usd = plan.total;
    tally.largest_cost_usd = plan.largest;
    tally.over_cost_limit = plan.over_limit_count;
    tally.over_cost_limit_members = plan.over_limit.clone();
    let reports = change_discovery(scope, region, plan, &report).await;
    Ok(Some(DiscoveryDone { reports, tally }))
}

/// The members' statuses: the region's whole listing (a page per 25), or asked by ID (50 a call).
async fn read_statuses(
    scope: Scope<'_>,
    region: &Region,
    ids: &BTreeSet<AccountId>,
    whole: bool,
) -> Result<BTreeMap<AccountId, Discovery>, Error> {
    let macie = &scope.app.macie;
    if whole {
        return macie.discovery_statuses(region, None).await;
    }
    let ids: Vec<AccountId> = ids.iter().cloned().collect();
    let mut statuses = BTreeMap::new();
    for chunk in ids.chunks(DISCOVERY_ACCOUNTS_PER_ASK) {
        statuses.extend(macie.discovery_statuses(region, Some(chunk)).await?);
    }
    Ok(statuses)
}

/// Makes the plan's changes, 50 a call, a few calls at once; under DRY_RUN, plans them with no call.
async fn change_discovery(
    scope: Scope<'_>,
    region: &Region,
    plan: DiscoveryPlan,
    report: &impl Fn(&AccountId, Outcome) -> Report,
) -> Vec<Report> {
    if scope.app.config.dry_run {
        return plan
            .changes
            .iter()
            .map(|change| {
                let action = match change.status {
                    Discovery::On => "discovery on",
                    Discovery::Off => "discovery off",
                };
                report(
                    &change.account_id,
                    Outcome::Planned {
                        actions: vec![action],
                    },
                )
            })
            .collect();
    }
    let batches: Vec<&[DiscoveryChange]> = plan.changes.chunks(CHANGES_PER_CALL).collect();
    let sent = join_all(batches.into_iter().map(|batch| async move {
        let changes: Vec<(AccountId, Discovery)> = batch
            .iter()
            .map(|change| (change.account_id.clone(), change.status))
            .collect();
        (batch, scope.app.macie.set_discovery(region, &changes).await)
    }));
    let mut reports = Vec::new();
    for (batch, result) in sent.await {
        for change in batch {
            let outcome = match &result {
                Ok(refused) => match refused.iter().find(|(id, _)| id == &change.account_id) {
                    Some((_, code)) => judge_discovery_refusal(code),
                    None => Outcome::DiscoverySet {
                        status: change.status,
                        reason: change.reason.clone(),
                    },
                },
                Err(error) => failure::outcome_in(error, region),
            };
            reports.push(report(&change.account_id, outcome));
        }
    }
    reports
}
