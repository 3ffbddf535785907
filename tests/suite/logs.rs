//! The logs of a run: JSON lines, one per account and region with its outcome (and one more for what
//! becomes of it when it is not done), and no email address.

use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex};

use crate::support::{SECRET_ACCESS_KEY, Standins, invoke, invoke_ok};
use lambda_runtime::tracing;
use lambda_runtime::tracing::Dispatch;
use lambda_runtime::tracing::Instrument;
use lambda_runtime::tracing::dispatcher::DefaultGuard;
use lambda_runtime::tracing::subscriber::filter::LevelFilter;
use lambda_runtime::tracing::subscriber::fmt::MakeWriter;
use serde_json::{Value, json};

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Makes `subscriber` this thread's default while the guard lives.
///
/// tracing-core caches each callsite's interest for the whole process, and while just one
/// dispatcher is registered it asks the registering thread's own default (tokio-rs/tracing#3611):
/// a test on another thread, with no subscriber, that reaches one of our log lines first while
/// this capture is the only dispatcher turns that line off for this capture too (a CI run lost the
/// INFO lines of a run that way). Two dispatchers that want nothing, registered before any capture
/// and for the whole run, keep tracing-core on its path over every registered dispatcher.
fn capture(subscriber: impl Into<Dispatch>) -> DefaultGuard {
    static ANCHORS: LazyLock<[Dispatch; 2]> = LazyLock::new(|| {
        [(); 2].map(|()| {
            Dispatch::new(
                tracing::subscriber::fmt()
                    .with_max_level(LevelFilter::OFF)
                    .finish(),
            )
        })
    });
    LazyLock::force(&ANCHORS);
    tracing::dispatcher::set_default(&subscriber.into())
}

#[tokio::test(flavor = "current_thread")]
async fn each_account_and_region_gets_one_json_line_with_its_outcome_and_no_email() {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let invited = organization
        .create_account("invited.owner@example.com")
        .await;
    let member = organization
        .create_account("member.owner@example.com")
        .await;
    let unprocessed = organization
        .create_account("unprocessed.owner@example.com")
        .await;
    standins.seed_member("eu-west-1", &member, "Enabled");
    standins.set_faults(
        json!({"rules": [{"kind": "unprocessed", "accountIds": [unprocessed],
        "errorMessage": "Could not reach unprocessed.owner@example.com"}]}),
    );
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let captured = Captured::default();
    let production = macie_invite::logging::subscriber(LevelFilter::INFO, true, captured.clone());
    let _guard = capture(production);
    // Inside the span that the runtime opens for each invocation, as in Lambda.
    let mut context = lambda_runtime::Context::default();
    context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".to_owned();
    context.xray_trace_id = Some("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700".to_owned());
    let span = lambda_runtime::layers::trace::request_span(&context);
    invoke(
        &app,
        json!({"accountIds": [invited, member, unprocessed, "999988887777"]}),
    )
    .instrument(span)
    .await
    .unwrap();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        !text.contains('@'),
        "a log line holds an email address:\n{text}"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let mut outcomes: Vec<(String, String, String, String)> = lines
        .iter()
        .filter_map(|line| {
            Some((
                line["account_id"].as_str()?.to_owned(),
                line["region"].as_str()?.to_owned(),
                line["outcome"].as_str()?.to_owned(),
                line["level"].as_str()?.to_owned(),
            ))
        })
        .collect();
    outcomes.sort();
    let mut expected = vec![
        (invited.clone(), "eu-west-1", "invited", "INFO"),
        (invited.clone(), "us-east-1", "invited", "INFO"),
        (member.clone(), "eu-west-1", "alreadyMember", "INFO"),
        (member.clone(), "us-east-1", "invited", "INFO"),
        (unprocessed.clone(), "eu-west-1", "unprocessed", "WARN"),
        (unprocessed.clone(), "eu-west-1", "requeued", "WARN"),
        (unprocessed.clone(), "us-east-1", "unprocessed", "WARN"),
        (unprocessed.clone(), "us-east-1", "requeued", "WARN"),
        // An operator's ID that the organization does not know: answered at once, never re-queued.
        ("999988887777".to_owned(), "", "failed", "WARN"),
    ];
    expected.sort();
    let expected: Vec<(String, String, String, String)> = expected
        .into_iter()
        .map(|(a, r, o, l)| (a, r.to_owned(), o.to_owned(), l.to_owned()))
        .collect();
    assert_eq!(outcomes, expected);
    let warning = lines
        .iter()
        .find(|line| line["outcome"] == "unprocessed")
        .unwrap();
    assert_eq!(warning["error_code"], "InternalError");
    assert_eq!(warning["error_message"], "Could not reach <redacted>");
    // AND the mode is logged as chosen, with why, and no exception's text where nothing failed
    let modes: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "enrollment mode chosen")
        .collect();
    assert_eq!(modes.len(), 2, "{text}");
    for line in modes {
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["mode"], "invitations");
        assert!(
            line["why"]
                .as_str()
                .unwrap()
                .contains("not the organization's delegated")
        );
        assert!(!line.to_string().contains("Exception"), "{line}");
    }
    // AND every line is in Lambda's own shape: timestamp, level, message and requestId first, the
    // event's fields beside them, the request ID once, and no span lists
    for line in &lines {
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys[..4],
            ["timestamp", "level", "message", "requestId"],
            "{line}"
        );
        assert_eq!(line["requestId"], "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        assert_eq!(
            line["xrayTraceId"],
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700"
        );
        for nested in ["fields", "span", "spans"] {
            assert!(line.get(nested).is_none(), "{nested} in {line}");
        }
        let text = line.to_string();
        assert_eq!(text.matches("8476a536").count(), 1, "{text}");
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(
            timestamp.starts_with("20") && timestamp.ends_with('Z'),
            "{timestamp}"
        );
    }
}

/// A full run at TRACE, with everything sensitive in play: the accounts' emails (one account is a
/// member already, whose email Macie's responses quote), an invitation message, the tests' secret
/// key, and the member account's credentials from AssumeRole.
async fn trace_of_a_full_run(
    subscriber: Box<dyn tracing::Subscriber + Send + Sync>,
    captured: &Captured,
) -> String {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let account = organization.create_account("trace.owner@example.com").await;
    let invited = organization
        .create_account("invited.owner@example.com")
        .await;
    standins.seed_member("us-east-1", &invited, "Invited");
    let app = standins
        .app(&[
            ("INVITATION_MESSAGE", "Confidential-welcome-text-9f3a"),
            ("ACCEPT_ROLE_NAME", "MacieInviteAccept"),
            ("MACIE_REGIONS", "us-east-1,eu-west-1"),
        ])
        .await;
    let _guard = capture(subscriber);
    let summary = invoke_ok(&app, json!({ "accountIds": [account, invited] })).await;
    // The invitations sent now show in the member accounts later: accepted by the retry.
    let retried = standins.retry_once_invitations_show(&app).await;
    assert_eq!(retried, json!({"batchItemFailures": []}));
    assert_eq!(
        summary["accepted"].as_array().map(Vec::len),
        Some(1),
        "{summary}"
    );
    assert_eq!(
        summary["requeued"].as_array().map(Vec::len),
        Some(3),
        "{summary}"
    );
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

fn leaks(text: &str) -> Vec<&'static str> {
    [
        ("an email address", text.contains('@')),
        (
            "the invitation message",
            text.contains("Confidential-welcome-text-9f3a"),
        ),
        ("the secret access key", text.contains(SECRET_ACCESS_KEY)),
        (
            "assumed-role credentials",
            text.contains("SecretAccessKey") || text.contains("SessionToken"),
        ),
    ]
    .into_iter()
    .filter_map(|(what, found)| found.then_some(what))
    .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn at_trace_level_no_log_line_holds_an_email_the_message_or_a_credential() {
    let captured = Captured::default();
    let production = macie_invite::logging::subscriber(LevelFilter::TRACE, true, captured.clone());
    let text = trace_of_a_full_run(production, &captured).await;
    // The capture works: the outcome lines are there.
    assert_eq!(
        text.matches("\"outcome\":\"accepted\"").count(),
        4,
        "{text}"
    );
    assert_eq!(leaks(&text), Vec::<&str>::new(), "in:\n{text}");

    // The same run, logged at TRACE without the production filter: the SDK quotes response bodies
    // (Macie's members, with their emails), so the check above is not vacuous.
    let unfiltered = Captured::default();
    let naive = tracing::subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(unfiltered.clone())
        .finish();
    let text = trace_of_a_full_run(Box::new(naive), &unfiltered).await;
    assert!(
        !leaks(&text).is_empty(),
        "the SDK logged nothing sensitive at TRACE"
    );
}
