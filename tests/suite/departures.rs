//! A removal never misreads an account: Organizations' account states read as its `State` field
//! defines them, a closure acted on once it is done, the mark read where Macie keeps it, and one
//! bound per invocation; against moto's Organizations (answering `State` and `Status` as
//! Organizations documents them) and the Macie stand-in, through the real handler.

use crate::support::{Standins, entries, invoke_ok, sample_event, sqs_event};
use serde_json::{Value, json};

/// The account IDs of one list of the summary, sorted; none where the list is absent.
fn accounts_in(summary: &Value, list: &str) -> Vec<String> {
    if summary.get(list).is_none() {
        return Vec::new();
    }
    let mut ids: Vec<String> = entries(summary, list)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    ids
}

fn reason_of(summary: &Value, list: &str, account: &str) -> String {
    summary[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {summary:#}"))
        .iter()
        .find(|entry| entry["accountId"] == account)
        .and_then(|entry| entry["reason"].as_str())
        .unwrap_or_else(|| panic!("{account} not in {list}: {summary:#}"))
        .to_owned()
}

/// The accounts named by the calls of `operation` (the last part of their path, or the body's account).
fn called(standins: &Standins, operation: &str) -> Vec<String> {
    let mut ids: Vec<String> = standins
        .macie_calls_of(operation, None)
        .iter()
        .map(|call| match call["body"]["account"]["accountId"].as_str() {
            Some(id) => id.to_owned(),
            None => call["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned(),
        })
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    ids.sort();
    ids
}

/// The CloseAccount call of the sample, naming `account_id`.
fn close_account_call(account_id: &str) -> Value {
    let mut event = sample_event("close-account-call.json");
    event["detail"]["requestParameters"]["accountId"] = json!(account_id);
    event
}

#[tokio::test]
async fn each_account_state_is_read_as_organizations_defines_it() {
    // GIVEN, for each state, an account whose member the function enrolled and one that is no member
    let standins = Standins::start();
    let organization = standins.organization().await;
    // (label, State, Status): the pairs Organizations answers; the last has no State, only the
    // retired Status, which called a closed account SUSPENDED.
    let states = [
        ("active", Some("ACTIVE"), Some("ACTIVE")),
        ("activating", Some("PENDING_ACTIVATION"), Some("ACTIVE")),
        ("suspended", Some("SUSPENDED"), Some("SUSPENDED")),
        ("closing", Some("PENDING_CLOSURE"), Some("PENDING_CLOSURE")),
        ("closed", Some("CLOSED"), Some("SUSPENDED")),
        ("status-only-closed", None, Some("SUSPENDED")),
    ];
    let mut member = std::collections::BTreeMap::new();
    let mut other = std::collections::BTreeMap::new();
    for (label, state, status) in states {
        for (accounts, kind) in [(&mut member, "member"), (&mut other, "other")] {
            let id = organization
                .create_account(&format!("{label}-{kind}@example.com"))
                .await;
            standins.set_account_state(&id, state, status);
            accounts.insert(label, id);
        }
        standins.seed_enrolled_member("us-east-1", &member[label], "Enabled");
    }
    let app = standins.app(&[]).await;

    // WHEN it reconciles
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN exactly the CLOSED accounts' members are removed, whichever field said so
    let removed = [&member["closed"], &member["status-only-closed"]].map(String::as_str);
    assert_eq!(accounts_in(&summary, "removed"), sorted(&removed));
    assert_eq!(called(&standins, "DeleteMember"), sorted(&removed));
    // AND the suspended and the closing accounts' members are kept, each reported with why
    let suspended = reason_of(&summary, "kept", &member["suspended"]);
    assert!(suspended.contains("SUSPENDED by AWS"), "{suspended}");
    assert!(suspended.contains("may be reinstated"), "{suspended}");
    let closing = reason_of(&summary, "kept", &member["closing"]);
    assert!(closing.contains("PENDING_CLOSURE"), "{closing}");
    assert!(closing.contains("kept until it is CLOSED"), "{closing}");
    assert_eq!(
        accounts_in(&summary, "kept"),
        sorted(&[&member["suspended"], &member["closing"]].map(String::as_str))
    );
    for label in ["active", "activating", "suspended", "closing"] {
        assert_eq!(
            standins
                .member_status("us-east-1", &member[label])
                .as_deref(),
            Some("Enabled"),
            "{label}"
        );
    }
    // AND only the ACTIVE account that is no member is invited; the others are skipped by state
    assert_eq!(called(&standins, "CreateMember"), [other["active"].clone()]);
    for label in [
        "activating",
        "suspended",
        "closing",
        "closed",
        "status-only-closed",
    ] {
        let reason = reason_of(&summary, "skipped", &other[label]);
        assert!(
            reason.contains("only ACTIVE accounts are invited"),
            "{label}: {reason}"
        );
    }
    assert!(reason_of(&summary, "skipped", &other["suspended"]).contains("SUSPENDED"));
    assert!(reason_of(&summary, "skipped", &other["status-only-closed"]).contains("CLOSED"));
}

#[tokio::test]
async fn a_closure_requested_is_looked_at_again_and_its_member_removed_once_closed() {
    // GIVEN an account whose member the function enrolled, in two regions
    let standins = Standins::start();
    let organization = standins.organization().await;
    let closing = organization.create_account("closing@example.com").await;
    for region in ["us-east-1", "eu-west-1"] {
        standins.seed_enrolled_member(region, &closing, "Enabled");
    }
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    // WHEN the management account closes it, and the CloseAccount call arrives while Organizations
    // still answers PENDING_CLOSURE
    organization.close_account(&closing).await;
    let summary = invoke_ok(&app, close_account_call(&closing)).await;

    // THEN nothing is removed yet, and the departure is re-queued, saying why
    assert_eq!(called(&standins, "DeleteMember"), Vec::<String>::new());
    let requeued = &summary["requeued"];
    assert_eq!(requeued.as_array().map(Vec::len), Some(1), "{summary:#}");
    assert_eq!(requeued[0]["accountId"], closing.as_str());
    assert_eq!(requeued[0]["departed"], true);
    let reason = requeued[0]["reason"].as_str().unwrap();
    assert!(reason.contains("PENDING_CLOSURE"), "{reason}");

    // WHEN the closure completes, and the retry queue delivers the departure
    standins.complete_closure(&closing);
    let messages = standins.drain(&standins.queues().await.retry).await;
    assert_eq!(messages.len(), 1);
    let retried = invoke_ok(&app, sqs_event(&messages)).await;

    // THEN its members are removed in both regions
    assert_eq!(retried["batchItemFailures"], json!([]));
    for region in ["us-east-1", "eu-west-1"] {
        assert_eq!(standins.member_status(region, &closing), None, "{region}");
    }
    assert_eq!(
        called(&standins, "DeleteMember"),
        [closing.clone(), closing]
    );
}

#[tokio::test]
async fn a_closure_still_pending_when_its_attempts_run_out_is_left_to_the_reconcile() {
    // GIVEN an enrolled member whose account's closure never completes, and two attempts in all
    let standins = Standins::start();
    let organization = standins.organization().await;
    let closing = organization.create_account("slow@example.com").await;
    standins.seed_enrolled_member("us-east-1", &closing, "Enabled");
    let app = standins.app(&[("MAX_ATTEMPTS", "2")]).await;
    organization.close_account(&closing).await;

    // WHEN the CloseAccount call arrives, and its retry once more
    invoke_ok(&app, close_account_call(&closing)).await;
    let messages = standins.drain(&standins.queues().await.retry).await;
    let retried = invoke_ok(&app, sqs_event(&messages)).await;

    // THEN the member is kept, nothing is re-queued or dead-lettered: the reconcile takes over
    assert_eq!(retried["batchItemFailures"], json!([]));
    assert_eq!(
        standins.member_status("us-east-1", &closing).as_deref(),
        Some("Enabled")
    );
    let queues = standins.queues().await;
    assert!(standins.drain(&queues.retry).await.is_empty());
    assert!(standins.drain(&queues.dead_letter).await.is_empty());
}

#[tokio::test]
async fn a_close_account_result_removes_the_closed_accounts_member_at_once() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let closed = organization.create_account("closed@example.com").await;
    standins.seed_enrolled_member("us-east-1", &closed, "Enabled");
    organization.close_account(&closed).await;
    standins.complete_closure(&closed);
    let app = standins.app(&[]).await;
    let mut event = sample_event("close-account-result.json");
    event["detail"]["serviceEventDetails"]["closeAccountStatus"]["accountId"] = json!(closed);

    let summary = invoke_ok(&app, event).await;

    assert_eq!(accounts_in(&summary, "removed"), [closed.as_str()]);
    assert_eq!(standins.member_status("us-east-1", &closed), None);
}

#[tokio::test]
async fn without_tags_in_the_listing_the_mark_is_read_with_get_member_for_the_few_it_decides() {
    // GIVEN a Macie whose ListMembers carries no tags, and members of every kind: departed and
    // enrolled, departed and not, departed with tags that cannot be read, active and enrolled,
    // active and untagged
    let standins = Standins::start();
    standins.set_dialect(json!({"listingTags": false}));
    let organization = standins.organization().await;
    let active_enrolled = organization.create_account("enrolled@example.com").await;
    let active_untagged = organization.create_account("untagged@example.com").await;
    let (gone, outsider, unreadable) = ("555500000001", "555500000002", "555500000003");
    standins.seed_enrolled_member("us-east-1", gone, "Enabled");
    standins.seed_member("us-east-1", outsider, "Enabled");
    standins.seed_enrolled_member("us-east-1", unreadable, "Enabled");
    standins.seed_enrolled_member("us-east-1", &active_enrolled, "Enabled");
    standins.seed_member("us-east-1", &active_untagged, "Enabled");
    standins.set_faults(json!({"rules": [
        {"operation": "GetMember", "id": unreadable, "errorType": "AccessDeniedException"},
    ]}));
    let app = standins.app(&[]).await;

    // WHEN it reconciles
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN GetMember is asked about the departed members only, and only ours is removed
    assert_eq!(
        called(&standins, "GetMember"),
        sorted(&[gone, outsider, unreadable])
    );
    assert_eq!(accounts_in(&summary, "removed"), [gone]);
    assert!(reason_of(&summary, "kept", outsider).contains("did not enroll it"));
    let unread = reason_of(&summary, "kept", unreadable);
    assert!(unread.contains("tags could not be read"), "{unread}");
    assert!(standins.member_status("us-east-1", unreadable).is_some());

    // WHEN it adopts, twice
    standins.set_faults(json!({"rules": []}));
    let adopted = invoke_ok(&app, json!({"action": "adopt"})).await;
    let again = invoke_ok(&app, json!({"action": "adopt"})).await;

    // THEN only the untagged active member is tagged, once: the marked one never
    assert_eq!(accounts_in(&adopted, "adopted"), [active_untagged.as_str()]);
    assert_eq!(accounts_in(&again, "adopted"), Vec::<String>::new());
    // AND each answer counts what it found: the second, both active members marked already
    let tally = &again["adoption"][0];
    assert_eq!(tally["region"], "us-east-1");
    assert_eq!(
        (
            tally["ofActiveAccounts"].as_u64(),
            tally["markedAlready"].as_u64()
        ),
        (Some(2), Some(2)),
        "{again:#}"
    );
    assert_eq!(called(&standins, "TagResource").len(), 1);
    let tagged = &standins.macie_calls_of("TagResource", None)[0];
    assert!(tagged["path"].as_str().unwrap().ends_with(&active_untagged));
}

#[tokio::test]
async fn one_bound_holds_across_a_mixed_batch_of_departures_and_a_reconcile() {
    // GIVEN four departed members that the function enrolled, and MAX_REMOVALS 2
    let standins = Standins::start();
    standins.organization().await;
    let named = ["555500000011", "555500000012"];
    let found = ["555500000013", "555500000014"];
    for account in named.iter().chain(&found) {
        standins.seed_enrolled_member("us-east-1", account, "Enabled");
    }
    let app = standins.app(&[("MAX_REMOVALS", "2")]).await;

    // WHEN one batch of the retry queue holds the removal of two of them and a reconcile
    let mut messages: Vec<(String, Value)> = named
        .iter()
        .enumerate()
        .map(|(n, account)| {
            let body = json!({"accountId": account, "departed": true, "regions": ["us-east-1"], "attempt": 2});
            (format!("departure-{n}"), body)
        })
        .collect();
    let reconcile = json!({"reconcile": true, "regions": ["us-east-1"], "attempt": 2});
    messages.push(("reconcile".to_owned(), reconcile));
    let response = invoke_ok(&app, sqs_event(&messages)).await;

    // THEN the invocation removes two accounts' members in all, and holds the others
    assert_eq!(response["batchItemFailures"], json!([]));
    assert_eq!(called(&standins, "DeleteMember"), sorted(&named));
    for account in found {
        assert_eq!(
            standins.member_status("us-east-1", account).as_deref(),
            Some("Enabled"),
            "{account}"
        );
    }
}
