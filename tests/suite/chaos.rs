//! Random fault schedules over 200 accounts in two regions: whatever fails, and however often,
//! every account ends invited or dead-lettered in each region, none is lost and none is invited twice.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{Standins, invoke, invoke_ok, sqs_event};
use serde_json::{Value, json};

const ACCOUNTS: usize = 200;
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const SEEDS: u64 = 5;

/// A fault schedule drawn from `seed`: errors and throttling on every Macie operation (some short
/// enough for the SDK's retries, some not), accounts left unprocessed for a while, and accounts
/// that belong to another administrator for good.
fn faults(seed: u64, accounts: &[String]) -> (Value, BTreeSet<String>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut rules = Vec::new();
    for operation in ["GetMember", "CreateMember", "CreateInvitations"] {
        for error_type in ["ThrottlingException", "InternalServerException"] {
            rules.push(
                json!({"kind": "error", "operation": operation, "errorType": error_type,
                "region": REGIONS[rng.usize(..REGIONS.len())], "count": rng.usize(0..8)}),
            );
        }
    }
    rules.push(json!({"kind": "http429", "operation": "GetMember", "count": rng.usize(0..6)}));
    let mut taken = BTreeSet::new();
    for account in accounts {
        match rng.u8(0..100) {
            0..=11 => rules.push(
                json!({"kind": "unprocessed", "accountIds": [account], "errorCode": "InternalError",
                "count": rng.usize(1..6)}),
            ),
            12..=15 => {
                taken.insert(account.clone());
                rules.push(json!({"kind": "unprocessed", "accountIds": [account], "errorCode": "ClientError",
                    "errorMessage": "The account is already associated with a different administrator account."}));
            }
            _ => {}
        }
    }
    (json!({"rules": rules}), taken)
}

#[tokio::test]
async fn under_random_faults_every_account_ends_invited_or_dead_lettered_exactly_once() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let accounts = organization.create_accounts("chaos", ACCOUNTS).await;
    let app = standins
        .app(&[
            ("MACIE_REGIONS", "us-east-1,eu-west-1"),
            ("MAX_ATTEMPTS", "4"),
        ])
        .await;
    let queues = standins.queues().await;

    for seed in 0..SEEDS {
        standins.reset_macie();
        let (schedule, taken) = faults(seed, &accounts);
        standins.set_faults(schedule);

        invoke_ok(&app, json!({ "accountIds": accounts })).await;
        let mut deliveries = 0;
        loop {
            let messages = standins.drain(&queues.retry).await;
            if messages.is_empty() {
                break;
            }
            deliveries += 1;
            assert!(deliveries <= 10, "seed {seed}: the retries do not end");
            let response = invoke(&app, sqs_event(&messages)).await.unwrap();
            assert_eq!(response, json!({"batchItemFailures": []}), "seed {seed}");
        }

        // Every invitation Macie accepted, by account and region.
        let mut invitations: BTreeMap<(String, String), usize> = BTreeMap::new();
        for call in standins.macie_calls_of("CreateInvitations", None) {
            if call["status"] != 200 {
                continue;
            }
            let unprocessed: Vec<&Value> = call["response"]["unprocessedAccounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| &entry["accountId"])
                .collect();
            for id in call["body"]["accountIds"].as_array().unwrap() {
                if !unprocessed.contains(&id) {
                    let key = (
                        id.as_str().unwrap().to_owned(),
                        call["region"].as_str().unwrap().to_owned(),
                    );
                    *invitations.entry(key).or_default() += 1;
                }
            }
        }
        let mut dead_lettered = BTreeSet::new();
        for (_, letter) in standins.drain(&queues.dead_letter).await {
            for region in letter["regions"].as_array().unwrap() {
                let key = (
                    letter["accountId"].as_str().unwrap().to_owned(),
                    region.as_str().unwrap().to_owned(),
                );
                assert!(
                    dead_lettered.insert(key.clone()),
                    "seed {seed}: {key:?} dead-lettered twice"
                );
            }
        }
        for account in &accounts {
            for region in REGIONS {
                let key = (account.clone(), region.to_owned());
                let invited = invitations.get(&key).copied().unwrap_or(0);
                let dead = dead_lettered.contains(&key);
                assert!(invited <= 1, "seed {seed}: {key:?} invited {invited} times");
                assert!(
                    invited == 1 || dead,
                    "seed {seed}: {key:?} is lost: neither invited nor dead-lettered"
                );
                assert!(
                    !(invited == 1 && dead),
                    "seed {seed}: {key:?} invited and dead-lettered"
                );
                if taken.contains(account) {
                    assert!(
                        dead,
                        "seed {seed}: {key:?} belongs to another administrator and must be dead-lettered"
                    );
                }
            }
        }
    }
}
