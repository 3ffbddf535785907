//! Automated sensitive data discovery as policy: off under the listed units and accounts, on
//! elsewhere, applied again by every reconcile, and a cost limit; against moto's Organizations and
//! the Macie stand-in, through the real handler.

use crate::support::{Captured, Standins, entries, invoke_ok, region_tally};
use macie_invite::App;
use macie_invite::metrics::MetricsOut;
use serde_json::{Value, json};

const REGION: &str = "us-east-1";

/// The operations of automated discovery and usage.
const DISCOVERY_CALLS: [&str; 4] = [
    "GetAutomatedDiscoveryConfiguration",
    "ListAutomatedDiscoveryAccounts",
    "BatchUpdateAutomatedDiscoveryAccounts",
    "GetUsageStatistics",
];

/// Each entry of the summary's `discovery` list: account, status and reason.
fn changes(summary: &Value) -> Vec<(String, String)> {
    let mut changes: Vec<(String, String)> = summary["discovery"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|entry| {
            (
                entry["accountId"].as_str().unwrap().to_owned(),
                entry["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    changes.sort();
    changes
}

fn change(account: &str, status: &str) -> (String, String) {
    (account.to_owned(), status.to_owned())
}

fn calls_of(standins: &Standins, operation: &str) -> usize {
    standins.macie_calls_of(operation, None).len()
}

/// An organization with a sandbox unit (and a unit inside it), four accounts, each an Enabled
/// member; and a member outside the organization.
struct Layout {
    standins: Standins,
    organization: crate::support::Organization,
    sandbox: String,
    nested: String,
    deep: String,
    listed: String,
    plain_off: String,
    plain_on: String,
    outsider: &'static str,
}

async fn layout() -> Layout {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let root = organization.root().await;
    let sandbox = organization.create_unit(&root, "Sandbox").await;
    let nested = organization.create_unit(&sandbox, "Experiments").await;
    let deep = organization.create_account("deep@example.com").await;
    organization.move_account(&deep, &nested).await;
    let listed = organization.create_account("listed@example.com").await;
    let plain_off = organization.create_account("plain-off@example.com").await;
    let plain_on = organization.create_account("plain-on@example.com").await;
    let outsider = "555500000077";
    for account in [deep.as_str(), &listed, &plain_off, &plain_on] {
        standins.seed_enrolled_member(REGION, account, "Enabled");
    }
    // Not enrolled by the function: kept, never removed, as its account is none of the organization's.
    standins.seed_member(REGION, outsider, "Enabled");
    standins.set_discovery(
        REGION,
        json!({"accountId": plain_off, "status": "DISABLED"}),
    );
    standins.set_discovery(REGION, json!({"accountId": outsider, "status": "DISABLED"}));
    Layout {
        standins,
        organization,
        sandbox,
        nested,
        deep,
        listed,
        plain_off,
        plain_on,
        outsider,
    }
}

async fn policy_app(layout: &Layout, more: &[(&str, &str)]) -> App {
    let mut settings = vec![
        ("DISCOVERY_OFF_OU_IDS", layout.sandbox.as_str()),
        ("DISCOVERY_OFF_ACCOUNT_IDS", layout.listed.as_str()),
    ];
    settings.extend_from_slice(more);
    layout.standins.app(&settings).await
}

#[tokio::test]
async fn members_under_a_listed_unit_at_any_depth_or_listed_go_off_and_the_others_on() {
    let layout = layout().await;
    let standins = &layout.standins;
    let app = policy_app(&layout, &[]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let mut expected = vec![
        change(&layout.deep, "DISABLED"),
        change(&layout.listed, "DISABLED"),
        change(&layout.plain_off, "ENABLED"),
    ];
    expected.sort();
    assert_eq!(changes(&summary), expected, "{summary:#}");
    assert_eq!(standins.discovery_of(REGION, &layout.deep), "DISABLED");
    assert_eq!(standins.discovery_of(REGION, &layout.listed), "DISABLED");
    assert_eq!(standins.discovery_of(REGION, &layout.plain_off), "ENABLED");
    assert_eq!(standins.discovery_of(REGION, &layout.plain_on), "ENABLED");
    // A member outside the organization is never touched.
    assert_eq!(standins.discovery_of(REGION, layout.outsider), "DISABLED");
    // One listing page (5 members), one update call, no usage read without a cost limit.
    assert_eq!(calls_of(standins, "ListAutomatedDiscoveryAccounts"), 1);
    assert_eq!(
        calls_of(standins, "BatchUpdateAutomatedDiscoveryAccounts"),
        1
    );
    assert_eq!(calls_of(standins, "GetUsageStatistics"), 0);
    let tally = region_tally(&summary, REGION);
    assert_eq!(tally["discovery"]["administrator"], "ENABLED", "{tally:#}");
    assert_eq!(tally["discovery"].get("costUsd"), None);
}

#[tokio::test]
async fn every_reconcile_applies_the_policy_again_both_ways() {
    let layout = layout().await;
    let standins = &layout.standins;
    let app = policy_app(&layout, &[]).await;
    invoke_ok(&app, json!({"action": "reconcile"})).await;

    // WHEN someone turns a listed member back on by hand, and an account leaves the listed unit
    standins.set_discovery(
        REGION,
        json!({"accountId": layout.listed, "status": "ENABLED"}),
    );
    let organization = &layout.organization;
    let root = organization.root().await;
    organization
        .move_account_from(&layout.deep, &layout.nested, &root)
        .await;
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN the listed member goes off again, and the one that left comes back on
    let mut expected = vec![
        change(&layout.deep, "ENABLED"),
        change(&layout.listed, "DISABLED"),
    ];
    expected.sort();
    assert_eq!(changes(&summary), expected, "{summary:#}");
    let entry = summary["discovery"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["accountId"] == layout.listed.as_str())
        .unwrap();
    assert_eq!(entry["reason"], "listed in DISCOVERY_OFF_ACCOUNT_IDS");
}

#[tokio::test]
async fn without_a_policy_no_discovery_or_usage_call_is_made() {
    let layout = layout().await;
    let standins = &layout.standins;
    let app = standins.app(&[]).await;
    let new = layout.organization.create_account("new@example.com").await;

    invoke_ok(&app, json!({"action": "reconcile"})).await;
    invoke_ok(&app, json!({"accountIds": [new, layout.plain_on]})).await;

    for operation in DISCOVERY_CALLS {
        assert_eq!(calls_of(standins, operation), 0, "{operation}");
    }
}

#[tokio::test]
async fn an_account_added_through_organizations_or_accepted_gets_the_policy_at_once() {
    let standins = Standins::start();
    standins.set_own_macie(REGION, json!({"delegated": {"autoEnable": false}}));
    let organization = standins.organization().await;
    let root = organization.root().await;
    let sandbox = organization.create_unit(&root, "Sandbox").await;
    let new = organization.create_account("sandboxed@example.com").await;
    organization.move_account(&new, &sandbox).await;
    let app = standins
        .app(&[("DISCOVERY_OFF_OU_IDS", sandbox.as_str())])
        .await;

    // Added under the delegated administrator: off at once, in the same invocation.
    let summary = invoke_ok(&app, json!({"accountIds": [new]})).await;
    assert_eq!(entries(&summary, "added").len(), 1, "{summary:#}");
    assert_eq!(changes(&summary), [change(&new, "DISABLED")]);
    assert_eq!(standins.discovery_of(REGION, &new), "DISABLED");

    // By invitation: once the accept step leaves it Enabled.
    let invited = organization.create_account("accepted@example.com").await;
    organization.move_account(&invited, &sandbox).await;
    standins.set_own_macie(REGION, json!({"delegated": null}));
    let app = standins
        .app(&[
            ("DISCOVERY_OFF_OU_IDS", sandbox.as_str()),
            ("ACCEPT_ROLE_NAME", "MacieInviteAccept"),
        ])
        .await;
    let first = invoke_ok(&app, json!({"accountIds": [invited]})).await;
    assert_eq!(changes(&first), [], "not Enabled yet: {first:#}");
    let retried = standins.retry_once_invitations_show(&app).await;
    assert_eq!(retried, json!({"batchItemFailures": []}));
    assert_eq!(
        standins.member_status(REGION, &invited).as_deref(),
        Some("Enabled")
    );
    assert_eq!(standins.discovery_of(REGION, &invited), "DISABLED");
}

#[tokio::test]
async fn the_cost_limit_names_members_over_it_and_disable_turns_them_off_until_next_month() {
    let layout = layout().await;
    let standins = &layout.standins;
    let cost = |account: &str, amount: &str| {
        standins.set_discovery(
            REGION,
            json!({"accountId": account, "costs": {
                "AUTOMATED_SENSITIVE_DATA_DISCOVERY": amount,
                "AUTOMATED_OBJECT_MONITORING": "1.00",
                "DATA_INVENTORY_EVALUATION": "99.00",
            }}),
        );
    };
    cost(&layout.plain_on, "40.00");
    cost(&layout.plain_off, "2.00");
    cost(layout.outsider, "900.00");
    let captured = Captured::default();
    let app = App {
        metrics: MetricsOut::new(captured.clone()),
        ..policy_app(&layout, &[("DISCOVERY_COST_LIMIT_USD", "25")]).await
    };

    // report: named, alarmed, left on
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
    let costs = &summary["reconcile"]["discoveryCost"];
    assert_eq!(costs["overCostLimit"], 1, "{costs:#}");
    assert_eq!(
        costs["overCostLimitMembers"],
        json!([{"accountId": layout.plain_on, "costUsd": 41.0, "regions": {REGION: 41.0}}])
    );
    let discovery = &region_tally(&summary, REGION)["discovery"];
    // Both discovery usage types of the organization's members; the outsider and other usage not.
    assert_eq!(discovery["costUsd"], 44.0);
    assert_eq!(discovery["largestCostUsd"], 41.0);
    assert_eq!(standins.discovery_of(REGION, &layout.plain_on), "ENABLED");
    assert_eq!(calls_of(standins, "GetUsageStatistics"), 1);
    let totals = captured
        .lines()
        .into_iter()
        .find(|line| line.get("_aws").is_some() && line.get("Region").is_none())
        .unwrap();
    assert_eq!(totals["MembersOverCostLimit"], 1.0, "{totals}");
    assert_eq!(totals["DiscoveryCostUsd"], 44.0);
    assert_eq!(totals["DiscoveryCostLargestUsd"], 41.0);

    // disable: off while over the limit
    let app = policy_app(
        &layout,
        &[
            ("DISCOVERY_COST_LIMIT_USD", "25"),
            ("DISCOVERY_COST_ACTION", "disable"),
        ],
    )
    .await;
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert_eq!(changes(&summary), [change(&layout.plain_on, "DISABLED")]);
    assert_eq!(standins.discovery_of(REGION, &layout.plain_on), "DISABLED");
    // Next month its cost starts again from nothing: back on under the policy.
    cost(&layout.plain_on, "0.00");
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert_eq!(changes(&summary), [change(&layout.plain_on, "ENABLED")]);
}

#[tokio::test]
async fn a_dry_run_plans_each_change_and_makes_none() {
    let layout = layout().await;
    let standins = &layout.standins;
    let app = policy_app(&layout, &[]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile", "dryRun": true})).await;

    let planned: Vec<(String, Value)> = summary["planned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["accountId"].as_str().unwrap().to_owned(),
                entry["actions"].clone(),
            )
        })
        .collect();
    assert!(
        planned.contains(&(layout.listed.clone(), json!(["discovery off"]))),
        "{summary:#}"
    );
    assert!(planned.contains(&(layout.plain_off.clone(), json!(["discovery on"]))));
    assert_eq!(
        calls_of(standins, "BatchUpdateAutomatedDiscoveryAccounts"),
        0
    );
    assert_eq!(standins.discovery_of(REGION, &layout.listed), "ENABLED");
}

#[tokio::test]
async fn account_paused_is_reported_with_its_meaning_and_not_retried() {
    let layout = layout().await;
    let standins = &layout.standins;
    standins.set_faults(json!({"rules": [
        {"kind": "discoveryError", "operation": "BatchUpdateAutomatedDiscoveryAccounts",
         "accountIds": [layout.listed], "errorCode": "ACCOUNT_PAUSED"},
    ]}));
    let app = policy_app(&layout, &[]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let skipped = summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["accountId"] == layout.listed.as_str())
        .unwrap_or_else(|| panic!("{summary:#}"));
    assert!(
        skipped["reason"]
            .as_str()
            .unwrap()
            .contains("ACCOUNT_PAUSED: Macie is suspended")
    );
    assert!(summary.get("requeued").is_none(), "{summary:#}");
    assert!(summary.get("deadLettered").is_none());
    // The others are changed all the same.
    assert_eq!(standins.discovery_of(REGION, &layout.deep), "DISABLED");
}

#[tokio::test]
async fn where_the_administrators_own_discovery_is_off_nothing_is_changed_and_the_answer_says_so() {
    let layout = layout().await;
    let standins = &layout.standins;
    standins.set_discovery(REGION, json!({"administrator": "DISABLED"}));
    let app = policy_app(&layout, &[]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let discovery = &region_tally(&summary, REGION)["discovery"];
    assert_eq!(discovery["administrator"], "DISABLED");
    assert!(
        discovery["note"]
            .as_str()
            .unwrap()
            .contains("nothing is turned on or off")
    );
    assert_eq!(changes(&summary), []);
    assert_eq!(
        calls_of(standins, "BatchUpdateAutomatedDiscoveryAccounts"),
        0
    );
    assert_eq!(calls_of(standins, "ListAutomatedDiscoveryAccounts"), 0);
}

#[tokio::test]
async fn the_check_reports_the_administrators_discovery_and_the_policys_ids() {
    let layout = layout().await;
    let app = layout
        .standins
        .app(&[
            ("DISCOVERY_OFF_OU_IDS", layout.sandbox.as_str()),
            ("DISCOVERY_OFF_ACCOUNT_IDS", "999988887777"),
        ])
        .await;

    let report = invoke_ok(&app, json!({"action": "check"})).await;

    let find = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["check"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
            .clone()
    };
    let discovery = find("discovery");
    assert_eq!(discovery["status"], "pass");
    assert!(discovery["detail"].as_str().unwrap().contains("ENABLED"));
    let policy = find("discoveryPolicy");
    assert_eq!(policy["status"], "fail", "{policy:#}");
    assert!(
        policy["detail"]
            .as_str()
            .unwrap()
            .contains("account 999988887777")
    );
    assert_eq!(
        report["settings"]["DISCOVERY_OFF_OU_IDS"],
        json!([layout.sandbox])
    );
}

/// Macie's own `autoEnableOrganizationMembers` in the region.
fn auto_enable(standins: &Standins, value: &str) {
    standins.set_discovery(REGION, json!({"autoEnableOrganizationMembers": value}));
}

/// The value of the function's discovery tag on a member, if any.
fn discovery_tag(standins: &Standins, account: &str) -> Value {
    standins.macie_members()[REGION][account]["tags"]["macie-invite:discovery-off"].clone()
}

#[tokio::test]
async fn with_none_a_cost_limit_alone_turns_nothing_on_and_reports_the_cost() {
    let layout = layout().await;
    let standins = &layout.standins;
    auto_enable(standins, "NONE");
    standins.set_discovery(
        REGION,
        json!({"accountId": layout.plain_on, "costs": {"AUTOMATED_SENSITIVE_DATA_DISCOVERY": "3.00"}}),
    );
    let app = standins.app(&[("DISCOVERY_COST_LIMIT_USD", "25")]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    assert_eq!(changes(&summary), [], "{summary:#}");
    assert_eq!(
        calls_of(standins, "BatchUpdateAutomatedDiscoveryAccounts"),
        0
    );
    assert_eq!(standins.discovery_of(REGION, &layout.plain_off), "DISABLED");
    let tally = &region_tally(&summary, REGION)["discovery"];
    assert_eq!(tally["autoEnableOrganizationMembers"], "NONE");
    assert_eq!(tally["leftOff"], 1, "{tally:#}");
    assert!(
        tally["leftOffNote"]
            .as_str()
            .unwrap()
            .contains("as the administrator set it")
    );
    assert_eq!(summary["reconcile"]["discoveryCost"]["costUsd"], 3.0);
}

#[tokio::test]
async fn with_none_only_what_is_listed_goes_off_and_what_it_turned_off_comes_back_alone() {
    let layout = layout().await;
    let standins = &layout.standins;
    auto_enable(standins, "NONE");
    for account in [&layout.deep, &layout.listed, &layout.plain_on] {
        standins.set_discovery(REGION, json!({"accountId": account, "status": "ENABLED"}));
    }
    let app = policy_app(&layout, &[]).await;

    // The listed go off, each remembered by its tag; the one kept off by hand stays off.
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
    let mut expected = vec![
        change(&layout.deep, "DISABLED"),
        change(&layout.listed, "DISABLED"),
    ];
    expected.sort();
    assert_eq!(changes(&summary), expected, "{summary:#}");
    assert_eq!(discovery_tag(standins, &layout.deep), "unit");
    assert_eq!(discovery_tag(standins, &layout.listed), "account");
    assert_eq!(standins.discovery_of(REGION, &layout.plain_off), "DISABLED");
    assert_eq!(region_tally(&summary, REGION)["discovery"]["leftOff"], 1);

    // WHEN the account under the unit leaves it, THEN what the function turned off comes back on,
    // its tag removed, and the member kept off by hand stays off.
    let organization = &layout.organization;
    let root = organization.root().await;
    organization
        .move_account_from(&layout.deep, &layout.nested, &root)
        .await;
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert_eq!(
        changes(&summary),
        [change(&layout.deep, "ENABLED")],
        "{summary:#}"
    );
    assert_eq!(discovery_tag(standins, &layout.deep), Value::Null);
    assert_eq!(standins.discovery_of(REGION, &layout.plain_off), "DISABLED");
}

#[tokio::test]
async fn with_all_every_member_nothing_keeps_off_comes_on_and_the_check_says_macie_may_enable_it() {
    let layout = layout().await;
    let app = policy_app(&layout, &[]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    assert!(changes(&summary).contains(&change(&layout.plain_off, "ENABLED")));
    let tally = &region_tally(&summary, REGION)["discovery"];
    assert_eq!(tally["autoEnableOrganizationMembers"], "ALL");
    let check = invoke_ok(&app, json!({"action": "check"})).await;
    let text = check.to_string();
    assert!(
        text.contains("autoEnableOrganizationMembers is ALL"),
        "{check:#}"
    );
    assert!(text.contains("--auto-enable-organization-members NONE"));
    assert!(text.contains("not documented"));
}

#[tokio::test]
async fn with_discovery_others_on_every_member_nothing_keeps_off_comes_on_even_with_none() {
    let layout = layout().await;
    let standins = &layout.standins;
    auto_enable(standins, "NONE");
    let app = policy_app(&layout, &[("DISCOVERY_OTHERS", "on")]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let mut expected = vec![
        change(&layout.deep, "DISABLED"),
        change(&layout.listed, "DISABLED"),
        change(&layout.plain_off, "ENABLED"),
    ];
    expected.sort();
    assert_eq!(changes(&summary), expected, "{summary:#}");
}

/// `plain_on` at `amount` a month in `region`.
fn cost_in(standins: &Standins, region: &str, account: &str, amount: &str) {
    standins.set_discovery(
        region,
        json!({"accountId": account, "costs": {"AUTOMATED_SENSITIVE_DATA_DISCOVERY": amount}}),
    );
}

const CAPPED: [(&str, &str); 2] = [
    ("DISCOVERY_COST_LIMIT_USD", "25"),
    ("DISCOVERY_COST_ACTION", "disable"),
];

#[tokio::test]
async fn an_event_about_a_member_off_for_its_cost_never_turns_it_on() {
    let layout = layout().await;
    let standins = &layout.standins;
    cost_in(standins, REGION, &layout.plain_on, "40.00");
    let app = policy_app(&layout, &CAPPED).await;
    invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert_eq!(standins.discovery_of(REGION, &layout.plain_on), "DISABLED");
    assert_eq!(discovery_tag(standins, &layout.plain_on), "cost");
    let updates = calls_of(standins, "BatchUpdateAutomatedDiscoveryAccounts");

    // An operator's invocation and Control Tower's update both find it Enabled: with Macie's ALL,
    // it stays off all the same, until a reconcile reads the month's costs.
    invoke_ok(&app, json!({"accountIds": [layout.plain_on]})).await;
    assert_eq!(standins.discovery_of(REGION, &layout.plain_on), "DISABLED");
    assert_eq!(
        calls_of(standins, "BatchUpdateAutomatedDiscoveryAccounts"),
        updates
    );
    cost_in(standins, REGION, &layout.plain_on, "0.00");
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert!(changes(&summary).contains(&change(&layout.plain_on, "ENABLED")));
    assert_eq!(discovery_tag(standins, &layout.plain_on), Value::Null);
}

#[tokio::test]
async fn a_throttled_change_is_retried_with_the_same_decision() {
    let layout = layout().await;
    let standins = &layout.standins;
    cost_in(standins, REGION, &layout.plain_on, "40.00");
    // Throttled past the SDK's four attempts, in the reconcile alone.
    standins.set_faults(json!({"rules": [
        {"operation": "BatchUpdateAutomatedDiscoveryAccounts", "errorType": "ThrottlingException", "count": 4},
    ]}));
    let app = policy_app(&layout, &CAPPED).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert_eq!(
        standins.discovery_of(REGION, &layout.plain_on),
        "ENABLED",
        "{summary:#}"
    );
    let messages = standins.drain(&standins.queues().await.retry).await;
    let retry = messages
        .iter()
        .find(|(_, body)| body["accountId"] == layout.plain_on.as_str())
        .unwrap_or_else(|| panic!("{messages:#?}"));
    assert_eq!(
        retry.1["discovery"],
        json!({"status": "DISABLED", "reason": "cost"})
    );

    crate::support::invoke(&app, crate::support::sqs_event(&messages))
        .await
        .unwrap();

    assert_eq!(standins.discovery_of(REGION, &layout.plain_on), "DISABLED");
    assert_eq!(discovery_tag(standins, &layout.plain_on), "cost");
}

#[tokio::test]
async fn the_cost_limit_is_a_members_month_over_every_region_and_disable_turns_it_off_in_each() {
    let layout = layout().await;
    let standins = &layout.standins;
    const OTHER: &str = "eu-west-1";
    standins.seed_enrolled_member(OTHER, &layout.plain_on, "Enabled");
    cost_in(standins, REGION, &layout.plain_on, "20.00");
    cost_in(standins, OTHER, &layout.plain_on, "20.00");
    let regions = [("MACIE_REGIONS", "us-east-1,eu-west-1")];
    let app = policy_app(&layout, &[CAPPED[0], CAPPED[1], regions[0]]).await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    let costs = &summary["reconcile"]["discoveryCost"];
    assert_eq!(
        costs["overCostLimitMembers"],
        json!([{"accountId": layout.plain_on, "costUsd": 40.0,
                "regions": {"eu-west-1": 20.0, "us-east-1": 20.0}}]),
        "{summary:#}"
    );
    for region in [REGION, OTHER] {
        assert_eq!(
            standins.discovery_of(region, &layout.plain_on),
            "DISABLED",
            "{region}"
        );
    }
}

#[tokio::test]
async fn a_missing_unit_is_named_and_the_rest_of_the_policy_applies() {
    let layout = layout().await;
    let standins = &layout.standins;
    let missing = "ou-abcd-12345678";
    let units = format!("{missing},{}", layout.sandbox);
    let app = standins
        .app(&[
            ("DISCOVERY_OFF_OU_IDS", units.as_str()),
            ("DISCOVERY_OFF_ACCOUNT_IDS", layout.listed.as_str()),
        ])
        .await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    assert_eq!(
        standins.discovery_of(REGION, &layout.deep),
        "DISABLED",
        "{summary:#}"
    );
    assert_eq!(standins.discovery_of(REGION, &layout.listed), "DISABLED");
    let named = region_tally(&summary, REGION)["discovery"]["unitsNotRead"].to_string();
    assert!(named.contains(missing), "{summary:#}");
    assert!(
        named.contains("remove it from DISCOVERY_OFF_OU_IDS"),
        "{named}"
    );
    let check = invoke_ok(&app, json!({"action": "check"})).await;
    assert_eq!(check["ok"], false);
    assert!(check.to_string().contains(missing), "{check:#}");
}
