//! The Lambda handler: event in, summary (or, for the retry queue, the batch response) out.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::LambdaEvent;
use lambda_runtime::tracing;
use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::domain::{AccountId, Origin, Region, Subject, Work};
use crate::error::Error;
use crate::event::{self, Delivered, Delivery, Ignored, RecentJoins, Request, Trigger};
use crate::invitation::{self, Deadline, Run};
use crate::macie::Macie;
use crate::metrics;
use crate::organizations::Organizations;
use crate::outcome::{NotAnAddition, Report, Summary};
use crate::queue::Queue;

/// What every invocation shares: the settings and one adapter per service, built once at init.
pub struct App {
    pub config: Config,
    pub organizations: Organizations,
    pub macie: Macie,
    pub queue: Queue,
}

impl App {
    pub fn new(config: Config, sdk_config: &aws_config::SdkConfig) -> Self {
        App {
            organizations: Organizations::new(aws_sdk_organizations::Client::from_conf(
                crate::client_config!(aws_sdk_organizations, sdk_config),
            )),
            macie: Macie::new(sdk_config, sdk_config, &config.regions),
            queue: Queue::new(aws_sdk_sqs::Client::from_conf(crate::client_config!(
                aws_sdk_sqs,
                sdk_config
            ))),
            config,
        }
    }
}

/// The summary of an invocation, or for messages of the retry queue the batch response that
/// names the messages to deliver again.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Summary(Box<Summary>),
    Batch(SqsBatchResponse),
}

pub async fn handle(event: LambdaEvent<Value>, app: &App) -> Result<Response, Error> {
    let function_name = function_name(&event.context.invoked_function_arn);
    let (summary, batch) = respond(event, app).await?;
    write_metrics(app, &summary, &function_name);
    Ok(match batch {
        Some(batch) => Response::Batch(batch),
        None => Response::Summary(Box::new(summary)),
    })
}

/// The summary of the outcomes, and for messages of the retry queue the batch response, which is
/// then what the function answers.
async fn respond(
    event: LambdaEvent<Value>,
    app: &App,
) -> Result<(Summary, Option<SqsBatchResponse>), Error> {
    let own_account = own_account(&event.context.invoked_function_arn);
    let own_account = own_account.as_ref();
    let deadline = Deadline::from_epoch_millis(event.context.deadline);
    match event::decode(event.payload)? {
        Trigger::Invite(request) => {
            let works = works(request, &app.config, None)?;
            let run = invitation::invite(app, works, own_account, deadline).await;
            Ok((finish(app, run).await?, None))
        }
        Trigger::InviteRecentJoins(joins) => {
            let Some(request) = recent_joins(app, &joins).await? else {
                return Ok((ignored(no_recent_join(&joins)), None));
            };
            let works = works(request, &app.config, None)?;
            let run = invitation::invite(app, works, own_account, deadline).await;
            Ok((finish(app, run).await?, None))
        }
        Trigger::Reconcile { regions } => {
            let regions = reconcile_regions(regions.as_deref(), &app.config.regions)?;
            let (run, reconciliation) =
                invitation::reconcile(app, regions, own_account, deadline).await?;
            let mut summary = finish(app, run).await?;
            summary.reconcile = Some(reconciliation);
            Ok((summary, None))
        }
        Trigger::Retry(deliveries) => retry(app, deliveries, own_account, deadline).await,
        Trigger::Ignore(Ignored::CreationFailed(failure)) => {
            log_creation_failure(&failure);
            let summary = Summary {
                creations_failed: vec![failure],
                ..Summary::default()
            };
            Ok((summary, None))
        }
        Trigger::Ignore(Ignored::NotAnAddition(ignored_event)) => {
            Ok((ignored(ignored_event), None))
        }
    }
}

/// The regions of a reconcile: those it names, all of MACIE_REGIONS, or none at all when it names
/// one outside them.
fn reconcile_regions<'a>(
    named: Option<&'a [Region]>,
    allowed: &'a [Region],
) -> Result<&'a [Region], Error> {
    let Some(named) = named else {
        return Ok(allowed);
    };
    match named.iter().find(|region| !allowed.contains(region)) {
        Some(region) => Err(Error::RegionNotAllowed {
            region: region.to_string(),
            allowed: allowed
                .iter()
                .map(Region::as_str)
                .collect::<Vec<_>>()
                .join(","),
        }),
        None => Ok(named),
    }
}

/// Messages of the retry queue: retries, and events redriven from the dead-letter queue, done
/// together; the batch response names the messages to deliver again.
async fn retry(
    app: &App,
    deliveries: Vec<Delivery>,
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> Result<(Summary, Option<SqsBatchResponse>), Error> {
    let delivered_ids: Vec<String> = deliveries
        .iter()
        .map(|delivery| delivery.message_id.clone())
        .collect();
    let mut failed_messages = Vec::new();
    let mut works = Vec::new();
    let mut reconciles = Vec::new();
    for Delivery {
        message_id,
        content,
    } in deliveries
    {
        let redriven = match content {
            // A retry past MAX_ATTEMPTS was not sent by this function (the queue policy lets only
            // its role send); it is not acted on.
            Ok(Delivered::Work(work)) if work.origin.attempt > app.config.max_attempts => {
                Err(Error::MalformedEvent {
                    event: "retry message",
                    problem: format!(
                        "message {}: attempt {} is past MAX_ATTEMPTS ({})",
                        crate::error::excerpt(&message_id),
                        work.origin.attempt,
                        app.config.max_attempts
                    ),
                })
            }
            Ok(Delivered::Work(work)) => {
                works.push(work);
                continue;
            }
            Ok(Delivered::Event(trigger)) => redriven(app, *trigger, &message_id).await,
            Err(error) => Err(error),
        };
        match redriven {
            Ok(Redriven::Works(redriven)) => works.extend(redriven),
            Ok(Redriven::Reconcile(regions)) => reconciles.push((message_id, regions)),
            Ok(Redriven::Nothing) => {}
            Err(error) => {
                // Delivered again until the queue's redrive policy moves it to the dead-letter queue.
                tracing::error!(message_id, error = %error, outcome = "unreadable", "retry message cannot be read or resolved");
                failed_messages.push(message_id);
            }
        }
    }
    let mut run = invitation::invite(app, works, own_account, deadline).await;
    let mut reconciliation = None;
    if let Some((_, regions)) = reconciles.first() {
        let reconciled = match reconcile_regions(regions.as_deref(), &app.config.regions) {
            Ok(regions) => invitation::reconcile(app, regions, own_account, deadline).await,
            Err(error) => Err(error),
        };
        match reconciled {
            Ok((reconciled, found)) => {
                run.reports.extend(reconciled.reports);
                reconciliation = Some(found);
            }
            Err(error) => {
                tracing::error!(error = %error, outcome = "failed", "a redriven reconcile failed: delivered again");
                failed_messages.extend(reconciles.into_iter().map(|(message_id, _)| message_id));
            }
        }
    }
    let mut summary = log_and_summarize(app, &run);
    summary.reconcile = reconciliation;
    if app.config.dry_run {
        // Nothing is re-queued in a dry run: every message stays on the queue for a real run.
        return Ok((summary, Some(batch_response(delivered_ids))));
    }
    let settlement = invitation::settle(app, &run.reports).await;
    for (message_id, what) in settlement.unsent {
        tracing::error!(
            what,
            outcome = "unsent",
            "neither re-queued nor dead-lettered: the message is delivered again"
        );
        failed_messages.extend(message_id);
    }
    tracing::info!(
        invited = summary.invited.len(),
        requeued = settlement.requeued.len(),
        dead_lettered = settlement.dead_lettered.len(),
        "retry messages processed"
    );
    summary.requeued = settlement.requeued;
    summary.dead_lettered = settlement.dead_lettered;
    Ok((summary, Some(batch_response(failed_messages))))
}

/// What a redriven event asks of a batch of the retry queue.
enum Redriven {
    /// First attempts at the accounts it names, tied to its message.
    Works(Vec<Work>),
    /// A reconcile, in these regions or MACIE_REGIONS.
    Reconcile(Option<Vec<Region>>),
    /// Nothing to do (reported and logged).
    Nothing,
}

/// The work of an event that reached no invocation and was redriven: the same as if it had arrived
/// itself, except that what cannot be settled has its message delivered again.
async fn redriven(app: &App, trigger: Trigger, message_id: &str) -> Result<Redriven, Error> {
    let message_id = Some(message_id.to_owned());
    let request = match trigger {
        Trigger::Invite(request) => request,
        Trigger::InviteRecentJoins(joins) => match recent_joins(app, &joins).await? {
            Some(request) => request,
            None => {
                ignored(no_recent_join(&joins));
                return Ok(Redriven::Nothing);
            }
        },
        Trigger::Reconcile { regions } => return Ok(Redriven::Reconcile(regions)),
        Trigger::Ignore(Ignored::CreationFailed(failure)) => {
            log_creation_failure(&failure);
            return Ok(Redriven::Nothing);
        }
        Trigger::Ignore(Ignored::NotAnAddition(event)) => {
            ignored(event);
            return Ok(Redriven::Nothing);
        }
        // The decoder refuses SQS records inside a redriven event.
        Trigger::Retry(_) => return Ok(Redriven::Nothing),
    };
    works(request, &app.config, message_id).map(Redriven::Works)
}

/// The accounts that joined around a join event that named none, as a request; `None` when no
/// account joined then.
async fn recent_joins(app: &App, joins: &RecentJoins) -> Result<Option<Request>, Error> {
    let (after, until) = join_window(joins);
    let mut account_ids = app
        .organizations
        .accounts_joined_between(after, until)
        .await?;
    account_ids.retain(|id| !joins.not.contains(id));
    tracing::info!(
        accounts = account_ids.len(),
        after,
        until,
        "accounts that joined around an AccountJoinedOrganization event that named none"
    );
    Ok((!account_ids.is_empty()).then(|| Request {
        account_ids,
        ..Request::default()
    }))
}

/// The seconds since the epoch between which an account counts as the join of `joins`.
fn join_window(joins: &RecentJoins) -> (i64, i64) {
    let around = joins.around.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64)
    });
    (
        around - RecentJoins::BEFORE_SECONDS,
        around + RecentJoins::AFTER_SECONDS,
    )
}

fn no_recent_join(joins: &RecentJoins) -> NotAnAddition {
    let (after, until) = join_window(joins);
    NotAnAddition {
        event: "AccountJoinedOrganization".to_owned(),
        reason: format!(
            "no account of the organization joined between {after} and {until} (seconds since the epoch); \
             the next reconcile invites any account that was missed"
        ),
    }
}

/// Logs and reports an event that adds no account.
fn ignored(ignored: NotAnAddition) -> Summary {
    tracing::warn!(
        event = ignored.event.as_str(),
        reason = ignored.reason.as_str(),
        outcome = "ignored",
        "event adds no account"
    );
    Summary {
        ignored: vec![ignored],
        ..Summary::default()
    }
}

/// The work an event names: a first attempt, in the regions it names or MACIE_REGIONS, refused
/// whole when it names more than MAX_ACCOUNTS_PER_EVENT. `message_id` ties the work to the retry
/// queue's message that brought it, if any.
fn works(
    request: Request,
    config: &Config,
    message_id: Option<String>,
) -> Result<Vec<Work>, Error> {
    let count = request.account_ids.len() + request.create_account_request_ids.len();
    if count > config.max_accounts_per_event {
        return Err(Error::TooManyAccounts {
            count,
            limit: config.max_accounts_per_event,
        });
    }
    let origin = Origin {
        message_id,
        ..Origin::first(request.regions.as_deref().unwrap_or(&config.regions))
    };
    let accounts = request.account_ids.into_iter().map(Subject::Account);
    let requests = request
        .create_account_request_ids
        .into_iter()
        .map(Subject::Request);
    Ok(accounts
        .chain(requests)
        .map(|subject| Work {
            subject,
            origin: origin.clone(),
        })
        .collect())
}

/// Logs and summarizes a run, then re-queues or dead-letters what is not done. Work that can be
/// neither fails the invocation, so that Lambda's own retries keep it.
async fn finish(app: &App, run: Run) -> Result<Summary, Error> {
    let mut summary = log_and_summarize(app, &run);
    if app.config.dry_run {
        return Ok(summary);
    }
    let settlement = invitation::settle(app, &run.reports).await;
    if !settlement.unsent.is_empty() {
        return Err(Error::RetryLater {
            unfinished: settlement
                .unsent
                .into_iter()
                .map(|(_, what)| what)
                .collect(),
        });
    }
    summary.requeued = settlement.requeued;
    summary.dead_lettered = settlement.dead_lettered;
    Ok(summary)
}

fn log_and_summarize(app: &App, run: &Run) -> Summary {
    run.reports.iter().for_each(Report::log);
    run.creations_failed.iter().for_each(log_creation_failure);
    Summary {
        dry_run: app.config.dry_run,
        creations_failed: run.creations_failed.clone(),
        ..Summary::from_reports(&run.reports)
    }
}

/// The batch response that has SQS deliver these messages again.
fn batch_response(mut message_ids: Vec<String>) -> SqsBatchResponse {
    message_ids.sort();
    message_ids.dedup();
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = message_ids
        .into_iter()
        .map(|message_id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id;
            failure
        })
        .collect();
    response
}

/// Writes the invocation's metrics to standard output, where CloudWatch Logs reads Embedded Metric
/// Format lines as they are (they are not log records of the subscriber).
fn write_metrics(app: &App, summary: &Summary, function_name: &str) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64);
    let lines = metrics::lines(summary, &app.config.metrics_namespace, function_name, now);
    let mut out = std::io::stdout().lock();
    for line in lines {
        // A lost metric line must not fail an invocation whose work is done.
        let _ = writeln!(out, "{line}");
    }
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

fn log_creation_failure(failure: &crate::outcome::CreationFailure) {
    tracing::warn!(
        create_account_request_id = failure.create_account_request_id.as_deref().unwrap_or(""),
        failure_reason = failure.failure_reason.as_str(),
        outcome = "creationFailed",
        "account creation failed; nothing to invite"
    );
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
            function_arn = crate::error::excerpt(function_arn),
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
