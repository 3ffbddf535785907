//! The Lambda handler: event in, summary out (for the retry queue, the batch response; for a check, its report).

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::sqs::SqsBatchResponse;
use lambda_runtime::LambdaEvent;
use lambda_runtime::tracing;
use serde::Serialize;
use serde_json::Value;

pub use crate::app::App;
use crate::domain::{AccountId, Origin};
use crate::error::Error;
use crate::event::{self, Ignored, Trigger};
use crate::metrics;
use crate::plan;
use crate::preflight::Report;
use crate::summary::{Detail, Summary};
use crate::workflow::settle::finish;
use crate::workflow::{Deadline, check, named, reconcile, retry};

/// The summary of an invocation, or for messages of the retry queue the batch response that
/// names the messages to deliver again.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Summary(Box<Summary>),
    Batch(SqsBatchResponse),
    /// What the preflight, `{"action": "check"}`, found.
    Check(Box<Report>),
}

pub async fn handle(event: LambdaEvent<Value>, app: &App) -> Result<Response, Error> {
    let function_name = function_name(&event.context.invoked_function_arn);
    let own_account = own_account(app, &event.context.invoked_function_arn).await;
    let own_account = own_account.as_ref();
    let deadline = Deadline::from_epoch_millis(event.context.deadline);
    let (trigger, planning) = match event::decode(event.payload)? {
        Trigger::DryRun(trigger) => (*trigger, Some(app.planning())),
        trigger => (trigger, None),
    };
    let app = planning.as_ref().unwrap_or(app);
    let summary = match trigger {
        Trigger::Invite(request) => {
            let works = named::works(request, &app.config, None)?;
            let run = named::invite(app, works, None, own_account, deadline).await;
            finish(app, run, Detail::Every).await?
        }
        Trigger::InviteRecentJoins(joins) => {
            let mut known = None;
            match named::recent_joins(app, &joins, &mut known).await? {
                Some(request) => {
                    let works = named::works(request, &app.config, None)?;
                    let known = known.as_deref();
                    let run = named::invite(app, works, known, own_account, deadline).await;
                    finish(app, run, Detail::Every).await?
                }
                None => ignored(named::no_recent_join(&joins)),
            }
        }
        Trigger::Reconcile { regions } => {
            let regions = plan::reconcile_regions(regions.as_deref(), &app.config.regions)?;
            let origin = Origin::first(regions);
            let (run, reconciliation) =
                reconcile::reconcile(app, &origin, own_account, deadline).await?;
            Summary {
                reconcile: Some(reconciliation),
                ..finish(app, run, Detail::Changes).await?
            }
        }
        // For messages of the retry queue, the function answers the batch response.
        Trigger::Retry(deliveries) => {
            let (summary, batch) = retry::retry(app, deliveries, own_account, deadline).await;
            write_metrics(app, &summary, &function_name);
            return Ok(Response::Batch(batch));
        }
        Trigger::Ignore(Ignored::CreationFailed(failure)) => {
            failure.log();
            Summary {
                creations_failed: vec![failure],
                ..Summary::default()
            }
        }
        Trigger::Ignore(Ignored::NotAnAddition(event)) => ignored(event),
        Trigger::Check { accounts } => {
            let report = check::check(app, own_account, &accounts, deadline).await;
            return Ok(Response::Check(Box::new(report)));
        }
        Trigger::DryRun(_) => {
            return Err(Error::MalformedEvent {
                event: "manual invocation",
                problem: "a dry run of a dry run".to_owned(),
            });
        }
    };
    write_metrics(app, &summary, &function_name);
    Ok(Response::Summary(Box::new(summary.bounded())))
}

/// Logs and reports an event that adds no account.
fn ignored(ignored: crate::outcome::NotAnAddition) -> Summary {
    ignored.log();
    Summary {
        ignored: vec![ignored],
        ..Summary::default()
    }
}

/// Writes the invocation's metrics, as Embedded Metric Format lines.
fn write_metrics(app: &App, summary: &Summary, function_name: &str) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64);
    let lines = metrics::lines(summary, &app.config.metrics_namespace, function_name, now);
    app.metrics.write(&lines);
}

/// The function's name, from its ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`),
/// else AWS_LAMBDA_FUNCTION_NAME, else `macie-invite`.
fn function_name(function_arn: &str) -> String {
    function_arn
        .split(':')
        .nth(6)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok())
        .unwrap_or_else(|| "macie-invite".to_owned())
}

/// The account that runs the function (the Macie administrator): from its ARN, as Lambda always
/// sends it, with no call; where the ARN names none (a local emulator: cargo lambda watch sends
/// `function-arn`), from STS GetCallerIdentity. When neither tells, the account is not screened
/// out (Macie itself refuses to make the administrator its own member) and no invitation is accepted.
async fn own_account(app: &App, function_arn: &str) -> Option<AccountId> {
    if let Some(account) = account_in_arn(function_arn) {
        return Some(account);
    }
    match app.sts.caller_account().await {
        Ok(account) => Some(account),
        Err(error) => {
            tracing::warn!(
                function_arn = crate::quote::excerpt(function_arn),
                %error,
                "neither the function ARN nor STS names the function's account; the administrator account is not screened out"
            );
            None
        }
    }
}

/// The account of `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
fn account_in_arn(function_arn: &str) -> Option<AccountId> {
    function_arn
        .split(':')
        .nth(4)
        .and_then(|account| AccountId::parse(account, "invoked_function_arn").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_account_comes_from_the_function_arn() {
        let own =
            account_in_arn("arn:aws:lambda:us-east-1:123456789012:function:macie-invite").unwrap();
        assert_eq!(own.as_str(), "123456789012");
        for arn in ["", "arn:aws:lambda:us-east-1::function:x", "function-arn"] {
            assert_eq!(account_in_arn(arn), None, "{arn}");
        }
    }
}
