//! What every SDK client shares: its settings (bounded retries, timeouts, throttling recognized by
//! status), and how its errors are read into ours, at the adapters' edge.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime::client::retries::classifiers::HttpStatusCodeClassifier;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::Error;
use crate::quote::redact_emails;

/// One HTTPS client (rustls with AWS-LC, the SDK's default) for every SDK client of the process.
/// Left to themselves, the clients would each build their own, and each would parse the platform's
/// root certificates again: about 2 ms apiece, the largest part of the function's init. Shared, the
/// roots are parsed once and the clients share one connection pool.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

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
macro_rules! client_config {
    ($service:ident, $sdk_config:expr) => {
        $service::config::Builder::from($sdk_config)
            .retry_config($crate::aws::sdk::retry_config())
            .timeout_config($crate::aws::sdk::timeout_config())
            .retry_classifier($crate::aws::sdk::throttling_by_status())
            .build()
    };
}
pub(crate) use client_config;

/// Organizations' client configuration: `sdk_config` with the shared settings.
pub fn organizations_config(sdk_config: &aws_config::SdkConfig) -> aws_sdk_organizations::Config {
    client_config!(aws_sdk_organizations, sdk_config)
}

/// SQS's client configuration: `sdk_config` with the shared settings.
pub fn sqs_config(sdk_config: &aws_config::SdkConfig) -> aws_sdk_sqs::Config {
    client_config!(aws_sdk_sqs, sdk_config)
}

/// STS's client configuration: `sdk_config` with the shared settings.
pub fn sts_config(sdk_config: &aws_config::SdkConfig) -> aws_sdk_sts::Config {
    client_config!(aws_sdk_sts, sdk_config)
}

/// An SDK error, after the SDK's own retries, in our terms: the one place the SDK's errors are
/// read.
pub(crate) fn read_sdk_error<E>(
    service: &'static str,
    operation: &'static str,
    error: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = error.code().map(str::to_owned);
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    // No answer, or one that could not be read: the call may pass later.
    let transport = matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    );
    let message = match (&code, error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.clone(),
        _ => DisplayErrorContext(&error).to_string(),
    };
    Error::Service {
        service,
        operation,
        code,
        status,
        transport,
        message: redact_emails(&message),
        meaning: None,
    }
}

/// A call's answer, or `None` where the service said that what was asked for is not there
/// (`absent` reads its error, as the SDK models it); any other error in our terms. How every adapter
/// says "not found".
pub(crate) fn found<T, E>(
    service: &'static str,
    operation: &'static str,
    result: Result<T, SdkError<E, HttpResponse>>,
    absent: impl FnOnce(&E) -> bool,
) -> Result<Option<T>, Error>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(answer) => Ok(Some(answer)),
        Err(error) if error.as_service_error().is_some_and(absent) => Ok(None),
        Err(error) => Err(read_sdk_error(service, operation, error)),
    }
}
