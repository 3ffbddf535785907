//! The crate's one error type, and how each error is reported to the Lambda runtime.

/// Everything that can fail an invocation or the cold start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A setting (an environment variable) with a bad value: the cold start fails.
    #[error("setting {name} is invalid: {problem} (value: {value:?})")]
    InvalidSetting {
        /// The variable.
        name: &'static str,
        /// Its value, cut short.
        value: String,
        /// What is wrong with it.
        problem: String,
    },

    /// An event that is none of those the function accepts.
    #[error(
        "unsupported event: received {received}. A manual invocation is {{\"accountIds\": [...]}}, \
         {{\"createAccountRequestIds\": [...]}}, {{\"action\": \"reconcile\"}}, \
         {{\"action\": \"remove\", \"accountIds\": [...]}}, {{\"action\": \"adopt\"}} or \
         {{\"action\": \"check\"}} (optionally with \"regions\" and \"dryRun\"); the others are \
         EventBridge events (CreateAccountResult, CreateAccount, CreateGovCloudAccount, \
         AccountJoinedOrganization, AccountDepartedOrganization, CloseAccountResult, CloseAccount, \
         RemoveAccountFromOrganization, CreateManagedAccount, UpdateManagedAccount, schedules, account \
         factories' events) and the retry queue's messages (docs/triggers.md)"
    )]
    UnsupportedEvent {
        /// What was received instead.
        received: String,
    },

    /// An event of a known kind that does not hold what that kind must.
    #[error("malformed {event} event: {problem}")]
    MalformedEvent {
        /// The kind of event.
        event: &'static str,
        /// What is wrong with it.
        problem: String,
    },

    /// A value where an account ID belongs that is not one.
    #[error(
        "invalid account ID {value:?} at {field}: an account ID is a string of exactly 12 digits"
    )]
    InvalidAccountId {
        /// The value, cut short.
        value: String,
        /// Where it was.
        field: String,
    },

    /// An account ID given as a JSON number (or any other non-string).
    #[error(
        "invalid account ID {value:?} at {field}: it is a JSON {kind}, and an account ID must be a \
         string, in quotes (\"111122223333\"), so that its leading zeros survive"
    )]
    AccountIdNotAString {
        /// The value, cut short.
        value: String,
        /// Where it was.
        field: String,
        /// The JSON kind it has.
        kind: &'static str,
    },

    /// A value where a creation request ID belongs that is not one.
    #[error(
        "invalid account creation request ID {value:?} at {field}: expected car- and 8 to 32 lowercase letters or digits"
    )]
    InvalidRequestId {
        /// The value, cut short.
        value: String,
        /// Where it was.
        field: String,
    },

    /// A value where a region name belongs that is not one.
    #[error("invalid region {value:?} at {field}: expected a region name such as us-east-1")]
    InvalidRegion {
        /// The value, cut short.
        value: String,
        /// Where it was.
        field: String,
    },

    /// A region named outside MACIE_REGIONS.
    #[error(
        "region {region} is not one of MACIE_REGIONS ({allowed}): the function acts only in the \
         regions it is configured for; name only those, or add the region to MacieRegions"
    )]
    RegionNotAllowed {
        /// The region named.
        region: String,
        /// MACIE_REGIONS.
        allowed: String,
    },

    /// An event that names more accounts than MAX_ACCOUNTS_PER_EVENT.
    #[error(
        "the event names {count} accounts and creation requests, more than MAX_ACCOUNTS_PER_EVENT \
         ({limit}); nothing was done: split it, or run a reconcile ({{\"action\": \"reconcile\"}})"
    )]
    TooManyAccounts {
        /// How many the event names.
        count: usize,
        /// MAX_ACCOUNTS_PER_EVENT.
        limit: usize,
    },

    /// Work that could be neither done nor kept on a queue: the invocation fails so that Lambda retries it.
    #[error(
        "{} could not be finished and there is no queue to keep them (RETRY_QUEUE_URL, or sending to it failed): {}; \
         invoke again with them",
        unfinished.len(),
        unfinished.join("; ")
    )]
    RetryLater {
        /// What was not finished, and why it was not sent.
        unfinished: Vec<String>,
    },

    /// A call that failed after the SDK's own retries: the facts of it. Whether another attempt may
    /// pass is the failure policy's decision (`failure::is_transient`).
    #[error("{service} {operation} failed: {message}")]
    Service {
        /// The service called.
        service: &'static str,
        /// The operation that failed.
        operation: &'static str,
        /// The service's error code, where it sent one.
        code: Option<String>,
        /// The HTTP status of the answer, when there was one.
        status: Option<u16>,
        /// No answer came, or one that could not be read (a timeout, a connection error).
        transport: bool,
        /// What the service said, without email addresses.
        message: String,
        /// What the service meant, where its adapter reads its words (Macie's: `aws::macie_words`).
        meaning: Option<Meaning>,
    },
}

/// What a service's words mean, where a decision rests on them: read by the service's adapter,
/// decided on by the failure policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// The account has no relationship with this administrator (GetMember's other ways of saying so).
    NoMember,
    /// Macie is not enabled for the caller in the region (every call there answers so).
    MacieOff,
    /// The caller is not the organization's delegated Macie administrator in the region (Macie's
    /// answer to DescribeOrganizationConfiguration): it adds accounts by invitation there.
    NotOrganizationAdministrator,
    /// The administrator's quota of members is reached.
    QuotaReached,
    /// An account left unprocessed that no retry can help, and what the operator must do.
    Lasting(&'static str),
}

impl Error {
    /// A malformed event of this kind, and what is wrong with it.
    pub(crate) fn malformed(event: &'static str, problem: impl Into<String>) -> Self {
        Error::MalformedEvent {
            event,
            problem: problem.into(),
        }
    }

    /// The error, with what `read` makes of its code and message (a service error only).
    pub(crate) fn read_as(mut self, read: impl Fn(&str, &str) -> Option<Meaning>) -> Self {
        if let Error::Service {
            code: Some(code),
            message,
            meaning,
            ..
        } = &mut self
        {
            *meaning = read(code, message);
        }
        self
    }

    /// What the service meant, where its adapter read it.
    pub(crate) fn meaning(&self) -> Option<Meaning> {
        match self {
            Error::Service { meaning, .. } => *meaning,
            _ => None,
        }
    }

    /// The service's error code, for service errors that carry one.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            Error::Service { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The operation that failed, for service errors.
    pub(crate) fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Service { operation, .. } => Some(operation),
            _ => None,
        }
    }

    /// A stable name for the kind of error, for the runtime's errorType and for alarms; a service
    /// error is named by the failure policy, after whether it may pass later.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Error::InvalidSetting { .. } => "InvalidSetting",
            Error::UnsupportedEvent { .. } => "UnsupportedEvent",
            Error::MalformedEvent { .. } => "MalformedEvent",
            Error::InvalidAccountId { .. } | Error::AccountIdNotAString { .. } => {
                "InvalidAccountId"
            }
            Error::InvalidRegion { .. } => "InvalidRegion",
            Error::RegionNotAllowed { .. } => "RegionNotAllowed",
            Error::InvalidRequestId { .. } => "InvalidRequestId",
            Error::TooManyAccounts { .. } => "TooManyAccounts",
            Error::RetryLater { .. } => "RetryLater",
            Error::Service { .. } => "Service",
        }
    }
}
