//! A quiet first week: the deploy checklist, followed on the template's defaults, breaches none of
//! template.yaml's alarms and dead-letters nothing; against moto and the Macie stand-in, through
//! the real handler, with the function's own metric lines read as CloudWatch would.

use crate::support::{Captured, Standins, invoke, sample_event};
use macie_invite::App;
use macie_invite::metrics::MetricsOut;
use serde_json::{Value, json};

/// The alarms of template.yaml on the function's own metrics, on its defaults: each metric's
/// breach (CoverageThreshold's default is 90; the quota alarm fires past 90 %).
fn breaches(line: &Value) -> Vec<String> {
    let number = |name: &str| line.get(name).and_then(Value::as_f64);
    let mut found = Vec::new();
    for (metric, breached) in [
        (
            "AccountsDeadLettered",
            number("AccountsDeadLettered").is_some_and(|n| n > 0.0),
        ),
        (
            "RemovalsHeld",
            number("RemovalsHeld").is_some_and(|n| n > 0.0),
        ),
        (
            "ShareCovered",
            number("ShareCovered").is_some_and(|n| n < 90.0),
        ),
        ("QuotaUsed", number("QuotaUsed").is_some_and(|n| n > 90.0)),
    ] {
        if breached {
            found.push(format!("{metric} in {line}"));
        }
    }
    found
}

#[test]
fn the_alarms_thresholds_here_are_the_templates_defaults() {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    let coverage = template.split("  CoverageThreshold:").nth(1).unwrap();
    assert!(
        coverage
            .lines()
            .take(4)
            .any(|line| line.trim() == "Default: 90")
    );
    let quota = template.split("  QuotaAlarm:").nth(1).unwrap();
    assert!(quota.contains("Threshold: 90"));
}

#[tokio::test]
async fn the_checklist_on_the_templates_defaults_raises_no_alarm_and_dead_letters_nothing() {
    // GIVEN an organization whose accounts were there before the first deployment, and the
    // function on the template's defaults: BACKFILL off, no accept role
    let standins = Standins::start();
    let organization = standins.organization().await;
    let accounts = organization.create_accounts("existing", 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let queues = standins.queues().await;
    let captured = Captured::default();
    let app = App {
        metrics: MetricsOut::new(captured.clone()),
        ..standins.app(&[("BACKFILL", "false")]).await
    };

    // WHEN the operator follows the checklist: the check, the dry-run reconcile, the daily
    // reconcile with backfill off, and the wiring test (a dry run naming one of the accounts); and
    // invokes the sample that names accounts of the example organization
    let steps = [
        sample_event("manual-check.json"),
        json!({"action": "reconcile", "dryRun": true}),
        sample_event("scheduled-reconcile.json"),
        json!({"accountIds": [accounts[0]], "dryRun": true}),
        sample_event("manual-invoke.json"),
    ];
    for step in steps {
        invoke(&app, step.clone())
            .await
            .unwrap_or_else(|error| panic!("{step}: {error}"));
    }

    // THEN no metric line breaches an alarm, and nothing is dead-lettered or left to retry
    let lines = captured.lines();
    assert!(
        lines.iter().any(|line| line.get("ShareCovered").is_some()),
        "the reconciles measured coverage"
    );
    let found: Vec<String> = lines.iter().flat_map(breaches).collect();
    assert_eq!(found, Vec::<String>::new());
    assert!(standins.drain(&queues.dead_letter).await.is_empty());
    assert!(standins.drain(&queues.retry).await.is_empty());
    // AND no account was invited: every one of them is from before the deployment
    assert!(
        standins
            .macie_calls_of("CreateInvitations", None)
            .is_empty()
    );
}
