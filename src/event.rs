//! Decoding of every accepted trigger into a [`Trigger`], with an error naming what was received.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::AccountId;
use crate::error::Error;

/// What an invocation asks the function to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Invite these accounts (validated, possibly with duplicates).
    Invite(Vec<AccountId>),
    /// An account creation failed: nothing to invite, only to report.
    CreationFailed(CreationFailure),
}

/// A failed `CreateAccount` request, as its `CreateAccountResult` event reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationFailure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_account_request_id: Option<String>,
    pub failure_reason: String,
}

const SERVICE_EVENT: &str = "AWS Service Event via CloudTrail";
const CREATE_ACCOUNT_STATUS: &str = "detail.serviceEventDetails.createAccountStatus";

/// `{"accountIds": ["111122223333", ...]}`, typed by hand.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ManualInvocation {
    account_ids: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAccountResultDetail {
    service_event_details: CreateAccountResultDetails,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAccountResultDetails {
    create_account_status: CreateAccountStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAccountStatus {
    id: Option<String>,
    state: String,
    account_id: Option<String>,
    failure_reason: Option<String>,
}

pub fn decode(payload: Value) -> Result<Trigger, Error> {
    let Value::Object(fields) = &payload else {
        return Err(Error::UnsupportedEvent {
            received: format!("a JSON {}, not an object", json_kind(&payload)),
        });
    };
    if fields.contains_key("detail-type") || fields.contains_key("source") {
        let event: EventBridgeEvent<Value> =
            serde_json::from_value(payload).map_err(|error| malformed("EventBridge", error))?;
        return decode_eventbridge(event);
    }
    if fields.contains_key("accountIds") {
        let manual: ManualInvocation = serde_json::from_value(payload)
            .map_err(|error| malformed("manual invocation", error))?;
        return manual_invocation(manual);
    }
    let keys: Vec<String> = fields.keys().take(10).map(|key| excerpt(key)).collect();
    Err(Error::UnsupportedEvent {
        received: format!(
            "a JSON object that is neither an EventBridge event nor a manual invocation (keys: {})",
            keys.join(", ")
        ),
    })
}

fn decode_eventbridge(event: EventBridgeEvent<Value>) -> Result<Trigger, Error> {
    let event_name = event.detail.get("eventName").and_then(Value::as_str);
    match (
        event.source.as_str(),
        event.detail_type.as_str(),
        event_name,
    ) {
        ("aws.organizations", SERVICE_EVENT, Some("CreateAccountResult")) => {
            let detail: CreateAccountResultDetail = serde_json::from_value(event.detail)
                .map_err(|error| malformed("CreateAccountResult", error))?;
            create_account_result(detail.service_event_details.create_account_status)
        }
        (source, detail_type, event_name) => Err(Error::UnsupportedEvent {
            received: format!(
                "an EventBridge event with source {:?}, detail-type {:?} and eventName {}",
                excerpt(source),
                excerpt(detail_type),
                event_name.map_or("(none)".to_owned(), |name| format!("{:?}", excerpt(name))),
            ),
        }),
    }
}

fn create_account_result(status: CreateAccountStatus) -> Result<Trigger, Error> {
    match (status.state.as_str(), status.account_id) {
        ("SUCCEEDED", Some(account_id)) => Ok(Trigger::Invite(vec![AccountId::parse(
            &account_id,
            &format!("{CREATE_ACCOUNT_STATUS}.accountId"),
        )?])),
        ("SUCCEEDED", None) => Err(Error::MalformedEvent {
            event: "CreateAccountResult",
            problem: format!("state SUCCEEDED without {CREATE_ACCOUNT_STATUS}.accountId"),
        }),
        ("FAILED", _) => Ok(Trigger::CreationFailed(CreationFailure {
            create_account_request_id: status.id,
            failure_reason: status
                .failure_reason
                .unwrap_or_else(|| "(no failureReason given)".to_owned()),
        })),
        (state, _) => Err(Error::MalformedEvent {
            event: "CreateAccountResult",
            problem: format!(
                "{CREATE_ACCOUNT_STATUS}.state is {:?}; expected SUCCEEDED or FAILED",
                excerpt(state)
            ),
        }),
    }
}

fn manual_invocation(manual: ManualInvocation) -> Result<Trigger, Error> {
    if manual.account_ids.is_empty() {
        return Err(Error::MalformedEvent {
            event: "manual invocation",
            problem: "accountIds is empty; name at least one account".to_owned(),
        });
    }
    manual
        .account_ids
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let field = format!("accountIds[{index}]");
            match value {
                Value::String(id) => AccountId::parse(id, &field),
                // A number loses an ID's leading zeros, so only strings are accepted.
                other => Err(Error::InvalidAccountId {
                    value: excerpt(&other.to_string()),
                    field,
                }),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Trigger::Invite)
}

fn malformed(event: &'static str, error: serde_json::Error) -> Error {
    Error::MalformedEvent {
        event,
        problem: error.to_string(),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Input text quoted in an error, cut short: events can be forged and large.
pub(crate) fn excerpt(text: &str) -> String {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(trigger: Trigger) -> Vec<String> {
        match trigger {
            Trigger::Invite(ids) => ids.iter().map(|id| id.to_string()).collect(),
            other => panic!("expected accounts to invite, got {other:?}"),
        }
    }

    fn sample(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn create_account_result_succeeded_gives_the_new_account() {
        assert_eq!(
            ids(decode(sample("create-account-result.json")).unwrap()),
            ["555555555555"]
        );
    }

    #[test]
    fn create_account_result_failed_gives_its_reason_and_no_account() {
        let trigger = decode(sample("create-account-result-failed.json")).unwrap();
        assert_eq!(
            trigger,
            Trigger::CreationFailed(CreationFailure {
                create_account_request_id: Some("car-examplecreateaccountrequestid222".into()),
                failure_reason: "EMAIL_ALREADY_EXISTS".into(),
            })
        );
    }

    #[test]
    fn manual_invocation_gives_its_accounts_in_order() {
        assert_eq!(
            ids(decode(sample("manual-invoke.json")).unwrap()),
            ["111111111111", "222222222222", "333333333333"]
        );
    }

    #[test]
    fn every_sample_event_decodes() {
        let dir = format!("{}/events", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let payload: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert!(
                decode(payload).is_ok(),
                "{} does not decode",
                path.display()
            );
        }
    }

    #[test]
    fn rejected_input_gets_an_error_that_says_what_was_received() {
        let cases = [
            (json!([1, 2]), "a JSON array"),
            (json!("111122223333"), "a JSON string"),
            (json!({"accounts": ["111122223333"]}), "keys: accounts"),
            (
                json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
                "source \"aws.ec2\", detail-type \"EC2 Instance State-change Notification\" and eventName (none)",
            ),
            (
                json!({"source": "aws.organizations", "detail-type": SERVICE_EVENT, "detail": {"eventName": "CloseAccountResult"}}),
                "eventName \"CloseAccountResult\"",
            ),
            (
                json!({"source": "aws.organizations", "detail": {}}),
                "malformed EventBridge event: missing field `detail-type`",
            ),
            (
                json!({"source": "aws.organizations", "detail-type": SERVICE_EVENT, "detail": {"eventName": "CreateAccountResult"}}),
                "malformed CreateAccountResult event: missing field `serviceEventDetails`",
            ),
            (json!({"accountIds": []}), "accountIds is empty"),
            (
                json!({"accountIds": "111122223333"}),
                "malformed manual invocation event: invalid type: string",
            ),
            (
                json!({"accountIds": ["111122223333"], "region": "x"}),
                "unknown field `region`",
            ),
            (
                json!({"accountIds": [111122223333u64]}),
                "invalid account ID \"111122223333\" at accountIds[0]",
            ),
            (
                json!({"accountIds": ["111122223333", "1234"]}),
                "invalid account ID \"1234\" at accountIds[1]",
            ),
        ];
        for (payload, expected) in cases {
            let message = decode(payload.clone()).unwrap_err().to_string();
            assert!(
                message.contains(expected),
                "{payload}: {message:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn an_unsupported_event_error_lists_what_is_accepted() {
        let message = decode(json!({"hello": "world"})).unwrap_err().to_string();
        assert!(
            message.contains("CreateAccountResult") && message.contains("accountIds"),
            "{message}"
        );
    }

    #[test]
    fn a_succeeded_event_without_an_account_or_with_a_bad_one_is_malformed() {
        let mut event = sample("create-account-result.json");
        let status = &mut event["detail"]["serviceEventDetails"]["createAccountStatus"];
        status["accountId"] = json!("55555555555x");
        let message = decode(event.clone()).unwrap_err().to_string();
        assert!(
            message.contains("createAccountStatus.accountId") && message.contains("55555555555x"),
            "{message}"
        );
        event["detail"]["serviceEventDetails"]["createAccountStatus"]
            .as_object_mut()
            .unwrap()
            .remove("accountId");
        let message = decode(event).unwrap_err().to_string();
        assert!(message.contains("SUCCEEDED without"), "{message}");
    }

    #[test]
    fn long_input_is_cut_short_in_errors() {
        let source = "x".repeat(10_000);
        let message = decode(json!({"source": source, "detail-type": "y", "detail": {}}))
            .unwrap_err()
            .to_string();
        assert!(message.len() < 600, "{} characters", message.len());
    }
}
