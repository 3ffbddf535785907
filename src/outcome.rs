//! What happened to each account in each region: the reports, their log lines and the invocation's summary.

use lambda_runtime::tracing;
use serde::Serialize;

use crate::domain::{AccountId, Origin, Region, Subject, Unprocessed};
use crate::quote::redact_emails;

/// Why a call failed, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Throttling, 5xx, a timeout or a connection error that outlasted the SDK's retries: may pass.
    Transient,
    /// Organizations does not know the account: right after a creation it may not yet.
    NotInOrganization,
    /// Will fail again until someone acts; the reason says what to do.
    Permanent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Invited,
    /// Invited and accepted in the member account (ACCEPT_ROLE_NAME): an Enabled member.
    Accepted,
    /// DRY_RUN: what would be done, in order (associate, invite, accept).
    Planned {
        actions: Vec<&'static str>,
    },
    AlreadyMember {
        status: String,
    },
    Skipped {
        reason: String,
    },
    Unprocessed {
        error_code: String,
        error_message: String,
    },
    Failed {
        reason: String,
        kind: FailureKind,
    },
    /// Not done in this invocation (a creation still in progress, say): to try again.
    Pending {
        reason: String,
    },
    /// Not started: the invocation's deadline was near. Re-queued as it is; counted and listed as pending.
    Deferred,
}

/// Why deferred work was not done, as the summary and the logs say it.
pub const DEFERRED: &str = "the invocation's deadline was near; left for the next attempt";

impl Outcome {
    pub fn skipped(reason: impl Into<String>) -> Self {
        Outcome::Skipped {
            reason: redact_emails(&reason.into()),
        }
    }

    /// A failure that no retry can mend.
    pub fn failed(reason: impl Into<String>) -> Self {
        Outcome::Failed {
            reason: redact_emails(&reason.into()),
            kind: FailureKind::Permanent,
        }
    }

    pub fn not_in_organization() -> Self {
        Outcome::Failed {
            reason: "not an account of this organization (DescribeAccount: AccountNotFoundException, or absent from ListAccounts)"
                .to_owned(),
            kind: FailureKind::NotInOrganization,
        }
    }

    pub fn pending(reason: impl Into<String>) -> Self {
        Outcome::Pending {
            reason: reason.into(),
        }
    }

    pub fn unprocessed(unprocessed: &Unprocessed) -> Self {
        Outcome::Unprocessed {
            error_code: unprocessed.error_code.clone(),
            error_message: redact_emails(&unprocessed.error_message),
        }
    }

    /// The name used for the outcome in log lines.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Invited => "invited",
            Outcome::Accepted => "accepted",
            Outcome::Planned { .. } => "planned",
            Outcome::AlreadyMember { .. } => "alreadyMember",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Unprocessed { .. } => "unprocessed",
            Outcome::Failed { .. } => "failed",
            Outcome::Pending { .. } | Outcome::Deferred => "pending",
        }
    }

    /// The status, reason or error message, where the outcome has one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Outcome::Invited | Outcome::Accepted | Outcome::Planned { .. } => None,
            Outcome::AlreadyMember { status } => Some(status),
            Outcome::Skipped { reason }
            | Outcome::Failed { reason, .. }
            | Outcome::Pending { reason } => Some(reason),
            Outcome::Deferred => Some(DEFERRED),
            Outcome::Unprocessed { error_message, .. } => Some(error_message),
        }
    }

    /// The reason an attempt did not finish the work, for the retry history.
    pub fn attempt_reason(&self) -> String {
        match self {
            Outcome::Unprocessed {
                error_code,
                error_message,
            } => format!("unprocessed by CreateInvitations: {error_code}: {error_message}"),
            other => other.detail().unwrap_or(other.name()).to_owned(),
        }
    }
}

/// The outcome for one subject, in one region where a region applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub subject: Subject,
    pub region: Option<Region>,
    pub outcome: Outcome,
    pub origin: Origin,
}

impl Report {
    pub fn new(
        subject: Subject,
        region: Option<Region>,
        outcome: Outcome,
        origin: &Origin,
    ) -> Self {
        Report {
            subject,
            region,
            outcome,
            origin: origin.clone(),
        }
    }

    pub fn account(
        account_id: &AccountId,
        region: Option<&Region>,
        outcome: Outcome,
        origin: &Origin,
    ) -> Self {
        Report::new(
            Subject::Account(account_id.clone()),
            region.cloned(),
            outcome,
            origin,
        )
    }

    /// One structured log line; the level says whether someone must act: INFO for what needs
    /// nothing more, WARN for what is not done.
    pub fn log(&self) {
        let (account_id, _) = subject_ids(&self.subject);
        let region = self.region.as_ref().map_or("", Region::as_str);
        let outcome = self.outcome.name();
        let attempt = self.origin.attempt;
        let detail = self.outcome.detail().unwrap_or("");
        match &self.outcome {
            Outcome::Invited => {
                tracing::info!(account_id, region, outcome, attempt, "account invited")
            }
            Outcome::Accepted => tracing::info!(
                account_id,
                region,
                outcome,
                attempt,
                "account invited and accepted: an enabled member"
            ),
            Outcome::Planned { actions } => tracing::info!(
                account_id,
                region,
                outcome,
                attempt,
                actions = actions.join(", "),
                "dry run: would act"
            ),
            Outcome::AlreadyMember { .. } => {
                let status = detail;
                tracing::info!(
                    account_id,
                    region,
                    outcome,
                    attempt,
                    status,
                    "account already a member"
                )
            }
            Outcome::Skipped { .. } => {
                let reason = detail;
                tracing::info!(
                    account_id,
                    region,
                    outcome,
                    attempt,
                    reason,
                    "account skipped"
                )
            }
            _ => self.log_not_done(),
        }
    }

    /// The WARN line of what is not done: unprocessed, failed, or left for later.
    fn log_not_done(&self) {
        let (account_id, create_account_request_id) = subject_ids(&self.subject);
        let region = self.region.as_ref().map_or("", Region::as_str);
        let outcome = self.outcome.name();
        let attempt = self.origin.attempt;
        match &self.outcome {
            Outcome::Unprocessed {
                error_code,
                error_message,
            } => tracing::warn!(
                account_id,
                region,
                outcome,
                attempt,
                error_code = error_code.as_str(),
                error_message = error_message.as_str(),
                "account unprocessed by CreateInvitations"
            ),
            _ => {
                let what = if matches!(self.outcome, Outcome::Failed { .. }) {
                    "call failed"
                } else {
                    "not done in this invocation"
                };
                tracing::warn!(
                    account_id,
                    create_account_request_id,
                    region,
                    outcome,
                    attempt,
                    reason = self.outcome.detail().unwrap_or(""),
                    "{what}"
                )
            }
        }
    }
}

/// The account ID and the creation request ID of a subject, as log fields ("" where none).
pub fn subject_ids(subject: &Subject) -> (&str, &str) {
    match subject {
        Subject::Account(id) => (id.as_str(), ""),
        Subject::Request(id) => ("", id.as_str()),
        Subject::Reconcile => ("", ""),
    }
}

/// A failed account creation: nothing to invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationFailure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_account_request_id: Option<String>,
    pub failure_reason: String,
}

impl CreationFailure {
    pub fn log(&self) {
        tracing::warn!(
            create_account_request_id = self.create_account_request_id.as_deref().unwrap_or(""),
            failure_reason = self.failure_reason.as_str(),
            outcome = "creationFailed",
            "account creation failed; nothing to invite"
        );
    }
}

/// A known event that adds no account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotAnAddition {
    pub event: String,
    pub reason: String,
}

impl NotAnAddition {
    pub fn log(&self) {
        tracing::warn!(
            event = self.event.as_str(),
            reason = self.reason.as_str(),
            outcome = "ignored",
            "event adds no account"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(value: &str) -> AccountId {
        AccountId::parse(value, "test").unwrap()
    }

    #[test]
    fn email_addresses_are_redacted_from_reasons_and_messages() {
        let outcome = Outcome::unprocessed(&Unprocessed {
            account_id: id("111111111111"),
            error_code: "ClientError".into(),
            error_message: "owner@example.com is taken".into(),
        });
        assert_eq!(outcome.detail(), Some("<redacted> is taken"));
    }
}
