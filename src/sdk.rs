//! The settings every SDK client shares: bounded retries, timeouts, and throttling recognized by status.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime::client::retries::classifiers::HttpStatusCodeClassifier;

/// Standard mode, 4 attempts, backoff from 0.5 s to at most 5 s with jitter: a throttled or failing
/// call is tried for about 4 s at most, then its account goes to the retry queue, which waits
/// minutes rather than seconds. Adaptive mode's client-side rate limit would slow every call after
/// one throttle; the bounded concurrency of the workflow keeps the request rate down instead.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(500))
        .with_max_backoff(Duration::from_secs(5))
}

/// A call that hangs is cut short and retried: 3 s to connect, 10 s for one attempt, 30 s for a call
/// with its retries, well inside the function's timeout.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build()
}

/// The SDK's own classifiers retry throttling only when the response names an error type; this one
/// also retries a bare HTTP 429, as a proxy or a service front end may send.
pub fn throttling_by_status() -> HttpStatusCodeClassifier {
    const THROTTLED: &[u16] = &[429];
    HttpStatusCodeClassifier::new_from_codes(THROTTLED)
}

/// The configuration of a client of the SDK crate `$service` (such as `aws_sdk_sqs`): `$sdk_config`
/// (endpoint, region, credentials) with the shared retry, timeout and throttling settings above.
#[macro_export]
macro_rules! client_config {
    ($service:ident, $sdk_config:expr) => {
        $service::config::Builder::from($sdk_config)
            .retry_config($crate::sdk::retry_config())
            .timeout_config($crate::sdk::timeout_config())
            .retry_classifier($crate::sdk::throttling_by_status())
            .build()
    };
}
