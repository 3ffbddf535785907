//! Test support: the local stand-ins (moto_server and the Macie stand-in) in a child process, an
//! organization in moto, the real adapters pointed at them, and the real handler driven with an event.
#![allow(dead_code)] // each test crate uses its own part of this module

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region as SdkRegion, SdkConfig};
use aws_sdk_organizations::config::Credentials;
use aws_sdk_organizations::types::CreateAccountState;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use lambda_runtime::{Context, LambdaEvent};
use macie_invite::domain::Region;
use macie_invite::macie::Macie;
use macie_invite::organizations::Organizations;
use macie_invite::queue::Queue;
use macie_invite::{App, Config};
use serde_json::{Value, json};

/// moto's default account: it manages the organization and runs the function.
pub const ADMINISTRATOR: &str = "123456789012";

/// The tests' credentials (the stand-ins accept any): distinctive, so that a test can tell whether
/// a log line quotes them.
pub const ACCESS_KEY_ID: &str = "AKIDMACIEINVITETESTS";
pub const SECRET_ACCESS_KEY: &str = "secret-of-the-tests-never-logged";
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:macie-invite";

/// The stand-ins, stopped when this is dropped (their process exits when its stdin closes).
pub struct Standins {
    child: Child,
    _stdin: ChildStdin,
    pub moto: String,
    pub macie: String,
    queues: tokio::sync::OnceCell<Queues>,
}

/// An endpoint where nothing listens: a port bound, then freed.
fn unreachable_endpoint() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", closed.local_addr().unwrap())
}

/// The URLs of the function's queues in moto.
pub struct Queues {
    pub retry: String,
    pub dead_letter: String,
}

impl Standins {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts the stand-ins with an organization that holds every account the sample events name.
    pub fn start_with_samples() -> Self {
        Self::start_with(&["--sample-organization"])
    }

    /// Starts the stand-ins with these arguments of serve.py.
    pub fn start_with(arguments: &[&str]) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/serve.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--exit-with-stdin")
            .args(arguments)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs tests/standins/serve.py (pip install -r requirements-dev.txt)");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let endpoints: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the stand-ins did not start: {line:?}"));
        Standins {
            child,
            _stdin: stdin,
            moto: endpoints["moto"].as_str().unwrap().to_owned(),
            macie: endpoints["macie"].as_str().unwrap().to_owned(),
            queues: tokio::sync::OnceCell::new(),
        }
    }

    /// Every call the Macie stand-in received, in order.
    pub fn macie_calls(&self) -> Vec<Value> {
        let calls = get_json(&format!("{}/_standin/calls", self.macie));
        calls["calls"].as_array().unwrap().clone()
    }

    /// The calls of one operation, optionally in one region.
    pub fn macie_calls_of(&self, operation: &str, region: Option<&str>) -> Vec<Value> {
        self.macie_calls()
            .into_iter()
            .filter(|call| call["operation"] == operation)
            .filter(|call| region.is_none_or(|region| call["region"] == region))
            .collect()
    }

    /// The HTTP status of each call of one operation, in order.
    pub fn macie_statuses(&self, operation: &str) -> Vec<u64> {
        self.macie_calls_of(operation, None)
            .iter()
            .map(|call| call["status"].as_u64().unwrap())
            .collect()
    }

    /// The calls moto served, by operation (X-Amz-Target, or the path for the query protocols).
    pub fn moto_calls(&self) -> BTreeMap<String, u64> {
        let calls = get_json(&format!("{}/_standin/calls", self.moto));
        serde_json::from_value(calls["calls"].clone()).unwrap()
    }

    /// Every member the Macie stand-in keeps, by region and account.
    pub fn macie_members(&self) -> Value {
        get_json(&format!("{}/_standin/members", self.macie))
    }

    /// The account's relationship status with the administrator in `region`, as the stand-in keeps it.
    pub fn member_status(&self, region: &str, account_id: &str) -> Option<String> {
        let members = get_json(&format!("{}/_standin/members", self.macie));
        members[region][account_id]["relationshipStatus"]
            .as_str()
            .map(str::to_owned)
    }

    pub fn seed_member(&self, region: &str, account_id: &str, status: &str) {
        self.post(
            "/_standin/members",
            json!({"region": region, "accountId": account_id, "relationshipStatus": status}),
        );
    }

    /// A member as this function enrolls one: with its enrollment tag.
    pub fn seed_enrolled_member(&self, region: &str, account_id: &str, status: &str) {
        let (key, value) = macie_invite::macie::ENROLLMENT_TAG;
        self.post(
            "/_standin/members",
            json!({"region": region, "accountId": account_id, "relationshipStatus": status,
                   "tags": {key: value}}),
        );
    }

    /// Forgets the Macie stand-in's members, calls and faults.
    /// The administrator's own Macie in `region` (the stand-in's /_standin/account: `macieStatus`
    /// ENABLED, PAUSED or null for not enabled; `administrator` when it is itself a member).
    pub fn set_own_macie(&self, region: &str, mut settings: Value) {
        settings["region"] = json!(region);
        self.post("/_standin/account", settings);
    }

    pub fn reset_macie(&self) {
        self.post("/_standin/reset", json!({}));
    }

    pub fn set_faults(&self, faults: Value) {
        self.post("/_standin/faults", faults);
    }

    /// How the Macie stand-in words its answers (`noMember`, `invitationLagSeconds`: its
    /// `State.set_dialect`); by default it answers as real Macie does.
    pub fn set_dialect(&self, dialect: Value) {
        self.post("/_standin/dialect", dialect);
    }

    /// Waits until the invitations sent so far show as Invited: the stand-in keeps them Created,
    /// then EmailVerificationInProgress, for its default lag (1 s each), as real Macie does for minutes.
    pub async fn wait_for_invitations(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    }

    /// Waits for the invitations to show, then invokes the function with every message of the
    /// retry queue, as its event source mapping would once their delay is over.
    pub async fn retry_once_invitations_show(&self, app: &App) -> Value {
        self.wait_for_invitations().await;
        let messages = self.drain(&self.queues().await.retry).await;
        assert!(!messages.is_empty(), "nothing was re-queued");
        invoke(app, sqs_event(&messages)).await.unwrap()
    }

    /// Automated discovery in the Macie stand-in (its /_standin/discovery): the administrator's
    /// own status in `region`, a member's status, or a member's month-to-date costs.
    pub fn set_discovery(&self, region: &str, mut settings: Value) {
        settings["region"] = json!(region);
        self.post("/_standin/discovery", settings);
    }

    /// A member's automated-discovery status, as the Macie stand-in keeps it (ENABLED by default).
    pub fn discovery_of(&self, region: &str, account_id: &str) -> String {
        let members = self.macie_members();
        let member = &members[region][account_id];
        assert!(member.is_object(), "no member {account_id} in {region}");
        member["discovery"].as_str().unwrap_or("ENABLED").to_owned()
    }

    fn post(&self, path: &str, body: Value) {
        ureq::post(format!("{}{path}", self.macie))
            .send_json(body)
            .unwrap();
    }

    /// Sets the account's `State` and `Status` in moto's Organizations (`None`: absent from its
    /// answers), as serve.py's `/_standin/account-state` does.
    pub fn set_account_state(&self, account_id: &str, state: Option<&str>, status: Option<&str>) {
        ureq::post(format!("{}/_standin/account-state", self.moto))
            .send_json(json!({"accountId": account_id, "state": state, "status": status}))
            .unwrap();
    }

    /// Completes the closure of an account that CloseAccount left PENDING_CLOSURE: `State` CLOSED,
    /// and the retired `Status` SUSPENDED, as Organizations answers.
    pub fn complete_closure(&self, account_id: &str) {
        self.set_account_state(account_id, Some("CLOSED"), Some("SUSPENDED"));
    }

    /// AWS suspends the account (`State` and `Status` SUSPENDED): restricted, still in the
    /// organization, and it may be reinstated.
    pub fn suspend_account(&self, account_id: &str) {
        self.set_account_state(account_id, Some("SUSPENDED"), Some("SUSPENDED"));
    }

    /// The SDK configuration production loads, with the endpoint, region and credentials of a test.
    pub async fn sdk_config(endpoint: &str, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .http_client(macie_invite::sdk::https_client())
            .region(SdkRegion::new(region.to_owned()))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "tests",
            ))
            .load()
            .await
    }

    /// The production adapters, pointed at the stand-ins, with `settings` as the environment.
    pub async fn app(&self, settings: &[(&str, &str)]) -> App {
        self.counted_app(settings, &CallCounter::default()).await
    }

    /// The same, with every Organizations call (each attempt) counted by `counter`. The retry and
    /// dead-letter queues are moto's (RETRY_BASE_DELAY_SECONDS 0) unless `settings` names others ("" for none).
    /// BACKFILL is on unless `settings` says otherwise: a test's organization is made before the
    /// retry queue, so with the function's default every account would be one from before the
    /// deployment, only planned for (tests/suite/reconcile.rs tests that default).
    pub async fn counted_app(&self, settings: &[(&str, &str)], counter: &CallCounter) -> App {
        let queues = self.queues().await;
        let mut settings = settings.to_vec();
        for (name, value) in [
            ("RETRY_QUEUE_URL", queues.retry.as_str()),
            ("DEAD_LETTER_QUEUE_URL", queues.dead_letter.as_str()),
            ("RETRY_BASE_DELAY_SECONDS", "0"),
            ("BACKFILL", "true"),
        ] {
            if !settings.iter().any(|(key, _)| *key == name) {
                settings.push((name, value));
            }
        }
        let config = settings_config(&settings).expect("valid settings");
        // The production configuration, with the counter added.
        let organizations_config = macie_invite::sdk::organizations_config(
            &Self::sdk_config(&self.moto, "us-east-1").await,
        )
        .to_builder()
        .interceptor(counter.clone())
        .build();
        let organizations = Organizations::new(aws_sdk_organizations::Client::from_conf(
            organizations_config,
        ));
        let macie = Macie::new(
            &Self::sdk_config(&self.macie, "us-east-1").await,
            &Self::sdk_config(&self.moto, "us-east-1").await,
            &config.regions,
        );
        let queue = Queue::new(aws_sdk_sqs::Client::from_conf(
            macie_invite::sdk::sqs_config(&Self::sdk_config(&self.moto, "us-east-1").await),
        ));
        let sts = macie_invite::sts::Sts::new(aws_sdk_sts::Client::from_conf(
            macie_invite::sdk::sts_config(&Self::sdk_config(&self.moto, "us-east-1").await),
        ));
        App {
            config,
            organizations,
            macie,
            queue,
            sts,
            metrics: quiet_metrics(),
        }
    }

    /// `app` with an STS that cannot be reached: no role can be assumed, as when a brand-new account
    /// has no role yet.
    pub async fn without_sts(&self, app: App) -> App {
        let unreachable = unreachable_endpoint();
        App {
            macie: Macie::new(
                &Self::sdk_config(&self.macie, "us-east-1").await,
                &Self::sdk_config(&unreachable, "us-east-1").await,
                &app.config.regions,
            ),
            ..app
        }
    }

    /// `app` with an STS that cannot be reached for GetCallerIdentity: where the function's ARN
    /// names no account, nothing else says which it is.
    pub async fn without_caller_identity(&self, app: App) -> App {
        let unreachable = unreachable_endpoint();
        let config =
            macie_invite::sdk::sts_config(&Self::sdk_config(&unreachable, "us-east-1").await);
        App {
            sts: macie_invite::sts::Sts::new(aws_sdk_sts::Client::from_conf(config)),
            ..app
        }
    }

    /// The retry and dead-letter queues in moto's SQS, created on first use.
    pub async fn queues(&self) -> &Queues {
        self.queues
            .get_or_init(|| async {
                let sqs = self.sqs().await;
                let mut urls = Vec::new();
                for name in ["macie-invite-retry", "macie-invite-dead-letter"] {
                    let output = sqs.create_queue().queue_name(name).send().await.unwrap();
                    urls.push(output.queue_url().unwrap().to_owned());
                }
                Queues {
                    dead_letter: urls.pop().unwrap(),
                    retry: urls.pop().unwrap(),
                }
            })
            .await
    }

    async fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&Self::sdk_config(&self.moto, "us-east-1").await)
    }

    /// Takes every message now visible on the queue: (message ID, body).
    pub async fn drain(&self, queue_url: &str) -> Vec<(String, Value)> {
        let sqs = self.sqs().await;
        let mut messages = Vec::new();
        loop {
            let output = sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            if output.messages().is_empty() {
                return messages;
            }
            for message in output.messages() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
                messages.push((
                    message.message_id().unwrap().to_owned(),
                    serde_json::from_str(message.body().unwrap()).unwrap(),
                ));
            }
        }
    }

    /// A new organization in moto, managed by ADMINISTRATOR.
    pub async fn organization(&self) -> Organization {
        let client =
            aws_sdk_organizations::Client::new(&Self::sdk_config(&self.moto, "us-east-1").await);
        client
            .create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        Organization { client }
    }

    /// A new organization in moto with one new ACTIVE account of this email: its ID.
    pub async fn new_account(&self, email: &str) -> String {
        self.organization().await.create_account(email).await
    }
}

impl Drop for Standins {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Counts the calls that a client sends, by operation, every attempt included.
#[derive(Clone, Debug, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl CallCounter {
    pub fn count(&self, operation: &str) -> usize {
        self.0.lock().unwrap().get(operation).copied().unwrap_or(0)
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = config
            .load::<Metadata>()
            .map_or("unknown", Metadata::name)
            .to_owned();
        *self.0.lock().unwrap().entry(operation).or_default() += 1;
        Ok(())
    }
}

/// A stand-in's control endpoint's JSON answer.
fn get_json(url: &str) -> Value {
    ureq::get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
}

pub fn settings_config(settings: &[(&str, &str)]) -> Result<Config, macie_invite::Error> {
    let lookup = |name: &str| {
        settings
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
            .or_else(|| (name == "AWS_REGION").then(|| "us-east-1".to_owned()))
    };
    Config::from_lookup(lookup)
}

/// The organization in moto, managed by ADMINISTRATOR.
pub struct Organization {
    client: aws_sdk_organizations::Client,
}

impl Organization {
    /// Creates an account and returns its ID.
    pub async fn create_account(&self, email: &str) -> String {
        let output = self
            .client
            .create_account()
            .email(email)
            .account_name(email.split('@').next().unwrap())
            .send()
            .await
            .unwrap();
        let status = output.create_account_status().unwrap();
        assert_eq!(status.state(), Some(&CreateAccountState::Succeeded));
        status.account_id().unwrap().to_owned()
    }

    /// Creates `count` accounts, `{prefix}0@example.com` onwards, one after another, and returns
    /// their IDs in that order.
    pub async fn create_accounts(&self, prefix: &str, count: usize) -> Vec<String> {
        let mut accounts = Vec::with_capacity(count);
        for n in 0..count {
            let email = format!("{prefix}{n}@example.com");
            accounts.push(self.create_account(&email).await);
        }
        accounts
    }

    /// The ID of the organization's root.
    pub async fn root(&self) -> String {
        let output = self.client.list_roots().send().await.unwrap();
        output.roots()[0].id().unwrap().to_owned()
    }

    /// Creates an organizational unit under `parent` (a root or OU ID) and returns its ID.
    pub async fn create_unit(&self, parent: &str, name: &str) -> String {
        let output = self
            .client
            .create_organizational_unit()
            .parent_id(parent)
            .name(name)
            .send()
            .await
            .unwrap();
        output
            .organizational_unit()
            .unwrap()
            .id()
            .unwrap()
            .to_owned()
    }

    /// Moves the account from the root into the organizational unit `unit`.
    pub async fn move_account(&self, account_id: &str, unit: &str) {
        let root = self.root().await;
        self.move_account_from(account_id, &root, unit).await;
    }

    /// Moves the account from `from` into `to` (a root or unit ID each).
    pub async fn move_account_from(&self, account_id: &str, from: &str, to: &str) {
        self.client
            .move_account()
            .account_id(account_id)
            .source_parent_id(from)
            .destination_parent_id(to)
            .send()
            .await
            .unwrap();
    }

    /// Requests the account's closure (CloseAccount): it is PENDING_CLOSURE until
    /// `Standins::complete_closure`, as Organizations documents.
    pub async fn close_account(&self, account_id: &str) {
        self.client
            .close_account()
            .account_id(account_id)
            .send()
            .await
            .unwrap();
    }
}

/// The metric lines of the tests' functions, kept from the test output.
pub fn quiet_metrics() -> macie_invite::metrics::MetricsOut {
    macie_invite::metrics::MetricsOut::new(std::io::sink())
}

/// A writer whose bytes a test can read afterwards.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn lines(&self) -> Vec<Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

pub fn region(name: &str) -> Region {
    Region::parse(name, "test").unwrap()
}

/// Drives the real handler as the Lambda runtime would, with 5 minutes to go, and returns its response as JSON.
pub async fn invoke(app: &App, payload: Value) -> Result<Value, macie_invite::Error> {
    invoke_with_time_left(app, payload, std::time::Duration::from_secs(300)).await
}

/// Invokes the handler, which must succeed: its answer.
pub async fn invoke_ok(app: &App, payload: Value) -> Value {
    invoke(app, payload).await.unwrap()
}

/// The same, with the invocation's deadline `time_left` from now.
pub async fn invoke_with_time_left(
    app: &App,
    payload: Value,
    time_left: std::time::Duration,
) -> Result<Value, macie_invite::Error> {
    invoke_with(app, payload, time_left, FUNCTION_ARN).await
}

/// The same, as the function of `function_arn` (another account or region than FUNCTION_ARN's).
pub async fn invoke_as(
    app: &App,
    payload: Value,
    function_arn: &str,
) -> Result<Value, macie_invite::Error> {
    invoke_with(
        app,
        payload,
        std::time::Duration::from_secs(300),
        function_arn,
    )
    .await
}

async fn invoke_with(
    app: &App,
    payload: Value,
    time_left: std::time::Duration,
    function_arn: &str,
) -> Result<Value, macie_invite::Error> {
    let mut context = Context::default();
    context.invoked_function_arn = function_arn.to_owned();
    context.request_id = "test-request".to_owned();
    let deadline = std::time::SystemTime::now() + time_left;
    context.deadline = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    macie_invite::handle(LambdaEvent::new(payload, context), app)
        .await
        .map(|response| serde_json::to_value(response).unwrap())
}

/// An SQS event that delivers these retry messages, as Lambda's event source mapping would.
pub fn sqs_event(messages: &[(String, Value)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(message_id, body)| {
            json!({
                "messageId": message_id,
                "receiptHandle": format!("handle-{message_id}"),
                "body": body.to_string(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764150000000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:macie-invite-retry",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The reconcile's tally of `region` in a summary.
pub fn region_tally<'a>(summary: &'a Value, region: &str) -> &'a Value {
    summary["reconcile"]["regions"]
        .as_array()
        .expect("a reconcile's summary lists its regions")
        .iter()
        .find(|tally| tally["region"] == region)
        .unwrap_or_else(|| panic!("no tally of {region} in {summary}"))
}

pub fn sample_event(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The CreateAccountResult sample, naming `account_id` as the new account.
pub fn create_account_result(account_id: &str) -> Value {
    let mut event = sample_event("create-account-result.json");
    event["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] = json!(account_id);
    event
}

/// The account IDs of one list of the summary, with their regions.
pub fn entries(summary: &Value, list: &str) -> Vec<(String, String)> {
    summary[list]
        .as_array()
        .unwrap_or_else(|| panic!("summary has no list {list}: {summary}"))
        .iter()
        .map(|entry| {
            (
                entry["accountId"].as_str().unwrap().to_owned(),
                entry["region"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}
