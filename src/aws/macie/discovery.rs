//! Macie's automated sensitive data discovery: the administrator's own, each member's, and its cost
//! (GetUsageStatistics).

use crate::domain::{
    AccountId, AutoEnable, Discovery, DiscoveryConfiguration, OffReason, Region, Usd,
};
use crate::error::Error;
use aws_sdk_macie2::types::{
    AutomatedDiscoveryAccountStatus, AutomatedDiscoveryAccountUpdate, TimeRange,
};
use std::collections::BTreeMap;

use super::{DISCOVERY_TAG, Macie, macie_error};

/// ListAutomatedDiscoveryAccounts answers at most 25 accounts a page (botocore's macie2 model,
/// `MaxResults`).
const DISCOVERY_ACCOUNTS_PER_PAGE: i32 = 25;

/// ListAutomatedDiscoveryAccounts takes at most 50 account IDs (the doc of its `accountIds`).
pub const DISCOVERY_ACCOUNTS_PER_ASK: usize = 50;

/// The usage types that are automated sensitive data discovery's cost (GetUsageStatistics).
const DISCOVERY_USAGE: [&str; 2] = [
    "AUTOMATED_SENSITIVE_DATA_DISCOVERY",
    "AUTOMATED_OBJECT_MONITORING",
];

impl Macie {
    /// The administrator's automated sensitive data discovery in `region`
    /// (GetAutomatedDiscoveryConfiguration): its own status (off, it is off for every member, and
    /// there is nothing to turn on), and whom Macie enables it for by itself
    /// (`autoEnableOrganizationMembers`; absent, read as `NONE`: nothing is assumed enabled).
    pub async fn discovery_configuration(
        &self,
        region: &Region,
    ) -> Result<DiscoveryConfiguration, Error> {
        let output = self
            .client(region)
            .get_automated_discovery_configuration()
            .send()
            .await
            .map_err(|error| macie_error("GetAutomatedDiscoveryConfiguration", error))?;
        Ok(DiscoveryConfiguration {
            status: output
                .status()
                .and_then(|status| Discovery::parse(status.as_str()))
                .unwrap_or(Discovery::Off),
            auto_enable: output
                .auto_enable_organization_members()
                .map_or(AutoEnable::None, |word| AutoEnable::parse(word.as_str())),
        })
    }

    /// Remembers on the member (its `arn`) that this function turned its discovery off, and why
    /// (TagResource, [`DISCOVERY_TAG`]).
    pub async fn tag_discovery_off(
        &self,
        region: &Region,
        arn: &str,
        reason: OffReason,
    ) -> Result<(), Error> {
        self.client(region)
            .tag_resource()
            .resource_arn(arn)
            .tags(DISCOVERY_TAG, reason.name())
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("TagResource", error))
    }

    /// Forgets it (UntagResource), once the function turns the member's discovery back on.
    pub async fn untag_discovery_off(&self, region: &Region, arn: &str) -> Result<(), Error> {
        self.client(region)
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(DISCOVERY_TAG)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("UntagResource", error))
    }

    /// Each account's automated-discovery status in `region` (ListAutomatedDiscoveryAccounts,
    /// page by page): of `accounts` (at most [`DISCOVERY_ACCOUNTS_PER_ASK`]), or of every account
    /// when `None`.
    pub async fn discovery_statuses(
        &self,
        region: &Region,
        accounts: Option<&[AccountId]>,
    ) -> Result<BTreeMap<AccountId, Discovery>, Error> {
        let ids = accounts.map(|ids| ids.iter().map(|id| id.as_str().to_owned()).collect());
        let mut pages = self
            .client(region)
            .list_automated_discovery_accounts()
            .set_account_ids(ids)
            .into_paginator()
            .page_size(DISCOVERY_ACCOUNTS_PER_PAGE)
            .send();
        let mut statuses = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|error| macie_error("ListAutomatedDiscoveryAccounts", error))?;
            statuses.extend(page.items().iter().filter_map(|item| {
                let id = AccountId::parse(item.account_id()?, "AutomatedDiscoveryAccount").ok()?;
                Some((id, Discovery::parse(item.status()?.as_str())?))
            }));
        }
        Ok(statuses)
    }

    /// Turns automated discovery on or off for each account (BatchUpdateAutomatedDiscoveryAccounts):
    /// the accounts Macie refused, with its error code (ACCOUNT_PAUSED, ACCOUNT_NOT_FOUND).
    pub async fn set_discovery(
        &self,
        region: &Region,
        changes: &[(AccountId, Discovery)],
    ) -> Result<Vec<(AccountId, String)>, Error> {
        let updates = changes
            .iter()
            .map(|(id, status)| {
                AutomatedDiscoveryAccountUpdate::builder()
                    .account_id(id.as_str())
                    .status(AutomatedDiscoveryAccountStatus::from(status.name()))
                    .build()
            })
            .collect();
        let output = self
            .client(region)
            .batch_update_automated_discovery_accounts()
            .set_accounts(Some(updates))
            .send()
            .await
            .map_err(|error| macie_error("BatchUpdateAutomatedDiscoveryAccounts", error))?;
        Ok(output
            .errors()
            .iter()
            .filter_map(|error| {
                let id =
                    AccountId::parse(error.account_id()?, "AutomatedDiscoveryAccountUpdateError");
                let code = error.error_code().map_or("(no code)", |code| code.as_str());
                Some((id.ok()?, code.to_owned()))
            })
            .collect())
    }

    /// Each account's month-to-date cost of automated discovery in `region`: its estimated costs of
    /// AUTOMATED_SENSITIVE_DATA_DISCOVERY and AUTOMATED_OBJECT_MONITORING, added (GetUsageStatistics,
    /// page by page). A cost Macie does not write as an amount counts as nothing.
    pub async fn discovery_costs(
        &self,
        region: &Region,
    ) -> Result<BTreeMap<AccountId, Usd>, Error> {
        let mut pages = self
            .client(region)
            .get_usage_statistics()
            .time_range(TimeRange::MonthToDate)
            .into_paginator()
            .send();
        let mut costs: BTreeMap<AccountId, Usd> = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| macie_error("GetUsageStatistics", error))?;
            for record in page.records() {
                let Some(id) = record
                    .account_id()
                    .and_then(|id| AccountId::parse(id, "UsageRecord").ok())
                else {
                    continue;
                };
                let cost = record
                    .usage()
                    .iter()
                    .filter(|usage| {
                        usage
                            .r#type()
                            .is_some_and(|kind| DISCOVERY_USAGE.contains(&kind.as_str()))
                    })
                    .filter_map(|usage| Usd::parse(usage.estimated_cost()?))
                    .fold(Usd::default(), Usd::plus);
                let total = costs.entry(id).or_default();
                *total = total.plus(cost);
            }
        }
        Ok(costs)
    }
}
