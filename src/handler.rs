//! The Lambda handler: event in, summary out.

use lambda_runtime::LambdaEvent;
use lambda_runtime::tracing;
use serde_json::Value;

use crate::config::Config;
use crate::domain::AccountId;
use crate::error::Error;
use crate::event::{self, Ignored, Trigger};
use crate::invitation;
use crate::macie::Macie;
use crate::organizations::Organizations;
use crate::outcome::Summary;

/// What every invocation shares: the settings and one adapter per service, built once at init.
pub struct App {
    pub config: Config,
    pub organizations: Organizations,
    pub macie: Macie,
}

impl App {
    pub fn new(config: Config, sdk_config: &aws_config::SdkConfig) -> Self {
        App {
            organizations: Organizations::new(aws_sdk_organizations::Client::new(sdk_config)),
            macie: Macie::new(sdk_config, &config.regions),
            config,
        }
    }
}

pub async fn handle(event: LambdaEvent<Value>, app: &App) -> Result<Summary, Error> {
    let own_account = own_account(&event.context.invoked_function_arn);
    match event::decode(event.payload)? {
        Trigger::Invite(request) => {
            Ok(invitation::invite_requested(app, request, own_account.as_ref()).await)
        }
        Trigger::Reconcile { regions } => {
            invitation::reconcile(app, regions, own_account.as_ref()).await
        }
        Trigger::Ignore(Ignored::CreationFailed(failure)) => {
            invitation::log_creation_failure(&failure);
            Ok(Summary {
                creations_failed: vec![failure],
                ..Summary::default()
            })
        }
        Trigger::Ignore(Ignored::NotAnAddition(ignored)) => {
            tracing::info!(
                event = ignored.event.as_str(),
                reason = ignored.reason.as_str(),
                outcome = "ignored",
                "event adds no account"
            );
            Ok(Summary {
                ignored: vec![ignored],
                ..Summary::default()
            })
        }
    }
}

/// The account that runs the function (the Macie administrator), from `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
///
/// Lambda always sends such an ARN; local emulators (cargo lambda watch sends `function-arn`) may not.
/// Then the account cannot be screened out here, and Macie itself refuses to make the administrator
/// its own member.
fn own_account(function_arn: &str) -> Option<AccountId> {
    let account = function_arn
        .split(':')
        .nth(4)
        .and_then(|account| AccountId::parse(account, "invoked_function_arn").ok());
    if account.is_none() {
        tracing::warn!(
            function_arn = crate::event::excerpt(function_arn),
            "the function ARN names no account; the administrator account is not screened out"
        );
    }
    account
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_account_comes_from_the_function_arn() {
        let own =
            own_account("arn:aws:lambda:us-east-1:123456789012:function:macie-invite").unwrap();
        assert_eq!(own.as_str(), "123456789012");
        for arn in ["", "arn:aws:lambda:us-east-1::function:x", "function-arn"] {
            assert_eq!(own_account(arn), None, "{arn}");
        }
    }
}
