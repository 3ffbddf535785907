//! The reconcile of a whole organization: moto's Organizations with 65 accounts over several pages,
//! the Macie stand-in with members in every relationship status, the real handler and clients.

use crate::support;

use std::collections::BTreeMap;

use crate::support::{
    ADMINISTRATOR, CallCounter, Standins, invoke, invoke_ok, invoke_with_time_left, region_tally,
    sqs_event,
};
use serde_json::{Value, json};

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
        Some("Enabled" | "Invited" | "EmailVerificationInProgress") => "alreadyMembers",
        // Removed and Resigned are invited again only with REINVITE_REMOVED=true.
        Some("Removed" | "Resigned") => "skipped",
        // Drift: a fact, counted and named in the region's coverage, never a failure.
        Some(_) => "drifted",
    }
}

fn ids_in(summary: &Value, list: &str, region: &str) -> Vec<String> {
    let mut ids: Vec<String> = summary[list]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
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
    let accounts = organization.create_accounts("reconcile", 64).await;
    let excluded = accounts[62].clone();
    let suspended = accounts[63].clone();
    standins.suspend_account(&suspended);
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
        for list in ["invited", "alreadyMembers", "skipped", "failed", "drifted"] {
            let mut want = expected.remove(list).unwrap_or_default();
            want.sort();
            if list == "alreadyMembers" || list == "drifted" {
                // A reconcile counts members already, and lists only what changed or needs
                // attention; drifted members are named in the region's coverage instead.
                assert_eq!(
                    summary["counts"][region][list].as_u64().unwrap_or(0),
                    want.len() as u64,
                    "{region} {list}"
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

        let tally = region_tally(&summary, region);
        assert_eq!(tally["membersFound"], members[region], "{region}");
        assert_eq!(tally["invited"], invited, "{region}");
        let total: u64 = [
            "invited",
            "alreadyMembers",
            "skipped",
            "unprocessed",
            "failed",
            "drifted",
        ]
        .iter()
        .map(|key| tally[key].as_u64().unwrap_or(0))
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
    let account = standins.new_account("one@example.com").await;
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

/// The accounts of the sample organization a reconcile invites (all but the administrator and the
/// suspended one), in every region.
const SAMPLE_INVITED: usize = 8;

#[tokio::test]
async fn a_members_listing_throttled_past_the_sdk_retries_requeues_that_regions_reconcile_once() {
    let standins = Standins::start_with_samples();
    standins.set_faults(json!({"rules": [
        {"kind": "error", "operation": "ListMembers", "region": "eu-west-1", "errorType": "ThrottlingException"}
    ]}));
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke(&app, json!({"action": "reconcile"})).await.unwrap();

    // us-east-1 is done; eu-west-1 goes on as one work item, not one per account
    assert_eq!(
        ids_in(&summary, "invited", "us-east-1").len(),
        SAMPLE_INVITED
    );
    let failed = summary["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{summary:#}");
    assert_eq!(
        (&failed[0]["reconcile"], &failed[0]["region"]),
        (&json!(true), &json!("eu-west-1"))
    );
    assert!(
        failed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("ListMembers")
    );
    assert_eq!(
        summary["requeued"],
        json!([{"reconcile": true, "region": "eu-west-1", "reason": summary["requeued"][0]["reason"],
            "attempt": 2, "delaySeconds": 0}]),
        "{summary:#}"
    );
    let queues = standins.queues().await;
    let retries = standins.drain(&queues.retry).await;
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].1["reconcile"], true);
    assert_eq!(retries[0].1["regions"], json!(["eu-west-1"]));

    // WHEN the throttling has passed and the item comes back, eu-west-1 is done, and nothing twice
    standins.set_faults(json!({"rules": []}));
    let response = invoke(&app, sqs_event(&retries)).await.unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    for region in ["us-east-1", "eu-west-1"] {
        assert_eq!(
            standins.macie_calls_of("CreateMember", Some(region)).len(),
            SAMPLE_INVITED,
            "{region}"
        );
        assert_eq!(
            standins
                .macie_calls_of("CreateInvitations", Some(region))
                .len(),
            1,
            "{region}"
        );
    }
    assert!(standins.drain(&queues.retry).await.is_empty());
}

#[tokio::test]
async fn a_reconcile_cut_short_by_its_deadline_goes_on_per_region_with_nothing_lost_or_done_twice()
{
    let standins = Standins::start_with_samples();
    let counter = CallCounter::default();
    let app = standins
        .counted_app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")], &counter)
        .await;

    // An invocation whose deadline is already near: the listings are read, no invitation starts.
    let summary = invoke_with_time_left(
        &app,
        json!({"action": "reconcile"}),
        std::time::Duration::from_millis(1),
    )
    .await
    .unwrap();

    let requeued: Vec<(bool, String)> = summary["requeued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["reconcile"] == true,
                entry["region"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        requeued,
        [
            (true, "eu-west-1".to_owned()),
            (true, "us-east-1".to_owned())
        ],
        "{summary:#}"
    );
    assert!(standins.macie_calls_of("CreateMember", None).is_empty());

    let queues = standins.queues().await;
    let retries = standins.drain(&queues.retry).await;
    assert_eq!(retries.len(), 2);
    let listed_before = counter.count("ListAccounts");
    let response = invoke(&app, sqs_event(&retries)).await.unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    // Both regions' items come in one batch, which lists the organization (one page) once.
    assert_eq!(counter.count("ListAccounts") - listed_before, 1);
    for region in ["us-east-1", "eu-west-1"] {
        let mut associated: Vec<String> = standins
            .macie_calls_of("CreateMember", Some(region))
            .iter()
            .map(|call| {
                call["body"]["account"]["accountId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        associated.sort();
        let before = associated.len();
        associated.dedup();
        assert_eq!(
            before,
            associated.len(),
            "{region}: an account associated twice"
        );
        assert_eq!(associated.len(), SAMPLE_INVITED, "{region}");
    }
    assert!(standins.drain(&queues.retry).await.is_empty());
}

#[tokio::test]
async fn by_default_a_reconcile_plans_for_the_accounts_from_before_the_deployment_and_invites_those_since()
 {
    // GIVEN an account that was in the organization before the function's first deployment (its
    // retry queue's creation), and one that joined since
    let standins = Standins::start();
    let (before, since) = join_before_and_since_the_deployment(&standins).await;
    let app = standins.app(&[("BACKFILL", "false")]).await;

    // WHEN the scheduled reconcile runs with the defaults
    let summary = invoke(&app, support::sample_event("scheduled-reconcile.json"))
        .await
        .unwrap();

    // THEN the account from before is only planned for (no call changes it, no email), the one
    // since is invited, and the summary says how to invite the others
    let region = "us-east-1".to_owned();
    assert_eq!(
        support::entries(&summary, "invited"),
        [(since.clone(), region.clone())],
        "{summary:#}"
    );
    assert_eq!(
        support::entries(&summary, "planned"),
        [(before.clone(), region.clone())],
        "{summary:#}"
    );
    let tally = &summary["reconcile"]["regions"][0];
    assert_eq!(
        (tally["invited"].as_u64(), tally["planned"].as_u64()),
        (Some(1), Some(1))
    );
    let note = summary["reconcile"]["backfill"].as_str().unwrap();
    assert!(
        note.contains("BACKFILL=true") && note.starts_with("1 accounts planned"),
        "{note}"
    );
    let associated: Vec<Value> = standins.macie_calls_of("CreateMember", None);
    assert_eq!(associated.len(), 1);
    assert_eq!(
        associated[0]["body"]["account"]["accountId"],
        since.as_str()
    );
    assert!(summary.get("dryRun").is_none());

    // WHEN the operator turns backfill on
    let backfilled = invoke(
        &standins.app(&[("BACKFILL", "true")]).await,
        json!({"action": "reconcile"}),
    )
    .await
    .unwrap();

    // THEN the account from before is invited, and the one since is not invited again
    assert_eq!(
        support::entries(&backfilled, "invited"),
        [(before.clone(), region)],
        "{backfilled:#}"
    );
    assert!(backfilled["reconcile"].get("backfill").is_none());
    assert_eq!(standins.macie_calls_of("CreateInvitations", None).len(), 2);
}

#[tokio::test]
async fn a_manual_invocation_asks_for_a_dry_run_whatever_the_setting() {
    // GIVEN a function that acts (DRY_RUN off) and two accounts that are no members
    let standins = Standins::start();
    let organization = standins.organization().await;
    let one = organization.create_account("dry.one@example.com").await;
    let two = organization.create_account("dry.two@example.com").await;
    let app = standins.app(&[]).await;

    // WHEN a reconcile and an invitation are asked for with "dryRun": true
    let reconcile = invoke_ok(&app, json!({"action": "reconcile", "dryRun": true})).await;
    let named = invoke_ok(&app, json!({"accountIds": [one], "dryRun": true})).await;

    // THEN both report their plan, and nothing is changed or queued
    assert_eq!(reconcile["dryRun"], true);
    assert_eq!(named["dryRun"], true);
    let mut planned: Vec<String> = support::entries(&reconcile, "planned")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    planned.sort();
    let mut expected = vec![one.clone(), two.clone()];
    expected.sort();
    assert_eq!(planned, expected, "{reconcile:#}");
    assert_eq!(support::entries(&named, "planned").len(), 1, "{named:#}");
    for operation in ["CreateMember", "CreateInvitations"] {
        assert!(
            standins.macie_calls_of(operation, None).is_empty(),
            "{operation}"
        );
    }
    // and a check, which changes nothing already, refuses the flag with why
    let error = invoke(&app, json!({"action": "check", "dryRun": true}))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("leave dryRun out"), "{error}");
}

#[tokio::test]
async fn with_backfill_off_an_event_about_an_account_from_before_plans_it_and_an_operator_acts() {
    // GIVEN an account from before the function's first deployment, and one that joined since
    let standins = Standins::start();
    let (before, since) = join_before_and_since_the_deployment(&standins).await;
    let app = standins.app(&[("BACKFILL", "false")]).await;
    let region = "us-east-1".to_owned();

    // WHEN Control Tower's UpdateManagedAccount names the account from before (an OU move), and
    // an account factory's event names both
    let mut update = support::sample_event("controltower-update-managed-account.json");
    update["detail"]["serviceEventDetails"]["updateManagedAccountStatus"]["account"]["accountId"] =
        json!(before);
    let moved = invoke(&app, update).await.unwrap();
    let factory = json!({"source": "com.example.account-factory", "detail-type": "Account Ready",
        "detail": {"accountIds": [before, since]}});
    let both = invoke(&app, factory).await.unwrap();

    // THEN the account from before is only planned for, as the reconcile would, and the answer
    // says why; the one since is invited
    for summary in [&moved, &both] {
        assert_eq!(
            support::entries(summary, "planned"),
            [(before.clone(), region.clone())],
            "{summary:#}"
        );
        let note = summary["backfill"].as_str().unwrap();
        assert!(
            note.contains("BACKFILL is off") && note.contains("BACKFILL=true"),
            "{note}"
        );
        assert!(summary.get("dryRun").is_none());
    }
    assert_eq!(
        support::entries(&both, "invited"),
        [(since.clone(), region.clone())]
    );
    let associated = standins.macie_calls_of("CreateMember", None);
    assert_eq!(
        associated.len(),
        1,
        "no call changes the account from before"
    );

    // WHEN an operator names it
    let asked = invoke(&app, json!({"accountIds": [before]})).await.unwrap();

    // THEN it is invited: an operator asked
    assert_eq!(
        support::entries(&asked, "invited"),
        [(before.clone(), region)],
        "{asked:#}"
    );
    assert!(asked.get("backfill").is_none());
}

/// An account that joined the organization before the function's first deployment (its retry
/// queue's creation), and one that joined since: their IDs.
async fn join_before_and_since_the_deployment(standins: &Standins) -> (String, String) {
    let organization = standins.organization().await;
    let before = organization.create_account("before@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    standins.queues().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let since = organization.create_account("since@example.com").await;
    (before, since)
}
