//! Every sample event in events/, through the real handler, against the stand-ins seeded with the
//! accounts the samples name; and the triggers' edge cases.

use crate::support::{
    ADMINISTRATOR, CallCounter, Standins, entries, invoke, invoke_as, sample_event, sqs_event,
};
use serde_json::{Value, json};

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
        "account-joined-organization.json",
        Expected::Invited(&["444455556666"]),
    ),
    (
        // Names no account: the one that joined by invitation just before the event's time is found.
        "account-joined-organization-unnamed.json",
        Expected::Invited(&["444455556666"]),
    ),
    (
        "redriven-destination-record.json",
        Expected::RedrivenInvited(&["555555555555"]),
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
    (
        "account-departed-organization-left.json",
        Expected::Removed(&["121212121212"]),
    ),
    (
        "account-departed-organization-removed.json",
        Expected::Removed(&["131313131313"]),
    ),
    (
        "account-departed-organization-cleaned.json",
        Expected::Removed(&["141414141414"]),
    ),
    (
        "close-account-call.json",
        Expected::Removed(&["333333333333"]),
    ),
    (
        "close-account-result.json",
        Expected::Removed(&["333333333333"]),
    ),
    (
        "remove-account-call.json",
        Expected::Removed(&["151515151515"]),
    ),
    ("manual-remove.json", Expected::Removed(&["121212121212"])),
    ("manual-adopt.json", Expected::AdoptionPlanned),
    // Names no account: the reconcile finds the departed members.
    (
        "account-departed-organization-unnamed.json",
        Expected::Reconciled,
    ),
    ("scheduled-reconcile.json", Expected::Reconciled),
    ("manual-reconcile.json", Expected::Reconciled),
    ("manual-check.json", Expected::Checked),
];

enum Expected {
    Invited(&'static [&'static str]),
    /// From the retry queue: the batch response names no message, and these accounts were invited.
    RedrivenInvited(&'static [&'static str]),
    CreationFailed,
    /// The members that the function enrolled for these departed accounts are removed, and nothing
    /// is enrolled.
    Removed(&'static [&'static str]),
    Reconciled,
    /// The plan of an adoption: a dry run, which tags nothing.
    AdoptionPlanned,
    /// The preflight: every check passes, and Macie is only read.
    Checked,
}

/// The accounts that departure samples name, which have left the sample organization or are
/// CLOSED in it: members that the function enrolled.
const DEPARTED: [&str; 5] = [
    "121212121212",
    "131313131313",
    "141414141414",
    "333333333333",
    "151515151515",
];

async fn run_sample(name: &str) -> (Standins, Value) {
    let standins = Standins::start_with_samples();
    for account in DEPARTED {
        standins.seed_enrolled_member("us-east-1", account, "Enabled");
    }
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
        .filter(|name| name.ends_with(".json"))
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
            Expected::RedrivenInvited(accounts) => {
                assert_eq!(summary, json!({"batchItemFailures": []}), "{name}");
                let invited: Vec<Value> = standins
                    .macie_calls_of("CreateInvitations", None)
                    .iter()
                    .flat_map(|call| call["body"]["accountIds"].as_array().unwrap().clone())
                    .collect();
                assert_eq!(invited, *accounts, "{name}");
            }
            Expected::CreationFailed => {
                assert_eq!(
                    summary["creationsFailed"].as_array().unwrap().len(),
                    1,
                    "{name}"
                );
                assert!(standins.macie_calls().is_empty(), "{name}");
            }
            Expected::Checked => {
                assert_eq!(summary["ok"], true, "{name}: {summary:#}");
                let operations: Vec<Value> = standins
                    .macie_calls()
                    .iter()
                    .map(|call| call["operation"].clone())
                    .collect();
                assert!(
                    operations.iter().all(|op| [
                        "GetMacieSession",
                        "GetAdministratorAccount",
                        "ListMembers",
                        "DescribeOrganizationConfiguration",
                        // The baseline's reads: the administrator's own settings, and discovery.
                        "GetFindingsPublicationConfiguration",
                        "GetClassificationExportConfiguration",
                        "GetAutomatedDiscoveryConfiguration"
                    ]
                    .contains(&op.as_str().unwrap())),
                    "{name}: {operations:?}"
                );
            }
            Expected::Removed(accounts) => {
                let removed: Vec<(String, String)> = accounts
                    .iter()
                    .map(|account| (account.to_string(), "us-east-1".to_owned()))
                    .collect();
                assert_eq!(entries(&summary, "removed"), removed, "{name}: {summary:#}");
                for account in *accounts {
                    assert_eq!(standins.member_status("us-east-1", account), None, "{name}");
                }
                let deleted = standins.macie_calls_of("DeleteMember", None);
                assert_eq!(deleted.len(), accounts.len(), "{name}");
                assert!(
                    standins.macie_calls_of("CreateMember", None).is_empty(),
                    "{name}"
                );
            }
            Expected::AdoptionPlanned => {
                assert_eq!(summary["dryRun"], true, "{name}: {summary:#}");
                assert!(
                    standins.macie_calls_of("TagResource", None).is_empty(),
                    "{name}"
                );
            }
            Expected::Reconciled => {
                // The sample organization: 9 accounts and the administrator; one SUSPENDED.
                assert_eq!(
                    summary["reconcile"]["accountsInOrganization"], 10,
                    "{name}: {summary}"
                );
                assert_eq!(invited_accounts(&summary).len(), 8, "{name}: {summary}");
                // and the reconcile sweeps out every departed member that the function enrolled
                let mut departed: Vec<(String, String)> = DEPARTED
                    .iter()
                    .map(|account| (account.to_string(), "us-east-1".to_owned()))
                    .collect();
                departed.sort();
                assert_eq!(entries(&summary, "removed"), departed, "{name}");
                assert!(
                    standins.macie_calls_of("GetMember", None).is_empty(),
                    "{name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn manual_regions_choose_among_macie_regions_for_that_call() {
    // Regions are confined to MACIE_REGIONS (the issue on least privilege): a manual invocation
    // picks among them; sa-east-1, configured but not named, is left alone.
    let standins = Standins::start_with_samples();
    let app = standins
        .app(&[(
            "MACIE_REGIONS",
            "us-east-1,eu-west-1,ap-southeast-2,sa-east-1",
        )])
        .await;
    let summary = invoke(&app, sample_event("manual-invoke-requests.json"))
        .await
        .unwrap();
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
    assert!(
        standins
            .macie_calls_of("CreateInvitations", Some("sa-east-1"))
            .is_empty()
    );
}

#[tokio::test]
async fn a_join_naming_an_account_outside_the_organization_invites_no_one() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[]).await;
    let mut event = sample_event("account-joined-organization.json");
    event["detail"]["serviceEventDetails"]["accountId"] = json!("121212121212");

    let summary = invoke(&app, event).await.unwrap();

    assert_eq!(
        entries(&summary, "failed"),
        [("121212121212".to_owned(), String::new())]
    );
    assert!(standins.macie_calls().is_empty());
}

#[tokio::test]
async fn a_join_that_names_no_account_finds_only_accounts_that_joined_by_invitation() {
    // GIVEN an account created in the organization within the join's window, beside the one that
    // joined by invitation then (JoinedMethod is compared without case: the API reference spells
    // it `Created` and `CREATED`)
    let standins = Standins::start_with(&[
        "--sample-organization",
        "--joined",
        "555555555555=Created@2026-11-26T11:02:30Z",
    ]);
    let app = standins.app(&[]).await;

    let summary = invoke(
        &app,
        sample_event("account-joined-organization-unnamed.json"),
    )
    .await
    .unwrap();

    // THEN only the invited one is this join's: the created one is CreateAccountResult's
    assert_eq!(invited_accounts(&summary), ["444455556666"], "{summary:#}");
}

#[tokio::test]
async fn a_join_long_after_any_account_joined_invites_no_one_and_says_so() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[]).await;
    let mut event = sample_event("account-joined-organization-unnamed.json");
    event["time"] = json!("2026-11-28T11:03:44Z");

    let summary = invoke(&app, event).await.unwrap();

    assert_eq!(summary["ignored"][0]["event"], "AccountJoinedOrganization");
    assert!(
        summary["ignored"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("reconcile"),
        "{summary}"
    );
    assert!(standins.macie_calls().is_empty());
}

/// Layout (b): the function runs in a security account (the Macie administrator), fed by the
/// management account (moto's 123456789012), whose events keep their `account`.
const SECURITY_ACCOUNT_FUNCTION: &str =
    "arn:aws:lambda:eu-west-1:210987654321:function:macie-invite";

/// The sample organization, with the security account in it, whose credentials sign Macie's calls.
fn security_account_standins() -> Standins {
    Standins::start_with(&[
        "--sample-organization",
        "--account",
        "210987654321=security@example.com",
        "--macie-administrator",
        "210987654321",
    ])
}

#[tokio::test]
async fn in_a_security_account_forwarded_events_invite_the_accounts_they_name() {
    let standins = security_account_standins();
    let app = standins.app(&[]).await;
    let mut created = sample_event("create-account-result.json");
    let mut joined = sample_event("account-joined-organization-unnamed.json");
    for event in [&mut created, &mut joined] {
        event["account"] = json!(ADMINISTRATOR);
        event["detail"]["userIdentity"]["accountId"] = json!(ADMINISTRATOR);
    }

    let created = invoke_as(&app, created, SECURITY_ACCOUNT_FUNCTION)
        .await
        .unwrap();
    let joined = invoke_as(&app, joined, SECURITY_ACCOUNT_FUNCTION)
        .await
        .unwrap();

    assert_eq!(invited_accounts(&created), ["555555555555"], "{created}");
    assert_eq!(invited_accounts(&joined), ["444455556666"], "{joined}");
}

#[tokio::test]
async fn in_a_security_account_the_reconcile_invites_the_management_account_but_not_itself() {
    let standins = security_account_standins();
    let app = standins.app(&[]).await;

    let summary = invoke_as(
        &app,
        sample_event("scheduled-reconcile.json"),
        SECURITY_ACCOUNT_FUNCTION,
    )
    .await
    .unwrap();

    let invited = invited_accounts(&summary);
    assert!(invited.contains(&ADMINISTRATOR.to_owned()), "{summary}");
    assert!(!invited.contains(&"210987654321".to_owned()), "{summary}");
    assert_eq!(invited.len(), 9, "{summary}");
    assert_eq!(
        entries(&summary, "skipped")
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        ["210987654321", "333333333333"]
    );
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

    let mut refused_closure = sample_event("close-account-call.json");
    refused_closure["detail"]["errorCode"] = json!("AccessDeniedException");
    refused_closure["detail"]["errorMessage"] = json!("not allowed");

    let ignored = invoke(&app, lifecycle).await.unwrap();
    let creation_failed = invoke(&app, failed).await.unwrap();
    let not_closed = invoke(&app, refused_closure).await.unwrap();
    let reason = not_closed["ignored"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("no account departed"), "{not_closed}");

    assert_eq!(ignored["ignored"][0]["event"], "RegisterOrganizationalUnit");
    assert!(
        creation_failed["creationsFailed"][0]["failureReason"]
            .as_str()
            .unwrap()
            .contains("FAILED")
    );
    assert!(standins.macie_calls().is_empty());
}

#[tokio::test]
async fn two_redriven_joins_in_one_batch_read_the_organization_once() {
    // GIVEN two join events that named no account, redriven together from the dead-letter queue
    let standins = Standins::start_with_samples();
    let counter = CallCounter::default();
    let app = standins.counted_app(&[], &counter).await;
    let joined = sample_event("account-joined-organization-unnamed.json");
    let batch = sqs_event(&[
        ("first".to_owned(), joined.clone()),
        ("second".to_owned(), joined),
    ]);

    // WHEN the batch arrives
    let response = invoke(&app, batch).await.unwrap();

    // THEN the account that joined is invited once, from one reading of the organization (one page)
    assert_eq!(response, json!({"batchItemFailures": []}));
    let invited: Vec<Value> = standins
        .macie_calls_of("CreateInvitations", None)
        .iter()
        .flat_map(|call| call["body"]["accountIds"].as_array().unwrap().clone())
        .collect();
    assert_eq!(invited, [json!("444455556666")]);
    assert_eq!(counter.count("ListAccounts"), 1);
}
