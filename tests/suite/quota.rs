//! Macie's quota of members (1,000 by invitation): the first refusal in a region stops the
//! CreateMember calls there, and every account left is dead-lettered once, with what to do.

use crate::support::{Standins, entries, invoke_ok};
use serde_json::json;

#[tokio::test]
async fn past_the_member_quota_no_more_create_member_calls_are_made_in_the_region() {
    // GIVEN a Macie that admits two members a region, and five new accounts of the organization
    let standins = Standins::start_with_samples();
    standins.set_faults(json!({"memberQuota": 2}));
    let app = standins
        .app(&[
            ("MACIE_REGIONS", "us-east-1,eu-west-1"),
            ("MAX_CALLS_IN_FLIGHT", "1"),
        ])
        .await;
    let accounts = [
        "111111111111",
        "222222222222",
        "444455556666",
        "555555555555",
        "666666666666",
    ];

    // WHEN they are named
    let summary = invoke_ok(&app, json!({ "accountIds": accounts })).await;

    // THEN two are invited a region, the third is refused, and the other two are not even tried
    for region in ["us-east-1", "eu-west-1"] {
        let in_region = |list: &str| {
            entries(&summary, list)
                .into_iter()
                .filter(|(_, r)| r == region)
                .count()
        };
        assert_eq!(in_region("invited"), 2, "{region}: {summary:#}");
        assert_eq!(in_region("deadLettered"), 3, "{region}: {summary:#}");
        let statuses: Vec<u64> = standins
            .macie_calls_of("CreateMember", Some(region))
            .iter()
            .map(|call| call["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, [200, 200, 402], "{region}");
    }
    // each account left is dead-lettered once a region, with what to do, and none is re-queued
    let queues = standins.queues().await;
    let dead_letters = standins.drain(&queues.dead_letter).await;
    assert_eq!(dead_letters.len(), 6);
    for (_, letter) in &dead_letters {
        let reason = letter["reason"].as_str().unwrap();
        assert!(reason.contains("Organizations"), "{reason}");
    }
    let stopped = dead_letters
        .iter()
        .filter(|(_, letter)| {
            letter["reason"]
                .as_str()
                .unwrap()
                .contains("no more CreateMember")
        })
        .count();
    assert_eq!(stopped, 4);
    assert!(standins.drain(&queues.retry).await.is_empty());
}
