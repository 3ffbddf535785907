//! The Lambda handler: event in, summary out.

use lambda_runtime::LambdaEvent;
use lambda_runtime::tracing;
use serde_json::Value;

use crate::config::Config;
use crate::domain::AccountId;
use crate::error::Error;
use crate::event::{self, Trigger};
use crate::invitation;
use crate::macie::Macie;
use crate::organizations::Organizations;
use crate::outcome::Summary;
use crate::plan;

/// What every invocation shares: the settings and one adapter per service, built once at init.
pub struct App {
    pub config: Config,
    pub organizations: Organizations,
    pub macie: Macie,
}

impl App {
    pub fn new(config: Config, sdk_config: &aws_config::SdkConfig) -> Self {
        App {
            organizations: Organizations::new(sdk_config),
            macie: Macie::new(sdk_config, &config.regions),
            config,
        }
    }
}

pub async fn handle(event: LambdaEvent<Value>, app: &App) -> Result<Summary, Error> {
    let own_account = own_account(&event.context.invoked_function_arn);
    let summary = match event::decode(event.payload)? {
        Trigger::Invite(ids) => {
            let screening =
                plan::screen(ids, &app.config.excluded_account_ids, own_account.as_ref());
            let mut reports = screening.skipped;
            reports.extend(invitation::invite_accounts(app, screening.to_look_up).await);
            reports.iter().for_each(|report| report.log());
            Summary::from_reports(reports)
        }
        Trigger::CreationFailed(failure) => {
            tracing::warn!(
                create_account_request_id =
                    failure.create_account_request_id.as_deref().unwrap_or(""),
                failure_reason = failure.failure_reason.as_str(),
                outcome = "creationFailed",
                "account creation failed; nothing to invite"
            );
            Summary {
                creations_failed: vec![failure],
                ..Summary::default()
            }
        }
    };
    Ok(summary)
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
