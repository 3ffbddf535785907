//! Least privilege, checked on template.yaml itself: no IAM statement with a `*` action, no action
//! that the code never calls, and no queue without encryption.
//!
//! The template is read with cfn-lint's decoder (installed by scripts/test.sh from
//! requirements-dev.txt), which understands CloudFormation's short tags (!Ref, !If, !Sub, ...).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const DECODE: &str = "import json, sys\n\
from cfnlint.decode import decode\n\
template, errors = decode(sys.argv[1])\n\
if errors: sys.exit('; '.join(str(error) for error in errors))\n\
print(json.dumps(template, default=str))\n";

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    let output = Command::new("python3")
        .args(["-c", DECODE])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "cfn-lint could not read template.yaml (pip install -r requirements-dev.txt): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every IAM statement of the function's policies, including those behind `Fn::If`.
fn statements(template: &Value) -> Vec<Value> {
    fn collect(node: &Value, into: &mut Vec<Value>) {
        match node {
            Value::Object(fields) if fields.contains_key("Effect") => into.push(node.clone()),
            Value::Object(fields) => match fields.get("Fn::If") {
                // [condition, if true, if false]: both branches may apply.
                Some(Value::Array(branches)) => branches
                    .iter()
                    .skip(1)
                    .for_each(|branch| collect(branch, into)),
                _ => fields.values().for_each(|value| collect(value, into)),
            },
            Value::Array(items) => items.iter().for_each(|item| collect(item, into)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for resource in template["Resources"].as_object().unwrap().values() {
        let properties = &resource["Properties"];
        match resource["Type"].as_str() {
            Some("AWS::Serverless::Function") => collect(&properties["Policies"], &mut found),
            Some("AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") => {
                collect(properties, &mut found)
            }
            _ => {}
        }
    }
    found
        .into_iter()
        .filter(|statement| statement.get("Action").is_some())
        .collect()
}

fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(action) => vec![action.clone()],
        Value::Array(actions) => actions
            .iter()
            .map(|action| action.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("an Action that is neither a string nor a list: {other}"),
    }
}

/// The Rust code that makes the call an IAM action authorizes: the SDK's fluent method
/// (`organizations:DescribeAccount` → `.describe_account()`), except where one action authorizes
/// another operation.
fn call_for(action: &str) -> String {
    match action {
        // SendMessageBatch is authorized as sqs:SendMessage.
        "sqs:SendMessage" => ".send_message_batch()".to_owned(),
        // Roles in member accounts are assumed through aws-config's provider.
        "sts:AssumeRole" => "AssumeRoleProvider::builder(".to_owned(),
        _ => {
            let operation = action.split(':').nth(1).unwrap();
            let mut snake = String::new();
            for (index, c) in operation.chars().enumerate() {
                if c.is_ascii_uppercase() && index > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            format!(".{snake}()")
        }
    }
}

fn source() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect()
}

#[test]
fn no_statement_grants_a_wildcard_action_or_one_the_code_never_calls() {
    let template = template();
    let statements = statements(&template);
    assert!(statements.len() >= 5, "{statements:#?}");
    let code = source();
    for statement in &statements {
        for action in actions(statement) {
            assert!(!action.contains('*'), "{action} in {}", statement["Sid"]);
            let call = call_for(&action);
            assert!(
                code.contains(&call),
                "{action} is granted, but src/ never calls {call}"
            );
        }
    }
}

#[test]
fn the_mapping_from_actions_to_calls_can_tell_a_missing_call() {
    // The check above would let anything pass if the mapping produced text found everywhere.
    let code = source();
    assert!(code.contains(&call_for("organizations:DescribeAccount")));
    assert!(!code.contains(&call_for("organizations:CreateAccount")));
    assert!(!code.contains(&call_for("macie2:DeleteMember")));
}

#[test]
fn every_queue_is_encrypted() {
    let template = template();
    let queues: Vec<(&String, &Value)> = template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::SQS::Queue")
        .collect();
    assert!(queues.len() >= 2);
    for (name, queue) in queues {
        let properties = &queue["Properties"];
        let encrypted = properties["SqsManagedSseEnabled"] == true
            || properties.get("KmsMasterKeyId").is_some();
        assert!(encrypted, "queue {name} is not encrypted");
    }
}
