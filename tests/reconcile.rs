//! The reconcile of a whole organization: moto's Organizations with 65 accounts over several pages,
//! the Macie stand-in with members in every relationship status, the real handler and clients.

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::{ADMINISTRATOR, CallCounter, Standins, invoke};

/// Relationship statuses seeded per region, by index of the account created below, and where
/// each must end in the summary.
const US_EAST_1: &[(std::ops::Range<usize>, &str)] = &[
    (0..5, "Enabled"),
    (5..7, "Paused"),
    (7..10, "Invited"),
    (10..12, "Created"),
    (12..14, "Removed"),
    (14..15, "Resigned"),
    (15..16, "EmailVerificationInProgress"),
    (16..17, "EmailVerificationFailed"),
    (17..18, "RegionDisabled"),
    (18..19, "AccountSuspended"),
];
const EU_WEST_1: &[(std::ops::Range<usize>, &str)] = &[(0..30, "Enabled"), (30..32, "Invited")];

fn list_for(status: Option<&str>) -> &'static str {
    match status {
        None | Some("Created") => "invited",
        Some("Enabled" | "Paused" | "Invited" | "EmailVerificationInProgress") => "alreadyMembers",
        // Removed and Resigned are invited again only with REINVITE_REMOVED=true.
        Some("RegionDisabled" | "AccountSuspended" | "Removed" | "Resigned") => "skipped",
        Some(_) => "failed",
    }
}

fn ids_in(summary: &Value, list: &str, region: &str) -> Vec<String> {
    let mut ids: Vec<String> = summary[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["region"] == region)
        .map(|entry| entry["accountId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_reconcile_invites_exactly_the_active_accounts_that_are_not_members_with_the_fewest_calls()
 {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let mut accounts = Vec::new();
    for n in 0..64 {
        accounts.push(
            organization
                .create_account(&format!("reconcile{n}@example.com"))
                .await,
        );
    }
    let excluded = accounts[62].clone();
    let suspended = accounts[63].clone();
    organization.close_account(&suspended).await;
    let mut members = BTreeMap::new();
    for (region, seeds) in [("us-east-1", US_EAST_1), ("eu-west-1", EU_WEST_1)] {
        for (range, status) in seeds {
            for account in &accounts[range.clone()] {
                standins.seed_member(region, account, status);
            }
        }
        members.insert(
            region,
            seeds.iter().map(|(range, _)| range.len()).sum::<usize>(),
        );
    }
    // Members that are not (or no longer) accounts of the organization only lengthen the listing.
    for n in 0..20 {
        standins.seed_member("us-east-1", &format!("5000000000{n:02}"), "Enabled");
    }
    *members.get_mut("us-east-1").unwrap() += 20;
    let counter = CallCounter::default();
    let app = standins
        .counted_app(
            &[
                ("MACIE_REGIONS", "us-east-1,eu-west-1"),
                ("EXCLUDED_ACCOUNT_IDS", &excluded),
            ],
            &counter,
        )
        .await;

    let summary = invoke(&app, json!({"action": "reconcile"})).await.unwrap();

    // 64 accounts and the management account, which runs the function.
    let in_organization: usize = 65;
    assert_eq!(
        summary["reconcile"]["accountsInOrganization"],
        in_organization
    );
    assert_eq!(counter.count("ListAccounts"), in_organization.div_ceil(20));
    assert_eq!(counter.count("DescribeAccount"), 0);
    assert!(standins.macie_calls_of("GetMember", None).is_empty());

    let skipped_everywhere: Vec<&str> = summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry.get("region").is_none())
        .map(|entry| entry["accountId"].as_str().unwrap())
        .collect();
    let mut expected_skips = vec![excluded.as_str(), suspended.as_str(), ADMINISTRATOR];
    expected_skips.sort();
    assert_eq!(skipped_everywhere, expected_skips);

    for (region, seeds) in [("us-east-1", US_EAST_1), ("eu-west-1", EU_WEST_1)] {
        let status_of = |index: usize| {
            seeds
                .iter()
                .find(|(range, _)| range.contains(&index))
                .map(|(_, status)| *status)
        };
        let mut expected: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (index, account) in accounts.iter().enumerate().take(62) {
            expected
                .entry(list_for(status_of(index)))
                .or_default()
                .push(account.clone());
        }
        for list in ["invited", "alreadyMembers", "skipped", "failed"] {
            let mut want = expected.remove(list).unwrap_or_default();
            want.sort();
            if list == "alreadyMembers" {
                // A reconcile counts members already, and lists only what changed or needs attention.
                assert_eq!(
                    summary["counts"][region]["alreadyMembers"],
                    want.len(),
                    "{region}"
                );
                assert_eq!(ids_in(&summary, list, region), Vec::<String>::new());
                continue;
            }
            assert_eq!(ids_in(&summary, list, region), want, "{region} {list}");
        }

        let listings = standins.macie_calls_of("ListMembers", Some(region));
        assert_eq!(listings.len(), members[region].div_ceil(25), "{region}");
        assert!(
            listings
                .iter()
                .all(|call| call["query"]["onlyAssociated"] == "false"
                    && call["query"]["maxResults"] == "25")
        );
        let associations = (0..62).filter(|index| status_of(*index).is_none()).count();
        assert_eq!(
            standins.macie_calls_of("CreateMember", Some(region)).len(),
            associations,
            "{region}"
        );
        let invitations = standins.macie_calls_of("CreateInvitations", Some(region));
        let invited = ids_in(&summary, "invited", region).len();
        assert_eq!(invitations.len(), invited.div_ceil(50), "{region}");

        let tally = summary["reconcile"]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|tally| tally["region"] == region)
            .unwrap();
        assert_eq!(tally["membersFound"], members[region], "{region}");
        assert_eq!(tally["invited"], invited, "{region}");
        let total: u64 = [
            "invited",
            "alreadyMembers",
            "skipped",
            "unprocessed",
            "failed",
        ]
        .iter()
        .map(|key| tally[key].as_u64().unwrap())
        .sum();
        assert_eq!(total, in_organization as u64, "{region}: {tally}");
    }

    // A second reconcile finds every invitation on its way: nothing is sent twice.
    let before = standins.macie_calls().len();
    let again = invoke(&app, json!({"action": "reconcile"})).await.unwrap();
    assert_eq!(again["invited"], json!([]));
    let mutating: Vec<Value> = standins.macie_calls()[before..]
        .iter()
        .filter(|call| {
            call["operation"] == "CreateMember" || call["operation"] == "CreateInvitations"
        })
        .cloned()
        .collect();
    assert_eq!(mutating, Vec::<Value>::new());
}

#[tokio::test]
async fn a_region_whose_listing_fails_reports_each_account_there_and_the_others_go_on() {
    let standins = Standins::start();
    let account = standins
        .organization()
        .await
        .create_account("one@example.com")
        .await;
    standins.set_faults(json!({"rules": [
        {"kind": "error", "operation": "ListMembers", "region": "eu-west-1", "errorType": "AccessDeniedException"}
    ]}));
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke(&app, json!({"action": "reconcile"})).await.unwrap();

    assert_eq!(
        ids_in(&summary, "invited", "us-east-1"),
        std::slice::from_ref(&account)
    );
    assert_eq!(ids_in(&summary, "failed", "eu-west-1"), [account]);
    let tally = &summary["reconcile"]["regions"][1];
    assert_eq!(tally["region"], "eu-west-1");
    assert!(tally.get("membersFound").is_none(), "{tally}");
}
