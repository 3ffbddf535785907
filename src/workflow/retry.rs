//! The workflow for a batch of the retry queue: retries and redriven dead letters, and events
//! redriven from the dead-letter queue, done together; the batch response names the messages to
//! deliver again.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::tracing;

use crate::app::App;
use crate::domain::{AccountId, Region, Work};
use crate::error::Error;
use crate::event::{Delivered, Delivery, Ignored, Trigger};
use crate::plan;
use crate::quote::excerpt;
use crate::summary::{Detail, Reconciliation, Summary};
use crate::workflow::named::{self, no_recent_join, recent_joins};
use crate::workflow::reconcile::reconcile;
use crate::workflow::{Deadline, Run, settle};

/// What a redriven event asks of a batch of the retry queue.
enum Redriven {
    /// First attempts at the accounts it names, tied to its message.
    Works(Vec<Work>),
    /// A reconcile, in these regions or MACIE_REGIONS.
    Reconcile(Option<Vec<Region>>),
    /// Nothing to do (reported and logged).
    Nothing,
}

/// The batch's work, and the messages already known to need delivering again.
#[derive(Default)]
struct Batch {
    works: Vec<Work>,
    /// Redriven reconciles: their message, and the regions they name.
    reconciles: Vec<(String, Option<Vec<Region>>)>,
    failed_messages: Vec<String>,
}

/// Processes a batch of the retry queue: the summary, and the batch response.
pub async fn retry(
    app: &App,
    deliveries: Vec<Delivery>,
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> (Summary, SqsBatchResponse) {
    let delivered: Vec<String> = deliveries
        .iter()
        .map(|delivery| delivery.message_id.clone())
        .collect();
    let mut batch = Batch::default();
    for delivery in deliveries {
        read(app, &mut batch, delivery).await;
    }
    let mut run = named::invite(app, batch.works, own_account, deadline).await;
    let reconciliation = match batch.reconciles.first() {
        None => None,
        Some((_, regions)) => {
            match redriven_reconcile(app, regions.as_deref(), own_account, deadline).await {
                Ok((reconciled, found)) => {
                    run.reports.extend(reconciled.reports);
                    Some(found)
                }
                Err(error) => {
                    tracing::error!(error = %error, outcome = "failed", "a redriven reconcile failed: delivered again");
                    let messages = batch.reconciles.into_iter().map(|(id, _)| id);
                    batch.failed_messages.extend(messages);
                    None
                }
            }
        }
    };
    // A redriven reconcile lists what changed; retries alone list every subject they name.
    let detail = match reconciliation {
        Some(_) => Detail::Changes,
        None => Detail::Every,
    };
    let mut summary = settle::summarize(app, &run, detail);
    summary.reconcile = reconciliation;
    if app.config.dry_run {
        // Nothing is re-queued in a dry run: every message stays on the queue for a real run.
        settle::log_counts(&summary);
        return (summary, batch_response(delivered));
    }
    let settlement = settle::settle(app, &run.reports).await;
    for unsent in settlement.unsent {
        tracing::error!(
            what = unsent.what,
            outcome = "unsent",
            "neither re-queued nor dead-lettered: the message is delivered again"
        );
        batch.failed_messages.extend(unsent.message_id);
    }
    tracing::info!(
        invited = summary.invited.len(),
        requeued = settlement.requeued.len(),
        dead_lettered = settlement.dead_lettered.len(),
        "retry messages processed"
    );
    summary.add_settled(settlement.requeued, settlement.dead_lettered);
    settle::log_counts(&summary);
    (summary, batch_response(batch.failed_messages))
}

/// Takes one message into the batch: its work, or its message among those to deliver again.
async fn read(app: &App, batch: &mut Batch, delivery: Delivery) {
    let Delivery {
        message_id,
        content,
    } = delivery;
    let redriven = match content {
        // A retry past MAX_ATTEMPTS was not sent by this function (the queue policy lets only its
        // role send); it is not acted on.
        Ok(Delivered::Work(work)) if work.origin.attempt > app.config.max_attempts => {
            Err(Error::MalformedEvent {
                event: "retry message",
                problem: format!(
                    "message {}: attempt {} is past MAX_ATTEMPTS ({})",
                    excerpt(&message_id),
                    work.origin.attempt,
                    app.config.max_attempts
                ),
            })
        }
        Ok(Delivered::Work(work)) => {
            batch.works.push(work);
            return;
        }
        Ok(Delivered::Event(trigger)) => redriven(app, *trigger, &message_id).await,
        Err(error) => Err(error),
    };
    match redriven {
        Ok(Redriven::Works(works)) => batch.works.extend(works),
        Ok(Redriven::Reconcile(regions)) => batch.reconciles.push((message_id, regions)),
        Ok(Redriven::Nothing) => {}
        Err(error) => {
            // Delivered again until the queue's redrive policy moves it to the dead-letter queue.
            tracing::error!(message_id, error = %error, outcome = "unreadable", "retry message cannot be read or resolved");
            batch.failed_messages.push(message_id);
        }
    }
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
                no_recent_join(&joins).log();
                return Ok(Redriven::Nothing);
            }
        },
        Trigger::Reconcile { regions } => return Ok(Redriven::Reconcile(regions)),
        Trigger::Ignore(Ignored::CreationFailed(failure)) => {
            failure.log();
            return Ok(Redriven::Nothing);
        }
        Trigger::Ignore(Ignored::NotAnAddition(event)) => {
            event.log();
            return Ok(Redriven::Nothing);
        }
        // The decoder refuses SQS records inside a redriven event.
        Trigger::Retry(_) => return Ok(Redriven::Nothing),
    };
    named::works(request, &app.config, message_id).map(Redriven::Works)
}

async fn redriven_reconcile(
    app: &App,
    regions: Option<&[Region]>,
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> Result<(Run, Reconciliation), Error> {
    let regions = plan::reconcile_regions(regions, &app.config.regions)?;
    reconcile(app, regions, own_account, deadline).await
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
