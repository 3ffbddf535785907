//! Hostile input: anyone with PutEvents rights on the bus can forge an event, and anyone with
//! SendMessage rights on the retry queue a message. The decoders must survive any input, without a
//! panic, and refuse what they cannot use with an error that says what is wrong.
//!
//! Property tests over arbitrary JSON and over mutations of every sample in events/ (a few thousand
//! cases in all); `fuzz/` holds a cargo-fuzz target over the same decoders for longer runs.

use std::path::Path;

use crate::support::{Standins, entries, invoke};
use macie_invite::event::{Delivery, Trigger, decode};
use macie_invite::message::RetryMessage;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Arbitrary JSON: scalars of every kind (strings that look like IDs, regions and request IDs
/// among them), nested in arrays and objects whose keys are mostly ones the decoders look for.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("accountId".to_owned()),
        Just("accountIds".to_owned()),
        Just("createAccountRequestId".to_owned()),
        Just("createAccountRequestIds".to_owned()),
        Just("regions".to_owned()),
        Just("action".to_owned()),
        Just("source".to_owned()),
        Just("detail-type".to_owned()),
        Just("detail".to_owned()),
        Just("eventName".to_owned()),
        Just("serviceEventDetails".to_owned()),
        Just("createAccountStatus".to_owned()),
        Just("state".to_owned()),
        Just("Records".to_owned()),
        Just("body".to_owned()),
        Just("attempt".to_owned()),
        "[a-zA-Z-]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|x| json!(x)),
        "[0-9]{10,14}".prop_map(Value::from),
        "car-[a-z0-9]{6,34}".prop_map(Value::from),
        "[a-z]{2}-[a-z]{4,9}-[0-9]".prop_map(Value::from),
        prop_oneof![
            Just("aws.organizations"),
            Just("aws.controltower"),
            Just("aws.events"),
            Just("AWS Service Event via CloudTrail"),
            Just("AWS API Call via CloudTrail"),
            Just("Scheduled Event"),
            Just("CreateAccountResult"),
            Just("SUCCEEDED"),
            Just("reconcile"),
            Just("aws:sqs"),
        ]
        .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn samples() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
        .collect()
}

/// Applies one mutation at the `at`-th node (in depth-first order, modulo their number): replace it
/// with `with`, remove it from its parent, or wrap it in an array.
fn mutate(value: &mut Value, at: usize, kind: u8, with: Value) {
    fn count(value: &Value) -> usize {
        1 + match value {
            Value::Array(items) => items.iter().map(count).sum(),
            Value::Object(fields) => fields.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(value: &mut Value, target: &mut usize, kind: u8, with: &mut Option<Value>) -> bool {
        if *target == 0 {
            let taken = std::mem::take(value);
            *value = match kind % 3 {
                0 => with.take().unwrap_or(Value::Null),
                1 => Value::Null,
                _ => Value::Array(vec![taken]),
            };
            return true;
        }
        *target -= 1;
        match value {
            Value::Array(items) => {
                for index in 0..items.len() {
                    if *target == 0 && kind % 3 == 1 {
                        items.remove(index);
                        return true;
                    }
                    if walk(&mut items[index], target, kind, with) {
                        return true;
                    }
                }
                false
            }
            Value::Object(fields) => {
                let keys: Vec<String> = fields.keys().cloned().collect();
                for key in keys {
                    if *target == 0 && kind % 3 == 1 {
                        fields.remove(&key);
                        return true;
                    }
                    if walk(fields.get_mut(&key).unwrap(), target, kind, with) {
                        return true;
                    }
                }
                false
            }
            _ => false,
        }
    }
    let mut target = at % count(value);
    walk(value, &mut target, kind, &mut Some(with));
}

/// The decoder's verdict on `event`: it must not panic, and a refusal must say what is wrong
/// without repeating the whole input.
fn check(event: Value) -> Result<(), TestCaseError> {
    let size = event.to_string().len();
    match decode(event) {
        Ok(Trigger::Retry(deliveries)) => {
            for Delivery {
                message_id,
                content,
            } in deliveries
            {
                if let Err(error) = content {
                    check_refusal(&error.to_string(), size)?;
                    prop_assert!(!message_id.is_empty());
                }
            }
        }
        Ok(_) => {}
        Err(error) => check_refusal(&error.to_string(), size)?,
    }
    Ok(())
}

fn check_refusal(message: &str, input_size: usize) -> Result<(), TestCaseError> {
    prop_assert!(
        message.len() >= 20,
        "a refusal too terse to help: {message:?}"
    );
    // Quoted values are cut short: the message stays small however large the input.
    prop_assert!(
        message.len() <= 2_000 + input_size.min(2_000),
        "a refusal of {} bytes for an input of {input_size}",
        message.len()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn any_json_is_decoded_or_refused_with_a_reason(event in json_value()) {
        check(event)?;
    }

    #[test]
    fn mutated_samples_are_decoded_or_refused_with_a_reason(
        sample in 0usize..11,
        mutations in prop::collection::vec((any::<usize>(), any::<u8>(), json_value()), 1..4),
    ) {
        let samples = samples();
        let mut event = samples[sample % samples.len()].clone();
        for (at, kind, with) in mutations {
            mutate(&mut event, at, kind, with);
        }
        check(event)?;
    }

    #[test]
    fn any_retry_message_body_is_read_or_refused_with_a_reason(
        body in prop_oneof![
            ".{0,200}",
            json_value().prop_map(|value| value.to_string()),
            (json_value(), "[0-9]{12}", 0u32..5).prop_map(|(history, id, attempt)| {
                json!({"accountId": id, "regions": ["us-east-1"], "attempt": attempt, "history": history}).to_string()
            }),
        ]
    ) {
        if let Err(error) = RetryMessage::decode(&body, "message-1") {
            check_refusal(&error.to_string(), body.len())?;
        }
    }
}

#[test]
fn every_sample_survives_the_decoder_unchanged() {
    // The mutations start from real shapes: each sample decodes as it is.
    for sample in samples() {
        assert!(decode(sample.clone()).is_ok(), "{sample}");
    }
}

#[test]
fn a_huge_event_is_refused_with_a_short_message() {
    let huge = "x".repeat(5 * 1024 * 1024);
    let cases = [
        json!({ "accountIds": [huge] }),
        json!({ huge.clone(): 1 }),
        json!({ "source": huge, "detail-type": "x", "detail": {} }),
    ];
    for event in cases {
        let error = decode(event).unwrap_err().to_string();
        assert!(error.len() < 2_000, "{} bytes", error.len());
    }
}

#[tokio::test]
async fn an_event_naming_more_accounts_than_allowed_is_refused_before_any_call() {
    let standins = Standins::start();
    let app = standins.app(&[("MAX_ACCOUNTS_PER_EVENT", "100")]).await;
    let ids: Vec<String> = (0..101u64)
        .map(|n| format!("{:012}", 100_000_000_000 + n))
        .collect();

    let error = invoke(&app, json!({ "accountIds": ids }))
        .await
        .unwrap_err();

    let message = error.to_string();
    assert!(
        message.contains("101") && message.contains("MAX_ACCOUNTS_PER_EVENT (100)"),
        "{message}"
    );
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(
        diagnostic.error_type,
        "MacieInvite.Permanent.TooManyAccounts"
    );
    assert!(standins.macie_calls().is_empty());
    assert!(
        standins
            .moto_calls()
            .keys()
            .all(|operation| !operation.contains("Organizations"))
    );
}

#[tokio::test]
async fn a_forged_event_naming_an_account_outside_the_organization_invites_no_one() {
    // GIVEN an organization, and a custom event (anyone with PutEvents rights could send it)
    // that names one of its accounts and a stranger
    let standins = Standins::start();
    let organization = standins.organization().await;
    let member = organization.create_account("member@example.com").await;
    let app = standins.app(&[]).await;
    let forged = json!({
        "version": "0", "id": "forged-1", "detail-type": "Account Created", "source": "my.account.factory",
        "account": "123456789012", "time": "2026-11-26T10:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"accountIds": [member, "210987654321"]}
    });

    // WHEN it arrives
    let summary = invoke(&app, forged).await.unwrap();

    // THEN the stranger is refused and reported, never associated or invited; the member is
    assert_eq!(
        entries(&summary, "invited"),
        [(member.clone(), "us-east-1".to_owned())]
    );
    assert_eq!(
        entries(&summary, "failed"),
        [("210987654321".to_owned(), String::new())]
    );
    assert!(
        summary["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not an account of this organization")
    );
    let associated: Vec<Value> = standins
        .macie_calls_of("CreateMember", None)
        .iter()
        .map(|call| call["body"]["account"]["accountId"].clone())
        .collect();
    assert_eq!(associated, [json!(member)]);
    let invited = standins.macie_calls_of("CreateInvitations", None);
    assert_eq!(invited[0]["body"]["accountIds"], json!([member]));
}
