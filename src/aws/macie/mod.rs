//! The Macie adapter: one client per region, and the member and invitation calls in our own types.

use std::collections::BTreeMap;

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_macie2::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::macie_words::read_words;
use crate::aws::sdk::{self, found};
use crate::domain::{AccountId, Administrator, Region};
use crate::error::Error;
use crate::quote::redact_emails;

mod discovery;
mod membership;
mod organization;
mod settings;

pub use discovery::DISCOVERY_ACCOUNTS_PER_ASK;
pub use membership::MemberPages;
pub(crate) use membership::to_member_status;
pub use settings::Settings;

const SERVICE: &str = "Macie";

/// The tag that every CreateMember of this function carries: the mark of a member it enrolled, the
/// only members it ever removes. CreateMember takes `tags`, and GetMember returns them (botocore's
/// macie2 model; terraform-provider-aws reads a member's tags through GetMember); whether
/// ListMembers fills them in is not documented, so a listing without them is read as
/// [`Mark::Unread`] and the few members that a decision needs are asked with GetMember. Tagging on
/// create needs `macie2:TagResource` besides `macie2:CreateMember` (Service Authorization
/// Reference, "list_macie2", its table of operations).
pub const ENROLLMENT_TAG: (&str, &str) = ("macie-invite:enrolled", "true");

/// The tag that marks a member whose automated discovery this function turned off, with why
/// (`unit`, `account` or `cost`): what it turned off is remembered across invocations, on the member
/// itself, as the enrollment tag is; it turns on again only what it turned off, or what it is
/// asked to. Removed (UntagResource) when it turns discovery back on.
pub const DISCOVERY_TAG: &str = "macie-invite:discovery-off";

#[derive(Clone)]
/// Macie as the administrator sees it, one client per region.
pub struct Macie {
    base: aws_sdk_macie2::Config,
    clients: BTreeMap<Region, Client>,
    /// Where roles in member accounts are assumed (STS: endpoint and the function's credentials).
    sts: aws_config::SdkConfig,
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
