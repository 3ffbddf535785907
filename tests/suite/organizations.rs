//! Organizations mode: where the function's account is the organization's delegated Macie
//! administrator, accounts are added with CreateMember alone, with our exclusions, removals and
//! coverage on top; by invitation elsewhere. Against moto and the Macie stand-in, which is the
//! delegated administrator in the regions a test chooses.

use crate::support::{
    Standins, create_account_result, entries, invoke_ok, region_tally, sample_event,
};
use macie_invite::macie::ENROLLMENT_TAG;
use serde_json::{Value, json};

const BOTH: &str = "us-east-1,eu-west-1";

/// The stand-in's administrator becomes the delegated Macie administrator in `region`.
fn designate(standins: &Standins, region: &str, auto_enable: bool) {
    standins.set_own_macie(region, json!({"delegated": {"autoEnable": auto_enable}}));
}

fn members(standins: &Standins) -> Value {
    let members = standins.macie_members();
    assert!(members.is_object(), "{members}");
    members
}

#[tokio::test]
async fn a_new_account_under_the_delegated_administrator_is_added_in_both_regions_with_no_invitation()
 {
    // GIVEN the delegated Macie administrator in both regions
    let standins = Standins::start();
    designate(&standins, "us-east-1", false);
    designate(&standins, "eu-west-1", false);
    let account = standins.new_account("added@example.com").await;
    let app = standins.app(&[("MACIE_REGIONS", BOTH)]).await;

    // WHEN Organizations says the account was created
    let summary = invoke_ok(&app, create_account_result(&account)).await;

    // THEN it is added in each region: its own outcome, Enabled at once, tagged as ours, and not
    // one invitation (no email to its root user)
    let mut added = entries(&summary, "added");
    added.sort();
    assert_eq!(
        added,
        [
            (account.clone(), "eu-west-1".to_owned()),
            (account.clone(), "us-east-1".to_owned())
        ],
        "{summary:#}"
    );
    assert_eq!(entries(&summary, "invited"), []);
    assert!(
        standins
            .macie_calls_of("CreateInvitations", None)
            .is_empty()
    );
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 2);
    let (key, value) = ENROLLMENT_TAG;
    for region in ["us-east-1", "eu-west-1"] {
        let member = &members(&standins)[region][&account];
        assert_eq!(member["relationshipStatus"], "Enabled");
        assert_eq!(member["tags"][key], value);
        // AND the mode was read once in the region
        let reads = standins.macie_calls_of("DescribeOrganizationConfiguration", Some(region));
        assert_eq!(reads.len(), 1, "{region}");
    }
    assert_eq!(summary["counts"]["us-east-1"]["added"], 1);
}

#[tokio::test]
async fn a_mixed_pair_of_regions_adds_where_delegated_and_invites_elsewhere() {
    let standins = Standins::start();
    designate(&standins, "eu-west-1", false);
    let account = standins.new_account("mixed@example.com").await;
    let app = standins.app(&[("MACIE_REGIONS", BOTH)]).await;

    let summary = invoke_ok(&app, create_account_result(&account)).await;

    assert_eq!(
        entries(&summary, "added"),
        [(account.clone(), "eu-west-1".to_owned())]
    );
    assert_eq!(
        entries(&summary, "invited"),
        [(account.clone(), "us-east-1".to_owned())]
    );
    let invitations = standins.macie_calls_of("CreateInvitations", None);
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations[0]["region"], "us-east-1");
}

#[tokio::test]
async fn the_mode_is_not_read_where_nothing_is_to_be_added_and_a_throttled_read_is_retried() {
    let standins = Standins::start();
    designate(&standins, "us-east-1", false);
    let organization = standins.organization().await;
    let member = organization.create_account("member@example.com").await;
    let new = organization.create_account("new@example.com").await;
    standins.seed_member("us-east-1", &member, "Enabled");
    let app = standins.app(&[]).await;

    // An account that is a member already: no read at all.
    let summary = invoke_ok(&app, json!({"accountIds": [member]})).await;
    assert_eq!(entries(&summary, "alreadyMembers").len(), 1);
    assert!(
        standins
            .macie_calls_of("DescribeOrganizationConfiguration", None)
            .is_empty()
    );

    // Throttled past the SDK's retries: nothing is added or invited, and the account is re-queued.
    standins.set_faults(json!({"rules": [
        {"operation": "DescribeOrganizationConfiguration", "errorType": "ThrottlingException", "count": 10},
    ]}));
    let summary = invoke_ok(&app, json!({"accountIds": [new]})).await;
    assert_eq!(
        entries(&summary, "requeued"),
        [(new.clone(), "us-east-1".to_owned())]
    );
    assert!(standins.macie_calls_of("CreateMember", None).is_empty());
    assert!(
        standins
            .macie_calls_of("CreateInvitations", None)
            .is_empty()
    );
}

#[tokio::test]
async fn the_transition_keeps_every_member_as_it_is_and_adds_a_new_account_the_new_way() {
    // GIVEN members from the invitation days: enrolled and Enabled, invited and not yet accepted,
    // and one the function did not enroll
    let standins = Standins::start();
    let organization = standins.organization().await;
    let enabled = organization.create_account("enabled@example.com").await;
    let invited = organization.create_account("invited@example.com").await;
    let theirs = organization.create_account("theirs@example.com").await;
    standins.seed_enrolled_member("us-east-1", &enabled, "Enabled");
    standins.seed_enrolled_member("us-east-1", &invited, "Invited");
    standins.seed_member("us-east-1", &theirs, "Enabled");
    let before = members(&standins)["us-east-1"].clone();
    // WHEN the administrator becomes the delegated one, a new account arrives, and it reconciles
    designate(&standins, "us-east-1", false);
    let new = organization.create_account("new@example.com").await;
    let app = standins.app(&[]).await;
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN the existing members are left exactly as they were, and counted
    let after = members(&standins)["us-east-1"].clone();
    for account in [&enabled, &invited, &theirs] {
        assert_eq!(after[account], before[account], "{account}");
    }
    assert_eq!(
        entries(&summary, "added"),
        [(new.clone(), "us-east-1".to_owned())]
    );
    for operation in [
        "CreateInvitations",
        "DisassociateMember",
        "DeleteMember",
        "TagResource",
    ] {
        assert!(
            standins.macie_calls_of(operation, None).is_empty(),
            "{operation}"
        );
    }
    let created = standins.macie_calls_of("CreateMember", None);
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["body"]["account"]["accountId"], new);
    // AND the tally says the mode, with its quota, and covers them all
    let tally = region_tally(&summary, "us-east-1");
    assert_eq!(tally["mode"], "organizations", "{tally:#}");
    assert_eq!(tally["memberQuota"], 10_000);
    assert_eq!(tally["enabled"], 3);
    assert_eq!(tally["invitedNotAccepted"], 1);
    assert_eq!(tally["added"], 1);
    assert_eq!(
        standins
            .macie_calls_of("DescribeOrganizationConfiguration", None)
            .len(),
        1
    );
}

#[tokio::test]
async fn exclusions_hold_and_a_departed_member_is_removed_under_the_delegated_administrator() {
    // GIVEN the delegated administrator, an excluded account, and a member we added through
    // Organizations whose account has left
    let standins = Standins::start();
    designate(&standins, "us-east-1", false);
    let organization = standins.organization().await;
    let excluded = organization.create_account("excluded@example.com").await;
    let included = organization.create_account("included@example.com").await;
    let departed = "555500000009";
    standins.seed_enrolled_member("us-east-1", departed, "Enabled");
    let app = standins
        .app(&[("EXCLUDED_ACCOUNT_IDS", excluded.as_str())])
        .await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN only the eligible account is added, and the departed one removed
    let created: Vec<Value> = standins
        .macie_calls_of("CreateMember", None)
        .iter()
        .map(|call| call["body"]["account"]["accountId"].clone())
        .collect();
    assert_eq!(created, [json!(included)]);
    assert!(standins.member_status("us-east-1", &excluded).is_none());
    assert_eq!(
        entries(&summary, "removed"),
        [(departed.to_owned(), "us-east-1".to_owned())]
    );
    assert_eq!(standins.member_status("us-east-1", departed), None);
}

#[tokio::test]
async fn a_dry_run_under_the_delegated_administrator_plans_associate_alone() {
    let standins = Standins::start();
    designate(&standins, "us-east-1", false);
    let account = standins.new_account("planned@example.com").await;
    let app = standins.app(&[]).await;

    let summary = invoke_ok(&app, json!({"accountIds": [account], "dryRun": true})).await;

    assert_eq!(
        summary["planned"][0]["actions"],
        json!(["associate"]),
        "{summary:#}"
    );
    assert!(standins.macie_calls_of("CreateMember", None).is_empty());
}

#[tokio::test]
async fn the_check_names_each_regions_mode_and_fails_where_auto_enable_defeats_the_exclusions() {
    let standins = Standins::start();
    designate(&standins, "us-east-1", true);
    let app = standins
        .app(&[
            ("MACIE_REGIONS", BOTH),
            ("EXCLUDED_ACCOUNT_IDS", "111122223333"),
        ])
        .await;

    let report = invoke_ok(&app, sample_event("manual-check.json")).await;

    let check = |label: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| {
                format!("{}/{}", check["check"], check["region"]).replace('"', "") == label
            })
            .unwrap_or_else(|| panic!("no {label} in {report:#}"))
            .clone()
    };
    let delegated = check("mode/us-east-1");
    assert_eq!(delegated["status"], "fail");
    assert!(
        delegated["detail"]
            .as_str()
            .unwrap()
            .contains("autoEnable is on")
    );
    assert!(
        delegated["fix"]
            .as_str()
            .unwrap()
            .contains("update-organization-configuration --no-auto-enable --region us-east-1")
    );
    let invitations = check("mode/eu-west-1");
    assert_eq!(invitations["status"], "pass");
    let detail = invitations["detail"].as_str().unwrap();
    assert!(detail.starts_with("invitations:"), "{detail}");
    // Macie's own words, and the designation step
    assert!(detail.contains("AccessDeniedException"), "{detail}");
    assert!(detail.contains("enable-organization-admin-account --admin-account-id"));
    assert!(
        check("quota/us-east-1")["detail"]
            .as_str()
            .unwrap()
            .contains("10000")
    );
    assert_eq!(report["ok"], false);
}

#[tokio::test]
async fn a_denied_mode_read_adds_no_account_there_and_macies_own_refusal_means_invitations() {
    // GIVEN an SCP that denies DescribeOrganizationConfiguration in us-east-1 alone; in eu-west-1
    // Macie answers as it does to an account that is not the delegated administrator
    let standins = Standins::start();
    standins.set_faults(json!({"rules": [
        {"operation": "DescribeOrganizationConfiguration", "region": "us-east-1",
         "errorType": "AccessDeniedException",
         "message": "User: arn:aws:sts::123456789012:assumed-role/macie-invite/f is not authorized to perform: macie2:DescribeOrganizationConfiguration with an explicit deny in a service control policy"},
    ]}));
    let account = standins.new_account("denied@example.com").await;
    let app = standins.app(&[("MACIE_REGIONS", BOTH)]).await;

    let summary = invoke_ok(&app, create_account_result(&account)).await;

    // THEN nothing is sent for it in us-east-1, and the answer names the read and the fix
    assert!(
        standins
            .macie_calls_of("CreateMember", Some("us-east-1"))
            .is_empty()
    );
    assert!(
        standins
            .macie_calls_of("CreateInvitations", Some("us-east-1"))
            .is_empty()
    );
    let text = summary.to_string();
    assert!(
        text.contains("DescribeOrganizationConfiguration"),
        "{summary:#}"
    );
    assert!(text.contains("ENROLLMENT_MODE"), "{summary:#}");
    // AND Macie's own words in eu-west-1 mean invitations
    assert_eq!(
        entries(&summary, "invited"),
        [(account.clone(), "eu-west-1".to_owned())]
    );
    // AND the check fails us-east-1's mode
    let check = invoke_ok(&app, json!({"action": "check"})).await;
    assert_eq!(check["ok"], false);
    let failing = check["failing"].to_string();
    assert!(failing.contains("mode/us-east-1"), "{check:#}");
    assert!(!failing.contains("mode/eu-west-1"), "{check:#}");
}
