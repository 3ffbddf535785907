//! The bodies of the messages the function writes to its queues: retries it reads back, and dead
//! letters for the operator.

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccountId, CreateAccountRequestId, Decided, Discovery, OffReason, Origin, Region, Subject, Work,
};
use crate::error::Error;
use crate::quote::{clip, cut, excerpt};

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
    /// An account, a creation request, or the reconcile of `regions`.
    #[serde(flatten)]
    pub subject: Subject,
    /// The regions still to do.
    pub regions: Vec<String>,
    /// The attempt the retry will be (2 or more).
    pub attempt: u32,
    /// Why each earlier attempt failed, the most recent ones, each cut short.
    pub history: Vec<String>,
    /// An operator asked for the work (a manual invocation): it stays the operator's on retry.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub by_operator: bool,
    /// A change of the account's automated discovery that failed: made again as it was decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryDecision>,
}

/// A decision on a member's automated discovery, as a retry message carries it: `status`
/// (`ENABLED` or `DISABLED`) and, off, `reason` (`unit`, `account` or `cost`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiscoveryDecision {
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl DiscoveryDecision {
    /// The decision's body.
    pub fn new(decided: Decided) -> Self {
        DiscoveryDecision {
            status: decided.status.name().to_owned(),
            reason: decided.reason.map(|reason| reason.name().to_owned()),
        }
    }

    /// The decision it carries; `None` where its words are none of ours.
    fn read(&self) -> Option<Decided> {
        let status = match self.status.as_str() {
            "ENABLED" => Discovery::On,
            "DISABLED" => Discovery::Off,
            _ => return None,
        };
        let reason = match &self.reason {
            Some(reason) => Some(OffReason::parse(reason)?),
            None => None,
        };
        Some(Decided { status, reason })
    }
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
    /// With `accountId`: the removal of the departed account's members.
    #[serde(default)]
    departed: bool,
    regions: Vec<String>,
    attempt: Option<u32>,
    attempts: Option<u32>,
    reason: Option<String>,
    #[serde(default)]
    history: Vec<String>,
    #[serde(default)]
    by_operator: bool,
    discovery: Option<DiscoveryDecision>,
}

impl RetryMessage {
    /// The retry of `subject` in `regions`, as attempt `attempt`.
    pub fn new(subject: &Subject, regions: &[Region], attempt: u32, history: &[String]) -> Self {
        RetryMessage {
            subject: subject.clone(),
            regions: regions.iter().map(ToString::to_string).collect(),
            attempt,
            history: keep_recent_history(history),
            by_operator: false,
            discovery: None,
        }
    }

    /// Decodes and checks a message body read from the retry queue.
    ///
    /// # Errors
    /// A body that is not one of the function's retries or dead letters, or holds a bad value:
    /// the error names the message and what is wrong.
    pub fn decode(body: &str, message_id: &str) -> Result<Work, Error> {
        let malformed = |problem: String| Error::MalformedEvent {
            event: "retry message",
            problem: format!("message {}: {}", excerpt(message_id), clip(&problem)),
        };
        let message: Incoming =
            serde_json::from_str(body).map_err(|error| malformed(error.to_string()))?;
        let subject = message.read_subject()?.ok_or_else(|| {
            malformed(
                "expected exactly one of accountId (with departed: true for the removal of a \
                 departed account's members) and createAccountRequestId, or reconcile (true) for \
                 the reconcile of the regions"
                    .to_owned(),
            )
        })?;
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
        // A dead letter comes back only when an operator redrives it.
        let by_operator = message.by_operator || message.reason.is_some();
        let discovery = match &message.discovery {
            Some(decision) => Some(decision.read().ok_or_else(|| {
                malformed("discovery must be {\"status\": \"ENABLED\" or \"DISABLED\", \"reason\": \"unit\", \"account\" or \"cost\"}".to_owned())
            })?),
            None => None,
        };
        let (attempt, history) = message.read_attempt().map_err(malformed)?;
        Ok(Work {
            subject,
            origin: Origin {
                regions: regions.into(),
                attempt,
                history: keep_recent_history(&history),
                message_id: Some(message_id.to_owned()),
                by_operator,
                discovery,
            },
        })
    }
}

impl Incoming {
    /// The subject the message names; `None` when it names none, or more than one.
    fn read_subject(&self) -> Result<Option<Subject>, Error> {
        Ok(Some(
            match (
                &self.account_id,
                &self.create_account_request_id,
                self.reconcile,
                self.departed,
            ) {
                (Some(id), None, false, false) => {
                    Subject::Account(AccountId::parse(id, "accountId")?)
                }
                (Some(id), None, false, true) => {
                    Subject::Departure(AccountId::parse(id, "accountId")?)
                }
                (None, Some(id), false, false) => {
                    Subject::Request(CreateAccountRequestId::parse(id, "createAccountRequestId")?)
                }
                (None, None, true, false) => Subject::Reconcile,
                _ => return Ok(None),
            },
        ))
    }

    /// The attempt the message is, and its history: a retry's own, or a redriven dead letter's
    /// (attempt 1 again, its redrive recorded); else what is wrong.
    fn read_attempt(self) -> Result<(u32, Vec<String>), String> {
        let mut history = self.history;
        match (self.attempt, self.attempts, self.reason) {
            (Some(attempt), None, None) if (2..=MAX_ATTEMPT).contains(&attempt) => {
                Ok((attempt, history))
            }
            (Some(attempt), None, None) => Err(format!(
                "attempt is {attempt}; a retry is attempt 2 to {MAX_ATTEMPT}"
            )),
            (None, Some(attempts), Some(reason)) => {
                history.push(format!(
                    "dead-lettered after {attempts} attempts ({reason}); redriven"
                ));
                Ok((1, history))
            }
            _ => {
                Err("expected attempt (a retry) or attempts and reason (a dead letter)".to_owned())
            }
        }
    }
}

/// What the dead-letter queue receives: the subject, where, after how many attempts, what the
/// operator must do, and why every attempt failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// An account, a creation request, or the reconcile of `regions`.
    #[serde(flatten)]
    pub subject: Subject,
    /// The regions it was not done in.
    pub regions: Vec<String>,
    /// How many attempts were made.
    pub attempts: u32,
    /// What the operator must do.
    pub reason: String,
    /// Why each attempt failed, the most recent ones, each cut short.
    pub history: Vec<String>,
}

impl DeadLetter {
    /// The dead letter of `subject` in `regions`, after `attempts` attempts.
    pub fn new(
        subject: &Subject,
        regions: &[Region],
        attempts: u32,
        reason: &str,
        history: &[String],
    ) -> Self {
        let retry = RetryMessage::new(subject, regions, attempts, history);
        DeadLetter {
            subject: retry.subject,
            regions: retry.regions,
            attempts,
            reason: reason.to_owned(),
            history: retry.history,
        }
    }
}

/// The most recent reasons, each cut short.
fn keep_recent_history(history: &[String]) -> Vec<String> {
    history[history.len().saturating_sub(HISTORY_KEPT)..]
        .iter()
        .map(|reason| cut(reason, REASON_CHARS))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::region;

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
        assert_eq!(*work.origin.regions, [region("eu-west-1")]);
        assert_eq!(work.origin.attempt, 2);
        assert_eq!(work.origin.history, history);
        assert_eq!(work.origin.message_id.as_deref(), Some("m-1"));
        assert!(!work.origin.by_operator);
    }

    #[test]
    fn an_operators_work_stays_the_operators_on_retry_and_a_redriven_dead_letter_is_one() {
        let subject = Subject::Account(AccountId::parse("111122223333", "t").unwrap());
        let message = RetryMessage {
            by_operator: true,
            ..RetryMessage::new(&subject, &[region("eu-west-1")], 2, &[])
        };
        let body = serde_json::to_string(&message).unwrap();
        assert!(body.contains(r#""byOperator":true"#), "{body}");
        assert!(
            RetryMessage::decode(&body, "m-1")
                .unwrap()
                .origin
                .by_operator
        );
        let letter = DeadLetter::new(&subject, &[region("eu-west-1")], 8, "gave up", &[]);
        let body = serde_json::to_string(&letter).unwrap();
        assert!(
            RetryMessage::decode(&body, "m-2")
                .unwrap()
                .origin
                .by_operator
        );
    }

    #[test]
    fn malformed_retry_messages_say_what_is_wrong() {
        let cases = [
            ("not json", "message m-1"),
            (
                r#"{"regions":["us-east-1"],"attempt":2}"#,
                "expected exactly one of accountId",
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
