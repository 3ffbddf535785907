//! The invitation pipeline end to end: the real handler and SDK clients, over HTTP, against moto's
//! Organizations and the Macie stand-in.

use crate::support;

use crate::support::{
    ADMINISTRATOR, Standins, create_account_result, entries, invoke, invoke_ok, sample_event,
};
use serde_json::json;

#[tokio::test]
async fn a_succeeded_event_invites_the_new_account_with_its_email_the_message_and_the_flag() {
    let standins = Standins::start();
    let account = standins.new_account("new-team@example.com").await;
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
    let account = standins.new_account("quiet@example.com").await;
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
        .filter(|(_, status)| *status != "Paused")
        .map(|(id, status)| json!({"accountId": id, "region": "us-east-1", "status": status}))
        .collect();
    expected.sort_by_key(|entry| entry["accountId"].as_str().unwrap().to_owned());
    assert_eq!(summary["alreadyMembers"], json!(expected));
    // A Paused member is a member, but Macie does nothing there: answered as drifted, with a word.
    let paused = &summary["drifted"][0];
    assert_eq!(paused["status"], "Paused", "{summary:#}");
    assert!(paused["reason"].as_str().unwrap().contains("RESUME_PAUSED"));
    // Three accounts: one ListMembers page answers for them all.
    assert_eq!(standins.macie_calls_of("ListMembers", None).len(), 1);
    assert_eq!(standins.macie_calls_of("GetMember", None).len(), 0);
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 0);
    assert_eq!(standins.macie_calls_of("CreateInvitations", None).len(), 0);
}

#[tokio::test]
async fn an_associated_but_never_invited_member_is_invited_without_a_second_create_member() {
    let standins = Standins::start();
    let account = standins.new_account("created@example.com").await;
    standins.seed_member("us-east-1", &account, "Created");
    let app = standins.app(&[]).await;

    let summary = invoke_ok(&app, json!({ "accountIds": [account] })).await;

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
    standins.suspend_account(&suspended);
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
    let accounts = organization.create_accounts("team", 120).await;
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke_ok(&app, json!({ "accountIds": accounts })).await;

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
    let account = standins.new_account("both@example.com").await;
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

    let summary = invoke_ok(&app, json!({ "accountIds": [unlucky, lucky] })).await;

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
    let account = standins.new_account("faulty@example.com").await;
    standins.set_faults(json!({"rules": [
        {"kind": "error", "operation": "CreateMember", "region": "eu-west-1", "errorType": "AccessDeniedException"}
    ]}));
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke_ok(&app, json!({ "accountIds": [account] })).await;

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
    let account = standins.new_account("patient@example.com").await;
    // The SDK's standard retry mode (4 attempts, src/aws/sdk.rs) absorbs two throttled calls.
    standins.set_faults(json!({"rules": [
        {"kind": "error", "operation": "CreateInvitations", "errorType": "ThrottlingException", "count": 2}
    ]}));
    let app = standins.app(&[]).await;

    let summary = invoke_ok(&app, json!({ "accountIds": [account] })).await;

    assert_eq!(
        entries(&summary, "invited"),
        [(account, "us-east-1".to_owned())]
    );
    assert_eq!(
        standins.macie_statuses("CreateInvitations"),
        [429, 429, 200]
    );
}

// Macie as it really answers (terraform-provider-aws internal/service/macie2): the stand-in speaks real
// Macie's dialect by default; these tests pin each of its forms.

/// The calls of `operation` about `account` (its path ends with the account ID).
fn calls_about(standins: &Standins, operation: &str, account: &str) -> Vec<serde_json::Value> {
    standins
        .macie_calls_of(operation, None)
        .into_iter()
        .filter(|call| call["path"].as_str().unwrap().ends_with(account))
        .collect()
}

#[tokio::test]
async fn every_way_macie_says_no_member_leads_to_associate_and_invite() {
    // GIVEN a Macie that says "no member" in each of the ways real Macie does (terraform-provider-aws
    // member.go, isMemberNotFoundError)
    let standins = Standins::start();
    let organization = standins.organization().await;
    let app = standins.app(&[]).await;
    for (form, status) in [
        ("ResourceNotFoundException", 404),
        ("ValidationException", 400),
        ("ValidationException2", 400),
        ("ConflictException", 409),
    ] {
        standins.set_dialect(json!({ "noMember": form }));
        let email = format!("{}@example.com", form.to_lowercase());
        let account = organization.create_account(&email).await;

        // WHEN the account's creation event arrives
        let summary = invoke(&app, create_account_result(&account)).await.unwrap();

        // THEN it is associated and invited, from one GetMember in that form
        assert_eq!(
            entries(&summary, "invited"),
            [(account.clone(), "us-east-1".to_owned())],
            "{form}: {summary:#}"
        );
        let asked = calls_about(&standins, "GetMember", &account);
        assert_eq!(asked.len(), 1, "{form}");
        assert_eq!(asked[0]["status"], status, "{form}");
    }
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 4);
    assert_eq!(standins.macie_calls_of("ListMembers", None).len(), 0);
}

#[tokio::test]
async fn a_get_member_refusal_in_unknown_words_is_settled_from_the_regions_listing() {
    // GIVEN a GetMember that refuses in words no one has read, a new account, and a member already
    let standins = Standins::start();
    let organization = standins.organization().await;
    let new = organization.create_account("unread.new@example.com").await;
    let member = organization
        .create_account("unread.member@example.com")
        .await;
    standins.seed_member("us-east-1", &member, "Enabled");
    standins.set_faults(json!({"rules": [{"operation": "GetMember", "errorType": "ValidationException",
        "message": "The request failed because the input doesn't satisfy the constraints specified by Amazon Macie."}]}));
    let app = standins.app(&[]).await;

    // WHEN each is named
    let new_summary = invoke(&app, json!({ "accountIds": [new] })).await.unwrap();
    let member_summary = invoke_ok(&app, json!({ "accountIds": [member] })).await;

    // THEN neither is dead-lettered: the region's listing settles both, at one ListMembers each
    assert_eq!(
        entries(&new_summary, "invited"),
        [(new.clone(), "us-east-1".to_owned())],
        "{new_summary:#}"
    );
    assert_eq!(
        entries(&member_summary, "alreadyMembers"),
        [(member.clone(), "us-east-1".to_owned())],
        "{member_summary:#}"
    );
    assert!(new_summary.get("deadLettered").is_none());
    let listings = standins.macie_calls_of("ListMembers", None);
    assert_eq!(listings.len(), 2);
    assert!(
        listings
            .iter()
            .all(|call| call["query"]["onlyAssociated"] == "false")
    );
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 1);
}

#[tokio::test]
async fn macie_off_for_the_administrator_in_a_region_is_reported_as_that_with_its_command() {
    // GIVEN an administrator whose Macie is off in eu-west-1: every call there answers
    // AccessDeniedException "Macie is not enabled"
    let standins = Standins::start();
    let account = standins.new_account("macie.off@example.com").await;
    standins.set_own_macie("eu-west-1", json!({ "macieStatus": null }));
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    // WHEN a new account's event arrives
    let summary = invoke(&app, create_account_result(&account)).await.unwrap();

    // THEN it is invited where Macie is on, and in eu-west-1 it gets one failure that names the
    // region and the command, dead-lettered at once (the dead-letter alarm fires); never "no member"
    assert_eq!(
        entries(&summary, "invited"),
        [(account.clone(), "us-east-1".to_owned())]
    );
    assert_eq!(
        entries(&summary, "failed"),
        [(account.clone(), "eu-west-1".to_owned())]
    );
    let reason = summary["failed"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("aws macie2 enable-macie --region eu-west-1"),
        "{reason}"
    );
    assert_eq!(
        entries(&summary, "deadLettered"),
        [(account.clone(), "eu-west-1".to_owned())]
    );
    assert!(
        standins
            .macie_calls_of("CreateMember", Some("eu-west-1"))
            .is_empty()
    );
}

#[tokio::test]
async fn a_client_error_of_create_member_or_create_invitations_is_retried_and_invites_once() {
    for operation in ["CreateMember", "CreateInvitations"] {
        // GIVEN a Macie that refuses the call once with the code ClientError, as real Macie does
        // for a while (terraform-provider-aws retries both on it for up to 4 minutes)
        let standins = Standins::start();
        let account = standins.new_account("client.error@example.com").await;
        standins.set_faults(
            json!({"rules": [{"operation": operation, "errorType": "ClientError", "count": 1,
            "message": "The request failed because of a client error. Try again."}]}),
        );
        let app = standins.app(&[]).await;

        // WHEN the event arrives, and the retry message comes back
        let first = invoke(&app, create_account_result(&account)).await.unwrap();
        let messages = standins.drain(&standins.queues().await.retry).await;
        let second = invoke(&app, support::sqs_event(&messages)).await.unwrap();

        // THEN the first attempt is re-queued, not dead-lettered, and the retry invites it, once
        assert_eq!(
            entries(&first, "requeued"),
            [(account.clone(), "us-east-1".to_owned())],
            "{operation}: {first:#}"
        );
        assert!(first.get("deadLettered").is_none(), "{operation}");
        assert_eq!(second, json!({"batchItemFailures": []}), "{operation}");
        assert_eq!(
            standins.macie_statuses(operation),
            [400, 200],
            "{operation}"
        );
        assert_eq!(
            standins.macie_statuses("CreateInvitations").last(),
            Some(&200),
            "{operation}"
        );
        let invitations = standins.macie_statuses("CreateInvitations");
        let sent = invitations.iter().filter(|status| **status == 200).count();
        assert_eq!(sent, 1, "{operation}: one invitation, one email");
    }
}

#[tokio::test]
async fn a_client_error_that_lasts_is_dead_lettered_after_max_attempts_with_macies_words() {
    let standins = Standins::start();
    let account = standins.new_account("client.error.lasts@example.com").await;
    standins.set_faults(
        json!({"rules": [{"operation": "CreateMember", "errorType": "ClientError",
        "message": "Macie-words-of-the-refusal"}]}),
    );
    let app = standins.app(&[("MAX_ATTEMPTS", "2")]).await;

    invoke(&app, create_account_result(&account)).await.unwrap();
    let messages = standins.drain(&standins.queues().await.retry).await;
    invoke(&app, support::sqs_event(&messages)).await.unwrap();

    let letters = standins.drain(&standins.queues().await.dead_letter).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = letters[0].1.to_string();
    assert!(
        letter.contains("after 2 attempts") && letter.contains("Macie-words-of-the-refusal"),
        "{letter}"
    );
}

/// The Control Tower event for `account`: the sample, with the account put in it.
fn create_managed_account(account: &str) -> serde_json::Value {
    let mut event = sample_event("controltower-create-managed-account.json");
    event["detail"]["serviceEventDetails"]["createManagedAccountStatus"]["account"]["accountId"] =
        json!(account);
    event
}

#[tokio::test]
async fn an_invitation_on_its_way_is_never_sent_again_by_the_next_event_retry_or_reconcile() {
    // GIVEN an account made by Control Tower's factory, which brings Organizations' CreateAccountResult
    // and, minutes later, Control Tower's CreateManagedAccount
    let standins = Standins::start();
    let account = standins.new_account("factory@example.com").await;
    let app = standins.app(&[]).await;

    // WHEN both arrive while Macie still processes the invitation, then a reconcile once it shows
    let first = invoke(&app, create_account_result(&account)).await.unwrap();
    let second = invoke(&app, create_managed_account(&account))
        .await
        .unwrap();
    standins.wait_for_invitations().await;
    let reconcile = invoke_ok(&app, json!({ "action": "reconcile" })).await;

    // THEN it is invited once: the second event finds the invitation on its way (Created or
    // EmailVerificationInProgress, invited seconds ago), the reconcile finds it Invited
    assert_eq!(entries(&first, "invited").len(), 1, "{first:#}");
    assert_eq!(
        entries(&second, "alreadyMembers"),
        [(account.clone(), "us-east-1".to_owned())],
        "{second:#}"
    );
    let status = second["alreadyMembers"][0]["status"].as_str();
    assert!(
        matches!(status, Some("Created" | "EmailVerificationInProgress")),
        "{second:#}"
    );
    assert_eq!(entries(&reconcile, "invited"), [], "{reconcile:#}");
    assert_eq!(reconcile["reconcile"]["regions"][0]["alreadyMembers"], 1);
    assert_eq!(standins.macie_calls_of("CreateInvitations", None).len(), 1);
    assert_eq!(
        standins.member_status("us-east-1", &account).as_deref(),
        Some("Invited")
    );
}

#[tokio::test]
async fn with_an_accept_role_an_invitation_on_its_way_is_pending_and_never_sent_again() {
    let standins = Standins::start();
    let account = standins.new_account("factory.accept@example.com").await;
    let app = standins
        .app(&[("ACCEPT_ROLE_NAME", "MacieInviteAccept")])
        .await;

    let first = invoke(&app, create_account_result(&account)).await.unwrap();
    let second = invoke(&app, create_managed_account(&account))
        .await
        .unwrap();

    // Neither is done until the member is Enabled: both wait, and the invitation went out once.
    for summary in [&first, &second] {
        assert_eq!(
            entries(summary, "pending"),
            [(account.clone(), "us-east-1".to_owned())],
            "{summary:#}"
        );
    }
    let reason = second["pending"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("Created") || reason.contains("EmailVerificationInProgress"),
        "{reason}"
    );
    assert_eq!(standins.macie_calls_of("CreateInvitations", None).len(), 1);
}
