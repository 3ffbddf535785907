//! The invocation's metrics: Embedded Metric Format lines, written where the application says
//! (standard output in Lambda), counted from every outcome.

use crate::support::{Captured, Standins, invoke, sample_event};
use macie_invite::App;
use macie_invite::metrics::MetricsOut;

#[tokio::test]
async fn each_invocation_writes_its_totals_and_one_line_per_region() {
    let standins = Standins::start_with_samples();
    let captured = Captured::default();
    let app = App {
        metrics: MetricsOut::new(captured.clone()),
        ..standins
            .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
            .await
    };

    invoke(&app, sample_event("create-account-result.json"))
        .await
        .unwrap();

    let lines = captured.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["AccountsInvited"], 2);
    assert!(lines[0].get("Region").is_none());
    assert_eq!(
        (lines[1]["Region"].as_str(), lines[2]["Region"].as_str()),
        (Some("eu-west-1"), Some("us-east-1"))
    );
    assert_eq!(lines[1]["AccountsInvited"], 1);
}
