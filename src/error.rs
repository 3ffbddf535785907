//! The crate's one error type, and how each error is reported to the Lambda runtime.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use lambda_runtime::Diagnostic;

use crate::outcome::redact_emails;

/// Everything that can fail an invocation or the cold start.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("setting {name} is invalid: {problem} (value: {value:?})")]
    InvalidSetting {
        name: &'static str,
        value: String,
        problem: String,
    },

    #[error(
        "unsupported event: received {received}; accepted: EventBridge events of Organizations \
         (CreateAccountResult, CreateAccount, CreateGovCloudAccount, AccountJoinedOrganization), \
         of Control Tower (CreateManagedAccount, UpdateManagedAccount), scheduled events (a reconcile), \
         custom events whose detail has accountId, accountIds or createAccountRequestId, and manual \
         invocations {{\"accountIds\": [...], \"createAccountRequestIds\": [...], \"regions\": [...]}} \
         or {{\"action\": \"reconcile\"}}, and messages of the function's own retry queue (retries, and redriven dead letters, \
         Lambda destination records and EventBridge events)"
    )]
    UnsupportedEvent { received: String },

    #[error("malformed {event} event: {problem}")]
    MalformedEvent {
        event: &'static str,
        problem: String,
    },

    #[error(
        "invalid account ID {value:?} at {field}: an account ID is a string of exactly 12 digits"
    )]
    InvalidAccountId { value: String, field: String },

    #[error(
        "invalid account creation request ID {value:?} at {field}: expected car- and 8 to 32 lowercase letters or digits"
    )]
    InvalidRequestId { value: String, field: String },

    #[error("invalid region {value:?} at {field}: expected a region name such as us-east-1")]
    InvalidRegion { value: String, field: String },

    #[error(
        "region {region} is not one of MACIE_REGIONS ({allowed}): the function acts only in the \
         regions it is configured for; name only those, or add the region to MacieRegions"
    )]
    RegionNotAllowed { region: String, allowed: String },

    #[error(
        "the event names {count} accounts and creation requests, more than MAX_ACCOUNTS_PER_EVENT \
         ({limit}); nothing was done: split it, or run a reconcile ({{\"action\": \"reconcile\"}})"
    )]
    TooManyAccounts { count: usize, limit: usize },

    #[error(
        "{} could not be finished and there is no queue to keep them (RETRY_QUEUE_URL, or sending to it failed): {}; \
         invoke again with them",
        unfinished.len(),
        unfinished.join("; ")
    )]
    RetryLater { unfinished: Vec<String> },

    #[error("{service} {operation} failed: {message}")]
    Service {
        service: &'static str,
        operation: &'static str,
        code: Option<String>,
        message: String,
        retryable: bool,
    },
}

/// Input text quoted in an error, cut short: events can be forged and large.
pub fn excerpt(text: &str) -> String {
    cut(text, 64)
}

/// A longer explanation that may quote input (a decoder's message), cut short likewise.
pub fn clip(text: &str) -> String {
    cut(text, 300)
}

fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Error codes that say the request may succeed later, as the SDK's retry classifier sees them.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "TooManyRequestsException",
    "InternalServerException",
    "ServiceException",
    "RequestTimeout",
];

impl Error {
    /// Converts an SDK error, after the SDK's own retries, into ours.
    pub fn from_sdk<E>(
        service: &'static str,
        operation: &'static str,
        error: SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let code = error.code().map(str::to_owned);
        let status = error
            .raw_response()
            .map(|response| response.status().as_u16());
        let retryable = match &error {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(_) => {
                code.as_deref()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
                    || status.is_some_and(|status| status == 429 || status >= 500)
            }
            _ => false,
        };
        let message = match (&code, error.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.clone(),
            _ => DisplayErrorContext(&error).to_string(),
        };
        Error::Service {
            service,
            operation,
            code,
            message: redact_emails(&message),
            retryable,
        }
    }

    /// Whether the same request may succeed later (throttling, 5xx, timeouts), as opposed to input
    /// that will fail every time.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Service {
                retryable: true,
                ..
            } | Error::RetryLater { .. }
        )
    }

    /// The service's error code, for service errors that carry one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The operation that failed, for service errors.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Service { operation, .. } => Some(operation),
            _ => None,
        }
    }

    /// A stable name for the kind of error, for the runtime's errorType and for alarms.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidSetting { .. } => "InvalidSetting",
            Error::UnsupportedEvent { .. } => "UnsupportedEvent",
            Error::MalformedEvent { .. } => "MalformedEvent",
            Error::InvalidAccountId { .. } => "InvalidAccountId",
            Error::InvalidRegion { .. } => "InvalidRegion",
            Error::RegionNotAllowed { .. } => "RegionNotAllowed",
            Error::InvalidRequestId { .. } => "InvalidRequestId",
            Error::TooManyAccounts { .. } => "TooManyAccounts",
            Error::RetryLater { .. } => "RetryLater",
            Error::Service {
                retryable: true, ..
            } => "ServiceUnavailable",
            Error::Service { .. } => "ServiceError",
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Diagnostic {
        let retry = if error.is_retryable() {
            "Retryable"
        } else {
            "Permanent"
        };
        Diagnostic {
            error_type: format!("MacieInvite.{retry}.{}", error.kind()),
            error_message: error.to_string(),
        }
    }
}
