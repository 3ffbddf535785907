//! The workflow for a batch of the retry queue: retries and redriven dead letters, and events
//! redriven from the dead-letter queue, done together; the batch response names the messages to
//! deliver again.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::tracing;

use crate::domain::{Account, Work};
use crate::error::Error;
use crate::event::{Delivery, MessageContent};
use crate::quote::excerpt;
use crate::report::summary::{Bucket, Summary};
use crate::workflow::job::{Job, job_of, run_works};
use crate::workflow::scope::Scope;
use crate::workflow::steps::settle::finish;

/// The batch's work, and the messages already known to need delivering again.
#[derive(Default)]
struct Batch {
    works: Vec<Work>,
    failed_messages: Vec<String>,
    /// The organization's accounts, once the batch has listed them (it lists them once at most).
    known: Option<Vec<Account>>,
}

/// Processes a batch of the retry queue: the summary, and the batch response.
pub(crate) async fn retry_batch(
    scope: Scope<'_>,
    deliveries: Vec<Delivery>,
) -> (Summary, SqsBatchResponse) {
    let delivered: Vec<String> = deliveries
        .iter()
        .map(|delivery| delivery.message_id.clone())
        .collect();
    let mut batch = Batch::default();
    for delivery in deliveries {
        take_delivery(scope, &mut batch, delivery).await;
    }
    let works = std::mem::take(&mut batch.works);
    // The organization is listed where the work is run, once: a listing throttled past the SDK's
    // retries re-queues the reconcile; one refused for good fails the batch, delivered again.
    let (run, reconcile) = match run_works(scope, works, batch.known.as_deref()).await {
        Ok(done) => done,
        Err(error) => {
            tracing::error!(%error, outcome = "failed", "the batch could not be run: delivered again");
            return (Summary::default(), respond(delivered));
        }
    };
    let finished = finish(scope, &run, reconcile).await;
    if scope.app.config.dry_run {
        // Nothing is re-queued in a dry run: every message stays on the queue for a real run.
        return (finished.summary, respond(delivered));
    }
    for unsent in finished.unsent {
        tracing::error!(
            what = unsent.what,
            outcome = "unsent",
            "neither re-queued nor dead-lettered: the message is delivered again"
        );
        batch.failed_messages.extend(unsent.message_id);
    }
    let summary = finished.summary;
    tracing::info!(
        invited = summary.lists[Bucket::Invited].len(),
        requeued = summary.lists[Bucket::Requeued].len(),
        dead_lettered = summary.lists[Bucket::DeadLettered].len(),
        "retry messages processed"
    );
    (summary, respond(batch.failed_messages))
}

/// Takes one message into the batch: its work, or its message among those to deliver again.
async fn take_delivery(scope: Scope<'_>, batch: &mut Batch, delivery: Delivery) {
    let app = scope.app;
    let Delivery {
        message_id,
        content,
    } = delivery;
    let works = match content {
        // A retry past MAX_ATTEMPTS was not sent by this function (the queue policy lets only its
        // role send); it is not acted on.
        Ok(MessageContent::Work(work)) if work.origin.attempt > app.config.max_attempts => {
            Err(Error::malformed(
                "retry message",
                format!(
                    "message {}: attempt {} is past MAX_ATTEMPTS ({})",
                    excerpt(&message_id),
                    work.origin.attempt,
                    app.config.max_attempts
                ),
            ))
        }
        Ok(MessageContent::Work(work)) => Ok(vec![work]),
        Ok(MessageContent::Event(trigger)) => {
            take_redriven(job_of(scope, *trigger, Some(&message_id), &mut batch.known).await)
        }
        Err(error) => Err(error),
    };
    match works {
        Ok(works) => batch.works.extend(works),
        Err(error) => {
            // Delivered again until the queue's redrive policy moves it to the dead-letter queue.
            tracing::error!(message_id, error = %error, outcome = "unreadable", "retry message cannot be read or resolved");
            batch.failed_messages.push(message_id);
        }
    }
}

/// The work of an event that reached no invocation and was redriven: the same as if it had arrived
/// itself, except that what cannot be settled has its message delivered again.
fn take_redriven(job: Result<Job, Error>) -> Result<Vec<Work>, Error> {
    match job? {
        Job::Work(works) => Ok(works),
        Job::Nothing(ignored) => {
            ignored.log();
            Ok(Vec::new())
        }
        // The decoder refuses SQS records inside a redriven event.
        Job::Batch(_) => Ok(Vec::new()),
        // A dry run, like a preflight, changes nothing and answers its caller: run again, it would
        // answer no one; an adoption is an operator's action, whose answer is the plan to read.
        Job::Check(_) | Job::DryRun(_) | Job::Adopt(_) => {
            tracing::info!(
                outcome = "ignored",
                "a redriven check, dry run or adoption is not run again: invoke the function with it"
            );
            Ok(Vec::new())
        }
    }
}

/// The batch response that has SQS deliver these messages again.
fn respond(mut message_ids: Vec<String>) -> SqsBatchResponse {
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
