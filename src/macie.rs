//! The Macie adapter: one client per region, and the member and invitation calls in our own types.

use std::collections::BTreeMap;

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_macie2::Client;
use aws_sdk_macie2::types::AccountDetail;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::domain::{Account, AccountId, MemberStatus, Page, Region, Unprocessed};
use crate::error::Error;
use crate::outcome::redact_emails;

const SERVICE: &str = "Macie";

/// ListMembers returns at most 25 members a page.
const MEMBERS_PER_PAGE: i32 = 25;

pub struct Macie {
    base: aws_sdk_macie2::Config,
    clients: BTreeMap<Region, Client>,
    /// Where roles in member accounts are assumed (STS: endpoint and the function's credentials).
    sts: aws_config::SdkConfig,
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
    pub message: Option<&'a str>,
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
        let base = crate::client_config!(aws_sdk_macie2, sdk_config);
        let clients = regions
            .iter()
            .map(|region| (region.clone(), client_for(&base, region)))
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
                message: redact_emails(&DisplayErrorContext(&error).to_string()),
                retryable: true,
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
            .unwrap_or_else(|| client_for(&self.base, region))
    }

    /// The account's relationship with this administrator in `region`; `None` when it has none.
    pub async fn member_status(
        &self,
        region: &Region,
        account_id: &AccountId,
    ) -> Result<Option<MemberStatus>, Error> {
        match self
            .client(region)
            .get_member()
            .id(account_id.as_str())
            .send()
            .await
        {
            Ok(output) => Ok(Some(MemberStatus::from_name(
                output
                    .relationship_status()
                    .map_or("", |status| status.as_str()),
            ))),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(error) => Err(Error::from_sdk(SERVICE, "GetMember", error)),
        }
    }

    /// Every account associated with this administrator in `region`, in any relationship status.
    pub async fn list_members(
        &self,
        region: &Region,
    ) -> Result<BTreeMap<AccountId, MemberStatus>, Error> {
        Page::read_all(|token| self.members_page(region, token)).await
    }

    /// One page of ListMembers in `region` (every relationship status): up to 25 members, and the
    /// token of the next page if any.
    pub async fn members_page(
        &self,
        region: &Region,
        token: Option<String>,
    ) -> Result<Page<(AccountId, MemberStatus)>, Error> {
        let output = self
            .client(region)
            .list_members()
            .max_results(MEMBERS_PER_PAGE)
            .only_associated("false")
            .set_next_token(token)
            .send()
            .await
            .map_err(|error| Error::from_sdk(SERVICE, "ListMembers", error))?;
        let items = output
            .members()
            .iter()
            .filter_map(|member| {
                let account_id =
                    AccountId::parse(member.account_id()?, "Macie Member.accountId").ok()?;
                let status = member
                    .relationship_status()
                    .map_or("", |status| status.as_str());
                Some((account_id, MemberStatus::from_name(status)))
            })
            .collect();
        Ok(Page::new(items, output.next_token()))
    }

    /// Associates the account with this administrator in `region` (CreateMember).
    pub async fn associate(&self, region: &Region, account: &Account) -> Result<(), Error> {
        let detail = AccountDetail::builder()
            .account_id(account.id.as_str())
            .email(&account.email)
            .build();
        self.client(region)
            .create_member()
            .account(detail)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| Error::from_sdk(SERVICE, "CreateMember", error))
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
            .map_err(|error| Error::from_sdk(SERVICE, "CreateInvitations", error))?;
        Ok(output
            .unprocessed_accounts()
            .iter()
            .filter_map(|entry| {
                // Only the accounts of this call can be unprocessed; anything else is not ours to report.
                let account_id = account_ids
                    .iter()
                    .find(|id| Some(id.as_str()) == entry.account_id())?;
                Some(Unprocessed {
                    account_id: account_id.clone(),
                    error_code: entry
                        .error_code()
                        .map_or("Unknown", |code| code.as_str())
                        .to_owned(),
                    error_message: entry.error_message().unwrap_or_default().to_owned(),
                })
            })
            .collect())
    }
}

impl MemberSession {
    /// Enables Macie in the member account; ConflictException means it already is.
    pub async fn enable_macie(&self) -> Result<(), Error> {
        match self.client.enable_macie().send().await {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conflict_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(Error::from_sdk(SERVICE, "EnableMacie", error)),
        }
    }

    /// The ID of the pending invitation that `administrator` sent; `None` when there is none (yet).
    /// An invitation from any other administrator, inside the organization or outside it, is never
    /// taken.
    pub async fn invitation_from(
        &self,
        administrator: &AccountId,
    ) -> Result<Option<String>, Error> {
        let pending: Vec<(AccountId, String)> =
            Page::read_all(|token| self.pending_invitations_page(token)).await?;
        Ok(pending
            .into_iter()
            .find(|(from, _)| from == administrator)
            .map(|(_, invitation_id)| invitation_id))
    }

    /// One page of ListInvitations: the pending invitations (administrator, invitation ID) on it.
    async fn pending_invitations_page(
        &self,
        token: Option<String>,
    ) -> Result<Page<(AccountId, String)>, Error> {
        let output = self
            .client
            .list_invitations()
            .max_results(MEMBERS_PER_PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|error| Error::from_sdk(SERVICE, "ListInvitations", error))?;
        let pending = output
            .invitations()
            .iter()
            .filter(|invitation| {
                invitation
                    .relationship_status()
                    .is_some_and(|status| status.as_str() == "Invited")
            })
            .filter_map(|invitation| {
                let from = AccountId::parse(invitation.account_id()?, "Macie Invitation.accountId")
                    .ok()?;
                Some((from, invitation.invitation_id()?.to_owned()))
            })
            .collect();
        Ok(Page::new(pending, output.next_token()))
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
            .map_err(|error| Error::from_sdk(SERVICE, "AcceptInvitation", error))
    }
}

fn client_for(base: &aws_sdk_macie2::Config, region: &Region) -> Client {
    let config = base
        .to_builder()
        .region(aws_sdk_macie2::config::Region::new(
            region.as_str().to_owned(),
        ))
        .build();
    Client::from_conf(config)
}
