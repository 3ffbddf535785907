//! Closing the loop in the member account (ACCEPT_ROLE_NAME): the role assumed through moto's STS,
//! Macie enabled and the invitation accepted there, as the Macie stand-in sees the member's calls.
//! And what each relationship status calls for (REINVITE_REMOVED).

use crate::support::{
    ADMINISTRATOR, Standins, create_account_result, entries, invoke, invoke_ok, sqs_event,
};
use serde_json::{Value, json};

const ROLE: &str = "MacieInviteAccept";

fn callers(standins: &Standins, operation: &str) -> Vec<String> {
    standins
        .macie_calls_of(operation, None)
        .iter()
        .map(|call| call["caller"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn with_an_accept_role_a_new_account_ends_an_enabled_member_in_every_region() {
    // GIVEN a new account, and the function set to accept through a role in it
    let standins = Standins::start();
    let account = standins.new_account("new.owner@example.com").await;
    let app = standins
        .app(&[
            ("MACIE_REGIONS", "us-east-1,eu-west-1"),
            ("ACCEPT_ROLE_NAME", ROLE),
        ])
        .await;

    // WHEN its creation event arrives, and its retry comes while Macie still processes the
    // invitation (Created, then EmailVerificationInProgress, as real Macie shows it for minutes)
    let summary = invoke(&app, create_account_result(&account)).await.unwrap();
    let early = invoke(
        &app,
        sqs_event(&standins.drain(&standins.queues().await.retry).await),
    )
    .await
    .unwrap();

    // THEN it waits, invited once a region: no invitation shows in the member account yet
    let both = vec![
        (account.clone(), "eu-west-1".to_owned()),
        (account.clone(), "us-east-1".to_owned()),
    ];
    assert_eq!(entries(&summary, "pending"), both, "{summary:#}");
    assert_eq!(entries(&summary, "requeued"), both, "{summary:#}");
    assert_eq!(early, json!({"batchItemFailures": []}));
    assert_eq!(callers(&standins, "CreateInvitations"), [ADMINISTRATOR; 2]);
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 2);

    // WHEN it is retried once the invitation shows
    let last = standins.retry_once_invitations_show(&app).await;

    // THEN it is accepted in both regions: an Enabled member of the administrator, still invited once
    assert_eq!(last, json!({"batchItemFailures": []}));
    for region in ["us-east-1", "eu-west-1"] {
        assert_eq!(
            standins.member_status(region, &account).as_deref(),
            Some("Enabled")
        );
    }
    // the administrator invited once a region, and the member account (credentials from AssumeRole
    // of arn:aws:iam::<account>:role/MacieInviteAccept) accepted once a region
    assert_eq!(callers(&standins, "CreateInvitations"), [ADMINISTRATOR; 2]);
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 2);
    assert_eq!(
        callers(&standins, "AcceptInvitation"),
        [account.as_str(); 2]
    );
    assert!(
        callers(&standins, "ListInvitations")
            .iter()
            .all(|caller| caller == &account)
    );
    let accepted = standins.macie_calls_of("AcceptInvitation", Some("us-east-1"));
    assert_eq!(accepted[0]["body"]["administratorAccountId"], ADMINISTRATOR);
}

#[tokio::test]
async fn an_invited_member_is_accepted_without_a_second_invitation_and_macie_already_on_is_no_obstacle()
 {
    // GIVEN an account invited earlier, whose acceptance failed after Macie was enabled
    let standins = Standins::start();
    let account = standins.new_account("late.owner@example.com").await;
    let app = standins.app(&[("ACCEPT_ROLE_NAME", ROLE)]).await;
    standins.set_faults(json!({"rules": [
        {"operation": "AcceptInvitation", "errorType": "AccessDeniedException", "count": 1}
    ]}));
    let first = invoke(&app, create_account_result(&account)).await.unwrap();
    assert!(first.get("accepted").is_none(), "{first:#}");
    let refused = standins.retry_once_invitations_show(&app).await;
    assert_eq!(refused, json!({"batchItemFailures": []}));
    assert_eq!(
        standins.member_status("us-east-1", &account).as_deref(),
        Some("Invited")
    );
    let queues = standins.queues().await;
    let mut letters = standins.drain(&queues.dead_letter).await;
    letters.extend(standins.drain(&queues.retry).await);
    assert_eq!(
        letters.len(),
        1,
        "the failed acceptance is kept: {letters:?}"
    );

    // WHEN the account is tried again (its dead letter moved back, or its retry message)
    let retried = invoke(&app, sqs_event(&letters)).await.unwrap();

    // THEN it is accepted: no new association or invitation, EnableMacie's ConflictException ignored
    assert_eq!(retried, json!({"batchItemFailures": []}));
    assert_eq!(
        standins.member_status("us-east-1", &account).as_deref(),
        Some("Enabled")
    );
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 1);
    assert_eq!(standins.macie_calls_of("CreateInvitations", None).len(), 1);
    assert_eq!(standins.macie_statuses("EnableMacie"), [200, 409, 409]);
    assert_eq!(standins.macie_statuses("AcceptInvitation"), [403, 200]);
}

#[tokio::test]
async fn removed_and_resigned_members_are_skipped_unless_reinvite_removed_is_set() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let removed = organization.create_account("removed@example.com").await;
    let resigned = organization.create_account("resigned@example.com").await;
    standins.seed_member("us-east-1", &removed, "Removed");
    standins.seed_member("us-east-1", &resigned, "Resigned");
    let ids = json!({ "accountIds": [removed, resigned] });

    let by_default = invoke(&standins.app(&[]).await, ids.clone()).await.unwrap();
    let reasons: Vec<&str> = by_default["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{by_default:#}");
    assert!(
        reasons
            .iter()
            .all(|reason| reason.contains("REINVITE_REMOVED=true"))
    );
    assert!(reasons.iter().any(|reason| reason.contains("(Removed)")));
    assert!(reasons.iter().any(|reason| reason.contains("(Resigned)")));
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 0);

    let reinvited = invoke(&standins.app(&[("REINVITE_REMOVED", "true")]).await, ids)
        .await
        .unwrap();
    assert_eq!(entries(&reinvited, "invited").len(), 2, "{reinvited:#}");
    standins.wait_for_invitations().await;
    for account in [&removed, &resigned] {
        assert_eq!(
            standins.member_status("us-east-1", account).as_deref(),
            Some("Invited")
        );
    }
}

#[tokio::test]
async fn a_dry_run_reports_every_decision_and_makes_no_mutating_call() {
    // GIVEN accounts in every situation, one of them unreadable in Macie for now
    let standins = Standins::start();
    let organization = standins.organization().await;
    let new = organization.create_account("new@example.com").await;
    let created = organization.create_account("created@example.com").await;
    let invited = organization.create_account("invited@example.com").await;
    let enabled = organization.create_account("enabled@example.com").await;
    let removed = organization.create_account("removed@example.com").await;
    let suspended = organization.create_account("suspended@example.com").await;
    standins.suspend_account(&suspended);
    standins.seed_member("us-east-1", &created, "Created");
    standins.seed_member("us-east-1", &invited, "Invited");
    standins.seed_member("us-east-1", &enabled, "Enabled");
    standins.seed_member("us-east-1", &removed, "Removed");
    standins.set_faults(json!({"rules": [{"operation": "*", "region": "eu-west-1",
        "errorType": "AccessDeniedException"}]}));
    let app = standins
        .app(&[
            ("DRY_RUN", "true"),
            ("ACCEPT_ROLE_NAME", ROLE),
            ("MACIE_REGIONS", "us-east-1,eu-west-1"),
        ])
        .await;
    let moto_before = standins.moto_calls();

    // WHEN they are named
    let ids = [&new, &created, &invited, &enabled, &removed, &suspended];
    let summary = invoke(&app, json!({ "accountIds": ids })).await.unwrap();

    // THEN each decision is reported, region by region
    let planned = |account: &str, region: &str| -> Value {
        summary["planned"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["accountId"] == account && entry["region"] == region)
            .map_or(Value::Null, |entry| entry["actions"].clone())
    };
    assert_eq!(summary["dryRun"], true, "{summary:#}");
    assert_eq!(
        planned(&new, "us-east-1"),
        json!(["associate", "invite", "accept"])
    );
    assert_eq!(planned(&created, "us-east-1"), json!(["invite", "accept"]));
    assert_eq!(planned(&invited, "us-east-1"), json!(["accept"]));
    assert_eq!(
        entries(&summary, "alreadyMembers"),
        [(enabled.clone(), "us-east-1".to_owned())]
    );
    let skipped = entries(&summary, "skipped");
    assert!(
        skipped.contains(&(removed.clone(), "us-east-1".to_owned())),
        "{summary:#}"
    );
    assert!(
        skipped.contains(&(suspended.clone(), String::new())),
        "{summary:#}"
    );
    assert_eq!(
        entries(&summary, "failed").len(),
        5,
        "eu-west-1 cannot be read: {summary:#}"
    );
    assert!(summary.get("requeued").is_none() && summary.get("deadLettered").is_none());

    // AND no call changed anything: Macie saw reads only, SQS got nothing
    let operations: std::collections::BTreeSet<String> = standins
        .macie_calls()
        .iter()
        .map(|call| call["operation"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        operations.iter().all(|op| [
            "GetMember",
            "ListMembers",
            "DescribeOrganizationConfiguration"
        ]
        .contains(&op.as_str())),
        "{operations:?}"
    );
    let moto_after = standins.moto_calls();
    let mutated: Vec<&String> = moto_after
        .iter()
        .filter(|(operation, count)| moto_before.get(*operation) != Some(count))
        .map(|(operation, _)| operation)
        .filter(|operation| !operation.contains("Describe") && !operation.contains("List"))
        .collect();
    assert!(
        mutated.is_empty(),
        "mutating calls in a dry run: {mutated:?}"
    );
}

#[tokio::test]
async fn accounts_under_an_excluded_unit_at_any_depth_are_skipped_with_the_unit_named() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let root = organization.root().await;
    let sandbox = organization.create_unit(&root, "Sandbox").await;
    let deep = organization.create_unit(&sandbox, "Experiments").await;
    let workloads = organization.create_unit(&root, "Workloads").await;
    let excluded = organization.create_account("excluded@example.com").await;
    let included = organization.create_account("included@example.com").await;
    let at_root = organization.create_account("root@example.com").await;
    organization.move_account(&excluded, &deep).await;
    organization.move_account(&included, &workloads).await;
    let app = standins.app(&[("EXCLUDED_OU_IDS", &sandbox)]).await;

    let summary = invoke_ok(&app, json!({ "accountIds": [excluded, included, at_root] })).await;

    let mut invited = entries(&summary, "invited");
    invited.sort();
    let mut expected = vec![
        (included.clone(), "us-east-1".to_owned()),
        (at_root.clone(), "us-east-1".to_owned()),
    ];
    expected.sort();
    assert_eq!(invited, expected, "{summary:#}");
    assert_eq!(
        entries(&summary, "skipped"),
        [(excluded.clone(), String::new())]
    );
    let reason = summary["skipped"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&sandbox) && reason.contains("EXCLUDED_OU_IDS"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_yet_is_requeued_after_the_invitation() {
    // GIVEN an STS that cannot be reached (as a role not created yet cannot be assumed)
    let standins = Standins::start();
    let account = standins.new_account("no.role.yet@example.com").await;
    let app = standins
        .without_sts(standins.app(&[("ACCEPT_ROLE_NAME", ROLE)]).await)
        .await;

    // WHEN its creation event arrives
    let summary = invoke(&app, create_account_result(&account)).await.unwrap();

    // THEN it is invited, and its acceptance waits in the retry queue rather than being given up
    standins.wait_for_invitations().await;
    assert_eq!(
        standins.member_status("us-east-1", &account).as_deref(),
        Some("Invited")
    );
    let failed = &summary["failed"][0];
    assert!(
        failed["reason"].as_str().unwrap().contains("AssumeRole"),
        "{summary:#}"
    );
    assert_eq!(
        entries(&summary, "requeued"),
        [(account.clone(), "us-east-1".to_owned())]
    );
    assert!(summary.get("deadLettered").is_none(), "{summary:#}");
    assert!(standins.macie_calls_of("AcceptInvitation", None).is_empty());
}
