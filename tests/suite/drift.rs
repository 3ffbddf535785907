//! Drift named, healed on request, and quiet: every member that is not `Enabled` is named by its
//! state in its region's coverage, Paused members are resumed only with RESUME_PAUSED (in both of
//! Macie's modes), and no drifted member is ever re-queued or dead-lettered for its state.

use crate::support::{Captured, Standins, entries, invoke_ok, region_tally};
use macie_invite::App;
use macie_invite::metrics::MetricsOut;
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const ROLE: &str = "MacieInviteAccept";

/// A member seeded with the account's own email, as the function associates one.
fn seed(standins: &Standins, account: &str, email: &str, status: &str, invited_at: Option<&str>) {
    let mut member = json!({"region": REGION, "accountId": account, "email": email,
                            "relationshipStatus": status});
    if let Some(at) = invited_at {
        member["invitedAt"] = json!(at);
    }
    ureq::post(format!("{}/_standin/members", standins.macie))
        .send_json(member)
        .unwrap();
}

/// An account of the organization, a member of the administrator in `status`.
async fn drifted(
    standins: &Standins,
    organization: &crate::support::Organization,
    status: &str,
) -> String {
    let email = format!("{}@example.com", status.to_lowercase());
    let account = organization.create_account(&email).await;
    seed(
        standins,
        &account,
        &email,
        status,
        Some("2026-01-01T00:00:00Z"),
    );
    account
}

#[tokio::test]
async fn each_state_that_is_not_enabled_is_named_and_counted_and_nothing_is_queued() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let mut by_state = Vec::new();
    for (status, key) in [
        ("Paused", "paused"),
        ("Resigned", "resigned"),
        ("Removed", "removed"),
        ("RegionDisabled", "regionDisabled"),
        ("EmailVerificationFailed", "emailVerificationFailed"),
        ("AccountSuspended", "accountSuspended"),
        ("Invited", "invitedNotAccepted"),
    ] {
        by_state.push((drifted(&standins, &organization, status).await, key));
    }
    // A member outside the organization: counted apart, never acted on.
    standins.seed_member(REGION, "555500000077", "Paused");
    let captured = Captured::default();
    let app = App {
        metrics: MetricsOut::new(captured.clone()),
        ..standins.app(&[]).await
    };

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let drift = &region_tally(&summary, REGION)["drift"];
    for (account, key) in &by_state {
        assert_eq!(drift[key]["count"], 1, "{key}: {drift:#}");
        assert_eq!(drift[key]["accounts"], json!([account]), "{key}");
        assert!(
            drift[key]["fix"]
                .as_str()
                .is_some_and(|fix| !fix.is_empty())
        );
    }
    assert_eq!(drift["outsideOrganization"], json!({"paused": 1}));
    assert!(
        drift["emailVerificationFailed"]["fix"]
            .as_str()
            .unwrap()
            .contains("correct the account's email in Organizations")
    );
    // Drift is a fact: nothing failed, nothing is re-queued or dead-lettered.
    assert!(summary.get("requeued").is_none(), "{summary:#}");
    assert!(summary.get("deadLettered").is_none(), "{summary:#}");
    assert_eq!(summary["failed"], json!([]));
    let line = captured
        .lines()
        .into_iter()
        .find(|line| line["Region"] == REGION)
        .unwrap();
    assert_eq!(line["MembersDrifted"], 7.0, "{line}");
}

#[tokio::test]
async fn a_member_whose_email_failed_is_quiet_over_two_reconciles() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let account = drifted(&standins, &organization, "EmailVerificationFailed").await;
    let app = standins.app(&[]).await;

    for _ in 0..2 {
        let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
        let drift = &region_tally(&summary, REGION)["drift"];
        assert_eq!(
            drift["emailVerificationFailed"]["accounts"],
            json!([account])
        );
        assert_eq!(summary["counts"][REGION]["drifted"], 1);
    }

    let queues = standins.queues().await;
    assert_eq!(
        standins.drain(&queues.retry).await,
        Vec::<(String, Value)>::new()
    );
    assert_eq!(
        standins.drain(&queues.dead_letter).await,
        Vec::<(String, Value)>::new()
    );
    assert!(
        standins
            .macie_calls_of("CreateInvitations", None)
            .is_empty()
    );
}

#[tokio::test]
async fn a_paused_member_is_left_alone_by_default_and_named() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let account = drifted(&standins, &organization, "Paused").await;
    let app = standins.app(&[]).await;

    let summary = invoke_ok(&app, json!({"accountIds": [account]})).await;

    assert_eq!(
        entries(&summary, "drifted"),
        [(account.clone(), REGION.to_owned())]
    );
    assert_eq!(
        standins.member_status(REGION, &account).as_deref(),
        Some("Paused")
    );
    assert!(
        standins
            .macie_calls_of("UpdateMemberSession", None)
            .is_empty()
    );
    assert!(
        standins
            .macie_calls_of("UpdateMacieSession", None)
            .is_empty()
    );
}

#[tokio::test]
async fn with_resume_paused_the_delegated_administrator_resumes_a_paused_member() {
    let standins = Standins::start();
    standins.set_own_macie(REGION, json!({"delegated": {"autoEnable": false}}));
    let organization = standins.organization().await;
    let account = drifted(&standins, &organization, "Paused").await;
    let captured = Captured::default();
    let app = App {
        metrics: MetricsOut::new(captured.clone()),
        ..standins.app(&[("RESUME_PAUSED", "true")]).await
    };

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    assert_eq!(
        entries(&summary, "resumed"),
        [(account.clone(), REGION.to_owned())],
        "{summary:#}"
    );
    assert_eq!(
        standins.member_status(REGION, &account).as_deref(),
        Some("Enabled")
    );
    assert_eq!(
        standins.macie_calls_of("UpdateMemberSession", None).len(),
        1
    );
    assert_eq!(region_tally(&summary, REGION).get("drift"), None);
    let totals = captured
        .lines()
        .into_iter()
        .find(|line| line.get("_aws").is_some() && line.get("Region").is_none())
        .unwrap();
    assert_eq!(totals["MembersResumed"], 1, "{totals}");
}

#[tokio::test]
async fn with_resume_paused_by_invitation_the_member_resumes_itself_through_the_role() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let account = drifted(&standins, &organization, "Paused").await;
    let app = standins
        .app(&[("RESUME_PAUSED", "true"), ("ACCEPT_ROLE_NAME", ROLE)])
        .await;

    let summary = invoke_ok(&app, json!({"accountIds": [account]})).await;

    assert_eq!(
        entries(&summary, "resumed"),
        [(account.clone(), REGION.to_owned())],
        "{summary:#}"
    );
    assert_eq!(
        standins.member_status(REGION, &account).as_deref(),
        Some("Enabled")
    );
    let calls = standins.macie_calls_of("UpdateMacieSession", None);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["caller"],
        account.as_str(),
        "called inside the member"
    );
    assert!(
        standins
            .macie_calls_of("UpdateMemberSession", None)
            .is_empty()
    );
}

#[tokio::test]
async fn by_invitation_without_the_role_a_paused_member_is_named_with_what_to_do() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let account = drifted(&standins, &organization, "Paused").await;
    let app = standins.app(&[("RESUME_PAUSED", "true")]).await;

    let summary = invoke_ok(&app, json!({"accountIds": [account]})).await;

    let named = &summary["drifted"][0];
    assert_eq!(named["status"], "Paused", "{summary:#}");
    assert!(
        named["reason"]
            .as_str()
            .unwrap()
            .contains("ACCEPT_ROLE_NAME")
    );
    assert_eq!(
        standins.member_status(REGION, &account).as_deref(),
        Some("Paused")
    );
    let check = invoke_ok(&app, json!({"action": "check"})).await;
    assert!(
        check["failing"].to_string().contains("drift/us-east-1"),
        "{check:#}"
    );
}

#[tokio::test]
async fn a_dry_run_plans_the_resume_and_makes_no_call() {
    let standins = Standins::start();
    standins.set_own_macie(REGION, json!({"delegated": {"autoEnable": false}}));
    let organization = standins.organization().await;
    let account = drifted(&standins, &organization, "Paused").await;
    let app = standins.app(&[("RESUME_PAUSED", "true")]).await;

    let summary = invoke_ok(&app, json!({"accountIds": [account], "dryRun": true})).await;

    let planned = &summary["planned"][0];
    assert_eq!(planned["actions"], json!(["resume"]), "{summary:#}");
    assert!(
        standins
            .macie_calls_of("UpdateMemberSession", None)
            .is_empty()
    );
    assert_eq!(
        standins.member_status(REGION, &account).as_deref(),
        Some("Paused")
    );
}
