//! Decoding of every accepted trigger into a [`Trigger`], with an error naming what was received;
//! and the bodies of the function's queues (`message`), which it writes and reads back.

mod eventbridge;
mod json;
mod manual;
pub mod message;
mod trigger;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use serde_json::Value;

use eventbridge::decode_eventbridge;
use json::{name_json_kind, report_malformed};
use manual::{
    ManualInvocation, manual_invocation, manual_keys, unknown_field, unknown_field_error,
};
pub use trigger::{Delivery, Ignored, MessageContent, RecentJoins, Request, Trigger};

use crate::error::Error;
use crate::quote::excerpt;
use message::RetryMessage;

/// Decodes an invocation's payload: an SQS batch of the retry queue, an EventBridge event, or a
/// manual invocation.
///
/// # Errors
/// A payload that is none of these, or one of them malformed: the error names what was received.
pub fn decode(payload: Value) -> Result<Trigger, Error> {
    let Value::Object(fields) = &payload else {
        return Err(Error::UnsupportedEvent {
            received: format!("a JSON {}, not an object", name_json_kind(&payload)),
        });
    };
    if fields.contains_key("Records") {
        let event: SqsEvent =
            serde_json::from_value(payload).map_err(|error| report_malformed("SQS", error))?;
        return decode_retry_messages(event);
    }
    if fields.contains_key("detail-type") || fields.contains_key("source") {
        let event: EventBridgeEvent<Value> = serde_json::from_value(payload)
            .map_err(|error| report_malformed("EventBridge", error))?;
        return decode_eventbridge(event);
    }
    // A typed-by-hand invocation: an unknown field is named, with the accepted one it is closest to,
    // whatever else the invocation holds.
    let manual = manual_keys().iter().any(|key| fields.contains_key(*key));
    if let Some((field, closest)) = unknown_field(fields.keys())
        && (manual || closest.is_some())
    {
        return Err(unknown_field_error(field, closest));
    }
    if manual {
        let manual: ManualInvocation = serde_json::from_value(payload)
            .map_err(|error| report_malformed("manual invocation", error))?;
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
fn decode_retry_messages(event: SqsEvent) -> Result<Trigger, Error> {
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
            let content = decode_retry_body(record.body.as_deref().unwrap_or(""), &message_id);
            Delivery {
                message_id,
                content,
            }
        })
        .collect();
    Ok(Trigger::Retry(deliveries))
}

/// A message body of the retry queue: the function's own retry message or dead letter, a Lambda
/// on-failure destination record, or an EventBridge event from a rule target's dead-letter queue.
fn decode_retry_body(body: &str, message_id: &str) -> Result<MessageContent, Error> {
    let redriven = |payload: Value| {
        if payload.get("Records").is_some() {
            return Err(Error::malformed(
                "redriven",
                format!(
                    "message {}: a redriven event holds SQS records; only EventBridge events and manual invocations are redriven",
                    excerpt(message_id)
                ),
            ));
        }
        decode(payload).map(|trigger| MessageContent::Event(Box::new(trigger)))
    };
    match serde_json::from_str::<Value>(body) {
        // Lambda's on-failure destination record: the original event is its requestPayload.
        Ok(Value::Object(mut record))
            if record.contains_key("requestContext") && record.contains_key("requestPayload") =>
        {
            redriven(record.remove("requestPayload").unwrap_or_default())
        }
        Ok(event @ Value::Object(_)) if event.get("detail-type").is_some() => redriven(event),
        _ => RetryMessage::decode(body, message_id).map(MessageContent::Work),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::region;
    use crate::domain::{AccountId, CreateAccountRequestId};
    use crate::outcome::CreationFailure;
    use eventbridge::{API_CALL, SERVICE_EVENT};
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

    fn request_id(id: &str) -> CreateAccountRequestId {
        CreateAccountRequestId::parse(id, "t").unwrap()
    }

    #[test]
    fn every_sample_event_decodes_to_what_it_asks_for() {
        let naming: [(&str, &[&str]); 6] = [
            ("create-account-result.json", &["555555555555"]),
            (
                "manual-invoke.json",
                &["111111111111", "222222222222", "333333333333"],
            ),
            (
                "controltower-create-managed-account.json",
                &["666666666666"],
            ),
            (
                "controltower-update-managed-account.json",
                &["777777777777"],
            ),
            ("account-joined-organization.json", &["444455556666"]),
            ("custom-account-factory.json", &["888888888888"]),
        ];
        let mut cases: Vec<(&str, Trigger)> = naming
            .into_iter()
            .map(|(name, ids)| (name, accounts(ids)))
            .collect();
        cases.extend(samples_that_name_no_account());
        cases.extend(departures());
        // What a manual invocation names, an operator asked for.
        for (name, trigger) in &mut cases {
            if let (true, Trigger::Invite(request) | Trigger::RemoveDeparted(request)) =
                (name.starts_with("manual-"), trigger)
            {
                request.by_operator = true;
            }
        }
        let dir = format!("{}/events", env!("CARGO_MANIFEST_DIR"));
        let files = std::fs::read_dir(dir)
            .unwrap()
            .filter(|entry| entry.as_ref().unwrap().path().extension() == Some("json".as_ref()))
            .count();
        assert_eq!(files, cases.len(), "every file in events/ has a case here");
        for (name, expected) in cases {
            assert_eq!(decode(sample(name)).unwrap(), expected, "{name}");
        }
    }

    /// The samples' creation request, in these regions.
    fn requests(regions: Option<[&str; 3]>) -> Trigger {
        Trigger::Invite(Request {
            create_account_request_ids: vec![request_id("car-examplecreateaccountrequestid333")],
            regions: regions.map(|names| names.map(region).to_vec()),
            ..Request::default()
        })
    }

    /// The departures the samples name.
    fn departures() -> Vec<(&'static str, Trigger)> {
        [
            ("account-departed-organization-left.json", "121212121212"),
            ("account-departed-organization-removed.json", "131313131313"),
            ("account-departed-organization-cleaned.json", "141414141414"),
            ("close-account-call.json", "333333333333"),
            ("close-account-result.json", "333333333333"),
            ("remove-account-call.json", "151515151515"),
            ("manual-remove.json", "121212121212"),
        ]
        .into_iter()
        .map(|(name, id)| {
            let Trigger::Invite(request) = accounts(&[id]) else {
                unreachable!()
            };
            (name, Trigger::RemoveDeparted(request))
        })
        .chain([
            (
                "account-departed-organization-unnamed.json",
                Trigger::Reconcile { regions: None },
            ),
            (
                "manual-adopt.json",
                Trigger::DryRun(Box::new(Trigger::Adopt { regions: None })),
            ),
        ])
        .collect()
    }

    /// The samples that ask for something else than the accounts they name.
    fn samples_that_name_no_account() -> Vec<(&'static str, Trigger)> {
        vec![
            (
                "create-account-result-failed.json",
                Trigger::Ignore(Ignored::CreationFailed(CreationFailure {
                    create_account_request_id: Some("car-examplecreateaccountrequestid222".into()),
                    failure_reason: "EMAIL_ALREADY_EXISTS".into(),
                })),
            ),
            (
                "account-joined-organization-unnamed.json",
                Trigger::InviteRecentJoins(RecentJoins {
                    around: Some(1_795_691_024),
                    not: vec![AccountId::parse("111122223333", "t").unwrap()],
                }),
            ),
            (
                "redriven-destination-record.json",
                Trigger::Retry(vec![Delivery {
                    message_id: "5b4f1d2e-8c3a-4e6f-9a7b-0c1d2e3f4a5b".to_owned(),
                    content: Ok(MessageContent::Event(Box::new(accounts(&["555555555555"])))),
                }]),
            ),
            ("create-account-call.json", requests(None)),
            (
                "manual-invoke-requests.json",
                requests(Some(["us-east-1", "eu-west-1", "ap-southeast-2"])),
            ),
            (
                "scheduled-reconcile.json",
                Trigger::Reconcile { regions: None },
            ),
            (
                "manual-reconcile.json",
                Trigger::Reconcile { regions: None },
            ),
            (
                "manual-check.json",
                Trigger::Check {
                    accounts: Vec::new(),
                },
            ),
        ]
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
    fn a_join_never_names_the_management_account_or_the_caller() {
        let mut event = sample("account-joined-organization.json");
        event["detail"]["serviceEventDetails"]["accountId"] = json!("111122223333");
        assert_eq!(
            decode(event.clone()).unwrap(),
            Trigger::InviteRecentJoins(RecentJoins {
                around: Some(1_795_691_024),
                not: vec![AccountId::parse("111122223333", "t").unwrap()],
            }),
            "the management account is never the joined account"
        );
        event["detail"]["userIdentity"]["accountId"] = json!("210987654321");
        event["detail"]["serviceEventDetails"]["accountId"] = json!("210987654321");
        let Trigger::InviteRecentJoins(joins) = decode(event).unwrap() else {
            panic!("the caller is never the joined account");
        };
        assert_eq!(joins.not.len(), 2);
    }

    #[test]
    fn a_join_may_name_its_account_at_any_depth_or_as_a_resource() {
        let mut nested = sample("account-joined-organization-unnamed.json");
        nested["detail"]["serviceEventDetails"]["account"] = json!({"AccountId": "444455556666"});
        let mut resource = sample("account-joined-organization-unnamed.json");
        resource["resources"] =
            json!(["arn:aws:organizations::111122223333:account/o-exampleorgid/444455556666"]);
        for event in [nested, resource] {
            assert_eq!(decode(event).unwrap(), accounts(&["444455556666"]));
        }
        let mut bad = sample("account-joined-organization.json");
        bad["detail"]["serviceEventDetails"]["accountId"] = json!("4444-5555-6666");
        let message = decode(bad).unwrap_err().to_string();
        assert!(
            message.contains("detail.serviceEventDetails.accountId"),
            "{message}"
        );
    }

    #[test]
    fn a_membership_event_recorded_as_an_api_call_is_read_alike() {
        // No sample from AWS shows the detail-type of the membership events, nor where they name
        // the account: read as an API call, the account may be in requestParameters or
        // responseElements.
        let as_call = |name: &str, field: &str| {
            let mut event = sample(name);
            event["detail-type"] = json!("AWS API Call via CloudTrail");
            let details = event["detail"]["serviceEventDetails"].take();
            event["detail"][field] = details;
            event
        };
        for field in ["requestParameters", "responseElements"] {
            let joined = as_call("account-joined-organization.json", field);
            assert_eq!(
                decode(joined).unwrap(),
                accounts(&["444455556666"]),
                "{field}"
            );
            let departed = as_call("account-departed-organization-left.json", field);
            let Trigger::Invite(request) = accounts(&["121212121212"]) else {
                unreachable!()
            };
            assert_eq!(
                decode(departed).unwrap(),
                Trigger::RemoveDeparted(request),
                "{field}"
            );
        }
        let mut caller = as_call(
            "account-departed-organization-left.json",
            "requestParameters",
        );
        caller["detail"]["requestParameters"]["accountId"] = json!("111122223333");
        assert_eq!(
            decode(caller).unwrap(),
            Trigger::Reconcile { regions: None },
            "the management account is never the departed account"
        );
    }

    #[test]
    fn a_departure_names_its_caller_where_it_is_another_account_than_the_management_account() {
        // LeaveOrganization: the departed account is the caller, named nowhere else.
        let mut left = sample("account-departed-organization-unnamed.json");
        left["detail"]["userIdentity"]["accountId"] = json!("121212121212");
        let Trigger::Invite(request) = accounts(&["121212121212"]) else {
            unreachable!()
        };
        assert_eq!(decode(left).unwrap(), Trigger::RemoveDeparted(request));
        // The management account as the caller names nothing: the reconcile sweeps.
        assert_eq!(
            decode(sample("account-departed-organization-unnamed.json")).unwrap(),
            Trigger::Reconcile { regions: None }
        );
    }

    #[test]
    fn a_close_account_result_names_the_closed_account_and_a_failed_one_nothing() {
        let Trigger::Invite(request) = accounts(&["333333333333"]) else {
            unreachable!()
        };
        assert_eq!(
            decode(sample("close-account-result.json")).unwrap(),
            Trigger::RemoveDeparted(request)
        );
        let mut failed = sample("close-account-result.json");
        failed["detail"]["serviceEventDetails"]["closeAccountStatus"]["state"] = json!("FAILED");
        assert!(matches!(
            decode(failed).unwrap(),
            Trigger::Ignore(Ignored::NotAnAddition(_))
        ));
        let mut unnamed = sample("close-account-result.json");
        unnamed["detail"]["serviceEventDetails"] =
            json!({"closeAccountStatus": {"state": "SUCCEEDED"}});
        assert_eq!(
            decode(unnamed).unwrap(),
            Trigger::Reconcile { regions: None }
        );
    }

    #[test]
    fn a_join_of_a_created_account_is_left_to_create_account_result_however_it_is_spelled() {
        // The API reference spells it `Created` (CreateAccount) and `CREATED` (AccountJoinedOrganization).
        for spelling in ["CREATED", "Created", "created"] {
            let mut event = sample("account-joined-organization.json");
            event["detail"]["serviceEventDetails"]["joinedMethod"] = json!(spelling);
            assert!(
                matches!(
                    decode(event).unwrap(),
                    Trigger::Ignore(Ignored::NotAnAddition(_))
                ),
                "{spelling}"
            );
        }
    }

    #[test]
    fn a_redriven_event_is_decoded_like_the_event_itself() {
        let record = |body: Value| json!({"Records": [{"messageId": "m1", "body": body.to_string(), "eventSource": "aws:sqs"}]});
        let event = |trigger| {
            Trigger::Retry(vec![Delivery {
                message_id: "m1".to_owned(),
                content: trigger,
            }])
        };
        // An EventBridge rule target's dead-letter queue holds the event itself.
        let from_rule = record(sample("controltower-create-managed-account.json"));
        assert_eq!(
            decode(from_rule).unwrap(),
            event(Ok(MessageContent::Event(Box::new(accounts(&[
                "666666666666"
            ])))))
        );
        let destination = |payload: Value| {
            record(
                json!({"version": "1.0", "requestContext": {"condition": "EventAgeExceeded"},
                "requestPayload": payload, "responseContext": {}, "responsePayload": null}),
            )
        };
        assert_eq!(
            decode(destination(json!({"action": "reconcile"}))).unwrap(),
            event(Ok(MessageContent::Event(Box::new(Trigger::Reconcile {
                regions: None
            }))))
        );
        let Trigger::Retry(nested) = decode(destination(record(json!({})))).unwrap() else {
            panic!("a destination record is a retry-queue delivery");
        };
        let message = nested[0].content.as_ref().unwrap_err().to_string();
        assert!(message.contains("holds SQS records"), "{message}");
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
                by_operator: false,
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
        assert_rejected(&[
            (json!([1, 2]), "a JSON array"),
            (json!("111122223333"), "a JSON string"),
            (json!(null), "a JSON null"),
            (
                json!({"accounts": ["111122223333"]}),
                "unknown field `accounts`; did you mean `accountIds`?",
            ),
            (
                json!({"acountIds": ["111122223333"]}),
                "unknown field `acountIds`; did you mean `accountIds`?",
            ),
            (
                json!({"action": "reconcile", "dryrun": true}),
                "unknown field `dryrun`; did you mean `dryRun`?",
            ),
            (
                json!({"accountIds": ["111122223333"], "colour": "blue"}),
                "unknown field `colour`; a manual invocation takes `action`, `accountIds`",
            ),
            (json!({"hello": "world"}), "keys: hello"),
            (json!({"hello": "world"}), "{\"action\": \"check\"}"),
        ]);
    }

    #[test]
    fn rejected_eventbridge_events_say_what_was_received() {
        assert_rejected(&[
            (
                json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
                "source \"aws.ec2\", detail-type \"EC2 Instance State-change Notification\" and eventName (none)",
            ),
            (
                json!({"source": "aws.organizations", "detail-type": SERVICE_EVENT, "detail": {"eventName": "MoveAccountResult"}}),
                "eventName \"MoveAccountResult\"",
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
        ]);
    }

    #[test]
    fn rejected_manual_invocations_say_which_value_is_wrong() {
        assert_rejected(&[
            (json!({"accountIds": []}), "no account named"),
            (json!({"regions": ["us-east-1"]}), "no account named"),
            (
                json!({"accountIds": "111122223333"}),
                "malformed manual invocation event: invalid type: string",
            ),
            (
                json!({"accountIds": ["111122223333"], "region": "x"}),
                "unknown field `region`; did you mean `regions`?",
            ),
            (
                json!({"accountIds": [111122223333u64]}),
                "invalid account ID \"111122223333\" at accountIds[0]",
            ),
            (
                json!({"accountIds": [111122223333u64]}),
                "it is a JSON number, and an account ID must be a string, in quotes",
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
        ]);
    }

    fn assert_rejected(cases: &[(Value, &str)]) {
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
            "AccountJoinedOrganization",
            "accountIds",
            "reconcile",
            "{\"action\": \"check\"}",
            "dryRun",
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
