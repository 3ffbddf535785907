//! Nothing is lost: re-queues with backoff, retry-queue deliveries, dead letters, deadlines and
//! duplicate deliveries, with real SQS (moto) and the Macie stand-in's faults.

use std::time::Duration;

use crate::support::{Standins, entries, invoke, invoke_ok, invoke_with_time_left, sqs_event};
use serde_json::{Value, json};

/// Feeds every message of the retry queue back to the function, as the SQS event source would,
/// until the queue is empty (RETRY_BASE_DELAY_SECONDS is 0); returns the batch responses.
async fn drain_retries(standins: &Standins, app: &macie_invite::App) -> Vec<Value> {
    let mut responses = Vec::new();
    for _ in 0..20 {
        let messages = standins.drain(&standins.queues().await.retry).await;
        if messages.is_empty() {
            return responses;
        }
        responses.push(invoke(app, sqs_event(&messages)).await.unwrap());
    }
    panic!("the retry queue does not empty");
}

/// The regions of every invitation that Macie accepted for the account (one entry per invitation).
fn invited_once_per_region(standins: &Standins, account: &str) -> Vec<String> {
    let mut regions: Vec<String> = standins
        .macie_calls_of("CreateInvitations", None)
        .iter()
        .filter(|call| call["status"] == 200)
        .filter(|call| {
            call["body"]["accountIds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|id| id == account)
        })
        .filter(|call| {
            let unprocessed = call["response"]["unprocessedAccounts"].as_array().unwrap();
            !unprocessed
                .iter()
                .any(|entry| entry["accountId"] == account)
        })
        .map(|call| call["region"].as_str().unwrap().to_owned())
        .collect();
    regions.sort();
    regions
}

#[tokio::test]
async fn an_unprocessed_internal_error_is_requeued_and_invited_when_the_message_comes_back() {
    let standins = Standins::start();
    let account = standins.new_account("flaky@example.com").await;
    standins.set_faults(json!({"rules": [
        {"kind": "unprocessed", "accountIds": [account], "errorCode": "InternalError", "count": 1}
    ]}));
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke_ok(&app, json!({"accountIds": [account]})).await;

    assert_eq!(entries(&summary, "unprocessed").len(), 1);
    let requeued = &summary["requeued"][0];
    assert_eq!(requeued["accountId"], account.as_str());
    assert_eq!(requeued["attempt"], 2);
    let messages = standins.drain(&standins.queues().await.retry).await;
    assert_eq!(messages.len(), 1, "one message per account and region");
    let body = &messages[0].1;
    assert_eq!(body["accountId"], account.as_str());
    assert_eq!(body["regions"], json!([requeued["region"]]));
    assert_eq!(body["attempt"], 2);
    assert!(
        body["history"][0]
            .as_str()
            .unwrap()
            .contains("InternalError")
    );

    let response = invoke(&app, sqs_event(&messages)).await.unwrap();

    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(
        invited_once_per_region(&standins, &account),
        ["eu-west-1", "us-east-1"]
    );
    // The retry re-checked the relationship before inviting.
    let region = requeued["region"].as_str().unwrap();
    assert_eq!(standins.macie_calls_of("GetMember", Some(region)).len(), 2);
}

#[tokio::test]
async fn throttling_that_outlasts_the_sdk_retries_is_requeued_and_invited_later() {
    let standins = Standins::start();
    let account = standins.new_account("throttled@example.com").await;
    // The SDK makes 4 attempts: all four are throttled.
    standins.set_faults(json!({"rules": [
        {"kind": "error", "operation": "CreateInvitations", "errorType": "ThrottlingException", "count": 4}
    ]}));
    let app = standins.app(&[]).await;

    let summary = invoke_ok(&app, json!({"accountIds": [account]})).await;

    assert_eq!(entries(&summary, "invited"), []);
    assert!(
        summary["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("ThrottlingException")
    );
    assert_eq!(summary["requeued"][0]["attempt"], 2);
    drain_retries(&standins, &app).await;
    assert_eq!(invited_once_per_region(&standins, &account), ["us-east-1"]);
}

#[tokio::test]
async fn a_bare_http_429_is_retried_by_the_sdk() {
    let standins = Standins::start();
    let account = standins.new_account("bare429@example.com").await;
    standins
        .set_faults(json!({"rules": [{"kind": "http429", "operation": "GetMember", "count": 2}]}));
    let app = standins.app(&[]).await;

    let summary = invoke_ok(&app, json!({"accountIds": [account]})).await;

    assert_eq!(
        entries(&summary, "invited"),
        [(account, "us-east-1".to_owned())]
    );
    // Then GetMember says "no member" in one of real Macie's ways (404, 400 or 409).
    let statuses = standins.macie_statuses("GetMember");
    assert_eq!(statuses[..2], [429, 429]);
    assert!(matches!(statuses[2..], [404 | 400 | 409]), "{statuses:?}");
}

#[tokio::test]
async fn a_permanent_client_error_goes_straight_to_the_dead_letter_queue_with_what_to_do() {
    let standins = Standins::start();
    let account = standins.new_account("taken@example.com").await;
    standins.set_faults(json!({"rules": [{"kind": "unprocessed", "accountIds": [account], "errorCode": "ClientError",
        "errorMessage": "The account is already associated with a different administrator account."}]}));
    let app = standins.app(&[]).await;

    let summary = invoke_ok(&app, json!({"accountIds": [account]})).await;

    assert!(summary.get("requeued").is_none(), "{summary}");
    let queues = standins.queues().await;
    assert!(standins.drain(&queues.retry).await.is_empty());
    let dead = standins.drain(&queues.dead_letter).await;
    assert_eq!(dead.len(), 1);
    let letter = &dead[0].1;
    assert_eq!(letter["accountId"], account.as_str());
    assert_eq!(letter["regions"], json!(["us-east-1"]));
    assert_eq!(letter["attempts"], 1);
    assert!(
        letter["reason"]
            .as_str()
            .unwrap()
            .contains("disassociate it there"),
        "{letter}"
    );
    assert_eq!(summary["deadLettered"][0]["accountId"], account.as_str());
}

#[tokio::test]
async fn after_max_attempts_the_account_is_dead_lettered_with_the_reason_of_every_attempt() {
    let standins = Standins::start();
    let account = standins.new_account("hopeless@example.com").await;
    standins.set_faults(json!({"rules": [{"kind": "unprocessed", "accountIds": [account], "errorCode": "InternalError"}]}));
    let app = standins.app(&[("MAX_ATTEMPTS", "3")]).await;

    invoke_ok(&app, json!({"accountIds": [account]})).await;
    drain_retries(&standins, &app).await;

    assert_eq!(standins.macie_calls_of("CreateInvitations", None).len(), 3);
    let dead = standins.drain(&standins.queues().await.dead_letter).await;
    assert_eq!(dead.len(), 1);
    let letter = &dead[0].1;
    assert_eq!(letter["attempts"], 3);
    assert!(
        letter["reason"]
            .as_str()
            .unwrap()
            .contains("gave up after 3 attempts")
    );
    let history: Vec<&str> = letter["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(history.len(), 3, "{history:?}");
    for (n, reason) in history.iter().enumerate() {
        assert!(
            reason.starts_with(&format!("attempt {}: ", n + 1)) && reason.contains("InternalError"),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn at_the_deadline_no_call_starts_and_everything_is_requeued() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let first = organization.create_account("late1@example.com").await;
    let second = organization.create_account("late2@example.com").await;
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary =
        invoke_with_time_left(&app, json!({"accountIds": [first, second]}), Duration::ZERO)
            .await
            .unwrap();

    assert!(standins.macie_calls().is_empty());
    assert_eq!(
        summary["requeued"].as_array().unwrap().len(),
        2,
        "{summary}"
    );
    let messages = standins.drain(&standins.queues().await.retry).await;
    assert_eq!(messages.len(), 2);
    let response = invoke(&app, sqs_event(&messages)).await.unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(
        invited_once_per_region(&standins, &first),
        ["eu-west-1", "us-east-1"]
    );
    assert_eq!(
        invited_once_per_region(&standins, &second),
        ["eu-west-1", "us-east-1"]
    );
}

#[tokio::test]
async fn a_deadline_between_a_batchs_associations_and_its_invitation_loses_no_account_and_repeats_no_call()
 {
    // GIVEN three new accounts, and a Macie that takes a second to answer each call
    let standins = Standins::start();
    let organization = standins.organization().await;
    let accounts = organization.create_accounts("cut", 3).await;
    let app = standins.app(&[("MACIE_REGIONS", "us-east-1")]).await;
    standins.set_faults(json!({"rules": [], "latencyMs": 1000}));

    // WHEN the deadline falls while the CreateMember calls are on their way: the memberships are
    // read (1 s), the mode (1 s), then the three CreateMember calls start together (1 s); the
    // function stops starting calls a quarter of its time before the end, at 2.5 s of 3.33 s
    let summary = invoke_with_time_left(
        &app,
        json!({"accountIds": accounts}),
        Duration::from_millis(3_333),
    )
    .await
    .unwrap();

    // THEN the accounts are associated, not invited, and each goes back to the queue
    let associated = |standins: &Standins| standins.macie_calls_of("CreateMember", None).len();
    assert_eq!(associated(&standins), 3, "{summary:#}");
    assert!(
        standins
            .macie_calls_of("CreateInvitations", None)
            .is_empty()
    );
    let mut requeued: Vec<String> = entries(&summary, "requeued")
        .into_iter()
        .map(|(account, _)| account)
        .collect();
    requeued.sort();
    let mut expected = accounts.clone();
    expected.sort();
    assert_eq!(requeued, expected, "{summary:#}");

    // AND their retry invites each once, with no second CreateMember
    standins.set_faults(json!({"rules": []}));
    let responses = drain_retries(&standins, &app).await;
    assert!(
        responses
            .iter()
            .all(|response| *response == json!({"batchItemFailures": []}))
    );
    assert_eq!(associated(&standins), 3);
    for account in &accounts {
        assert_eq!(invited_once_per_region(&standins, account), ["us-east-1"]);
    }
}

#[tokio::test]
async fn a_duplicate_event_or_message_sends_no_second_invitation() {
    let standins = Standins::start();
    let account = standins.new_account("twice@example.com").await;
    standins.set_faults(json!({"rules": [
        {"kind": "unprocessed", "accountIds": [account], "errorCode": "InternalError", "count": 1}
    ]}));
    let app = standins.app(&[]).await;
    let event = json!({"accountIds": [account]});

    invoke(&app, event.clone()).await.unwrap();
    let messages = standins.drain(&standins.queues().await.retry).await;
    // The same message delivered twice in one batch, and again in a later one.
    let doubled = [messages.clone(), messages.clone()].concat();
    invoke(&app, sqs_event(&doubled)).await.unwrap();
    invoke(&app, sqs_event(&messages)).await.unwrap();
    let again = invoke(&app, event).await.unwrap();

    // Real Macie shows an invitation as Created, then EmailVerificationInProgress, before Invited.
    let status = again["alreadyMembers"][0]["status"].as_str();
    assert!(
        matches!(
            status,
            Some("Created" | "EmailVerificationInProgress" | "Invited")
        ),
        "{again:#}"
    );
    assert_eq!(invited_once_per_region(&standins, &account), ["us-east-1"]);
    assert_eq!(standins.macie_calls_of("CreateMember", None).len(), 1);
}

#[tokio::test]
async fn without_a_retry_queue_the_invocation_fails_and_lists_what_to_retry() {
    let standins = Standins::start();
    let account = standins.new_account("local@example.com").await;
    standins.set_faults(json!({"rules": [{"kind": "unprocessed", "accountIds": [account], "errorCode": "InternalError"}]}));
    let app = standins.app(&[("RETRY_QUEUE_URL", "")]).await;

    let error = invoke(&app, json!({"accountIds": [account]}))
        .await
        .unwrap_err();

    let message = error.to_string();
    assert!(
        message.contains(&format!("account {account} in us-east-1"))
            && message.contains("RETRY_QUEUE_URL"),
        "{message}"
    );
    let diagnostic: lambda_runtime::Diagnostic = error.into();
    assert_eq!(diagnostic.error_type, "MacieInvite.Retryable.RetryLater");
}

#[tokio::test]
async fn the_batch_response_names_only_unreadable_messages_and_those_that_could_not_be_requeued() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let fine = organization.create_account("fine@example.com").await;
    let stuck = organization.create_account("stuck@example.com").await;
    standins.set_faults(json!({"rules": [{"kind": "unprocessed", "accountIds": [stuck], "errorCode": "InternalError"}]}));
    // A retry queue that does not exist: re-queueing fails.
    let missing = format!("{}/123456789012/no-such-queue", standins.moto);
    let app = standins.app(&[("RETRY_QUEUE_URL", missing.as_str())]).await;
    let message = |id: &str, account: &str| {
        (
            id.to_owned(),
            json!({"accountId": account, "regions": ["us-east-1"], "attempt": 2, "history": ["attempt 1: x"]}),
        )
    };
    let mut event = sqs_event(&[message("m-fine", &fine), message("m-stuck", &stuck)]);
    let unreadable = json!({"messageId": "m-unreadable", "body": "{\"accountId\": 5}", "eventSource": "aws:sqs"});
    event["Records"].as_array_mut().unwrap().push(unreadable);

    let response = invoke(&app, event).await.unwrap();

    let mut failures: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|failure| failure["itemIdentifier"].as_str().unwrap())
        .collect();
    failures.sort();
    assert_eq!(failures, ["m-stuck", "m-unreadable"]);
    assert_eq!(invited_once_per_region(&standins, &fine), ["us-east-1"]);
}

#[tokio::test]
async fn a_dead_letter_moved_back_to_the_retry_queue_is_tried_again_from_the_first_attempt() {
    let standins = Standins::start();
    let account = standins.new_account("redriven@example.com").await;
    standins.set_faults(json!({"rules": [{"kind": "error", "operation": "CreateMember", "errorType": "ServiceQuotaExceededException", "count": 1}]}));
    let app = standins.app(&[]).await;

    invoke_ok(&app, json!({"accountIds": [account]})).await;
    let dead = standins.drain(&standins.queues().await.dead_letter).await;
    assert!(
        dead[0].1["reason"].as_str().unwrap().contains("quota"),
        "{dead:?}"
    );
    // The operator fixed the cause and moved the message back (start-message-move-task).
    let response = invoke(&app, sqs_event(&dead)).await.unwrap();

    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(invited_once_per_region(&standins, &account), ["us-east-1"]);
}

#[tokio::test]
async fn an_unknown_account_is_answered_at_once_to_an_operator_and_looked_for_again_for_an_event() {
    let standins = Standins::start();
    standins.organization().await;
    let app = standins.app(&[]).await;
    let queues = standins.queues().await;

    // WHEN an operator names an ID that the organization does not know
    let asked = invoke_ok(&app, json!({"accountIds": ["999988887777"]})).await;

    // THEN the answer says so at once, and nothing is re-queued or dead-lettered
    let reason = asked["failed"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("not an account of this organization"),
        "{asked:#}"
    );
    assert!(asked.get("requeued").is_none(), "{asked:#}");
    assert!(standins.drain(&queues.retry).await.is_empty());
    assert!(standins.drain(&queues.dead_letter).await.is_empty());

    // WHEN an event names it (right after a creation, Organizations may not show it yet)
    let event = crate::support::create_account_result("999988887777");
    let told = invoke_ok(&app, event).await;

    // THEN it is looked for again later
    assert_eq!(entries(&told, "requeued").len(), 1, "{told:#}");
    assert_eq!(standins.drain(&queues.retry).await.len(), 1);
}
