//! Settling a run: every subject that is not done goes to the retry queue (with its backoff) or to
//! the dead-letter queue (with what to do), as the failure policy decides.

use std::collections::BTreeMap;

use lambda_runtime::tracing;

use crate::aws::queue::Outgoing;
use crate::domain::Region;
use crate::event::message::{DeadLetter, DiscoveryDecision, RetryMessage};
use crate::outcome::{CreationFailure, Report, Run};
use crate::policy::failure::{self, Disposition};
use crate::report::summary::{Bucket, Detail, Entry, Reconciliation, Summary};
use crate::workflow::scope::Scope;

/// What became of the subjects that are not done.
#[derive(Default)]
pub(crate) struct Settlement {
    pub requeued: Vec<Entry>,
    pub dead_lettered: Vec<Entry>,
    /// Work that could be neither re-queued nor dead-lettered.
    pub unsent: Vec<Unsent>,
}

/// Work that could be neither re-queued nor dead-lettered.
pub(crate) struct Unsent {
    /// The SQS message it came in, if any: delivered again.
    pub message_id: Option<String>,
    /// What it was, and why it was not sent.
    pub what: String,
}

/// A message to send about a report, and the summary's entry for it.
struct Letter<'a> {
    report: &'a Report,
    entry: Entry,
    message: Outgoing,
}

/// A letter, and whether it went (or why not).
struct Sent<'a> {
    report: &'a Report,
    entry: Entry,
    result: Result<(), String>,
}

/// Sends every subject that is not done to the retry queue (with its backoff) or the dead-letter
/// queue (with what to do), as the outcome and the attempt decide.
pub(crate) async fn settle(scope: Scope<'_>, reports: &[Report]) -> Settlement {
    let config = &scope.app.config;
    let mut retries = Vec::new();
    let mut dead_letters = Vec::new();
    for report in reports {
        let disposition =
            failure::disposition(&report.outcome, &report.origin, config.max_attempts);
        match disposition {
            Disposition::Done => {}
            Disposition::Requeue { attempt, reason } => {
                retries.push(write_retry_letter(scope, report, attempt, reason))
            }
            Disposition::DeadLetter { reason } => {
                dead_letters.push(write_dead_letter(report, reason))
            }
        }
    }
    let mut settlement = Settlement::default();
    for sent in send_letters(scope, config.retry_queue_url.as_deref(), retries).await {
        record_requeued(&mut settlement, sent);
    }
    for sent in send_letters(scope, config.dead_letter_queue_url.as_deref(), dead_letters).await {
        record_dead_lettered(&mut settlement, sent);
    }
    settlement
}

/// The regions a report's retry or dead letter names: its own, or all of its work's.
fn regions_to_retry(report: &Report) -> Vec<Region> {
    report.region.as_ref().map_or_else(
        || report.origin.regions.to_vec(),
        |region| vec![region.clone()],
    )
}

/// The work's history with this attempt's reason added.
fn extend_history(report: &Report) -> Vec<String> {
    let mut history = report.origin.history.clone();
    history.push(format!(
        "attempt {}: {}",
        report.origin.attempt,
        report.outcome.attempt_reason()
    ));
    history
}

fn write_retry_letter<'a>(
    scope: Scope<'_>,
    report: &'a Report,
    attempt: u32,
    reason: String,
) -> Letter<'a> {
    let delay_seconds = failure::retry_delay_seconds(
        &report.outcome,
        report.origin.attempt,
        scope.app.config.retry_base_delay_seconds,
        fastrand::f64(),
    );
    let body = RetryMessage {
        by_operator: report.origin.by_operator,
        discovery: report.origin.discovery.map(DiscoveryDecision::new),
        ..RetryMessage::new(
            &report.subject,
            &regions_to_retry(report),
            attempt,
            &extend_history(report),
        )
    };
    let mut letter = write_letter(report, reason, attempt, to_json(&body));
    letter.entry.delay_seconds = Some(delay_seconds);
    letter.message.delay_seconds = delay_seconds;
    letter
}

fn write_dead_letter(report: &Report, reason: String) -> Letter<'_> {
    let attempts = report.origin.attempt;
    let body = DeadLetter::new(
        &report.subject,
        &regions_to_retry(report),
        attempts,
        &reason,
        &extend_history(report),
    );
    write_letter(report, reason, attempts, to_json(&body))
}

/// The letter of `body` about `report`, and its entry: the reason, and the attempt it names.
fn write_letter(report: &Report, reason: String, attempt: u32, body: String) -> Letter<'_> {
    let mut entry = Entry::new(&report.subject, report.region.as_ref());
    entry.reason = Some(reason);
    entry.attempt = Some(attempt);
    let message = Outgoing {
        body,
        delay_seconds: 0,
    };
    Letter {
        report,
        entry,
        message,
    }
}

fn record_requeued(settlement: &mut Settlement, sent: Sent) {
    let Sent {
        report,
        entry,
        result,
    } = sent;
    match result {
        Ok(()) => {
            let (account_id, create_account_request_id, _) = report.subject.fields();
            tracing::warn!(
                account_id,
                create_account_request_id,
                region = entry.region.as_ref().map_or("", Region::as_str),
                outcome = "requeued",
                attempt = entry.attempt,
                delay_seconds = entry.delay_seconds,
                reason = entry.reason.as_deref(),
                "re-queued for another attempt"
            );
            settlement.requeued.push(entry);
        }
        Err(why) => settlement.unsent.push(Unsent {
            message_id: report.origin.message_id.clone(),
            what: format!(
                "{} in {}: {why}",
                report.subject,
                join_regions(&entry, report)
            ),
        }),
    }
}

fn record_dead_lettered(settlement: &mut Settlement, sent: Sent) {
    let Sent {
        report,
        entry,
        result,
    } = sent;
    let (account_id, create_account_request_id, _) = report.subject.fields();
    let region = entry.region.as_ref().map_or("", Region::as_str);
    let reason = entry.reason.as_deref().unwrap_or("");
    let history = excerpt_history(&report.origin.history);
    let attempts = report.origin.attempt;
    match result {
        Ok(()) => {
            tracing::error!(
                account_id,
                create_account_request_id,
                region,
                outcome = "deadLettered",
                attempts,
                reason,
                history,
                "given up: sent to the dead-letter queue"
            );
            settlement.dead_lettered.push(entry);
        }
        // No dead-letter queue: the failure stays in the summary and in this ERROR line.
        Err(why) => tracing::error!(
            account_id,
            create_account_request_id,
            region,
            outcome = "givenUp",
            attempts,
            reason,
            history,
            why,
            "given up, and not dead-lettered"
        ),
    }
}

/// Sends the letters to `queue_url`, and says of each whether it went.
async fn send_letters<'a>(
    scope: Scope<'_>,
    queue_url: Option<&str>,
    letters: Vec<Letter<'a>>,
) -> Vec<Sent<'a>> {
    let Some(queue_url) = queue_url else {
        return letters
            .into_iter()
            .map(|letter| Sent {
                report: letter.report,
                entry: letter.entry,
                result: Err("no queue is configured".to_owned()),
            })
            .collect();
    };
    let messages: Vec<Outgoing> = letters
        .iter()
        .map(|letter| letter.message.clone())
        .collect();
    let mut unsent: BTreeMap<usize, String> = scope
        .app
        .queue
        .send(queue_url, &messages)
        .await
        .into_iter()
        .collect();
    letters
        .into_iter()
        .enumerate()
        .map(|(index, letter)| Sent {
            report: letter.report,
            entry: letter.entry,
            result: unsent.remove(&index).map_or(Ok(()), Err),
        })
        .collect()
}

fn join_regions(entry: &Entry, report: &Report) -> String {
    match &entry.region {
        Some(region) => region.to_string(),
        None => report
            .origin
            .regions
            .iter()
            .map(Region::as_str)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// What a log line says of a history: how many attempts it records, and the last one cut short.
/// The history is data (a retry message's, which anyone who may send to the queue can write): the
/// dead letter keeps it whole, bounded; a log line quotes only this excerpt.
fn excerpt_history(history: &[String]) -> String {
    match history.last() {
        Some(last) => format!(
            "{} earlier attempts; the last: {}",
            history.len(),
            crate::quote::free_text(last)
        ),
        None => "no earlier attempt".to_owned(),
    }
}

fn to_json<T: serde::Serialize>(body: &T) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// A run logged, summarized and settled: its summary, and the work that could be neither re-queued
/// nor dead-lettered, for the caller to keep (the retry queue delivers its message again; an
/// invocation fails, so that Lambda's own retries keep it).
pub(crate) struct Finished {
    pub summary: Summary,
    pub unsent: Vec<Unsent>,
}

/// Logs and summarizes a run, then re-queues or dead-letters what is not done (under DRY_RUN,
/// nothing is sent). The log lines follow the summary's lists: under a reconcile, none for a
/// member already.
pub(crate) async fn finish(
    scope: Scope<'_>,
    run: &Run,
    reconcile: Option<Reconciliation>,
) -> Finished {
    let app = scope.app;
    let detail = Detail::of(reconcile.is_some());
    run.reports
        .iter()
        .filter(|report| detail.lists(Bucket::of(&report.outcome)))
        .for_each(Report::log);
    run.creations_failed.iter().for_each(CreationFailure::log);
    let mut summary = Summary::of_run(run, reconcile, app.config.dry_run);
    let mut unsent = Vec::new();
    if !app.config.dry_run {
        let settlement = settle(scope, &run.reports).await;
        summary.add_settled(settlement.requeued, settlement.dead_lettered);
        unsent = settlement.unsent;
    }
    for (region, counts) in &summary.counts {
        counts.log(region);
    }
    Finished { summary, unsent }
}
