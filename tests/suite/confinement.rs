//! What the function refuses to be talked into, whoever can invoke it or send to its retry queue:
//! regions outside MACIE_REGIONS, retries past MAX_ATTEMPTS, and accepting an invitation when it
//! cannot tell which administrator it is.

use crate::support;

use crate::support::{Standins, entries, invoke, invoke_as, sqs_event};
use serde_json::json;

const REGIONS: (&str, &str) = ("MACIE_REGIONS", "us-east-1,eu-west-1");

#[tokio::test]
async fn a_manual_invocation_naming_another_region_is_refused_there_and_no_call_is_made_there() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[REGIONS]).await;

    let summary = invoke(
        &app,
        json!({"accountIds": ["555555555555"], "regions": ["eu-west-1", "ap-south-1"]}),
    )
    .await
    .unwrap();

    assert_eq!(
        entries(&summary, "invited"),
        [("555555555555".to_owned(), "eu-west-1".to_owned())]
    );
    let skipped = &summary["skipped"][0];
    assert_eq!(skipped["region"], "ap-south-1", "{summary:#}");
    assert!(
        skipped["reason"]
            .as_str()
            .unwrap()
            .contains("not one of MACIE_REGIONS"),
        "{summary:#}"
    );
    assert!(
        standins
            .macie_calls()
            .iter()
            .all(|call| call["region"] != "ap-south-1")
    );
}

#[tokio::test]
async fn a_retry_message_naming_another_region_is_refused_there_and_not_requeued() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[REGIONS]).await;
    let message = json!({"accountId": "555555555555", "regions": ["sa-east-1", "us-east-1"],
        "attempt": 2, "history": ["attempt 1: throttled"]});

    let response = invoke(&app, sqs_event(&[("m1".to_owned(), message)]))
        .await
        .unwrap();

    assert_eq!(response, json!({"batchItemFailures": []}));
    let regions: Vec<String> = standins
        .macie_calls()
        .iter()
        .map(|call| call["region"].as_str().unwrap().to_owned())
        .collect();
    assert!(!regions.is_empty());
    assert!(
        regions.iter().all(|region| region == "us-east-1"),
        "{regions:?}"
    );
    let queues = standins.queues().await;
    assert!(standins.drain(&queues.retry).await.is_empty());
    assert!(standins.drain(&queues.dead_letter).await.is_empty());
}

#[tokio::test]
async fn a_reconcile_naming_another_region_is_refused_before_any_call() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[REGIONS]).await;

    let error = invoke(
        &app,
        json!({"action": "reconcile", "regions": ["us-west-2"]}),
    )
    .await
    .unwrap_err();

    assert!(
        error
            .to_string()
            .contains("region us-west-2 is not one of MACIE_REGIONS (us-east-1,eu-west-1)"),
        "{error}"
    );
    assert!(standins.macie_calls().is_empty());
}

#[tokio::test]
async fn a_retry_past_max_attempts_is_not_acted_on() {
    let standins = Standins::start_with_samples();
    let app = standins.app(&[("MAX_ATTEMPTS", "3")]).await;
    let forged =
        json!({"accountId": "555555555555", "regions": ["us-east-1"], "attempt": 4, "history": []});
    let beyond_any = json!({"accountId": "555555555555", "regions": ["us-east-1"], "attempt": 101, "history": []});

    let response = invoke(
        &app,
        sqs_event(&[("m1".to_owned(), forged), ("m2".to_owned(), beyond_any)]),
    )
    .await
    .unwrap();

    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]})
    );
    assert!(standins.macie_calls().is_empty());
}

#[tokio::test]
async fn without_its_own_account_the_function_accepts_no_invitation() {
    // cargo lambda watch, for one, gives the function the ARN `function-arn`, which names no
    // account; and here STS cannot say either.
    let standins = Standins::start_with_samples();
    let app = standins
        .app(&[("ACCEPT_ROLE_NAME", "MacieInviteAccept")])
        .await;
    let app = standins.without_caller_identity(app).await;

    let summary = invoke_as(
        &app,
        json!({"accountIds": ["555555555555"]}),
        "function-arn",
    )
    .await
    .unwrap();

    assert_eq!(entries(&summary, "deadLettered").len(), 1, "{summary:#}");
    assert!(
        summary["deadLettered"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("accepted only from it"),
        "{summary:#}"
    );
    for operation in ["EnableMacie", "ListInvitations", "AcceptInvitation"] {
        assert!(
            standins.macie_calls_of(operation, None).is_empty(),
            "{operation}"
        );
    }
}

#[tokio::test]
async fn where_the_arn_names_no_account_sts_does_and_the_administrator_is_skipped() {
    // GIVEN a local emulator's ARN, `function-arn`, and credentials of the administrator account
    let standins = Standins::start_with_samples();
    let app = standins.app(&[]).await;

    // WHEN the whole organization is reconciled
    let summary = invoke_as(&app, json!({"action": "reconcile"}), "function-arn")
        .await
        .unwrap();

    // THEN the administrator (moto's account, as GetCallerIdentity names it) is skipped, not failed
    let skipped: Vec<&serde_json::Value> = summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["accountId"] == support::ADMINISTRATOR)
        .collect();
    assert_eq!(skipped.len(), 1, "{summary:#}");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("own account")
    );
    assert!(
        !entries(&summary, "failed")
            .iter()
            .any(|(id, _)| id == support::ADMINISTRATOR),
        "{summary:#}"
    );
}
