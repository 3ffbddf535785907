//! Settling a run: every subject that is not done goes to the retry queue (with its backoff) or to
//! the dead-letter queue (with what to do), as the failure policy decides.

use std::collections::BTreeMap;

use lambda_runtime::tracing;

use crate::app::App;
use crate::domain::Region;
use crate::error::Error;
use crate::failure::{self, Disposition};
use crate::message::{DeadLetter, RetryMessage};
use crate::outcome::{CreationFailure, Outcome, Report, subject_ids};
use crate::queue::Outgoing;
use crate::summary::{Detail, Entry, Summary};
use crate::workflow::Run;

/// What became of the subjects that are not done.
#[derive(Default)]
pub struct Settlement {
    pub requeued: Vec<Entry>,
    pub dead_lettered: Vec<Entry>,
    /// Work that could be neither re-queued nor dead-lettered.
    pub unsent: Vec<Unsent>,
}

/// Work that could be neither re-queued nor dead-lettered.
pub struct Unsent {
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
pub async fn settle(app: &App, reports: &[Report]) -> Settlement {
    let config = &app.config;
    let mut retries = Vec::new();
    let mut dead_letters = Vec::new();
    for report in reports {
        let disposition =
            failure::disposition(&report.outcome, report.origin.attempt, config.max_attempts);
        match disposition {
            Disposition::Done => {}
            Disposition::Requeue { attempt, reason } => {
                retries.push(retry_letter(app, report, attempt, reason))
            }
            Disposition::DeadLetter { reason } => dead_letters.push(dead_letter(report, reason)),
        }
    }
    let mut settlement = Settlement::default();
    for sent in send(app, config.retry_queue_url.as_deref(), retries).await {
        requeued(&mut settlement, sent);
    }
    for sent in send(app, config.dead_letter_queue_url.as_deref(), dead_letters).await {
        dead_lettered(&mut settlement, sent);
    }
    settlement
}

/// The regions a report's retry or dead letter names: its own, or all of its work's.
fn regions(report: &Report) -> Vec<Region> {
    report.region.as_ref().map_or_else(
        || report.origin.regions.clone(),
        |region| vec![region.clone()],
    )
}

/// The work's history with this attempt's reason added.
fn history(report: &Report) -> Vec<String> {
    let mut history = report.origin.history.clone();
    history.push(format!(
        "attempt {}: {}",
        report.origin.attempt,
        report.outcome.attempt_reason()
    ));
    history
}

fn retry_letter<'a>(app: &App, report: &'a Report, attempt: u32, reason: String) -> Letter<'a> {
    let delay_seconds = failure::retry_delay_seconds(
        &report.outcome,
        report.origin.attempt,
        app.config.retry_base_delay_seconds,
        fastrand::f64(),
    );
    let body = RetryMessage::new(&report.subject, &regions(report), attempt, &history(report));
    let mut entry = Entry::new(&report.subject, report.region.as_ref());
    entry.reason = Some(reason);
    entry.attempt = Some(attempt);
    entry.delay_seconds = Some(delay_seconds);
    Letter {
        report,
        entry,
        message: Outgoing {
            body: json(&body),
            delay_seconds,
        },
    }
}

fn dead_letter(report: &Report, reason: String) -> Letter<'_> {
    let attempts = report.origin.attempt;
    let body = DeadLetter::new(
        &report.subject,
        &regions(report),
        attempts,
        &reason,
        &history(report),
    );
    let mut entry = Entry::new(&report.subject, report.region.as_ref());
    entry.reason = Some(reason);
    entry.attempt = Some(attempts);
    Letter {
        report,
        entry,
        message: Outgoing {
            body: json(&body),
            delay_seconds: 0,
        },
    }
}

fn requeued(settlement: &mut Settlement, sent: Sent) {
    let Sent {
        report,
        entry,
        result,
    } = sent;
    match result {
        Ok(()) => {
            let (account_id, create_account_request_id) = subject_ids(&report.subject);
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
                region_list(&entry, report)
            ),
        }),
    }
}

fn dead_lettered(settlement: &mut Settlement, sent: Sent) {
    let Sent {
        report,
        entry,
        result,
    } = sent;
    let (account_id, create_account_request_id) = subject_ids(&report.subject);
    let region = entry.region.as_ref().map_or("", Region::as_str);
    let reason = entry.reason.as_deref().unwrap_or("");
    let history = history_excerpt(&report.origin.history);
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
async fn send<'a>(app: &App, queue_url: Option<&str>, letters: Vec<Letter<'a>>) -> Vec<Sent<'a>> {
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
    let mut unsent: BTreeMap<usize, String> = app
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

fn region_list(entry: &Entry, report: &Report) -> String {
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
fn history_excerpt(history: &[String]) -> String {
    match history.last() {
        Some(last) => format!(
            "{} earlier attempts; the last: {}",
            history.len(),
            crate::quote::free_text(last)
        ),
        None => "no earlier attempt".to_owned(),
    }
}

fn json<T: serde::Serialize>(body: &T) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// Logs a run and sorts it into the summary: a line per subject and region, but under
/// `Detail::Changes` none for a member already (counted, not listed).
pub fn summarize(app: &App, run: &Run, detail: Detail) -> Summary {
    run.reports
        .iter()
        .filter(|report| {
            detail == Detail::Every || !matches!(report.outcome, Outcome::AlreadyMember { .. })
        })
        .for_each(Report::log);
    run.creations_failed.iter().for_each(CreationFailure::log);
    let mut summary = Summary {
        dry_run: app.config.dry_run,
        creations_failed: run.creations_failed.clone(),
        ..Summary::from_reports(&run.reports, detail)
    };
    for (region, members) in &run.members_already {
        summary.count_members_already(region, *members);
    }
    summary
}

/// Logs and summarizes a run, then re-queues or dead-letters what is not done. Work that can be
/// neither fails the invocation, so that Lambda's own retries keep it.
pub async fn finish(app: &App, run: Run, detail: Detail) -> Result<Summary, Error> {
    let mut summary = summarize(app, &run, detail);
    if !app.config.dry_run {
        let settlement = settle(app, &run.reports).await;
        if !settlement.unsent.is_empty() {
            let unfinished = settlement.unsent.into_iter().map(|unsent| unsent.what);
            return Err(Error::RetryLater {
                unfinished: unfinished.collect(),
            });
        }
        summary.add_settled(settlement.requeued, settlement.dead_lettered);
    }
    log_counts(&summary);
    Ok(summary)
}

/// One line per region with its counts: what the invocation did there, however many accounts.
pub fn log_counts(summary: &Summary) {
    for (region, counts) in &summary.counts {
        tracing::info!(
            region,
            invited = counts.invited,
            accepted = counts.accepted,
            planned = counts.planned,
            already_members = counts.already_members,
            skipped = counts.skipped,
            unprocessed = counts.unprocessed,
            failed = counts.failed,
            pending = counts.pending,
            requeued = counts.requeued,
            dead_lettered = counts.dead_lettered,
            "region done"
        );
    }
}
