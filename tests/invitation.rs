//! The invitation pipeline end to end: the real handler and SDK clients, over HTTP, against moto's
//! Organizations and the Macie stand-in.

mod support;

use serde_json::json;
use support::{ADMINISTRATOR, Standins, create_account_result, entries, invoke, sample_event};

#[tokio::test]
async fn a_succeeded_event_invites_the_new_account_with_its_email_the_message_and_the_flag() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let account = organization.create_account("new-team@example.com").await;
    let app = standins
        .app(&[
            ("INVITATION_MESSAGE", "Welcome to Macie"),
            ("DISABLE_EMAIL_NOTIFICATION", "true"),
        ])
        .await;

    let summary = invoke(&app, create_account_result(&account)).await.unwrap();

    assert_eq!(
        entries(&summary, "invited"),
        [(account.clone(), "us-east-1".to_owned())]
    );
    for list in ["alreadyMembers", "skipped", "unprocessed", "failed"] {
        assert_eq!(entries(&summary, list), [], "{list}");
    }
    let create_member = standins.macie_calls_of("CreateMember", Some("us-east-1"));
    assert_eq!(create_member.len(), 1);
    assert_eq!(
        create_member[0]["body"]["account"],
        json!({"accountId": account, "email": "new-team@example.com"})
    );
    let invitations = standins.macie_calls_of("CreateInvitations", Some("us-east-1"));
    assert_eq!(invitations.len(), 1);
    assert_eq!(
        invitations[0]["body"],
        json!({"accountIds": [account], "disableEmailNotification": true, "message": "Welcome to Macie"})
    );
}

#[tokio::test]
async fn the_email_flag_is_sent_explicitly_and_no_message_when_none_is_set() {
    let standins = Standins::start();
    let account = standins
        .organization()
        .await
        .create_account("quiet@example.com")
        .await;
    let app = standins.app(&[]).await;

    invoke(&app, create_account_result(&account)).await.unwrap();

    let invitations = standins.macie_calls_of("CreateInvitations", None);
    assert_eq!(
        invitations[0]["body"],
        json!({"accountIds": [account], "disableEmailNotification": false})
    );
}

#[tokio::test]
async fn a_failed_creation_event_invites_no_one_and_succeeds() {
    let standins = Standins::start();
    let app = standins.app(&[]).await;

    let summary = invoke(&app, sample_event("create-account-result-failed.json"))
        .await
        .unwrap();

    assert_eq!(
        summary["creationsFailed"],
        json!([{"createAccountRequestId": "car-examplecreateaccountrequestid222", "failureReason": "EMAIL_ALREADY_EXISTS"}])
    );
    assert_eq!(entries(&summary, "invited"), []);
    assert_eq!(standins.macie_calls(), Vec::<serde_json::Value>::new());
}

#[tokio::test]
async fn members_already_enabled_paused_or_invited_get_no_create_member_or_invitation() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let mut accounts = Vec::new();
    for status in ["Enabled", "Paused", "Invited"] {
        let account = organization
            .create_account(&format!("{status}@example.com"))
            .await;
        standins.seed_member("us-east-1", &account, status);
        accounts.push((account, status));
    }
    let app = standins.app(&[]).await;

    let ids: Vec<&str> = accounts.iter().map(|(id, _)| id.as_str()).collect();
    let summary = invoke(&app, json!({ "accountIds": ids })).await.unwrap();

    let mut expected: Vec<serde_json::Value> = accounts
        .iter()
        .map(|(id, status)| json!({"accountId": id, "region": "us-east-1", "status": status}))
        .collect();
    expected.sort_by_key(|entry| entry["accountId"].as_str().unwrap().to_owned());
    assert_eq!(summary["alreadyMembers"], json!(expected));
    // Three accounts: one ListMembers page answers for them all.
    assert_eq!(standins.macie_calls_of("ListMembers", None).len(), 1);
    assert_eq!(standins.macie_calls_of("GetMember", None).len(), 0);
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 0);
    assert_eq!(standins.macie_calls_of("CreateInvitations", None).len(), 0);
}

#[tokio::test]
async fn an_associated_but_never_invited_member_is_invited_without_a_second_create_member() {
    let standins = Standins::start();
    let account = standins
        .organization()
        .await
        .create_account("created@example.com")
        .await;
    standins.seed_member("us-east-1", &account, "Created");
    let app = standins.app(&[]).await;

    let summary = invoke(&app, json!({ "accountIds": [account] }))
        .await
        .unwrap();

    assert_eq!(
        entries(&summary, "invited"),
        [(account, "us-east-1".to_owned())]
    );
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 0);
}

#[tokio::test]
async fn excluded_suspended_own_and_unknown_accounts_are_reported_and_never_invited() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let excluded = organization.create_account("excluded@example.com").await;
    let suspended = organization.create_account("suspended@example.com").await;
    organization.close_account(&suspended).await;
    let invited = organization.create_account("invited@example.com").await;
    let app = standins.app(&[("EXCLUDED_ACCOUNT_IDS", &excluded)]).await;

    let summary = invoke(
        &app,
        json!({ "accountIds": [excluded, suspended, invited, ADMINISTRATOR, "999988887777", invited] }),
    )
    .await
    .unwrap();

    let reason = |id: &str| {
        summary["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .chain(summary["failed"].as_array().unwrap())
            .find(|entry| entry["accountId"] == id)
            .map(|entry| entry["reason"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{id} is not reported: {summary}"))
    };
    assert!(reason(&excluded).contains("EXCLUDED_ACCOUNT_IDS"));
    assert!(reason(&suspended).contains("SUSPENDED"));
    assert!(reason(ADMINISTRATOR).contains("own account"));
    assert!(reason("999988887777").contains("not an account of this organization"));
    assert_eq!(
        entries(&summary, "failed"),
        [("999988887777".to_owned(), String::new())]
    );
    assert_eq!(
        entries(&summary, "invited"),
        [(invited.clone(), "us-east-1".to_owned())]
    );
    let touched: Vec<String> = standins
        .macie_calls()
        .iter()
        // What the function sent: the path and the body of each request.
        .map(|call| format!("{} {}", call["path"], call["body"]))
        .filter(|call| {
            [&excluded, &suspended, ADMINISTRATOR, "999988887777"]
                .iter()
                .any(|id| call.contains(*id))
        })
        .collect();
    assert_eq!(
        touched,
        Vec::<String>::new(),
        "no Macie call names a skipped account"
    );
}

#[tokio::test]
async fn one_hundred_twenty_new_accounts_take_three_invitations_per_region_in_each_region() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let mut accounts = Vec::new();
    for n in 0..120 {
        accounts.push(
            organization
                .create_account(&format!("team{n}@example.com"))
                .await,
        );
    }
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke(&app, json!({ "accountIds": accounts }))
        .await
        .unwrap();

    assert_eq!(entries(&summary, "invited").len(), 240);
    for region in ["us-east-1", "eu-west-1"] {
        let invitations = standins.macie_calls_of("CreateInvitations", Some(region));
        let sizes: Vec<usize> = invitations
            .iter()
            .map(|call| call["body"]["accountIds"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes.len(), 3, "{region}: {sizes:?}");
        assert!(sizes.iter().all(|size| *size <= 50), "{region}: {sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 120, "{region}");
        assert_eq!(
            standins.macie_calls_of("CreateMember", Some(region)).len(),
            120,
            "{region}"
        );
    }
}

#[tokio::test]
async fn with_two_regions_the_account_is_associated_and_invited_in_both() {
    let standins = Standins::start();
    let account = standins
        .organization()
        .await
        .create_account("both@example.com")
        .await;
    standins.seed_member("eu-west-1", &account, "Invited");
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1,ap-southeast-2")])
        .await;

    let summary = invoke(&app, create_account_result(&account)).await.unwrap();

    assert_eq!(
        entries(&summary, "invited"),
        [
            (account.clone(), "ap-southeast-2".to_owned()),
            (account.clone(), "us-east-1".to_owned())
        ]
    );
    assert_eq!(
        entries(&summary, "alreadyMembers"),
        [(account.clone(), "eu-west-1".to_owned())]
    );
    for region in ["us-east-1", "ap-southeast-2"] {
        assert_eq!(
            standins
                .macie_calls_of("CreateInvitations", Some(region))
                .len(),
            1,
            "{region}"
        );
    }
    assert_eq!(
        standins
            .macie_calls_of("CreateInvitations", Some("eu-west-1"))
            .len(),
        0
    );
}

#[tokio::test]
async fn unprocessed_accounts_appear_in_the_result_with_their_error() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let unlucky = organization.create_account("unlucky@example.com").await;
    let lucky = organization.create_account("lucky@example.com").await;
    standins.set_faults(json!({"rules": [
        {"kind": "unprocessed", "operation": "CreateInvitations", "accountIds": [unlucky], "errorCode": "InternalError"}
    ]}));
    let app = standins.app(&[]).await;

    let summary = invoke(&app, json!({ "accountIds": [unlucky, lucky] }))
        .await
        .unwrap();

    assert_eq!(
        entries(&summary, "invited"),
        [(lucky, "us-east-1".to_owned())]
    );
    assert_eq!(
        summary["unprocessed"],
        json!([{
            "accountId": unlucky, "region": "us-east-1",
            "errorCode": "InternalError", "errorMessage": "An internal error occurred. Try again."
        }])
    );
}

#[tokio::test]
async fn a_macie_error_that_outlasts_the_sdk_retries_fails_the_account_in_that_region_only() {
    let standins = Standins::start();
    let account = standins
        .organization()
        .await
        .create_account("faulty@example.com")
        .await;
    standins.set_faults(json!({"rules": [
        {"kind": "error", "operation": "CreateMember", "region": "eu-west-1", "errorType": "AccessDeniedException"}
    ]}));
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke(&app, json!({ "accountIds": [account] }))
        .await
        .unwrap();

    assert_eq!(
        entries(&summary, "invited"),
        [(account.clone(), "us-east-1".to_owned())]
    );
    assert_eq!(
        entries(&summary, "failed"),
        [(account, "eu-west-1".to_owned())]
    );
    let reason = summary["failed"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("CreateMember") && reason.contains("AccessDeniedException"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_manual_invocation_sample_reports_every_account_it_names() {
    let standins = Standins::start();
    standins.organization().await;
    let app = standins.app(&[]).await;

    let summary = invoke(&app, sample_event("manual-invoke.json"))
        .await
        .unwrap();

    // The sample names accounts that this test's organization does not have.
    let failed: Vec<String> = entries(&summary, "failed")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(failed, ["111111111111", "222222222222", "333333333333"]);
    assert_eq!(standins.macie_calls(), Vec::<serde_json::Value>::new());
}

#[tokio::test]
async fn a_malformed_event_fails_the_invocation_with_an_error_that_names_it() {
    let standins = Standins::start();
    let app = standins.app(&[]).await;

    let error = invoke(
        &app,
        json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
    )
    .await
    .unwrap_err();

    let message = error.to_string();
    assert!(
        message.contains("aws.ec2") && message.contains("EC2 Instance State-change Notification"),
        "{message}"
    );
    let diagnostic: lambda_runtime::Diagnostic = error.into();
    assert_eq!(
        diagnostic.error_type,
        "MacieInvite.Permanent.UnsupportedEvent"
    );
    assert_eq!(standins.macie_calls(), Vec::<serde_json::Value>::new());
}

#[tokio::test]
async fn throttling_within_the_sdk_retries_still_ends_in_an_invitation() {
    let standins = Standins::start();
    let account = standins
        .organization()
        .await
        .create_account("patient@example.com")
        .await;
    // The SDK's standard retry mode (4 attempts, src/sdk.rs) absorbs two throttled calls.
    standins.set_faults(json!({"rules": [
        {"kind": "error", "operation": "CreateInvitations", "errorType": "ThrottlingException", "count": 2}
    ]}));
    let app = standins.app(&[]).await;

    let summary = invoke(&app, json!({ "accountIds": [account] }))
        .await
        .unwrap();

    assert_eq!(
        entries(&summary, "invited"),
        [(account, "us-east-1".to_owned())]
    );
    assert_eq!(
        standins.macie_statuses("CreateInvitations"),
        [429, 429, 200]
    );
}
