//! The bodies of the messages the function writes to its queues: retries it reads back, and dead
//! letters for the operator.

use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, CreateAccountRequestId, Origin, Region, Subject, Work};
use crate::error::Error;
use crate::quote::{clip, excerpt};

/// How much of the history a message keeps, and how long each reason may be: bounded whatever
/// happens, far under SQS's 256 KiB.
const HISTORY_KEPT: usize = 20;
const REASON_CHARS: usize = 500;
const MAX_REGIONS: usize = 40;
/// The highest attempt a retry can be: MAX_ATTEMPTS is at most 100.
const MAX_ATTEMPT: u32 = 100;

/// A retry: one subject, the regions still to do, the attempt it will be, and why each attempt before failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_account_request_id: Option<String>,
    /// The reconcile of `regions`, instead of one account.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reconcile: bool,
    pub regions: Vec<String>,
    pub attempt: u32,
    pub history: Vec<String>,
}

/// What the retry queue may hold: a retry message, or a dead letter that the operator moved back
/// (a redrive, once the cause is fixed), which starts again at attempt 1.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Incoming {
    account_id: Option<String>,
    create_account_request_id: Option<String>,
    #[serde(default)]
    reconcile: bool,
    regions: Vec<String>,
    attempt: Option<u32>,
    attempts: Option<u32>,
    reason: Option<String>,
    #[serde(default)]
    history: Vec<String>,
}

impl RetryMessage {
    pub fn new(subject: &Subject, regions: &[Region], attempt: u32, history: &[String]) -> Self {
        let (account_id, create_account_request_id) = match subject {
            Subject::Account(id) => (Some(id.to_string()), None),
            Subject::Request(id) => (None, Some(id.to_string())),
            Subject::Reconcile => (None, None),
        };
        RetryMessage {
            account_id,
            create_account_request_id,
            reconcile: *subject == Subject::Reconcile,
            regions: regions.iter().map(ToString::to_string).collect(),
            attempt,
            history: bounded_history(history),
        }
    }

    /// Decodes and checks a message body read from the retry queue.
    pub fn decode(body: &str, message_id: &str) -> Result<Work, Error> {
        let malformed = |problem: String| Error::MalformedEvent {
            event: "retry message",
            problem: format!("message {}: {}", excerpt(message_id), clip(&problem)),
        };
        let message: Incoming =
            serde_json::from_str(body).map_err(|error| malformed(error.to_string()))?;
        let subject = match (
            &message.account_id,
            &message.create_account_request_id,
            message.reconcile,
        ) {
            (Some(id), None, false) => Subject::Account(AccountId::parse(id, "accountId")?),
            (None, Some(id), false) => {
                Subject::Request(CreateAccountRequestId::parse(id, "createAccountRequestId")?)
            }
            (None, None, true) => Subject::Reconcile,
            _ => {
                return Err(malformed(
                    "expected exactly one of accountId and createAccountRequestId, or reconcile \
                     (true) for the reconcile of the regions"
                        .to_owned(),
                ));
            }
        };
        if message.regions.is_empty() || message.regions.len() > MAX_REGIONS {
            return Err(malformed(format!(
                "regions must name 1 to {MAX_REGIONS} regions"
            )));
        }
        let regions = message
            .regions
            .iter()
            .enumerate()
            .map(|(index, region)| Region::parse(region, &format!("regions[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut history = message.history;
        let attempt = match (message.attempt, message.attempts, message.reason) {
            (Some(attempt), None, None) if (2..=MAX_ATTEMPT).contains(&attempt) => attempt,
            (Some(attempt), None, None) => {
                return Err(malformed(format!(
                    "attempt is {attempt}; a retry is attempt 2 to {MAX_ATTEMPT}"
                )));
            }
            (None, Some(attempts), Some(reason)) => {
                history.push(format!(
                    "dead-lettered after {attempts} attempts ({reason}); redriven"
                ));
                1
            }
            _ => {
                return Err(malformed(
                    "expected attempt (a retry) or attempts and reason (a dead letter)".to_owned(),
                ));
            }
        };
        Ok(Work {
            subject,
            origin: Origin {
                regions,
                attempt,
                history: bounded_history(&history),
                message_id: Some(message_id.to_owned()),
            },
        })
    }
}

/// What the dead-letter queue receives: the subject, where, after how many attempts, what the
/// operator must do, and why every attempt failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_account_request_id: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reconcile: bool,
    pub regions: Vec<String>,
    pub attempts: u32,
    pub reason: String,
    pub history: Vec<String>,
}

impl DeadLetter {
    pub fn new(
        subject: &Subject,
        regions: &[Region],
        attempts: u32,
        reason: &str,
        history: &[String],
    ) -> Self {
        let retry = RetryMessage::new(subject, regions, attempts, history);
        DeadLetter {
            account_id: retry.account_id,
            create_account_request_id: retry.create_account_request_id,
            reconcile: retry.reconcile,
            regions: retry.regions,
            attempts,
            reason: reason.to_owned(),
            history: retry.history,
        }
    }
}

/// The most recent reasons, each cut short.
fn bounded_history(history: &[String]) -> Vec<String> {
    history[history.len().saturating_sub(HISTORY_KEPT)..]
        .iter()
        .map(|reason| match reason.char_indices().nth(REASON_CHARS) {
            Some((end, _)) => format!("{}…", &reason[..end]),
            None => reason.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(name: &str) -> Region {
        Region::parse(name, "t").unwrap()
    }

    #[test]
    fn a_retry_message_comes_back_as_the_work_it_was() {
        let subject = Subject::Account(AccountId::parse("111122223333", "t").unwrap());
        let history = vec!["attempt 1: throttled".to_owned()];
        let message = RetryMessage::new(&subject, &[region("eu-west-1")], 2, &history);
        let body = serde_json::to_string(&message).unwrap();
        assert_eq!(
            body,
            r#"{"accountId":"111122223333","regions":["eu-west-1"],"attempt":2,"history":["attempt 1: throttled"]}"#
        );
        let work = RetryMessage::decode(&body, "m-1").unwrap();
        assert_eq!(work.subject, subject);
        assert_eq!(work.origin.regions, [region("eu-west-1")]);
        assert_eq!(work.origin.attempt, 2);
        assert_eq!(work.origin.history, history);
        assert_eq!(work.origin.message_id.as_deref(), Some("m-1"));
    }

    #[test]
    fn malformed_retry_messages_say_what_is_wrong() {
        let cases = [
            ("not json", "message m-1"),
            (
                r#"{"regions":["us-east-1"],"attempt":2}"#,
                "exactly one of accountId and createAccountRequestId",
            ),
            (
                r#"{"accountId":"1","regions":["us-east-1"],"attempt":2}"#,
                "invalid account ID \"1\"",
            ),
            (
                r#"{"accountId":"111122223333","regions":[],"attempt":2}"#,
                "regions must name",
            ),
            (
                r#"{"accountId":"111122223333","regions":["x"],"attempt":2}"#,
                "invalid region \"x\"",
            ),
            (
                r#"{"accountId":"111122223333","regions":["us-east-1"],"attempt":1}"#,
                "attempt is 1",
            ),
            (
                r#"{"accountId":"111122223333","regions":["us-east-1"],"attempt":2,"extra":1}"#,
                "unknown field `extra`",
            ),
            (
                r#"{"createAccountRequestId":"car-x","regions":["us-east-1"],"attempt":2}"#,
                "car-x",
            ),
        ];
        for (body, expected) in cases {
            let message = RetryMessage::decode(body, "m-1").unwrap_err().to_string();
            assert!(message.contains(expected), "{body}: {message}");
        }
    }

    #[test]
    fn a_dead_letter_moved_back_to_the_retry_queue_starts_again_at_attempt_one() {
        let subject = Subject::Request(CreateAccountRequestId::parse("car-abcdefgh", "t").unwrap());
        let letter = DeadLetter::new(
            &subject,
            &[region("us-east-1")],
            8,
            "quota reached",
            &["attempt 8: x".to_owned()],
        );
        let work = RetryMessage::decode(&serde_json::to_string(&letter).unwrap(), "m-2").unwrap();
        assert_eq!(work.subject, subject);
        assert_eq!(work.origin.attempt, 1);
        assert_eq!(work.origin.history.len(), 2);
        assert!(work.origin.history[1].contains("redriven"));
    }

    #[test]
    fn the_history_stays_bounded() {
        let history: Vec<String> = (0..50)
            .map(|n| format!("{n}: {}", "x".repeat(1_000)))
            .collect();
        let subject = Subject::Account(AccountId::parse("111122223333", "t").unwrap());
        let message = RetryMessage::new(&subject, &[region("us-east-1")], 9, &history);
        assert_eq!(message.history.len(), 20);
        assert!(message.history[0].starts_with("30: "));
        assert!(
            message
                .history
                .iter()
                .all(|reason| reason.chars().count() <= 501)
        );
    }
}
