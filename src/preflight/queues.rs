//! The preflight's judgement of the retry and dead-letter queues.

use super::{Check, judge_refusal};
use crate::domain::QueueDepth;
use crate::error::Error;

/// Which queue a queue check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueRole {
    Retry,
    DeadLetter,
}

impl QueueRole {
    fn check(self) -> &'static str {
        match self {
            QueueRole::Retry => "retryQueue",
            QueueRole::DeadLetter => "deadLetterQueue",
        }
    }

    fn setting(self) -> &'static str {
        match self {
            QueueRole::Retry => "RETRY_QUEUE_URL",
            QueueRole::DeadLetter => "DEAD_LETTER_QUEUE_URL",
        }
    }
}

/// A queue: set, and reachable. `depth` is `None` when the setting is absent.
pub(crate) fn judge_queue(role: QueueRole, depth: Option<&Result<QueueDepth, Error>>) -> Check {
    let (check, setting) = (role.check(), role.setting());
    match depth {
        None => Check::fail(
            check,
            match role {
                QueueRole::Retry => format!(
                    "{setting} is not set: work that may pass later fails the invocation instead, and rests on Lambda's own two retries"
                ),
                QueueRole::DeadLetter => format!(
                    "{setting} is not set: work that cannot be finished is reported only in the invocation's error"
                ),
            },
            format!("set {setting} to the queue's URL (template.yaml does)"),
        ),
        Some(Err(error))
            if error.code().is_some_and(|code| {
                code.contains("NonExistentQueue") || code == "QueueDoesNotExist"
            }) =>
        {
            Check::fail(
                check,
                format!("no such queue: {error}"),
                format!("set {setting} to the URL of an existing queue (template.yaml's output)"),
            )
        }
        Some(Err(error)) => judge_refusal(check, error, "sqs:GetQueueAttributes"),
        Some(Ok(depth)) => {
            let mut detail = format!(
                "reachable: {} waiting, {} delayed, {} in flight",
                depth.waiting, depth.delayed, depth.in_flight
            );
            if role == QueueRole::DeadLetter && depth.waiting + depth.delayed > 0 {
                detail.push_str(
                    "; accounts that could not be enrolled wait there, with their reasons (docs/operations.md, The dead-letter queue)",
                );
            }
            Check::pass(check, detail)
        }
    }
}
