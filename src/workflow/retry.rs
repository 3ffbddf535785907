//! The workflow for a batch of the retry queue: retries and redriven dead letters, and events
//! redriven from the dead-letter queue, done together; the batch response names the messages to
//! deliver again.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::tracing;

use crate::app::App;
use crate::domain::{Account, AccountId, Origin, Subject, Work};
use crate::error::Error;
use crate::event::{Delivered, Delivery, Ignored, Trigger};
use crate::plan;
use crate::quote::excerpt;
use crate::summary::{Detail, Reconciliation, Summary};
use crate::workflow::named::{self, no_recent_join, recent_joins};
use crate::workflow::reconcile::{Listed, list_accounts, reconcile_listed};
use crate::workflow::{Deadline, Run, confine, settle};

/// What a redriven event asks of a batch of the retry queue: first attempts at the accounts it
/// names, or at a reconcile, tied to its message (no work: reported and logged, nothing to do).
type Redriven = Vec<Work>;

/// The batch's work, and the messages already known to need delivering again.
#[derive(Default)]
struct Batch {
    works: Vec<Work>,
    /// Reconciles: retries of what one could not finish, and redriven ones.
    reconciles: Vec<Work>,
    failed_messages: Vec<String>,
    /// The organization's accounts, once the batch has listed them (it lists them once at most).
    known: Option<Vec<Account>>,
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
    let mut run = Run::default();
    if !batch.reconciles.is_empty() && batch.known.is_none() {
        batch.known = list_for_reconciles(app, &mut batch).await;
    }
    let known = batch.known.as_deref();
    let named = named::invite(app, batch.works, known, own_account, deadline).await;
    run.reports.extend(named.reports);
    run.creations_failed.extend(named.creations_failed);
    let reconciliation = match known {
        Some(accounts) => {
            reconciles(
                app,
                &mut run,
                batch.reconciles,
                accounts,
                own_account,
                deadline,
            )
            .await
        }
        None => None,
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
    settled(app, &run, &mut summary, &mut batch.failed_messages).await;
    (summary, batch_response(batch.failed_messages))
}

/// Re-queues or dead-letters what the batch did not finish; a message whose work could be neither
/// is among those delivered again.
async fn settled(app: &App, run: &Run, summary: &mut Summary, failed_messages: &mut Vec<String>) {
    let settlement = settle::settle(app, &run.reports).await;
    for unsent in settlement.unsent {
        tracing::error!(
            what = unsent.what,
            outcome = "unsent",
            "neither re-queued nor dead-lettered: the message is delivered again"
        );
        failed_messages.extend(unsent.message_id);
    }
    tracing::info!(
        invited = summary.invited.len(),
        requeued = settlement.requeued.len(),
        dead_lettered = settlement.dead_lettered.len(),
        "retry messages processed"
    );
    summary.add_settled(settlement.requeued, settlement.dead_lettered);
    settle::log_counts(summary);
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
        Ok(Delivered::Work(work)) if work.subject == Subject::Reconcile => {
            batch.reconciles.push(work);
            return;
        }
        Ok(Delivered::Work(work)) => {
            batch.works.push(work);
            return;
        }
        Ok(Delivered::Event(trigger)) => {
            redriven(app, *trigger, &message_id, &mut batch.known).await
        }
        Err(error) => Err(error),
    };
    match redriven {
        Ok(works) => {
            let (reconciles, works): (Vec<Work>, Vec<Work>) = works
                .into_iter()
                .partition(|work| work.subject == Subject::Reconcile);
            batch.works.extend(works);
            batch.reconciles.extend(reconciles);
        }
        Err(error) => {
            // Delivered again until the queue's redrive policy moves it to the dead-letter queue.
            tracing::error!(message_id, error = %error, outcome = "unreadable", "retry message cannot be read or resolved");
            batch.failed_messages.push(message_id);
        }
    }
}

/// The work of an event that reached no invocation and was redriven: the same as if it had arrived
/// itself, except that what cannot be settled has its message delivered again.
async fn redriven(
    app: &App,
    trigger: Trigger,
    message_id: &str,
    known: &mut Option<Vec<Account>>,
) -> Result<Redriven, Error> {
    let message_id = Some(message_id.to_owned());
    let request = match trigger {
        Trigger::Invite(request) => request,
        // Two redriven joins in one batch read the organization once.
        Trigger::InviteRecentJoins(joins) => match recent_joins(app, &joins, known).await? {
            Some(request) => request,
            None => {
                no_recent_join(&joins).log();
                return Ok(Vec::new());
            }
        },
        Trigger::Reconcile { regions } => {
            let regions = plan::reconcile_regions(regions.as_deref(), &app.config.regions)?;
            let origin = Origin {
                message_id,
                ..Origin::first(regions)
            };
            return Ok(vec![Work {
                subject: Subject::Reconcile,
                origin,
            }]);
        }
        Trigger::Ignore(Ignored::CreationFailed(failure)) => {
            failure.log();
            return Ok(Vec::new());
        }
        Trigger::Ignore(Ignored::NotAnAddition(event)) => {
            event.log();
            return Ok(Vec::new());
        }
        // The decoder refuses SQS records inside a redriven event.
        Trigger::Retry(_) => return Ok(Vec::new()),
        // A dry run, like a preflight, changes nothing and answers its caller: run again, it would
        // answer no one.
        Trigger::Check { .. } | Trigger::DryRun(_) => {
            tracing::info!(
                outcome = "ignored",
                "a redriven check or dry run is not run again: invoke the function with it"
            );
            return Ok(Vec::new());
        }
    };
    named::works(request, &app.config, message_id)
}

/// Lists the organization for the batch's reconciles; `None` when it cannot now, and then their
/// messages are delivered again.
async fn list_for_reconciles(app: &App, batch: &mut Batch) -> Option<Vec<Account>> {
    let origin = &batch.reconciles.first()?.origin;
    match list_accounts(app, origin).await {
        Ok(Listed::Accounts(accounts)) => Some(accounts),
        Ok(Listed::Later(_)) | Err(_) => {
            tracing::error!(
                outcome = "failed",
                "the organization could not be listed for the reconciles of the retry queue: delivered again"
            );
            let reconciles = std::mem::take(&mut batch.reconciles).into_iter();
            batch
                .failed_messages
                .extend(reconciles.filter_map(|work| work.origin.message_id));
            None
        }
    }
}

/// Runs the batch's reconciles (their regions confined to MACIE_REGIONS) over the organization's
/// accounts, into `run`: what the last found.
async fn reconciles(
    app: &App,
    run: &mut Run,
    works: Vec<Work>,
    accounts: &[Account],
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> Option<Reconciliation> {
    let mut found = None;
    for work in &confine(app, run, works) {
        let (reconciled, reconciliation) =
            reconcile_listed(app, &work.origin, accounts, own_account, deadline).await;
        run.reports.extend(reconciled.reports);
        run.members_already.extend(reconciled.members_already);
        found = Some(reconciliation);
    }
    found
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
