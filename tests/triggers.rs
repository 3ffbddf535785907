//! Every sample event in events/, through the real handler, against the stand-ins seeded with the
//! accounts the samples name; and the triggers' edge cases.

mod support;

use serde_json::{Value, json};
use support::{Standins, entries, invoke, sample_event};

/// Each sample, and what the function must do with it (the region is us-east-1 unless the sample names others).
const SAMPLES: &[(&str, Expected)] = &[
    (
        "create-account-result.json",
        Expected::Invited(&["555555555555"]),
    ),
    (
        "create-account-result-failed.json",
        Expected::CreationFailed,
    ),
    (
        "manual-invoke.json",
        Expected::Invited(&["111111111111", "222222222222"]),
    ),
    (
        "controltower-create-managed-account.json",
        Expected::Invited(&["666666666666"]),
    ),
    (
        "controltower-update-managed-account.json",
        Expected::Invited(&["777777777777"]),
    ),
    (
        "accept-handshake.json",
        Expected::Invited(&["444455556666"]),
    ),
    (
        "custom-account-factory.json",
        Expected::Invited(&["888888888888"]),
    ),
    (
        "create-account-call.json",
        Expected::Invited(&["999999999999"]),
    ),
    (
        "manual-invoke-requests.json",
        Expected::Invited(&["999999999999"]),
    ),
    ("scheduled-reconcile.json", Expected::Reconciled),
    ("manual-reconcile.json", Expected::Reconciled),
];

enum Expected {
    Invited(&'static [&'static str]),
    CreationFailed,
    Reconciled,
}

async fn run_sample(name: &str) -> (Standins, Value) {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[]).await;
    let summary = invoke(&app, sample_event(name))
        .await
        .unwrap_or_else(|error| panic!("{name}: {error}"));
    (standins, summary)
}

fn invited_accounts(summary: &Value) -> Vec<String> {
    let mut accounts: Vec<String> = entries(summary, "invited")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    accounts.dedup();
    accounts
}

#[test]
fn every_file_in_events_has_an_expectation_here() {
    let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/events"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut listed: Vec<String> = SAMPLES.iter().map(|(name, _)| name.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

#[tokio::test]
async fn every_sample_event_does_what_it_asks_for() {
    for (name, expected) in SAMPLES {
        let (standins, summary) = run_sample(name).await;
        match expected {
            Expected::Invited(accounts) => {
                assert_eq!(invited_accounts(&summary), *accounts, "{name}: {summary}");
                let invitations = standins.macie_calls_of("CreateInvitations", None);
                assert!(!invitations.is_empty(), "{name}");
            }
            Expected::CreationFailed => {
                assert_eq!(
                    summary["creationsFailed"].as_array().unwrap().len(),
                    1,
                    "{name}"
                );
                assert!(standins.macie_calls().is_empty(), "{name}");
            }
            Expected::Reconciled => {
                // The sample organization: 9 accounts and the administrator; one SUSPENDED.
                assert_eq!(
                    summary["reconcile"]["accountsInOrganization"], 10,
                    "{name}: {summary}"
                );
                assert_eq!(invited_accounts(&summary).len(), 8, "{name}: {summary}");
                assert!(
                    standins.macie_calls_of("GetMember", None).is_empty(),
                    "{name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn manual_regions_replace_macie_regions_for_that_call() {
    let (standins, summary) = run_sample("manual-invoke-requests.json").await;
    let regions: Vec<String> = entries(&summary, "invited")
        .into_iter()
        .map(|(_, region)| region)
        .collect();
    assert_eq!(regions, ["ap-southeast-2", "eu-west-1", "us-east-1"]);
    for region in ["ap-southeast-2", "eu-west-1", "us-east-1"] {
        assert_eq!(
            standins
                .macie_calls_of("CreateInvitations", Some(region))
                .len(),
            1,
            "{region}"
        );
    }
}

#[tokio::test]
async fn a_handshake_by_an_account_outside_the_organization_invites_no_one() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[]).await;
    let mut event = sample_event("accept-handshake.json");
    event["detail"]["userIdentity"]["accountId"] = json!("121212121212");

    let summary = invoke(&app, event).await.unwrap();

    assert_eq!(
        entries(&summary, "failed"),
        [("121212121212".to_owned(), String::new())]
    );
    assert!(standins.macie_calls().is_empty());
}

#[tokio::test]
async fn known_events_that_add_no_account_succeed_without_any_call() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[]).await;
    let mut lifecycle = sample_event("controltower-create-managed-account.json");
    lifecycle["detail"]["eventName"] = json!("RegisterOrganizationalUnit");
    let mut failed = sample_event("controltower-update-managed-account.json");
    failed["detail"]["serviceEventDetails"]["updateManagedAccountStatus"]["state"] =
        json!("FAILED");

    let ignored = invoke(&app, lifecycle).await.unwrap();
    let creation_failed = invoke(&app, failed).await.unwrap();

    assert_eq!(ignored["ignored"][0]["event"], "RegisterOrganizationalUnit");
    assert!(
        creation_failed["creationsFailed"][0]["failureReason"]
            .as_str()
            .unwrap()
            .contains("FAILED")
    );
    assert!(standins.macie_calls().is_empty());
}
