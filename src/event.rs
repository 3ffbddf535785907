//! Decoding of every accepted trigger into a [`Trigger`], with an error naming what was received.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::{AccountId, CreateAccountRequestId, Region, Work};
use crate::error::{Error, clip, excerpt};
use crate::message::RetryMessage;
use crate::outcome::{CreationFailure, NotAnAddition};

/// What an invocation asks the function to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Invite accounts, named directly or through their creation requests.
    Invite(Request),
    /// Invite every account of the organization that is not a member yet.
    Reconcile { regions: Option<Vec<Region>> },
    /// A known event that adds no account to invite: report it, call nothing.
    Ignore(Ignored),
    /// Messages from the retry queue: each SQS message ID with its work, or why it cannot be read.
    Retry(Vec<(String, Result<Work, Error>)>),
}

/// The accounts an event names (validated, possibly with duplicates).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub account_ids: Vec<AccountId>,
    pub create_account_request_ids: Vec<CreateAccountRequestId>,
    /// Replaces MACIE_REGIONS for this invocation (manual invocations only).
    pub regions: Option<Vec<Region>>,
}

/// A known event that calls for no invitation, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// An account creation that failed, with the service's reason.
    CreationFailed(CreationFailure),
    /// An event of a known source that adds no account.
    NotAnAddition(NotAnAddition),
}

const SERVICE_EVENT: &str = "AWS Service Event via CloudTrail";
const API_CALL: &str = "AWS API Call via CloudTrail";

/// A manual invocation, typed by hand: unknown fields are refused, so a typo cannot go unnoticed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ManualInvocation {
    action: Option<String>,
    account_ids: Option<Vec<Value>>,
    create_account_request_ids: Option<Vec<Value>>,
    regions: Option<Vec<Value>>,
}

const MANUAL_KEYS: [&str; 4] = ["action", "accountIds", "createAccountRequestIds", "regions"];

/// `createAccountStatus` of Organizations events and of DescribeCreateAccountStatus.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAccountStatus {
    id: Option<String>,
    state: Option<String>,
    account_id: Option<String>,
    failure_reason: Option<String>,
}

pub fn decode(payload: Value) -> Result<Trigger, Error> {
    let Value::Object(fields) = &payload else {
        return Err(Error::UnsupportedEvent {
            received: format!("a JSON {}, not an object", json_kind(&payload)),
        });
    };
    if fields.contains_key("Records") {
        let event: SqsEvent =
            serde_json::from_value(payload).map_err(|error| malformed("SQS", error))?;
        return retry_messages(event);
    }
    if fields.contains_key("detail-type") || fields.contains_key("source") {
        let event: EventBridgeEvent<Value> =
            serde_json::from_value(payload).map_err(|error| malformed("EventBridge", error))?;
        return decode_eventbridge(event);
    }
    if MANUAL_KEYS.iter().any(|key| fields.contains_key(*key)) {
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

/// Messages of the function's own retry queue. A record from any other source is refused whole.
fn retry_messages(event: SqsEvent) -> Result<Trigger, Error> {
    if let Some(source) = event.records.iter().find_map(|record| {
        record
            .event_source
            .as_deref()
            .filter(|source| *source != "aws:sqs")
    }) {
        return Err(Error::UnsupportedEvent {
            received: format!(
                "records from eventSource {:?}, not aws:sqs",
                excerpt(source)
            ),
        });
    }
    let deliveries = event
        .records
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let message_id = record
                .message_id
                .unwrap_or_else(|| format!("(record {index} without messageId)"));
            let work = RetryMessage::decode(record.body.as_deref().unwrap_or(""), &message_id);
            (message_id, work)
        })
        .collect();
    Ok(Trigger::Retry(deliveries))
}

fn decode_eventbridge(event: EventBridgeEvent<Value>) -> Result<Trigger, Error> {
    let detail = &event.detail;
    let event_name = detail.get("eventName").and_then(Value::as_str);
    match (
        event.source.as_str(),
        event.detail_type.as_str(),
        event_name,
    ) {
        ("aws.organizations", SERVICE_EVENT, Some("CreateAccountResult")) => {
            create_account_result(detail)
        }
        ("aws.organizations", API_CALL, Some("CreateAccount")) => {
            create_account_call("CreateAccount", detail)
        }
        ("aws.organizations", API_CALL, Some("CreateGovCloudAccount")) => {
            create_account_call("CreateGovCloudAccount", detail)
        }
        ("aws.organizations", API_CALL, Some("AcceptHandshake")) => {
            account_joined("AcceptHandshake", detail)
        }
        ("aws.organizations", API_CALL | SERVICE_EVENT, Some("AccountJoinedOrganization")) => {
            account_joined("AccountJoinedOrganization", detail)
        }
        ("aws.controltower", SERVICE_EVENT, Some("CreateManagedAccount")) => {
            managed_account("CreateManagedAccount", detail)
        }
        ("aws.controltower", SERVICE_EVENT, Some("UpdateManagedAccount")) => {
            managed_account("UpdateManagedAccount", detail)
        }
        ("aws.controltower", SERVICE_EVENT, Some(name)) => Ok(not_an_addition(
            name,
            "a Control Tower lifecycle event that adds no account",
        )),
        ("aws.events", "Scheduled Event", _) => Ok(Trigger::Reconcile { regions: None }),
        (source, _, _) if !source.starts_with("aws.") && has_custom_fields(detail) => {
            custom_event(detail)
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

/// Organizations' `CreateAccountResult`: the outcome of an account creation.
fn create_account_result(detail: &Value) -> Result<Trigger, Error> {
    const PATH: &str = "detail.serviceEventDetails.createAccountStatus";
    let status: CreateAccountStatus = field(detail, PATH, "CreateAccountResult")?;
    match status.state.as_deref() {
        Some("SUCCEEDED") => {
            let account_id = status.account_id.ok_or_else(|| Error::MalformedEvent {
                event: "CreateAccountResult",
                problem: format!("state SUCCEEDED without {PATH}.accountId"),
            })?;
            Ok(invite_accounts(vec![AccountId::parse(
                &account_id,
                &format!("{PATH}.accountId"),
            )?]))
        }
        Some("FAILED") => Ok(Trigger::Ignore(Ignored::CreationFailed(CreationFailure {
            create_account_request_id: status.id,
            failure_reason: status
                .failure_reason
                .unwrap_or_else(|| "(no failureReason given)".to_owned()),
        }))),
        state => Err(Error::MalformedEvent {
            event: "CreateAccountResult",
            problem: format!(
                "{PATH}.state is {}; expected SUCCEEDED or FAILED",
                state.map_or("missing".to_owned(), |state| format!(
                    "{:?}",
                    excerpt(state)
                ))
            ),
        }),
    }
}

/// Organizations' `CreateAccount` API call: only the creation request ID is known yet.
fn create_account_call(name: &'static str, detail: &Value) -> Result<Trigger, Error> {
    if let Some(error) = call_error(detail) {
        return Ok(not_an_addition(
            name,
            &format!("the call failed ({error}); no account was created"),
        ));
    }
    const PATH: &str = "detail.responseElements.createAccountStatus";
    let status: CreateAccountStatus = field(detail, PATH, name)?;
    let id = status.id.ok_or_else(|| Error::MalformedEvent {
        event: name,
        problem: format!("{PATH}.id is missing"),
    })?;
    Ok(Trigger::Invite(Request {
        create_account_request_ids: vec![CreateAccountRequestId::parse(
            &id,
            &format!("{PATH}.id"),
        )?],
        ..Request::default()
    }))
}

/// An account that joined the organization: the caller of `AcceptHandshake`, or the account of
/// `AccountJoinedOrganization`. Organizations confirms it before anything is invited.
fn account_joined(name: &'static str, detail: &Value) -> Result<Trigger, Error> {
    if let Some(error) = call_error(detail) {
        return Ok(not_an_addition(
            name,
            &format!("the call failed ({error}); no account joined"),
        ));
    }
    let action = detail
        .pointer("/responseElements/handshake/action")
        .and_then(Value::as_str);
    if let Some(action) = action.filter(|action| *action != "INVITE") {
        return Ok(not_an_addition(
            name,
            &format!(
                "a handshake of action {:?}, not an invitation to join",
                excerpt(action)
            ),
        ));
    }
    let (path, account_id) = [
        ("detail.userIdentity.accountId", "/userIdentity/accountId"),
        ("detail.recipientAccountId", "/recipientAccountId"),
    ]
    .into_iter()
    .find_map(|(path, pointer)| Some((path, detail.pointer(pointer)?)))
    .ok_or_else(|| Error::MalformedEvent {
        event: name,
        problem:
            "neither detail.userIdentity.accountId nor detail.recipientAccountId names the account"
                .to_owned(),
    })?;
    Ok(invite_accounts(vec![account_id_value(account_id, path)?]))
}

/// Control Tower's `CreateManagedAccount` and `UpdateManagedAccount`. Their `message` and timestamps
/// may be missing, so only the fields used are read.
fn managed_account(name: &'static str, detail: &Value) -> Result<Trigger, Error> {
    let status_field = if name == "CreateManagedAccount" {
        "createManagedAccountStatus"
    } else {
        "updateManagedAccountStatus"
    };
    let path = format!("detail.serviceEventDetails.{status_field}");
    let status = detail
        .get("serviceEventDetails")
        .and_then(|details| details.get(status_field))
        .ok_or_else(|| Error::MalformedEvent {
            event: name,
            problem: format!("{path} is missing"),
        })?;
    let message = status.get("message").and_then(Value::as_str);
    match status.get("state").and_then(Value::as_str) {
        Some("SUCCEEDED") => {
            let account_id =
                status
                    .pointer("/account/accountId")
                    .ok_or_else(|| Error::MalformedEvent {
                        event: name,
                        problem: format!("state SUCCEEDED without {path}.account.accountId"),
                    })?;
            Ok(invite_accounts(vec![account_id_value(
                account_id,
                &format!("{path}.account.accountId"),
            )?]))
        }
        Some("FAILED") => Ok(Trigger::Ignore(Ignored::CreationFailed(CreationFailure {
            create_account_request_id: None,
            failure_reason: format!(
                "Control Tower {name} FAILED: {}",
                message.map_or("(no message given)".to_owned(), excerpt)
            ),
        }))),
        state => Err(Error::MalformedEvent {
            event: name,
            problem: format!(
                "{path}.state is {}; expected SUCCEEDED or FAILED",
                state.map_or("missing".to_owned(), |state| format!(
                    "{:?}",
                    excerpt(state)
                ))
            ),
        }),
    }
}

fn has_custom_fields(detail: &Value) -> bool {
    ["accountId", "accountIds", "createAccountRequestId"]
        .iter()
        .any(|key| detail.get(*key).is_some())
}

/// A custom event from an account factory: `detail.accountId`, `detail.accountIds` or
/// `detail.createAccountRequestId`, in any combination.
fn custom_event(detail: &Value) -> Result<Trigger, Error> {
    let mut request = Request::default();
    if let Some(id) = detail.get("accountId") {
        request
            .account_ids
            .push(account_id_value(id, "detail.accountId")?);
    }
    if let Some(ids) = detail.get("accountIds") {
        let ids = ids.as_array().ok_or_else(|| Error::MalformedEvent {
            event: "custom",
            problem: format!(
                "detail.accountIds is a {}, not an array of account IDs",
                json_kind(ids)
            ),
        })?;
        request
            .account_ids
            .extend(account_ids(ids, "detail.accountIds")?);
    }
    if let Some(id) = detail.get("createAccountRequestId") {
        let id = id.as_str().ok_or_else(|| Error::InvalidRequestId {
            value: excerpt(&id.to_string()),
            field: "detail.createAccountRequestId".to_owned(),
        })?;
        request
            .create_account_request_ids
            .push(CreateAccountRequestId::parse(
                id,
                "detail.createAccountRequestId",
            )?);
    }
    Ok(Trigger::Invite(request))
}

fn manual_invocation(manual: ManualInvocation) -> Result<Trigger, Error> {
    let regions = manual
        .regions
        .map(|regions| {
            if regions.is_empty() {
                return Err(manual_error(
                    "regions is empty; leave it out to use MACIE_REGIONS",
                ));
            }
            regions
                .iter()
                .enumerate()
                .map(|(index, value)| {
                    let field = format!("regions[{index}]");
                    match value {
                        Value::String(region) => Region::parse(region, &field),
                        other => Err(Error::InvalidRegion {
                            value: excerpt(&other.to_string()),
                            field,
                        }),
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let named = manual.account_ids.is_some() || manual.create_account_request_ids.is_some();
    match manual.action.as_deref() {
        Some("reconcile") if named => Err(manual_error(
            "a reconcile covers the whole organization: leave accountIds and createAccountRequestIds out",
        )),
        Some("reconcile") => Ok(Trigger::Reconcile { regions }),
        None | Some("invite") => {
            let request = Request {
                account_ids: account_ids(&manual.account_ids.unwrap_or_default(), "accountIds")?,
                create_account_request_ids: request_ids(
                    &manual.create_account_request_ids.unwrap_or_default(),
                )?,
                regions,
            };
            if request.account_ids.is_empty() && request.create_account_request_ids.is_empty() {
                return Err(manual_error(
                    "no account named: give accountIds or createAccountRequestIds, or {\"action\": \"reconcile\"}",
                ));
            }
            Ok(Trigger::Invite(request))
        }
        Some(other) => Err(manual_error(&format!(
            "action {:?} is not one of \"invite\" (the default) and \"reconcile\"",
            excerpt(other)
        ))),
    }
}

fn invite_accounts(account_ids: Vec<AccountId>) -> Trigger {
    Trigger::Invite(Request {
        account_ids,
        ..Request::default()
    })
}

fn not_an_addition(event: &str, reason: &str) -> Trigger {
    Trigger::Ignore(Ignored::NotAnAddition(NotAnAddition {
        event: excerpt(event),
        reason: reason.to_owned(),
    }))
}

/// The `errorCode` of a CloudTrail API call record, when the call failed.
fn call_error(detail: &Value) -> Option<String> {
    detail.get("errorCode").and_then(Value::as_str).map(excerpt)
}

/// The object at `path` (`detail.a.b`), typed.
fn field<T: serde::de::DeserializeOwned>(
    detail: &Value,
    path: &str,
    event: &'static str,
) -> Result<T, Error> {
    let pointer = path.trim_start_matches("detail").replace('.', "/");
    let value = detail
        .pointer(&pointer)
        .ok_or_else(|| Error::MalformedEvent {
            event,
            problem: format!("{path} is missing"),
        })?;
    T::deserialize(value).map_err(|error| Error::MalformedEvent {
        event,
        problem: clip(&format!("{path}: {error}")),
    })
}

fn account_id_value(value: &Value, field: &str) -> Result<AccountId, Error> {
    match value {
        Value::String(id) => AccountId::parse(id, field),
        // A number loses an ID's leading zeros, so only strings are accepted.
        other => Err(Error::InvalidAccountId {
            value: excerpt(&other.to_string()),
            field: field.to_owned(),
        }),
    }
}

fn account_ids(values: &[Value], field: &str) -> Result<Vec<AccountId>, Error> {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| account_id_value(value, &format!("{field}[{index}]")))
        .collect()
}

fn request_ids(values: &[Value]) -> Result<Vec<CreateAccountRequestId>, Error> {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let field = format!("createAccountRequestIds[{index}]");
            match value {
                Value::String(id) => CreateAccountRequestId::parse(id, &field),
                other => Err(Error::InvalidRequestId {
                    value: excerpt(&other.to_string()),
                    field,
                }),
            }
        })
        .collect()
}

fn manual_error(problem: &str) -> Error {
    Error::MalformedEvent {
        event: "manual invocation",
        problem: problem.to_owned(),
    }
}

fn malformed(event: &'static str, error: serde_json::Error) -> Error {
    // serde quotes the offending value whole: clip it.
    Error::MalformedEvent {
        event,
        problem: clip(&error.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn accounts(ids: &[&str]) -> Trigger {
        Trigger::Invite(Request {
            account_ids: ids
                .iter()
                .map(|id| AccountId::parse(id, "t").unwrap())
                .collect(),
            ..Request::default()
        })
    }

    fn region(name: &str) -> Region {
        Region::parse(name, "t").unwrap()
    }

    fn request_id(id: &str) -> CreateAccountRequestId {
        CreateAccountRequestId::parse(id, "t").unwrap()
    }

    #[test]
    fn every_sample_event_decodes_to_what_it_asks_for() {
        let cases = [
            ("create-account-result.json", accounts(&["555555555555"])),
            (
                "create-account-result-failed.json",
                Trigger::Ignore(Ignored::CreationFailed(CreationFailure {
                    create_account_request_id: Some("car-examplecreateaccountrequestid222".into()),
                    failure_reason: "EMAIL_ALREADY_EXISTS".into(),
                })),
            ),
            (
                "manual-invoke.json",
                accounts(&["111111111111", "222222222222", "333333333333"]),
            ),
            (
                "controltower-create-managed-account.json",
                accounts(&["666666666666"]),
            ),
            (
                "controltower-update-managed-account.json",
                accounts(&["777777777777"]),
            ),
            ("accept-handshake.json", accounts(&["444455556666"])),
            ("custom-account-factory.json", accounts(&["888888888888"])),
            (
                "create-account-call.json",
                Trigger::Invite(Request {
                    create_account_request_ids: vec![request_id(
                        "car-examplecreateaccountrequestid333",
                    )],
                    ..Request::default()
                }),
            ),
            (
                "manual-invoke-requests.json",
                Trigger::Invite(Request {
                    create_account_request_ids: vec![request_id(
                        "car-examplecreateaccountrequestid333",
                    )],
                    regions: Some(vec![
                        region("us-east-1"),
                        region("eu-west-1"),
                        region("ap-southeast-2"),
                    ]),
                    ..Request::default()
                }),
            ),
            (
                "scheduled-reconcile.json",
                Trigger::Reconcile { regions: None },
            ),
            (
                "manual-reconcile.json",
                Trigger::Reconcile { regions: None },
            ),
        ];
        let dir = format!("{}/events", env!("CARGO_MANIFEST_DIR"));
        let files = std::fs::read_dir(dir).unwrap().count();
        assert_eq!(files, cases.len(), "every file in events/ has a case here");
        for (name, expected) in cases {
            assert_eq!(decode(sample(name)).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn control_tower_failures_and_other_lifecycle_events_call_for_nothing() {
        let mut event = sample("controltower-create-managed-account.json");
        let status = &mut event["detail"]["serviceEventDetails"]["createManagedAccountStatus"];
        status["state"] = json!("FAILED");
        status["message"] = json!("AWS Control Tower could not create the account.");
        let Trigger::Ignore(Ignored::CreationFailed(failure)) = decode(event).unwrap() else {
            panic!("a FAILED CreateManagedAccount is a failed creation");
        };
        assert!(
            failure
                .failure_reason
                .contains("could not create the account"),
            "{failure:?}"
        );

        let mut event = sample("controltower-create-managed-account.json");
        event["detail"]["eventName"] = json!("RegisterOrganizationalUnit");
        assert!(matches!(
            decode(event).unwrap(),
            Trigger::Ignore(Ignored::NotAnAddition(_))
        ));
    }

    #[test]
    fn handshakes_that_failed_or_are_not_invitations_call_for_nothing() {
        let mut failed = sample("accept-handshake.json");
        failed["detail"]["errorCode"] = json!("HandshakeConstraintViolationException");
        let mut other_action = sample("accept-handshake.json");
        other_action["detail"]["responseElements"]["handshake"]["action"] =
            json!("ENABLE_ALL_FEATURES");
        for event in [failed, other_action] {
            assert!(matches!(
                decode(event).unwrap(),
                Trigger::Ignore(Ignored::NotAnAddition(_))
            ));
        }
    }

    #[test]
    fn a_handshake_without_a_caller_account_falls_back_to_the_recipient_account() {
        let mut event = sample("accept-handshake.json");
        event["detail"]["userIdentity"]
            .as_object_mut()
            .unwrap()
            .remove("accountId");
        assert_eq!(decode(event).unwrap(), accounts(&["444455556666"]));
    }

    #[test]
    fn custom_events_may_name_accounts_and_requests_together() {
        let event = json!({"source": "org-formation", "detail-type": "Accounts Ready", "detail": {
            "accountId": "111111111111", "accountIds": ["222222222222"], "createAccountRequestId": "car-0123456789"
        }});
        assert_eq!(
            decode(event).unwrap(),
            Trigger::Invite(Request {
                account_ids: vec![
                    AccountId::parse("111111111111", "t").unwrap(),
                    AccountId::parse("222222222222", "t").unwrap()
                ],
                create_account_request_ids: vec![request_id("car-0123456789")],
                regions: None,
            })
        );
    }

    #[test]
    fn a_manual_reconcile_may_name_its_regions() {
        assert_eq!(
            decode(json!({"action": "reconcile", "regions": ["eu-west-1"]})).unwrap(),
            Trigger::Reconcile {
                regions: Some(vec![region("eu-west-1")])
            }
        );
    }

    #[test]
    fn rejected_input_gets_an_error_that_says_what_was_received() {
        let cases = [
            (json!([1, 2]), "a JSON array"),
            (json!("111122223333"), "a JSON string"),
            (json!(null), "a JSON null"),
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
                json!({"source": "com.example", "detail-type": "Something", "detail": {"account": "111122223333"}}),
                "source \"com.example\", detail-type \"Something\"",
            ),
            (
                json!({"source": "aws.organizations", "detail": {}}),
                "malformed EventBridge event: missing field `detail-type`",
            ),
            (
                json!({"source": "aws.organizations", "detail-type": SERVICE_EVENT, "detail": {"eventName": "CreateAccountResult"}}),
                "malformed CreateAccountResult event: detail.serviceEventDetails.createAccountStatus is missing",
            ),
            (
                json!({"source": "aws.organizations", "detail-type": API_CALL, "detail": {"eventName": "CreateAccount",
                    "responseElements": {"createAccountStatus": {"id": "car-BAD"}}}}),
                "invalid account creation request ID \"car-BAD\" at detail.responseElements.createAccountStatus.id",
            ),
            (
                json!({"source": "aws.controltower", "detail-type": SERVICE_EVENT, "detail": {"eventName": "CreateManagedAccount",
                    "serviceEventDetails": {"createManagedAccountStatus": {"state": "SUCCEEDED", "account": {}}}}}),
                "state SUCCEEDED without detail.serviceEventDetails.createManagedAccountStatus.account.accountId",
            ),
            (
                json!({"source": "aws.controltower", "detail-type": SERVICE_EVENT, "detail": {"eventName": "UpdateManagedAccount",
                    "serviceEventDetails": {"updateManagedAccountStatus": {"state": "IN_PROGRESS"}}}}),
                "updateManagedAccountStatus.state is \"IN_PROGRESS\"",
            ),
            (
                json!({"source": "com.example", "detail-type": "x", "detail": {"accountIds": "111122223333"}}),
                "detail.accountIds is a string, not an array",
            ),
            (
                json!({"source": "com.example", "detail-type": "x", "detail": {"accountId": 111122223333u64}}),
                "invalid account ID \"111122223333\" at detail.accountId",
            ),
            (json!({"accountIds": []}), "no account named"),
            (json!({"regions": ["us-east-1"]}), "no account named"),
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
            (
                json!({"createAccountRequestIds": ["car-1"]}),
                "\"car-1\" at createAccountRequestIds[0]",
            ),
            (
                json!({"accountIds": ["111122223333"], "regions": []}),
                "regions is empty",
            ),
            (
                json!({"accountIds": ["111122223333"], "regions": ["moon-1"]}),
                "invalid region \"moon-1\" at regions[0]",
            ),
            (
                json!({"action": "reconcile", "accountIds": ["111122223333"]}),
                "leave accountIds and createAccountRequestIds out",
            ),
            (
                json!({"action": "delete"}),
                "action \"delete\" is not one of",
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
        for accepted in [
            "CreateAccountResult",
            "CreateManagedAccount",
            "AcceptHandshake",
            "accountIds",
            "reconcile",
        ] {
            assert!(message.contains(accepted), "{message}");
        }
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
        assert!(message.len() < 1_000, "{} characters", message.len());
    }
}
