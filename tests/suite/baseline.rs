//! Macie's own settings as policy, in the administrator's account: read in every region, written
//! only where they differ, each change an outcome; against the Macie stand-in.

use crate::support::{Standins, invoke_ok};
use serde_json::{Value, json};

const BOTH: &str = "us-east-1,eu-west-1";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const WRITES: [&str; 3] = [
    "UpdateMacieSession",
    "PutFindingsPublicationConfiguration",
    "PutClassificationExportConfiguration",
];
const READS: [&str; 3] = [
    "GetFindingsPublicationConfiguration",
    "GetClassificationExportConfiguration",
    "GetMacieSession",
];

fn settings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("MACIE_REGIONS", BOTH),
        ("FINDING_PUBLISHING_FREQUENCY", "ONE_HOUR"),
        ("PUBLISH_SENSITIVE_DATA_FINDINGS", "true"),
        ("RESULTS_BUCKET", "macie-results-123456789012"),
        ("RESULTS_KMS_KEY_ARN", KEY),
    ]
}

fn count(standins: &Standins, operations: &[&str]) -> usize {
    operations
        .iter()
        .map(|operation| standins.macie_calls_of(operation, None).len())
        .sum()
}

/// The summary's `baseline` entries: (region, setting, change).
fn baseline(summary: &Value) -> Vec<(String, String, String)> {
    let mut entries: Vec<(String, String, String)> = summary["baseline"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|entry| {
            assert_eq!(entry["administrator"], true, "{entry}");
            let text = |key: &str| entry[key].as_str().unwrap().to_owned();
            (text("region"), text("status"), text("reason"))
        })
        .collect();
    entries.sort();
    entries
}

#[tokio::test]
async fn the_administrators_baseline_is_applied_in_each_region_then_left_alone() {
    let standins = Standins::start();
    let app = standins.app(&settings()).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let entries = baseline(&summary);
    assert_eq!(entries.len(), 6, "{summary:#}");
    assert!(entries.contains(&(
        "eu-west-1".to_owned(),
        "findingPublishingFrequency".to_owned(),
        "findingPublishingFrequency: FIFTEEN_MINUTES -> ONE_HOUR".to_owned()
    )));
    let publication =
        standins.macie_calls_of("PutFindingsPublicationConfiguration", Some("us-east-1"));
    // The call takes both flags: the one not set is written as it was read.
    assert_eq!(
        publication[0]["body"]["securityHubConfiguration"],
        json!({"publishPolicyFindings": true, "publishClassificationFindings": true})
    );
    assert_eq!(summary["counts"]["us-east-1"]["baseline"], 3);

    // A second reconcile reads the same, and writes nothing.
    let writes = count(&standins, &WRITES);
    let again = invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert_eq!(baseline(&again), []);
    assert_eq!(count(&standins, &WRITES), writes);
}

#[tokio::test]
async fn with_no_baseline_setting_no_call_is_made() {
    let standins = Standins::start();
    let app = standins.app(&[("MACIE_REGIONS", BOTH)]).await;

    invoke_ok(&app, json!({"action": "reconcile"})).await;

    assert_eq!(count(&standins, &WRITES), 0);
    assert_eq!(count(&standins, &READS), 0);
}

#[tokio::test]
async fn a_dry_run_plans_the_baseline_and_writes_nothing() {
    let standins = Standins::start();
    let app = standins.app(&settings()).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile", "dryRun": true})).await;

    let planned: Vec<&Value> = summary["planned"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["administrator"] == true)
        .collect();
    assert_eq!(planned.len(), 6, "{summary:#}");
    assert!(
        planned
            .iter()
            .any(|entry| entry["actions"] == json!(["set repository"]))
    );
    assert_eq!(count(&standins, &WRITES), 0);
}

#[tokio::test]
async fn a_refused_repository_is_named_with_the_policies_it_needs_and_not_queued() {
    let standins = Standins::start();
    standins.set_faults(json!({"rules": [
        {"operation": "PutClassificationExportConfiguration", "errorType": "AccessDeniedException",
         "message": "Macie can't write to the bucket"},
    ]}));
    let app = standins.app(&settings()).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let refused: Vec<&Value> = summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["administrator"] == true)
        .collect();
    assert_eq!(refused.len(), 2, "{summary:#}");
    let reason = refused[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("s3:PutObject") && reason.contains("kms:GenerateDataKey"),
        "{reason}"
    );
    assert!(summary.get("requeued").is_none(), "{summary:#}");
    assert!(summary.get("deadLettered").is_none());
    // The other settings were written all the same.
    assert_eq!(baseline(&summary).len(), 4);
}

#[tokio::test]
async fn the_check_reports_the_administrators_settings_and_warns_without_a_repository() {
    let standins = Standins::start();
    let app = standins.app(&[("MACIE_REGIONS", BOTH)]).await;

    let report = invoke_ok(&app, json!({"action": "check"})).await;

    let baseline: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| check["check"] == "baseline")
        .collect();
    assert_eq!(baseline.len(), 2, "{report:#}");
    let detail = baseline[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("findingPublishingFrequency FIFTEEN_MINUTES"),
        "{detail}"
    );
    assert!(detail.contains("results repository none"), "{detail}");
    // Automated discovery runs (the stand-in's default) with no repository: results last 90 days.
    assert!(
        detail.contains("warning") && detail.contains("90 days"),
        "{detail}"
    );
    assert!(detail.contains("ResultsBucket"), "{detail}");
    assert_eq!(baseline[0]["status"], "pass");

    // With a repository set and held, no warning.
    let app = standins.app(&settings()).await;
    invoke_ok(&app, json!({"action": "reconcile"})).await;
    let report = invoke_ok(&app, json!({"action": "check"})).await;
    let text = report.to_string();
    assert!(
        text.contains("results repository s3://macie-results-123456789012"),
        "{report:#}"
    );
    assert!(!text.contains("90 days"), "{report:#}");
}

#[tokio::test]
async fn a_member_sets_its_own_frequency_and_publication_when_it_accepts() {
    let standins = Standins::start();
    let account = standins.new_account("baseline.owner@example.com").await;
    let app = standins
        .app(&[
            ("MACIE_REGIONS", "us-east-1"),
            ("ACCEPT_ROLE_NAME", "MacieInviteAccept"),
            ("FINDING_PUBLISHING_FREQUENCY", "SIX_HOURS"),
            ("PUBLISH_SENSITIVE_DATA_FINDINGS", "true"),
        ])
        .await;

    invoke_ok(&app, crate::support::create_account_result(&account)).await;
    let last = standins.retry_once_invitations_show(&app).await;
    assert_eq!(last, json!({"batchItemFailures": []}));

    // Inside the member, through the role: only it can set its own (the administrator's are set by
    // the reconcile).
    for operation in ["UpdateMacieSession", "PutFindingsPublicationConfiguration"] {
        let calls = standins.macie_calls_of(operation, Some("us-east-1"));
        assert!(
            calls.iter().any(|call| call["caller"] == account.as_str()),
            "{operation}: {calls:#?}"
        );
    }
    let publication = standins
        .macie_calls_of("PutFindingsPublicationConfiguration", Some("us-east-1"))
        .into_iter()
        .find(|call| call["caller"] == account.as_str())
        .unwrap();
    assert_eq!(
        publication["body"]["securityHubConfiguration"],
        json!({"publishPolicyFindings": true, "publishClassificationFindings": true})
    );
}

#[tokio::test]
async fn the_reconcile_audits_members_through_the_role_and_a_second_finds_them_meeting_it() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let mut members = Vec::new();
    for n in 0..3 {
        let account = organization
            .create_account(&format!("audited{n}@example.com"))
            .await;
        standins.seed_enrolled_member("us-east-1", &account, "Enabled");
        members.push(account);
    }
    let app = standins
        .app(&[
            ("MACIE_REGIONS", "us-east-1"),
            ("ACCEPT_ROLE_NAME", "MacieInviteAccept"),
            ("FINDING_PUBLISHING_FREQUENCY", "ONE_HOUR"),
        ])
        .await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let coverage = &crate::support::region_tally(&summary, "us-east-1")["baseline"];
    assert_eq!(
        coverage,
        &json!({"audited": 3, "meeting": 0}),
        "{summary:#}"
    );
    let callers: Vec<Value> = standins
        .macie_calls_of("UpdateMacieSession", None)
        .iter()
        .map(|call| call["caller"].clone())
        .collect();
    for member in &members {
        assert!(callers.contains(&json!(member)), "{member}: {callers:?}");
    }
    let again = invoke_ok(&app, json!({"action": "reconcile"})).await;
    let coverage = &crate::support::region_tally(&again, "us-east-1")["baseline"];
    assert_eq!(coverage, &json!({"audited": 3, "meeting": 3}), "{again:#}");
}
