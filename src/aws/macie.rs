//! The Macie adapter: one client per region, and the member and invitation calls in our own types.

use std::collections::BTreeMap;

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_macie2::Client;
use aws_sdk_macie2::operation::list_members::{ListMembersError, ListMembersOutput};
use aws_sdk_macie2::types::{
    AccountDetail, AutomatedDiscoveryAccountStatus, AutomatedDiscoveryAccountUpdate,
    RelationshipStatus, TimeRange,
};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::macie_words::{read_words, says_no_member};
use crate::aws::sdk::{self, found};
use crate::domain::{
    Account, AccountId, Administrator, Discovery, Mark, MemberStatus, Membership,
    OrganizationConfiguration, Page, Pages, Region, Unprocessed, Usd, read_all,
};
use crate::error::Error;
use crate::quote::redact_emails;

const SERVICE: &str = "Macie";

/// The tag that every CreateMember of this function carries: the mark of a member it enrolled, the
/// only members it ever removes. CreateMember takes `tags`, and GetMember returns them (botocore's
/// macie2 model; terraform-provider-aws reads a member's tags through GetMember); whether
/// ListMembers fills them in is not documented, so a listing without them is read as
/// [`Mark::Unread`] and the few members that a decision needs are asked with GetMember. Tagging on
/// create needs `macie2:TagResource` besides `macie2:CreateMember` (Service Authorization
/// Reference, "list_macie2", its table of operations).
pub const ENROLLMENT_TAG: (&str, &str) = ("macie-invite:enrolled", "true");

/// ListMembers returns at most 25 members a page.
const MEMBERS_PER_PAGE: i32 = 25;

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

/// Our reading of a discovery status; `None` for a word this build does not know.
fn to_discovery(status: &str) -> Option<Discovery> {
    match status {
        "ENABLED" => Some(Discovery::On),
        "DISABLED" => Some(Discovery::Off),
        _ => None,
    }
}

#[derive(Clone)]
/// Macie as the administrator sees it, one client per region.
pub struct Macie {
    base: aws_sdk_macie2::Config,
    clients: BTreeMap<Region, Client>,
    /// Where roles in member accounts are assumed (STS: endpoint and the function's credentials).
    sts: aws_config::SdkConfig,
}

/// The pages of ListMembers, as (account, membership).
pub struct MemberPages(
    PaginationStream<Result<ListMembersOutput, SdkError<ListMembersError, HttpResponse>>>,
);

impl Pages for MemberPages {
    type Item = (AccountId, Membership);

    async fn next_page(&mut self) -> Option<Result<Page<(AccountId, Membership)>, Error>> {
        let page = self.0.next().await?;
        Some(
            page.map(|output| Page {
                items: output.members().iter().filter_map(to_member).collect(),
                more: output.next_token().is_some_and(|token| !token.is_empty()),
            })
            .map_err(|error| macie_error("ListMembers", error)),
        )
    }
}

/// A Macie call's error in our terms, with what Macie's words mean read at this edge.
fn macie_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    sdk::read_sdk_error(SERVICE, operation, error).read_as(read_words)
}

/// A "not found"-aware answer, its error read as [`macie_error`] reads one.
fn read_found<T>(found: Result<T, Error>) -> Result<T, Error> {
    found.map_err(|error| error.read_as(read_words))
}

/// A member in our types; `None` for an entry without a valid account ID.
fn to_member(member: &aws_sdk_macie2::types::Member) -> Option<(AccountId, Membership)> {
    let account_id = AccountId::parse(member.account_id()?, "Macie Member.accountId").ok()?;
    Some((
        account_id,
        to_membership(
            member.relationship_status(),
            member.invited_at(),
            member.tags(),
            member.arn(),
        ),
    ))
}

/// A relationship status, invitation time, tags and ARN, as GetMember and ListMembers return them.
fn to_membership(
    status: Option<&RelationshipStatus>,
    invited_at: Option<&aws_smithy_types::DateTime>,
    tags: Option<&std::collections::HashMap<String, String>>,
    arn: Option<&str>,
) -> Membership {
    let (key, value) = ENROLLMENT_TAG;
    Membership {
        status: to_member_status(status),
        invited_at: invited_at.map(aws_smithy_types::DateTime::secs),
        mark: match tags {
            None => Mark::Unread,
            Some(tags) if tags.get(key).is_some_and(|v| v == value) => Mark::Enrolled,
            Some(_) => Mark::Unmarked,
        },
        arn: arn.map(str::to_owned),
    }
}

/// Our status from the SDK's; a value this build does not know keeps its name.
pub(crate) fn to_member_status(status: Option<&RelationshipStatus>) -> MemberStatus {
    match status {
        Some(RelationshipStatus::Enabled) => MemberStatus::Enabled,
        Some(RelationshipStatus::Paused) => MemberStatus::Paused,
        Some(RelationshipStatus::Invited) => MemberStatus::Invited,
        Some(RelationshipStatus::Created) => MemberStatus::Created,
        Some(RelationshipStatus::Removed) => MemberStatus::Removed,
        Some(RelationshipStatus::Resigned) => MemberStatus::Resigned,
        Some(RelationshipStatus::EmailVerificationInProgress) => {
            MemberStatus::EmailVerificationInProgress
        }
        Some(RelationshipStatus::EmailVerificationFailed) => MemberStatus::EmailVerificationFailed,
        Some(RelationshipStatus::RegionDisabled) => MemberStatus::RegionDisabled,
        Some(RelationshipStatus::AccountSuspended) => MemberStatus::AccountSuspended,
        Some(other) => MemberStatus::Other(other.as_str().to_owned()),
        None => MemberStatus::Other(String::new()),
    }
}

/// Macie as a member account sees it, through a role that the function assumed in that account.
pub struct MemberSession {
    client: Client,
}

/// The session name of every role the function assumes, as CloudTrail shows it in the member account.
pub const SESSION_NAME: &str = "macie-invite";

/// What CreateInvitations sends besides the accounts.
#[derive(Clone, Copy, Debug)]
pub struct InvitationOptions<'a> {
    /// INVITATION_MESSAGE.
    pub message: Option<&'a str>,
    /// DISABLE_EMAIL_NOTIFICATION.
    pub disable_email_notification: bool,
}

impl Macie {
    /// Builds a client for each region from one SDK configuration, which carries the endpoint
    /// (AWS_ENDPOINT_URL_MACIE2) and credentials, with the shared retry, timeout and throttling settings.
    /// `sts` assumes the roles of member accounts (the same configuration, in production).
    pub fn new(
        sdk_config: &aws_config::SdkConfig,
        sts: &aws_config::SdkConfig,
        regions: &[Region],
    ) -> Self {
        let base = crate::aws::sdk::client_config!(aws_sdk_macie2, sdk_config);
        let clients = regions
            .iter()
            .map(|region| (region.clone(), build_client(&base, region)))
            .collect();
        Macie {
            base,
            clients,
            sts: sts.clone(),
        }
    }

    /// Assumes `role_name` in the member account (`arn:<partition>:iam::<account>:role/<name>`) and
    /// returns Macie in `region` as that account. A role that cannot be assumed (not created yet in
    /// a new account, or not trusting the function) is a failure a later attempt may get past.
    pub async fn member_session(
        &self,
        region: &Region,
        account_id: &AccountId,
        role_name: &str,
    ) -> Result<MemberSession, Error> {
        let role_arn = format!(
            "arn:{}:iam::{account_id}:role/{role_name}",
            region.partition()
        );
        let provider = AssumeRoleProvider::builder(role_arn)
            .session_name(SESSION_NAME)
            .configure(&self.sts)
            .build()
            .await;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|error| Error::Service {
                service: "STS",
                operation: "AssumeRole",
                code: None,
                status: None,
                transport: false,
                message: redact_emails(&DisplayErrorContext(&error).to_string()),
                meaning: None,
            })?;
        let config = self
            .base
            .to_builder()
            .credentials_provider(credentials)
            .region(aws_sdk_macie2::config::Region::new(
                region.as_str().to_owned(),
            ))
            .build();
        Ok(MemberSession {
            client: Client::from_conf(config),
        })
    }

    fn client(&self, region: &Region) -> Client {
        self.clients
            .get(region)
            .cloned()
            .unwrap_or_else(|| build_client(&self.base, region))
    }

    /// The account's relationship with this administrator in `region`; `None` when it has none,
    /// in any of the ways Macie says so (the table of its words, `macie_words`).
    pub async fn membership(
        &self,
        region: &Region,
        account_id: &AccountId,
    ) -> Result<Option<Membership>, Error> {
        let asked = self
            .client(region)
            .get_member()
            .id(account_id.as_str())
            .send()
            .await;
        let output = read_found(found(SERVICE, "GetMember", asked, |error| {
            says_no_member(error.code(), error.message())
        }))?;
        Ok(output.map(|output| {
            to_membership(
                output.relationship_status(),
                output.invited_at(),
                output.tags(),
                output.arn(),
            )
        }))
    }

    /// This account's own Macie status in `region` (GetMacieSession: ENABLED or PAUSED). Where
    /// Macie is not enabled, Macie answers AccessDeniedException.
    pub async fn session_status(&self, region: &Region) -> Result<String, Error> {
        let output = self
            .client(region)
            .get_macie_session()
            .send()
            .await
            .map_err(|error| macie_error("GetMacieSession", error))?;
        Ok(output
            .status()
            .map_or("(no status)", |status| status.as_str())
            .to_owned())
    }

    /// The administrator whose member this account is in `region`, if any (GetAdministratorAccount).
    pub async fn administrator(&self, region: &Region) -> Result<Option<Administrator>, Error> {
        let asked = self.client(region).get_administrator_account().send().await;
        let output = read_found(found(SERVICE, "GetAdministratorAccount", asked, |error| {
            error.is_resource_not_found_exception()
        }))?;
        Ok(output.and_then(|output| {
            let administrator = output.administrator()?;
            Some(Administrator {
                account_id: AccountId::parse(
                    administrator.account_id()?,
                    "GetAdministratorAccount administrator.accountId",
                )
                .ok()?,
                status: to_member_status(administrator.relationship_status()),
            })
        }))
    }

    /// The organization's Macie configuration in `region` (DescribeOrganizationConfiguration), which
    /// only the organization's delegated Macie administrator may read ("To use this resource, you
    /// must be the delegated Macie administrator": Macie API reference, "AWS Organizations - Macie
    /// Configuration"). What Macie answers any other account is not documented: the caller reads
    /// any refusal that is not throttling or a 5xx as "not the delegated administrator here".
    pub async fn organization_configuration(
        &self,
        region: &Region,
    ) -> Result<OrganizationConfiguration, Error> {
        let output = self
            .client(region)
            .describe_organization_configuration()
            .send()
            .await
            .map_err(|error| macie_error("DescribeOrganizationConfiguration", error))?;
        Ok(OrganizationConfiguration {
            auto_enable: output.auto_enable().unwrap_or(false),
            max_account_limit_reached: output.max_account_limit_reached().unwrap_or(false),
        })
    }

    /// Whether the administrator's own automated sensitive data discovery is on in `region`
    /// (GetAutomatedDiscoveryConfiguration): where it is off, it is off for every member, and there
    /// is nothing to turn on.
    pub async fn administrator_discovery(&self, region: &Region) -> Result<Discovery, Error> {
        let output = self
            .client(region)
            .get_automated_discovery_configuration()
            .send()
            .await
            .map_err(|error| macie_error("GetAutomatedDiscoveryConfiguration", error))?;
        Ok(output
            .status()
            .and_then(|status| to_discovery(status.as_str()))
            .unwrap_or(Discovery::Off))
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
                Some((id, to_discovery(item.status()?.as_str())?))
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

    /// Every account associated with this administrator in `region`, in any relationship status.
    pub async fn list_members(
        &self,
        region: &Region,
    ) -> Result<BTreeMap<AccountId, Membership>, Error> {
        Ok(read_all(self.member_pages(region))
            .await?
            .into_iter()
            .collect())
    }

    /// The members of this administrator in `region`, in every relationship status, a page of
    /// ListMembers (25 members) at a time.
    pub fn member_pages(&self, region: &Region) -> MemberPages {
        MemberPages(
            self.client(region)
                .list_members()
                .only_associated("false")
                .into_paginator()
                .page_size(MEMBERS_PER_PAGE)
                .send(),
        )
    }

    /// Associates the account with this administrator in `region` (CreateMember). Under the
    /// organization's delegated Macie administrator, this alone adds an account of the
    /// organization as an Enabled member (Macie user guide, "Managing multiple Macie accounts with
    /// AWS Organizations"); the email is still sent, as the model requires it.
    pub async fn associate(&self, region: &Region, account: &Account) -> Result<(), Error> {
        let detail = AccountDetail::builder()
            .account_id(account.id.as_str())
            .email(&account.email)
            .build();
        let (key, value) = ENROLLMENT_TAG;
        self.client(region)
            .create_member()
            .account(detail)
            .tags(key, value)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("CreateMember", error))
    }

    /// Ends the account's membership in `region` (DisassociateMember). A member that is gone
    /// already, in any of the ways Macie says so, is no error.
    pub async fn disassociate(&self, region: &Region, account_id: &AccountId) -> Result<(), Error> {
        let asked = self
            .client(region)
            .disassociate_member()
            .id(account_id.as_str())
            .send()
            .await;
        read_found(found(SERVICE, "DisassociateMember", asked, |error| {
            says_no_member(error.code(), error.message())
        }))
        .map(|_| ())
    }

    /// Deletes the account's member record in `region` (DeleteMember): it no longer counts against
    /// Macie's quota of members. A member that is gone already is no error.
    pub async fn delete_member(
        &self,
        region: &Region,
        account_id: &AccountId,
    ) -> Result<(), Error> {
        let asked = self
            .client(region)
            .delete_member()
            .id(account_id.as_str())
            .send()
            .await;
        read_found(found(SERVICE, "DeleteMember", asked, |error| {
            says_no_member(error.code(), error.message())
        }))
        .map(|_| ())
    }

    /// Marks the member `arn` as enrolled by this function (TagResource with [`ENROLLMENT_TAG`]):
    /// an existing deployment's adoption of the members it enrolled before the tag existed.
    pub async fn tag_enrolled(&self, region: &Region, arn: &str) -> Result<(), Error> {
        let (key, value) = ENROLLMENT_TAG;
        self.client(region)
            .tag_resource()
            .resource_arn(arn)
            .tags(key, value)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("TagResource", error))
    }

    /// Sends one CreateInvitations call (at most 50 accounts) and returns the unprocessed accounts.
    pub async fn invite(
        &self,
        region: &Region,
        account_ids: &[AccountId],
        options: InvitationOptions<'_>,
    ) -> Result<Vec<Unprocessed>, Error> {
        let output = self
            .client(region)
            .create_invitations()
            .set_account_ids(Some(
                account_ids
                    .iter()
                    .map(|id| id.as_str().to_owned())
                    .collect(),
            ))
            .disable_email_notification(options.disable_email_notification)
            .set_message(options.message.map(str::to_owned))
            .send()
            .await
            .map_err(|error| macie_error("CreateInvitations", error))?;
        Ok(output
            .unprocessed_accounts()
            .iter()
            .filter_map(|entry| {
                // Only the accounts of this call can be unprocessed; anything else is not ours to report.
                let account_id = account_ids
                    .iter()
                    .find(|id| Some(id.as_str()) == entry.account_id())?;
                let error_code = entry.error_code().map_or("Unknown", |code| code.as_str());
                let error_message = entry.error_message().unwrap_or_default();
                Some(Unprocessed {
                    account_id: account_id.clone(),
                    error_code: error_code.to_owned(),
                    error_message: error_message.to_owned(),
                    meaning: read_words(error_code, error_message),
                })
            })
            .collect())
    }
}

impl MemberSession {
    /// Enables Macie in the member account; ConflictException means it already is.
    pub async fn enable_macie(&self) -> Result<(), Error> {
        let enabled = self.client.enable_macie().send().await;
        read_found(found(SERVICE, "EnableMacie", enabled, |error| {
            error.is_conflict_exception()
        }))
        .map(|_| ())
    }

    /// The ID of the pending invitation that `administrator` sent; `None` when there is none (yet).
    /// An invitation from any other administrator, inside the organization or outside it, is never
    /// taken.
    pub async fn invitation_from(
        &self,
        administrator: &AccountId,
    ) -> Result<Option<String>, Error> {
        let mut pages = self
            .client
            .list_invitations()
            .into_paginator()
            .page_size(MEMBERS_PER_PAGE)
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| macie_error("ListInvitations", error))?;
            let pending = page.invitations().iter().find(|invitation| {
                invitation
                    .relationship_status()
                    .is_some_and(|status| status.as_str() == "Invited")
                    && invitation.account_id() == Some(administrator.as_str())
            });
            if let Some(invitation_id) = pending.and_then(|invitation| invitation.invitation_id()) {
                return Ok(Some(invitation_id.to_owned()));
            }
        }
        Ok(None)
    }

    /// Accepts the invitation: the account becomes an Enabled member of `administrator`.
    pub async fn accept(
        &self,
        administrator: &AccountId,
        invitation_id: &str,
    ) -> Result<(), Error> {
        self.client
            .accept_invitation()
            .administrator_account_id(administrator.as_str())
            .invitation_id(invitation_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("AcceptInvitation", error))
    }
}

fn build_client(base: &aws_sdk_macie2::Config, region: &Region) -> Client {
    let config = base
        .to_builder()
        .region(aws_sdk_macie2::config::Region::new(
            region.as_str().to_owned(),
        ))
        .build();
    Client::from_conf(config)
}
