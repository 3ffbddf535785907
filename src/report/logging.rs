//! The log subscriber: Lambda's JSON or text format and level (AWS_LAMBDA_LOG_FORMAT,
//! AWS_LAMBDA_LOG_LEVEL, as lambda_runtime's default subscriber reads them), JSON lines in Lambda's
//! own shape, with the SDK and the
//! HTTP stack held at INFO whatever the level. At DEBUG and TRACE those crates log request and
//! response bodies (which hold account emails and the invitation message), headers and signing
//! material (which hold credentials); no log line may carry any of them.

use std::str::FromStr;

use lambda_runtime::tracing::field::{Field, Visit};
use lambda_runtime::tracing::subscriber::filter::{LevelFilter, Targets};
use lambda_runtime::tracing::subscriber::fmt::format::{JsonFields, Writer};
use lambda_runtime::tracing::subscriber::fmt::time::{FormatTime, SystemTime};
use lambda_runtime::tracing::subscriber::fmt::{
    FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter,
};
use lambda_runtime::tracing::subscriber::layer::SubscriberExt;
use lambda_runtime::tracing::subscriber::registry::LookupSpan;
use lambda_runtime::tracing::{Event, Subscriber};
use serde_json::{Map, Value};

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
/// Lambda's FATAL, which tracing lacks, is its ERROR (Lambda's log levels: the Lambda developer
/// guide, "advanced logging controls").
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

/// Our events at `level`; the quieted crates' at `level` or INFO, whichever is less verbose. A
/// crate name and a level are all it holds, so it is a `Targets` filter, not an `EnvFilter`: that
/// one parses its directives with regular expressions, compiled at every cold start.
pub fn filter(level: LevelFilter) -> Targets {
    let quiet = level.min(LevelFilter::INFO);
    Targets::new()
        .with_default(level)
        .with_targets(QUIETED.iter().map(|target| (*target, quiet)))
}

/// The subscriber, writing to `writer`: JSON lines in Lambda's own shape ([`LambdaJson`]) when
/// `json`, else text.
pub fn subscriber<W>(level: LevelFilter, json: bool, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level)
        .with_writer(writer);
    if json {
        Box::new(
            builder
                .fmt_fields(JsonFields::new())
                .event_format(LambdaJson)
                .finish()
                .with(filter(level)),
        )
    } else {
        Box::new(builder.finish().with(filter(level)))
    }
}

/// The keys of a JSON line that Lambda's own JSON log format puts first ("advanced logging
/// controls" in the Lambda developer guide): an event's field of the same name is left out.
const LAMBDA_KEYS: [&str; 4] = ["timestamp", "level", "message", "requestId"];

/// One JSON object a line, as Lambda writes its own: `timestamp` (RFC 3339), `level`, `message` and
/// `requestId` first, then the event's fields beside them, and the invocation span's other fields
/// (`xrayTraceId`) once; no span lists. CloudWatch Logs Insights reads each key as a field.
pub struct LambdaJson;

impl<S, N> FormatEvent<S, N> for LambdaJson
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    N: for<'writer> FormatFields<'writer> + 'static,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut fields = Map::new();
        // The spans' fields (the runtime's requestId and xrayTraceId), outermost first; JsonFields
        // kept them as a JSON object.
        for span in context
            .event_scope()
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            let extensions = span.extensions();
            let recorded = extensions
                .get::<FormattedFields<N>>()
                .and_then(|formatted| serde_json::from_str::<Map<String, Value>>(formatted).ok());
            fields.extend(recorded.into_iter().flatten());
        }
        event.record(&mut FieldVisitor(&mut fields));
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        fields.insert("timestamp".into(), Value::String(timestamp));
        let level = event.metadata().level().as_str();
        fields.insert("level".into(), Value::String(level.into()));
        // Lambda's keys first, in its order, then the rest: written pair by pair, since a JSON map
        // need not keep the order it was given.
        let first: Vec<(String, Value)> = LAMBDA_KEYS
            .iter()
            .filter_map(|key| Some((key.to_string(), fields.remove(*key)?)))
            .collect();
        let pairs: Vec<String> = first
            .into_iter()
            .chain(fields)
            .map(|(key, value)| format!("{}:{value}", Value::String(key)))
            .collect();
        writeln!(writer, "{{{}}}", pairs.join(","))
    }
}

/// Records an event's fields as JSON values.
struct FieldVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for FieldVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.into()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::String(value.to_string()));
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
