//! The preflight, `{"action": "check"}`: against the stand-ins, a deployment that is ready passes
//! every check and changes nothing; each thing that is wrong fails its own check, with what to fix,
//! and the invocation still succeeds.

use crate::support::{
    ADMINISTRATOR, Standins, invoke, invoke_as, invoke_ok, invoke_with_time_left,
};
use serde_json::{Value, json};

const ROLE: &str = "MacieInviteAccept";

/// The check of that label (`macie/us-east-1`, `acceptRole/111122223333`, `organizations`).
fn check<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| {
            let scope = check
                .get("region")
                .or_else(|| check.get("account"))
                .and_then(Value::as_str);
            let name = check["check"].as_str().unwrap();
            match scope {
                Some(scope) => format!("{name}/{scope}") == label,
                None => name == label,
            }
        })
        .unwrap_or_else(|| panic!("no check {label} in {report:#}"))
}

fn failing(report: &Value) -> Vec<&str> {
    report["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|label| label.as_str().unwrap())
        .collect()
}

fn fix<'a>(report: &'a Value, label: &str) -> &'a str {
    check(report, label)["fix"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_ready_deployment_passes_every_check_and_nothing_is_changed() {
    // GIVEN an organization, Macie enabled in both regions, both queues, and the accept role
    let standins = Standins::start();
    let organization = standins.organization().await;
    let account = organization.create_account("role.owner@example.com").await;
    // and an account and a unit excluded, both of the organization
    let excluded = organization.create_account("excluded@example.com").await;
    let unit = organization
        .create_unit(&organization.root().await, "sandbox")
        .await;
    let app = standins
        .app(&[
            ("MACIE_REGIONS", "us-east-1,eu-west-1"),
            ("ACCEPT_ROLE_NAME", ROLE),
            ("EXCLUDED_ACCOUNT_IDS", &excluded),
            ("EXCLUDED_OU_IDS", &unit),
        ])
        .await;
    let before = standins.moto_calls();

    // WHEN the check runs, naming an account to try the role in
    let report = invoke_ok(&app, json!({"action": "check", "accountIds": [account]})).await;

    // THEN it is ok, every check passed, and it says where the function runs
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(failing(&report), Vec::<&str>::new());
    let labels: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| {
            assert_eq!(check["status"], "pass", "{check:#}");
            check["check"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        labels,
        [
            "organizations",
            "events",
            "macie",
            "mode",
            "quota",
            "drift",
            "baseline",
            "macie",
            "mode",
            "quota",
            "drift",
            "baseline",
            "retryQueue",
            "deadLetterQueue",
            "acceptRole",
            "memberBaseline",
            "exclusions",
            "settings"
        ]
    );
    // AND it reports the quota of members used in each region
    let quota = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["check"] == "quota")
        .unwrap();
    assert_eq!(
        quota["detail"],
        "0 of Macie's 1000 members by invitation used (0 %)"
    );
    assert_eq!(report["account"], ADMINISTRATOR);
    assert!(
        report["runsIn"]
            .as_str()
            .unwrap()
            .starts_with("the management account of o-"),
        "{report:#}"
    );
    assert_eq!(
        check(&report, &format!("acceptRole/{account}"))["status"],
        "pass"
    );
    // the settings in force, by their variables' names
    assert_eq!(
        report["settings"]["MACIE_REGIONS"],
        json!(["us-east-1", "eu-west-1"])
    );
    assert_eq!(report["settings"]["ACCEPT_ROLE_NAME"], ROLE);
    assert_eq!(report["settings"]["DRY_RUN"], false);
    // and only reads: Macie was asked about this account, its members, its own settings and
    // automated discovery (the baseline), and the member's invitations, nothing else
    let mut macie: Vec<String> = standins
        .macie_calls()
        .iter()
        .map(|call| call["operation"].as_str().unwrap().to_owned())
        .collect();
    macie.sort();
    macie.dedup();
    assert_eq!(
        macie,
        [
            "DescribeOrganizationConfiguration",
            "GetAdministratorAccount",
            "GetAutomatedDiscoveryConfiguration",
            "GetClassificationExportConfiguration",
            "GetFindingsPublicationConfiguration",
            "GetMacieSession",
            "ListInvitations",
            "ListMembers"
        ]
    );
    let after = standins.moto_calls();
    let new_calls: Vec<&String> = after
        .iter()
        .filter(|(operation, count)| before.get(*operation) != Some(count))
        .map(|(operation, _)| operation)
        .collect();
    assert_eq!(
        new_calls,
        // STS's AssumeRole (its query protocol posts to /, with no target header)
        [
            "/",
            "DescribeAccount",
            "DescribeCreateAccountStatus",
            "DescribeOrganization",
            "GetQueueAttributes",
            "ListAccounts",
            "ListParents"
        ]
    );
}

#[tokio::test]
async fn outside_an_organization_the_organizations_check_fails_and_says_where_to_deploy() {
    // GIVEN an account in no organization
    let standins = Standins::start();
    let app = standins.app(&[]).await;

    // WHEN the check runs
    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    // THEN it answers, not ok, with that check failing and what to do
    assert_eq!(report["ok"], false);
    assert_eq!(failing(&report), ["organizations"]);
    let organizations = check(&report, "organizations");
    assert_eq!(
        organizations["detail"],
        "this account belongs to no organization"
    );
    assert!(fix(&report, "organizations").contains("management account"));
    assert!(report["runsIn"].is_null());
}

#[tokio::test]
async fn in_a_delegated_account_the_check_says_so_and_passes() {
    // GIVEN the function in a security account that Organizations lets read the accounts
    let standins = Standins::start_with(&[
        "--sample-organization",
        "--account",
        "210987654321=security@example.com",
        "--macie-administrator",
        "210987654321",
    ]);
    let app = standins
        .app(&[("MANAGEMENT_ACCOUNT_ID", ADMINISTRATOR)])
        .await;

    // WHEN the check runs there
    let report = invoke_as(
        &app,
        json!({"action": "check"}),
        "arn:aws:lambda:us-east-1:210987654321:function:macie-invite",
    )
    .await
    .unwrap();

    // THEN it passes, and says the function runs in a member account that must be delegated to
    assert_eq!(report["ok"], true, "{report:#}");
    assert!(
        report["runsIn"]
            .as_str()
            .unwrap()
            .starts_with("a member account of o-"),
        "{report:#}"
    );
    assert!(
        check(&report, "organizations")["detail"]
            .as_str()
            .unwrap()
            .contains("delegated administrator")
    );
}

#[tokio::test]
async fn rules_set_for_another_management_account_fail_the_events_check() {
    // GIVEN the rules set to accept events of an account that does not manage the organization
    let standins = Standins::start();
    standins.organization().await;
    let app = standins
        .app(&[("MANAGEMENT_ACCOUNT_ID", "111122223333")])
        .await;

    // WHEN the check runs
    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    // THEN the events check fails, naming the real management account
    assert_eq!(failing(&report), ["events"]);
    assert_eq!(
        fix(&report, "events"),
        format!("update the stack with ManagementAccountId={ADMINISTRATOR}")
    );
}

#[tokio::test]
async fn macie_off_paused_or_a_member_elsewhere_fails_that_region_with_its_command() {
    // GIVEN Macie not enabled in one region, paused in another, and this account another's member in a third
    let standins = Standins::start();
    standins.organization().await;
    let app = standins
        .app(&[(
            "MACIE_REGIONS",
            "us-east-1,eu-west-1,ap-southeast-2,eu-central-1",
        )])
        .await;
    standins.set_own_macie("us-east-1", json!({"macieStatus": null}));
    standins.set_own_macie("eu-west-1", json!({"macieStatus": "PAUSED"}));
    standins.set_own_macie(
        "ap-southeast-2",
        json!({"administrator": {"accountId": "999999999999", "relationshipStatus": "Enabled"}}),
    );

    // WHEN the check runs
    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    // THEN each of those regions fails with the command that mends it; the fourth passes
    assert_eq!(report["ok"], false);
    assert_eq!(
        failing(&report),
        ["macie/us-east-1", "macie/eu-west-1", "macie/ap-southeast-2"]
    );
    assert_eq!(
        check(&report, "macie/us-east-1")["detail"],
        "Macie is not enabled for this account in this region"
    );
    assert!(fix(&report, "macie/us-east-1").contains("aws macie2 enable-macie --region us-east-1"));
    assert!(
        fix(&report, "macie/eu-west-1")
            .contains("aws macie2 update-macie-session --status ENABLED --region eu-west-1")
    );
    let member = check(&report, "macie/ap-southeast-2");
    assert!(
        member["detail"].as_str().unwrap().contains("999999999999"),
        "{member:#}"
    );
    assert!(
        fix(&report, "macie/ap-southeast-2").contains("disassociate-from-administrator-account")
    );
    assert_eq!(check(&report, "macie/eu-central-1")["status"], "pass");
}

#[tokio::test]
async fn a_macie_refusal_of_the_role_names_both_causes() {
    // GIVEN Macie refusing GetMacieSession for want of permission (not for Macie being off)
    let standins = Standins::start();
    standins.organization().await;
    let app = standins.app(&[]).await;
    standins.set_faults(json!({"rules": [{
        "operation": "GetMacieSession",
        "errorType": "AccessDeniedException",
        "message": "User is not authorized to perform: macie2:GetMacieSession"
    }]}));

    // WHEN the check runs
    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    // THEN that region fails, and the fix covers enabling Macie and the role's regions
    assert_eq!(failing(&report), ["macie/us-east-1"]);
    let fix = fix(&report, "macie/us-east-1");
    assert!(
        fix.contains("enable-macie") && fix.contains("MacieRegions"),
        "{fix}"
    );
}

#[tokio::test]
async fn an_unset_retry_queue_and_a_missing_dead_letter_queue_each_fail() {
    // GIVEN no retry queue set, and a dead-letter queue URL where there is no queue
    let standins = Standins::start();
    standins.organization().await;
    let missing = format!("{}/123456789012/no-such-queue", standins.moto);
    let app = standins
        .app(&[("RETRY_QUEUE_URL", ""), ("DEAD_LETTER_QUEUE_URL", &missing)])
        .await;

    // WHEN the check runs
    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    // THEN both queue checks fail, each saying what to set
    assert_eq!(failing(&report), ["retryQueue", "deadLetterQueue"]);
    assert!(fix(&report, "retryQueue").contains("RETRY_QUEUE_URL"));
    let dead_letter = check(&report, "deadLetterQueue");
    assert!(
        dead_letter["detail"]
            .as_str()
            .unwrap()
            .starts_with("no such queue"),
        "{dead_letter:#}"
    );
    assert!(fix(&report, "deadLetterQueue").contains("DEAD_LETTER_QUEUE_URL"));
}

#[tokio::test]
async fn dead_letters_waiting_are_counted_in_the_passing_queue_check() {
    // GIVEN a dead letter in the dead-letter queue
    let standins = Standins::start();
    standins.organization().await;
    let app = standins.app(&[]).await;
    let queues = standins.queues().await;
    let sqs = aws_sdk_sqs::Client::new(&Standins::sdk_config(&standins.moto, "us-east-1").await);
    sqs.send_message()
        .queue_url(&queues.dead_letter)
        .message_body("{}")
        .send()
        .await
        .unwrap();

    // WHEN the check runs
    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    // THEN the queue passes (it is reachable), and the letter is counted and pointed to
    let dead_letter = check(&report, "deadLetterQueue");
    assert_eq!(dead_letter["status"], "pass");
    let detail = dead_letter["detail"].as_str().unwrap();
    assert!(detail.starts_with("reachable: 1 waiting"), "{detail}");
    assert!(detail.contains("docs/operations.md"), "{detail}");
}

#[tokio::test]
async fn exclusions_that_name_nothing_in_the_organization_fail_with_each_id() {
    // GIVEN an excluded account and an excluded unit that the organization does not have
    let standins = Standins::start();
    let organization = standins.organization().await;
    let real = organization.create_account("real@example.com").await;
    let app = standins
        .app(&[
            ("EXCLUDED_ACCOUNT_IDS", &format!("{real},121212121212")),
            ("EXCLUDED_OU_IDS", "ou-abcd-12345678"),
        ])
        .await;

    // WHEN the check runs
    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    // THEN the exclusions check fails, naming exactly the IDs that name nothing
    assert_eq!(failing(&report), ["exclusions"]);
    let detail = check(&report, "exclusions")["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("not in the organization: account 121212121212, unit ou-abcd-12345678;"),
        "{detail}"
    );
    assert!(!detail.contains(&real), "{detail}");
    assert!(fix(&report, "exclusions").contains("ExcludedOuIds"));
}

#[tokio::test]
async fn a_check_at_its_deadline_says_the_exclusions_were_not_looked_up() {
    // GIVEN exclusions, and an invocation whose deadline is already near
    let standins = Standins::start();
    let excluded = standins.new_account("excluded@example.com").await;
    let app = standins.app(&[("EXCLUDED_ACCOUNT_IDS", &excluded)]).await;

    // WHEN the check runs
    let report = invoke_with_time_left(
        &app,
        json!({"action": "check"}),
        std::time::Duration::from_millis(1),
    )
    .await
    .unwrap();

    // THEN it still answers, and does not claim the exclusions were verified
    assert_eq!(failing(&report), ["exclusions"]);
    assert_eq!(
        check(&report, "exclusions")["detail"],
        "1 excluded ID(s) not looked up: the invocation's deadline was near"
    );
}

#[tokio::test]
async fn an_accept_role_that_cannot_be_assumed_fails_for_that_account() {
    // GIVEN the accept role set, and an STS that refuses (as for a role not deployed in the account)
    let standins = Standins::start();
    let account = standins.new_account("no.role@example.com").await;
    let app = standins
        .without_sts(standins.app(&[("ACCEPT_ROLE_NAME", ROLE)]).await)
        .await;

    // WHEN the check tries the role in that account
    let report = invoke_ok(&app, json!({"action": "check", "accountIds": [account]})).await;

    // THEN that check fails, saying how to deploy the role
    let label = format!("acceptRole/{account}");
    assert_eq!(failing(&report), [label.as_str()]);
    assert!(
        check(&report, &label)["detail"]
            .as_str()
            .unwrap()
            .contains("could not be assumed")
    );
    assert!(fix(&report, &label).contains("member-role.yaml"));
}

#[tokio::test]
async fn without_an_account_named_the_accept_role_is_skipped_with_how_to_try_it() {
    let standins = Standins::start();
    standins.organization().await;
    let app = standins.app(&[("ACCEPT_ROLE_NAME", ROLE)]).await;

    let report = invoke(&app, json!({"action": "check"})).await.unwrap();

    assert_eq!(report["ok"], true, "{report:#}");
    let role = check(&report, "acceptRole");
    assert_eq!(role["status"], "skip");
    assert!(role["detail"].as_str().unwrap().contains("\"accountIds\""));
}

#[tokio::test]
async fn a_check_refuses_what_it_cannot_use() {
    let standins = Standins::start();
    let app = standins.app(&[]).await;
    let eleven: Vec<String> = (0..11).map(|n| format!("1000000000{n:02}")).collect();
    for (payload, says) in [
        (
            json!({"action": "check", "regions": ["us-east-1"]}),
            "every region of MACIE_REGIONS",
        ),
        (
            json!({"action": "check", "createAccountRequestIds": ["car-abcdefgh"]}),
            "leave createAccountRequestIds",
        ),
        (
            json!({"action": "check", "accountIds": eleven}),
            "at most 10 accounts",
        ),
        (
            json!({"action": "check", "accountIds": [111122223333_u64]}),
            "in quotes",
        ),
        (json!({"action": "chek"}), "\"check\""),
    ] {
        let error = invoke(&app, payload.clone()).await.unwrap_err();
        assert!(error.to_string().contains(says), "{payload}: {error}");
        assert!(standins.macie_calls().is_empty());
    }
}
