//! What an invocation asks the function to do, in our own types: the decoders' output.

use crate::domain::{AccountId, CreateAccountRequestId, Region, Work};
use crate::error::Error;
use crate::outcome::{CreationFailure, NotAnAddition};
use crate::quote::excerpt;

/// What an invocation asks the function to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Invite accounts, named directly or through their creation requests.
    Invite(Request),
    /// Remove the members of accounts that left the organization or are closing (named by a
    /// departure event, a CloseAccount call or a manual removal): in each region, the members that
    /// the function enrolled, once the organization confirms that the account departed.
    RemoveDeparted(Request),
    /// Invite every account of the organization that is not a member yet.
    Reconcile {
        /// `None`: every region of MACIE_REGIONS.
        regions: Option<Vec<Region>>,
    },
    /// Tag as enrolled by this function the members whose accounts are ACTIVE in the organization
    /// and that lack the tag (enrolled before it existed), so that they are removed once they depart.
    Adopt {
        /// `None`: every region of MACIE_REGIONS.
        regions: Option<Vec<Region>>,
    },
    /// A known event that adds no account to invite: report it, call nothing.
    Ignore(Ignored),
    /// Invite the accounts that joined the organization around an `AccountJoinedOrganization` event
    /// that named none: they are found in the organization's listing by their join time.
    InviteRecentJoins(RecentJoins),
    /// Messages from the retry queue: each with what it asks for, or why it cannot be read.
    Retry(Vec<Delivery>),
    /// The preflight: verify what the function needs, change nothing; try the accept role in `accounts`.
    Check {
        /// The accounts to try the accept role in.
        accounts: Vec<AccountId>,
    },
    /// A manual invocation's `"dryRun": true`: the trigger's decisions reported, nothing changed,
    /// whatever DRY_RUN says.
    DryRun(Box<Trigger>),
}

/// One message of the retry queue: its SQS message ID, and what it holds or why it cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The SQS message ID.
    pub message_id: String,
    /// What the message holds, or why it cannot be read.
    pub content: Result<MessageContent, Error>,
}

/// What a message of the retry queue holds.
#[derive(Debug, PartialEq, Eq)]
pub enum MessageContent {
    /// A retry (or a redriven dead letter) of one account or creation request.
    Work(Work),
    /// An event that reached no invocation, redriven by the operator from the dead-letter queue: an
    /// on-failure destination record of Lambda (its `requestPayload`), or an event that a rule could
    /// not deliver (EventBridge writes the event itself to the target's dead-letter queue).
    Event(Box<Trigger>),
}

/// The accounts to look for after a join that names no account: those that joined within an hour
/// before the event's time (or a quarter of an hour after it, for clocks apart), other than the
/// accounts the event itself speaks for.
#[derive(Debug, PartialEq, Eq)]
pub struct RecentJoins {
    /// The event's time, in seconds since the epoch; `None` when it has none (then: now).
    pub around: Option<i64>,
    /// The management account (the event's `account`) and the caller: never the joined account.
    pub not: Vec<AccountId>,
}

impl RecentJoins {
    /// How long before the event's time an account may have joined to count as this join.
    pub const BEFORE_SECONDS: i64 = 3_600;
    /// How long after it, for clocks and records that disagree.
    pub const AFTER_SECONDS: i64 = 900;
}

/// The accounts an event names (validated, possibly with duplicates).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The accounts named.
    pub account_ids: Vec<AccountId>,
    /// The creation requests named, whose accounts are looked up.
    pub create_account_request_ids: Vec<CreateAccountRequestId>,
    /// Chooses among MACIE_REGIONS for this invocation (manual invocations only).
    pub regions: Option<Vec<Region>>,
    /// A manual invocation: an operator named these accounts.
    pub by_operator: bool,
}

/// A known event that calls for no invitation, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// An account creation that failed, with the service's reason.
    CreationFailed(CreationFailure),
    /// An event of a known source that adds no account.
    NotAnAddition(NotAnAddition),
}

impl Ignored {
    /// Its one log line.
    pub fn log(&self) {
        match self {
            Ignored::CreationFailed(failure) => failure.log(),
            Ignored::NotAnAddition(event) => event.log(),
        }
    }
}

impl Trigger {
    /// Invite these accounts.
    pub(super) fn invite_accounts(account_ids: Vec<AccountId>) -> Trigger {
        Trigger::Invite(Request {
            account_ids,
            ..Request::default()
        })
    }

    /// A known event that adds no account, and why.
    pub(super) fn not_an_addition(event: &str, reason: &str) -> Trigger {
        Trigger::Ignore(Ignored::NotAnAddition(NotAnAddition {
            event: excerpt(event),
            reason: reason.to_owned(),
        }))
    }
}
