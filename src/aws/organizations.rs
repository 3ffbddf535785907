//! The Organizations adapter: accounts and account creations in our own types.

use std::collections::BTreeSet;

use aws_sdk_organizations::Client;
use aws_sdk_organizations::operation::list_accounts::{ListAccountsError, ListAccountsOutput};
use aws_sdk_organizations::types::{self, CreateAccountState};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::aws::sdk::{self, found};
use crate::domain::{
    Account, AccountId, AccountState, CreateAccountRequestId, Creation, Organization,
    OrganizationalUnitId, Page, Pages, read_all,
};
use crate::error::Error;

const SERVICE: &str = "Organizations";

/// ListAccounts returns at most 20 accounts a page.
const ACCOUNTS_PER_PAGE: i32 = 20;

#[derive(Clone)]
/// Organizations as this account may read it.
pub struct Organizations {
    client: Client,
}

impl Organizations {
    /// The adapter around a client.
    pub fn new(client: Client) -> Self {
        Organizations { client }
    }

    /// The organization this account belongs to, and its management account (DescribeOrganization,
    /// which "can be called from any account in the organization": its API reference).
    pub async fn describe_organization(&self) -> Result<Organization, Error> {
        let output = self
            .client
            .describe_organization()
            .send()
            .await
            .map_err(|error| sdk::read_sdk_error(SERVICE, "DescribeOrganization", error))?;
        let organization = output.organization();
        Ok(Organization {
            id: organization
                .and_then(|organization| organization.id())
                .unwrap_or_default()
                .to_owned(),
            management_account: AccountId::parse(
                organization
                    .and_then(|organization| organization.master_account_id())
                    .unwrap_or_default(),
                "DescribeOrganization MasterAccountId",
            )?,
        })
    }

    /// Whether this account may read the organization's accounts: one ListAccounts call for one
    /// account (the management account, or a delegated administrator, may).
    pub async fn can_list_accounts(&self) -> Result<(), Error> {
        self.client
            .list_accounts()
            .max_results(1)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| sdk::read_sdk_error(SERVICE, "ListAccounts", error))
    }

    /// The account as the organization knows it; `None` when it is not an account of the organization.
    pub async fn describe_account(&self, account_id: &AccountId) -> Result<Option<Account>, Error> {
        let described = self
            .client
            .describe_account()
            .account_id(account_id.as_str())
            .send()
            .await;
        let described = found(SERVICE, "DescribeAccount", described, |error| {
            error.is_account_not_found_exception()
        })?;
        Ok(described.and_then(|output| output.account().and_then(to_account)))
    }

    /// Where a CreateAccount request stands; `None` when Organizations knows no such request.
    pub async fn creation(
        &self,
        request_id: &CreateAccountRequestId,
    ) -> Result<Option<Creation>, Error> {
        let output = self
            .client
            .describe_create_account_status()
            .create_account_request_id(request_id.as_str())
            .send()
            .await;
        let operation = "DescribeCreateAccountStatus";
        let Some(output) = found(SERVICE, operation, output, |error| {
            error.is_create_account_status_not_found_exception()
        })?
        else {
            return Ok(None);
        };
        let status = output.create_account_status();
        let creation = match status.and_then(|status| status.state()) {
            Some(CreateAccountState::Succeeded) => {
                let account_id = status
                    .and_then(|status| status.account_id())
                    .unwrap_or_default();
                Creation::Succeeded(AccountId::parse(
                    account_id,
                    "DescribeCreateAccountStatus accountId",
                )?)
            }
            Some(CreateAccountState::Failed) => Creation::Failed {
                reason: status
                    .and_then(|status| status.failure_reason())
                    .map_or("(no failureReason given)", |reason| reason.as_str())
                    .to_owned(),
            },
            _ => Creation::InProgress,
        };
        Ok(Some(creation))
    }

    /// The parent of an account or organizational unit (ListParents): the root, or a unit.
    pub async fn parent(&self, child_id: &str) -> Result<Parent, Error> {
        let output = self
            .client
            .list_parents()
            .child_id(child_id)
            .send()
            .await
            .map_err(|error| sdk::read_sdk_error(SERVICE, "ListParents", error))?;
        let parent = output.parents().first().and_then(|parent| parent.id());
        Ok(match parent.and_then(OrganizationalUnitId::parse) {
            Some(unit) => Parent::Unit(unit),
            // The root (`r-…`), or no parent: the top of the organization.
            None => Parent::Root,
        })
    }

    /// Every account anywhere under `unit` (ListOrganizationalUnitsForParent and
    /// ListAccountsForParent, page by page, down the tree): a few calls a unit, however many
    /// accounts the organization has.
    pub async fn accounts_under(
        &self,
        unit: &OrganizationalUnitId,
    ) -> Result<BTreeSet<AccountId>, Error> {
        let mut accounts = BTreeSet::new();
        let mut units = vec![unit.as_str().to_owned()];
        while let Some(parent) = units.pop() {
            let mut pages = self
                .client
                .list_accounts_for_parent()
                .parent_id(&parent)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|error| {
                    sdk::read_sdk_error(SERVICE, "ListAccountsForParent", error)
                })?;
                accounts.extend(page.accounts().iter().filter_map(|account| {
                    AccountId::parse(account.id()?, "ListAccountsForParent Account.Id").ok()
                }));
            }
            let mut pages = self
                .client
                .list_organizational_units_for_parent()
                .parent_id(&parent)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|error| {
                    sdk::read_sdk_error(SERVICE, "ListOrganizationalUnitsForParent", error)
                })?;
                units.extend(
                    page.organizational_units()
                        .iter()
                        .filter_map(|unit| unit.id().map(str::to_owned)),
                );
            }
        }
        Ok(accounts)
    }

    /// Every account of the organization.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, Error> {
        read_all(self.account_pages()).await
    }

    /// The organization's accounts, a page of ListAccounts (20 accounts) at a time.
    pub fn account_pages(&self) -> AccountPages {
        AccountPages(
            self.client
                .list_accounts()
                .into_paginator()
                .page_size(ACCOUNTS_PER_PAGE)
                .send(),
        )
    }
}

/// The pages of ListAccounts, in our types; an entry without a valid ID is left out.
pub struct AccountPages(
    PaginationStream<Result<ListAccountsOutput, SdkError<ListAccountsError, HttpResponse>>>,
);

impl Pages for AccountPages {
    type Item = Account;

    async fn next_page(&mut self) -> Option<Result<Page<Account>, Error>> {
        let page = self.0.next().await?;
        Some(
            page.map(|output| Page {
                items: output.accounts().iter().filter_map(to_account).collect(),
                more: output.next_token().is_some_and(|token| !token.is_empty()),
            })
            .map_err(|error| sdk::read_sdk_error(SERVICE, "ListAccounts", error)),
        )
    }
}

/// Where an account or unit hangs in the organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parent {
    /// The root of the organization.
    Root,
    /// An organizational unit.
    Unit(OrganizationalUnitId),
}

/// Our account from the SDK's; `None` for an entry without a valid ID, which cannot be invited.
fn to_account(account: &types::Account) -> Option<Account> {
    Some(Account {
        id: AccountId::parse(account.id()?, "Organizations Account.Id").ok()?,
        email: account.email().unwrap_or_default().to_owned(),
        // `Status` is being retired in favour of `State`: `State` is read, `Status` only without it.
        state: AccountState::read(
            account.state().map(|state| state.as_str()),
            account.status().map(|status| status.as_str()),
        ),
        joined: account.joined_timestamp().map(|time| time.secs()),
        // The API reference spells it both `Created` and `CREATED` (CreateAccount, AcceptHandshake):
        // without case.
        joined_by_invitation: account
            .joined_method()
            .is_some_and(|method| method.as_str().eq_ignore_ascii_case("INVITED")),
    })
}
