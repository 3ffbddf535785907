//! Least privilege, checked on template.yaml itself (no IAM statement with a `*` action, no action
//! that the code never calls, no queue without encryption) and on the template as deployed, after
//! SAM's transform (no AWS managed policy, no `*` resource where the action takes one, the member
//! role trusting the function's role alone).
//!
//! The template is read with cfn-lint's decoder (installed by scripts/test.sh from
//! requirements-dev.txt), which understands CloudFormation's short tags (!Ref, !If, !Sub, ...).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

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
        // The SQS event source receives and deletes with the function's role (and reads the queue's
        // attributes, which the check does too); the function answers its batches.
        "sqs:ReceiveMessage" | "sqs:DeleteMessage" => "SqsBatchResponse".to_owned(),
        // SQS encrypts what the function sends, and decrypts what it receives, with the stack's key.
        "kms:GenerateDataKey" | "kms:Decrypt" => ".send_message_batch()".to_owned(),
        // CreateMember with tags is authorized as macie2:TagResource too (Service Authorization
        // Reference, list_macie2): the enrollment tag.
        "macie2:TagResource" => ".tags(key, value)".to_owned(),
        // Lambda writes the function's log lines, which the subscriber formats.
        "logs:CreateLogStream" | "logs:PutLogEvents" => "pub fn init(".to_owned(),
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

/// Every source file under src/, its folders included.
fn source() -> String {
    fn read(dir: &Path) -> String {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    read(&path)
                } else {
                    std::fs::read_to_string(path).unwrap()
                }
            })
            .collect()
    }
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
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
    assert!(!code.contains(&call_for("macie2:DisableMacie")));
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

/// template.yaml as CloudFormation deploys it (tests/standins/deployed.py: SAM's transform, then the
/// conditions resolved with `parameters`).
fn deployed(parameters: Value) -> Value {
    let output = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/standins/deployed.py"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml"))
        .arg(parameters.to_string())
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "SAM's transform failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout).unwrap()["Resources"].clone()
}

/// Actions of SQS, Macie and Organizations that take a resource (Service Authorization Reference): every SQS action, Macie's member actions, and the Organizations reads of an
/// account or unit. The others (ListMembers, CreateInvitations, ListAccounts,
/// DescribeCreateAccountStatus) take `*` only.
fn takes_a_resource(action: &str) -> bool {
    action.starts_with("sqs:")
        || matches!(
            action,
            "macie2:GetMember"
                | "macie2:CreateMember"
                | "macie2:TagResource"
                | "macie2:DisassociateMember"
                | "macie2:DeleteMember"
                | "organizations:DescribeAccount"
                | "organizations:ListParents"
                | "organizations:ListAccountsForParent"
                | "organizations:ListOrganizationalUnitsForParent"
        )
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    }
}

#[test]
fn as_deployed_no_grant_is_on_every_resource_where_the_action_takes_one() {
    let resources = deployed(json!({
        "ManagementAccountId": "111122223333",
        "AcceptRoleName": "MacieInviteAccept",
        "OrganizationId": "o-abcdefghij",
        "MacieRegions": "us-east-1,eu-west-1",
    }));
    let roles: Vec<(&String, &Value)> = resources
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::IAM::Role")
        .collect();
    assert_eq!(
        roles
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>(),
        ["FunctionRole"],
        "SAM makes no role of its own"
    );
    let role = &roles[0].1["Properties"];
    assert!(
        role.get("ManagedPolicyArns").is_none(),
        "no AWS managed policy: {}",
        role["ManagedPolicyArns"]
    );
    let mut checked = 0;
    for policy in role["Policies"].as_array().unwrap() {
        for statement in as_list(&policy["PolicyDocument"]["Statement"]) {
            for action in as_list(&statement["Action"]) {
                let action = action.as_str().unwrap();
                let services = ["sqs:", "macie2:", "organizations:"];
                if !services.iter().any(|service| action.starts_with(service)) {
                    continue;
                }
                checked += 1;
                let resources = as_list(&statement["Resource"]);
                if takes_a_resource(action) {
                    assert!(
                        !resources.contains(&json!("*")),
                        "{action} is granted on * in {}",
                        statement["Sid"]
                    );
                }
                if action.starts_with("macie2:") {
                    assert_eq!(
                        statement["Condition"]["StringEquals"]["aws:RequestedRegion"],
                        json!(["us-east-1", "eu-west-1"]),
                        "{action} confined to MacieRegions"
                    );
                }
            }
        }
    }
    assert!(checked >= 11, "only {checked} actions checked");
}

#[test]
fn on_the_defaults_the_rules_and_grants_close_on_the_stacks_own_account() {
    // ManagementAccountId left empty, as a guided deploy that presses Enter leaves it: the stack's
    // own account (moto's pseudo account here), never any account.
    let resources = deployed(json!({}));
    let own = "123456789012";
    let mut rules = 0;
    for (name, resource) in resources.as_object().unwrap() {
        if resource["Type"] != "AWS::Events::Rule" {
            continue;
        }
        let pattern = &resource["Properties"]["EventPattern"];
        if pattern["source"] == json!(["aws.events"]) || pattern.get("detail-type").is_none() {
            continue;
        }
        if pattern["source"].as_array().is_some_and(|sources| {
            sources
                .iter()
                .any(|source| source.as_str().is_some_and(|s| s.starts_with("aws.")))
        }) {
            rules += 1;
            assert_eq!(pattern["account"], json!([own]), "{name}: {pattern}");
        }
    }
    assert!(rules >= 5, "only {rules} rules of AWS events found");
    let role = &resources["FunctionRole"]["Properties"];
    let mut scoped = 0;
    for policy in role["Policies"].as_array().unwrap() {
        for statement in as_list(&policy["PolicyDocument"]["Statement"]) {
            let actions = as_list(&statement["Action"]);
            let reads = ["organizations:DescribeAccount", "organizations:ListParents"];
            if !actions
                .iter()
                .any(|action| reads.contains(&action.as_str().unwrap()))
            {
                continue;
            }
            scoped += 1;
            for resource in as_list(&statement["Resource"]) {
                let resource = resource.as_str().unwrap();
                assert!(
                    resource.starts_with(&format!("arn:aws:organizations::{own}:")),
                    "{resource}"
                );
            }
        }
    }
    assert_eq!(scoped, 2);
    let environment = &resources["MacieInviteFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(environment["MANAGEMENT_ACCOUNT_ID"], own);
}

#[test]
fn the_member_role_trusts_the_functions_role_alone() {
    let output = Command::new("python3")
        .args(["-c", DECODE])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("member-role.yaml"))
        .output()
        .expect("python3 runs");
    assert!(output.status.success());
    let template: Value = serde_json::from_slice(&output.stdout).unwrap();
    let trust = &template["Resources"]["AcceptRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        [0];
    assert_eq!(
        trust["Condition"]["StringEquals"]["aws:PrincipalArn"],
        json!({"Ref": "FunctionRoleArn"})
    );
    assert!(
        trust["Condition"]
            .get("StringEquals")
            .unwrap()
            .get("sts:RoleSessionName")
            .is_none()
    );
    // What the function calls inside the member account, and nothing more: UpdateMacieSession to
    // resume a Paused member's own Macie (ResumePaused).
    let actions = &template["Resources"]["AcceptRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"][0]["Action"];
    assert_eq!(
        actions,
        &json!([
            "macie2:EnableMacie",
            "macie2:ListInvitations",
            "macie2:AcceptInvitation",
            "macie2:UpdateMacieSession",
            "macie2:GetMacieSession",
            "macie2:GetFindingsPublicationConfiguration",
            "macie2:PutFindingsPublicationConfiguration"
        ])
    );
}

#[test]
fn the_drift_alarm_exists_only_where_a_threshold_is_set() {
    let template = template();
    let alarm = &template["Resources"]["DriftAlarm"];
    assert_eq!(alarm["Condition"], "HasDriftThreshold");
    assert_eq!(alarm["Properties"]["MetricName"], "MembersDrifted");
    assert_eq!(template["Parameters"]["DriftThreshold"]["Default"], "");
    assert_eq!(template["Parameters"]["ResumePaused"]["Default"], "false");
}

#[test]
fn the_queues_and_the_logs_outlive_the_stack() {
    let template = template();
    for name in ["RetryQueue", "DeadLetterQueue", "FunctionLogGroup"] {
        let resource = &template["Resources"][name];
        assert_eq!(resource["DeletionPolicy"], "Retain", "{name}");
        assert_eq!(resource["UpdateReplacePolicy"], "Retain", "{name}");
    }
}

#[test]
fn the_guided_deploy_asks_each_parameter_by_its_meaning_and_saves_every_answer() {
    // WHEN the operator presses Enter at every prompt of scripts/deploy.py, in a terminal
    let (status, text) = deploy_in_a_terminal(&["--print", "--region", "eu-west-1"], "\n");
    assert_eq!(status, Some(0), "{text}");

    // THEN every parameter is asked with its description, and the command saves every answer in a
    // form that SAM CLI takes (an empty value as "")
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml"))
            .unwrap();
    let parameters = template
        .split("\nParameters:\n")
        .nth(1)
        .unwrap()
        .split("\nConditions:")
        .next()
        .unwrap();
    let names: Vec<&str> = parameters
        .lines()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':'))
        .map(|line| line.trim().trim_end_matches(':'))
        .collect();
    assert!(names.len() > 20, "{names:?}");
    for name in &names {
        assert!(
            text.contains(&format!("\n{name}\n  ")),
            "{name} is not asked with its meaning"
        );
    }
    assert!(text.contains("MaxRemovals [25]"), "the default is offered");
    let command = text.lines().rfind(|line| !line.trim().is_empty()).unwrap();
    assert!(command.starts_with("sam deploy --region eu-west-1 --parameter-overrides "));
    assert!(command.ends_with(" --save-params"), "{command}");
    assert!(command.contains(r#"'ManagementAccountId=""'"#), "{command}");
    for name in &names {
        assert!(
            command.contains(&format!("{name}=\"")),
            "{name} not sent: {command}"
        );
    }
}

#[test]
fn the_heartbeat_alarm_pages_when_no_reconcile_completes_and_only_it_breaches_on_missing_data() {
    let template = template();
    let heartbeat = &template["Resources"]["HeartbeatAlarm"];
    assert_eq!(heartbeat["Condition"], "ReconcileOn");
    let properties = &heartbeat["Properties"];
    assert_eq!(properties["MetricName"], "ReconcilesCompleted");
    assert_eq!(properties["TreatMissingData"], "breaching");
    assert_eq!(properties["ComparisonOperator"], "LessThanThreshold");
    assert_eq!(
        properties["EvaluationPeriods"],
        json!({"Ref": "HeartbeatHours"})
    );
    for (name, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] == "AWS::CloudWatch::Alarm" && name != "HeartbeatAlarm" {
            assert_ne!(
                resource["Properties"]["TreatMissingData"], "breaching",
                "{name}"
            );
        }
    }
}

/// scripts/deploy.py run in a pseudo-terminal (as a person runs it), `answers` typed, then Enter
/// at every prompt after them: its exit code and what the terminal showed.
fn deploy_in_a_terminal(arguments: &[&str], answers: &str) -> (Option<i32>, String) {
    let script = "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)";
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/deploy.py");
    let mut child = Command::new("python3")
        .args(["-c", script, "python3"])
        .arg(deploy)
        .args(arguments)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let typed = format!("{answers}{}", "\n".repeat(100));
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    (output.status.code(), text)
}

/// scripts/deploy.py run with no terminal: its exit code, standard output and error.
fn deploy_without_a_terminal(python: &[&str], arguments: &[&str]) -> (Option<i32>, String, String) {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/deploy.py");
    let output = Command::new("python3")
        .args(python)
        .arg(deploy)
        .args(arguments)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("python3 runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn the_deploy_scripts_help_says_what_it_asks_and_runs_and_asks_nothing() {
    let (status, stdout, _) = deploy_without_a_terminal(&[], &["--help"]);
    assert_eq!(status, Some(0));
    for word in [
        "--print",
        "--defaults",
        "--region",
        "sam deploy",
        "--save-params",
    ] {
        assert!(stdout.contains(word), "{word}: {stdout}");
    }
    assert!(!stdout.contains("[25]"), "it asked: {stdout}");
}

#[test]
fn with_no_terminal_the_deploy_script_refuses_unless_told_to_send_the_defaults() {
    let (status, stdout, stderr) = deploy_without_a_terminal(&[], &["--print"]);
    assert_ne!(status, Some(0));
    assert!(
        stderr.contains("not a terminal") && stderr.contains("--defaults"),
        "{stderr}"
    );
    assert!(!stdout.contains("sam deploy"), "{stdout}");

    let (status, stdout, _) = deploy_without_a_terminal(&[], &["--print", "--defaults"]);
    assert_eq!(status, Some(0));
    assert!(
        stdout.contains("  MaxRemovals=25\n"),
        "it says what it sends: {stdout}"
    );
    assert!(
        stdout.contains("sam deploy --parameter-overrides"),
        "{stdout}"
    );
}

#[test]
fn a_refused_value_is_explained_in_words_and_asked_again() {
    let (status, text) = deploy_in_a_terminal(&["--print"], "eu west 1\n");
    assert_eq!(status, Some(0), "{text}");
    assert!(
        text.contains(
            "'eu west 1' must be region names, comma-separated, such as us-east-1,eu-west-1"
        ),
        "{text}"
    );
    assert!(!text.contains("must match ^"), "a bare pattern: {text}");
}

#[test]
fn without_the_projects_tools_the_deploy_script_says_which_command_makes_them() {
    // -S: a Python with none of the project's packages, as the system's.
    let (status, _, stderr) = deploy_without_a_terminal(&["-S"], &["--defaults", "--print"]);
    assert_ne!(status, Some(0));
    assert!(stderr.contains(". scripts/tools.sh"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_results_repository_is_made_right_and_kept() {
    let template = template();
    let resources = &template["Resources"];
    let bucket = &resources["ResultsRepositoryBucket"];
    let key = &resources["ResultsKey"];
    for (name, resource) in [("bucket", bucket), ("key", key)] {
        assert_eq!(resource["Condition"], "CreateRepository", "{name}");
        assert_eq!(resource["DeletionPolicy"], "Retain", "{name}");
    }
    let properties = &bucket["Properties"];
    let encryption = &properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
    assert_eq!(encryption["SSEAlgorithm"], "aws:kms");
    assert_eq!(properties["VersioningConfiguration"]["Status"], "Enabled");
    let public = &properties["PublicAccessBlockConfiguration"];
    for flag in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(public[flag], true, "{flag}");
    }
    assert_eq!(
        properties["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"],
        json!({"Ref": "ResultsRetentionDays"})
    );
    let statements =
        resources["ResultsRepositoryBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
    assert_eq!(statements[0]["Effect"], "Deny");
    assert_eq!(
        statements[0]["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
    let macie: Vec<&Value> = statements
        .iter()
        .filter(|statement| statement["Principal"]["Service"] == "macie.amazonaws.com")
        .collect();
    assert_eq!(macie.len(), 2);
    for statement in macie {
        assert!(statement["Condition"]["StringEquals"]["aws:SourceAccount"].is_object());
    }
    let outputs = &template["Outputs"];
    assert_eq!(
        outputs["ResultsBucketName"]["Condition"],
        "CreateRepository"
    );
    assert_eq!(outputs["ResultsKeyArn"]["Condition"], "CreateRepository");
}
