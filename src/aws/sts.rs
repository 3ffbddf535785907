//! The STS adapter: which account the function's credentials belong to.

use aws_sdk_sts::Client;

use crate::aws::sdk;
use crate::domain::AccountId;
use crate::error::Error;

const SERVICE: &str = "STS";

#[derive(Clone)]
/// STS: who the function is.
pub struct Sts {
    client: Client,
}

impl Sts {
    /// The adapter around a client.
    pub fn new(client: Client) -> Self {
        Sts { client }
    }

    /// The account of the function's own credentials (GetCallerIdentity, which any principal may
    /// call: it needs no permission).
    pub async fn caller_account(&self) -> Result<AccountId, Error> {
        let output = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|error| sdk::read_sdk_error(SERVICE, "GetCallerIdentity", error))?;
        AccountId::parse(
            output.account().unwrap_or_default(),
            "GetCallerIdentity Account",
        )
    }
}
