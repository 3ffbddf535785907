//! The log subscriber: Lambda's JSON or text format and level (AWS_LAMBDA_LOG_FORMAT,
//! AWS_LAMBDA_LOG_LEVEL, as lambda_runtime's default subscriber reads them), with the SDK and the
//! HTTP stack held at INFO whatever the level. At DEBUG and TRACE those crates log request and
//! response bodies (which hold account emails and the invitation message), headers and signing
//! material (which hold credentials); no log line may carry any of them.

use std::str::FromStr;

use lambda_runtime::tracing::Subscriber;
use lambda_runtime::tracing::subscriber::filter::{EnvFilter, LevelFilter};
use lambda_runtime::tracing::subscriber::fmt::MakeWriter;

/// The crates whose debug and trace events can quote bodies, headers or credentials.
const QUIETED: &[&str] = &[
    "aws_config",
    "aws_credential_types",
    "aws_runtime",
    "aws_sdk_macie2",
    "aws_sdk_organizations",
    "aws_sdk_sqs",
    "aws_sdk_sts",
    "aws_sigv4",
    "aws_smithy_http_client",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_types",
    "h2",
    "hyper",
    "hyper_util",
    "rustls",
];

/// The level of AWS_LAMBDA_LOG_LEVEL, else of RUST_LOG (a level only: per-crate directives are not
/// honoured, so that no setting can open the SDK's trace), else INFO.
/// Lambda's FATAL, which tracing lacks, is its ERROR (aws-facts.md, "Lambda and EventBridge delivery").
pub fn level(lambda_level: Option<&str>, rust_log: Option<&str>) -> LevelFilter {
    lambda_level
        .or(rust_log)
        .map(str::trim)
        .and_then(|level| {
            if level.eq_ignore_ascii_case("FATAL") {
                Some(LevelFilter::ERROR)
            } else {
                LevelFilter::from_str(level).ok()
            }
        })
        .unwrap_or(LevelFilter::INFO)
}

/// Our events at `level`; the quieted crates' at `level` or INFO, whichever is less verbose.
pub fn filter(level: LevelFilter) -> EnvFilter {
    let quiet = level.min(LevelFilter::INFO);
    QUIETED.iter().fold(
        EnvFilter::default().add_directive(level.into()),
        |filter, target| {
            let directive = format!("{target}={quiet}")
                .parse()
                .expect("a crate name and a level make a directive");
            filter.add_directive(directive)
        },
    )
}

/// The subscriber, writing to `writer`: JSON lines when `json`, else text.
pub fn subscriber<W>(level: LevelFilter, json: bool, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(level))
        .with_writer(writer);
    if json {
        Box::new(builder.json().finish())
    } else {
        Box::new(builder.finish())
    }
}

/// Installs the subscriber for the process, as Lambda configures it, writing to standard output.
pub fn init() {
    let env = |name| std::env::var(name).ok();
    let json =
        env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format.eq_ignore_ascii_case("json"));
    let level = level(
        env("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        env("RUST_LOG").as_deref(),
    );
    lambda_runtime::tracing::subscriber::util::SubscriberInitExt::init(subscriber(
        level,
        json,
        std::io::stdout,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_comes_from_lambda_then_rust_log_then_info() {
        assert_eq!(level(Some("TRACE"), Some("warn")), LevelFilter::TRACE);
        assert_eq!(level(None, Some("warn")), LevelFilter::WARN);
        assert_eq!(
            level(None, Some("aws_smithy_runtime=trace")),
            LevelFilter::INFO
        );
        assert_eq!(level(Some("nonsense"), None), LevelFilter::INFO);
        assert_eq!(level(None, None), LevelFilter::INFO);
    }

    #[test]
    fn lambdas_fatal_level_logs_errors_only() {
        assert_eq!(level(Some("FATAL"), None), LevelFilter::ERROR);
        assert_eq!(level(Some("fatal"), Some("trace")), LevelFilter::ERROR);
    }

    #[test]
    fn the_sdk_is_held_at_info_and_never_made_more_verbose_than_the_level() {
        let trace = filter(LevelFilter::TRACE).to_string();
        assert!(trace.contains("aws_smithy_runtime=info"), "{trace}");
        assert!(trace.contains("aws_sigv4=info"), "{trace}");
        let warn = filter(LevelFilter::WARN).to_string();
        assert!(warn.contains("aws_smithy_runtime=warn"), "{warn}");
    }
}
