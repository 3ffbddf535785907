//! The rule patterns of template.yaml and management.yaml, evaluated by a real EventBridge pattern
//! engine (moto's, through PutRule, PutEvents and an SQS target per rule: tests/standins/rules.py)
//! against every EventBridge sample in events/ and against events that must not invoke the function.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{ADMINISTRATOR, Standins, sample_event};
use serde_json::{Value, json};

/// Each EventBridge sample, and the rule meant for it in template.yaml and in management.yaml
/// (`None`: no rule; the scheduled event comes from the schedule itself, which has no pattern; the
/// account factory's custom events go straight to the function's account).
const MEANT_FOR: &[(&str, Option<&str>, Option<&str>)] = &[
    (
        "create-account-result.json",
        Some("AccountCreated"),
        Some("ForwardAccountCreated"),
    ),
    ("create-account-result-failed.json", None, None),
    (
        "create-account-call.json",
        Some("AccountCreationRequested"),
        Some("ForwardAccountCreationRequested"),
    ),
    (
        "account-joined-organization.json",
        Some("AccountJoined"),
        Some("ForwardAccountJoined"),
    ),
    (
        "account-joined-organization-unnamed.json",
        Some("AccountJoined"),
        Some("ForwardAccountJoined"),
    ),
    (
        "account-departed-organization-left.json",
        Some("AccountDeparted"),
        Some("ForwardAccountDeparted"),
    ),
    (
        "account-departed-organization-removed.json",
        Some("AccountDeparted"),
        Some("ForwardAccountDeparted"),
    ),
    (
        "account-departed-organization-cleaned.json",
        Some("AccountDeparted"),
        Some("ForwardAccountDeparted"),
    ),
    (
        "account-departed-organization-unnamed.json",
        Some("AccountDeparted"),
        Some("ForwardAccountDeparted"),
    ),
    (
        "close-account-call.json",
        Some("AccountClosedOrRemoved"),
        Some("ForwardAccountClosedOrRemoved"),
    ),
    (
        "close-account-result.json",
        Some("AccountDeparted"),
        Some("ForwardAccountDeparted"),
    ),
    (
        "remove-account-call.json",
        Some("AccountClosedOrRemoved"),
        Some("ForwardAccountClosedOrRemoved"),
    ),
    (
        "controltower-create-managed-account.json",
        Some("ControlTowerAccount"),
        Some("ForwardControlTowerAccount"),
    ),
    (
        "controltower-update-managed-account.json",
        Some("ControlTowerAccount"),
        Some("ForwardControlTowerAccount"),
    ),
    (
        "custom-account-factory.json",
        Some("AccountFactoryRule"),
        None,
    ),
    ("scheduled-reconcile.json", None, None),
];

/// The template.yaml of layout (b), with moto's account (the one PutEvents stamps on every event,
/// as a forwarded event keeps the management account's) as the management account.
fn function_template(management_account: &str) -> Value {
    json!({"name": "function", "path": path("template.yaml"), "parameters": {
        "ManagementAccountId": management_account,
        "AccountFactoryEventSource": "com.example.account-factory",
    }})
}

fn management_template() -> Value {
    json!({"name": "management", "path": path("management.yaml"), "parameters": {
        "FunctionAccountId": "210987654321",
        "FunctionRegion": "eu-west-1",
        "OrganizationsRules": "true",
        "ControlTowerRules": "true",
    }})
}

fn path(file: &str) -> String {
    format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// Template name → event name → the rules that matched it.
type Matches = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn matches(standins: &Standins, templates: Vec<Value>, events: BTreeMap<String, Value>) -> Matches {
    let mut child = Command::new("python3")
        .arg(path("tests/standins/rules.py"))
        .arg(&standins.moto)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs tests/standins/rules.py");
    let spec = json!({"templates": templates, "events": events});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "rules.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn eventbridge_samples() -> BTreeMap<String, Value> {
    std::fs::read_dir(path("events"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .map(|name| {
            let event = sample_event(&name);
            (name, event)
        })
        .filter(|(_, event)| event.get("detail-type").is_some())
        .collect()
}

#[test]
fn each_sample_is_matched_by_exactly_the_rule_meant_for_it() {
    let standins = Standins::start();
    let samples = eventbridge_samples();
    let listed: Vec<&str> = MEANT_FOR.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(
        samples.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut listed = listed.clone();
            listed.sort();
            listed
        },
        "every EventBridge sample in events/ has its rules here"
    );

    let found = matches(
        &standins,
        vec![function_template(ADMINISTRATOR), management_template()],
        samples,
    );

    for (name, function_rule, management_rule) in MEANT_FOR {
        for (template, rule) in [("function", function_rule), ("management", management_rule)] {
            let expected: Vec<String> = rule.iter().map(|rule| rule.to_string()).collect();
            assert_eq!(found[template][*name], expected, "{template}: {name}");
        }
    }
}

#[test]
fn events_that_must_not_invoke_the_function_match_no_rule() {
    let standins = Standins::start();
    let mut other_call = sample_event("create-account-call.json");
    other_call["detail"]["eventName"] = json!("CreateOrganizationalUnit");
    let mut failed_creation = sample_event("create-account-result.json");
    failed_creation["detail"]["serviceEventDetails"]["createAccountStatus"]["state"] =
        json!("FAILED");
    let mut failed_control_tower = sample_event("controltower-create-managed-account.json");
    failed_control_tower["detail"]["serviceEventDetails"]["createManagedAccountStatus"]["state"] =
        json!("FAILED");
    let mut other_lifecycle = sample_event("controltower-create-managed-account.json");
    other_lifecycle["detail"]["eventName"] = json!("RegisterOrganizationalUnit");
    let mut other_source = sample_event("create-account-result.json");
    other_source["source"] = json!("aws.ec2");
    let mut handshake = sample_event("account-joined-organization.json");
    handshake["detail-type"] = json!("AWS API Call via CloudTrail");
    handshake["detail"]["eventName"] = json!("AcceptHandshake");
    let events: BTreeMap<String, Value> = [
        ("another Organizations call", other_call),
        ("a FAILED CreateAccountResult", failed_creation),
        ("a FAILED CreateManagedAccount", failed_control_tower),
        ("another Control Tower lifecycle event", other_lifecycle),
        ("another source", other_source),
        ("an AcceptHandshake call", handshake),
    ]
    .into_iter()
    .map(|(name, event)| (name.to_owned(), event))
    .collect();

    let found = matches(
        &standins,
        vec![function_template(ADMINISTRATOR), management_template()],
        events,
    );

    for (template, by_event) in &found {
        for (event, rules) in by_event {
            assert!(rules.is_empty(), "{template}: {event} matched {rules:?}");
        }
    }
}

#[test]
fn membership_events_recorded_as_api_calls_reach_the_function_too() {
    // No sample from AWS shows whether the membership events are service events or API calls.
    const RULES: [(&str, &str); 2] = [
        ("account-joined-organization.json", "AccountJoined"),
        ("account-departed-organization-left.json", "AccountDeparted"),
    ];
    let standins = Standins::start();
    let events: BTreeMap<String, Value> = RULES
        .iter()
        .map(|(name, _)| {
            let mut event = sample_event(name);
            event["detail-type"] = json!("AWS API Call via CloudTrail");
            (name.to_string(), event)
        })
        .collect();

    let found = matches(
        &standins,
        vec![function_template(ADMINISTRATOR), management_template()],
        events,
    );

    for (name, rule) in RULES {
        assert_eq!(found["function"][name], [rule], "{name}");
        assert_eq!(
            found["management"][name],
            [format!("Forward{rule}")],
            "{name}"
        );
    }
}

#[test]
fn the_functions_rules_act_only_on_events_of_the_management_account() {
    let standins = Standins::start();
    let samples = eventbridge_samples();

    let found = matches(&standins, vec![function_template("999999999999")], samples);

    for (event, rules) in &found["function"] {
        let expected: Vec<&str> = if event == "custom-account-factory.json" {
            vec!["AccountFactoryRule"]
        } else {
            vec![]
        };
        assert_eq!(rules, &expected, "{event}");
    }
}
