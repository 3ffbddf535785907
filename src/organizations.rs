//! The Organizations adapter: accounts described in our own types.

use aws_sdk_organizations::Client;

use crate::domain::{Account, AccountId, AccountState};
use crate::error::Error;

const SERVICE: &str = "Organizations";

pub struct Organizations {
    client: Client,
}

impl Organizations {
    pub fn new(sdk_config: &aws_config::SdkConfig) -> Self {
        Organizations {
            client: Client::new(sdk_config),
        }
    }

    /// The account as the organization knows it; `None` when it is not an account of the organization.
    pub async fn describe_account(&self, account_id: &AccountId) -> Result<Option<Account>, Error> {
        let output = match self
            .client
            .describe_account()
            .account_id(account_id.as_str())
            .send()
            .await
        {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_account_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(Error::from_sdk(SERVICE, "DescribeAccount", error)),
        };
        let Some(account) = output.account() else {
            return Ok(None);
        };
        // `Status` is being retired in favour of `State`: read `State`, fall back to `Status`.
        let state = account
            .state()
            .map(|state| state.as_str())
            .or_else(|| account.status().map(|status| status.as_str()))
            .unwrap_or("UNKNOWN");
        Ok(Some(Account {
            id: account_id.clone(),
            email: account.email().unwrap_or_default().to_owned(),
            state: AccountState::from_name(state),
        }))
    }
}
