//! What happened to each account in each region: the reports, their log lines and the invocation's summary.

use lambda_runtime::tracing;
use serde::Serialize;

use crate::domain::{AccountId, CreateAccountRequestId, Origin, Region, Subject, Unprocessed};
use crate::error::Error;

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
    /// Not done in this invocation (a creation still in progress, or the deadline near): to try again.
    Pending {
        reason: String,
    },
}

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

    /// A failed call, transient or permanent as the error says; permanent ones say what to do.
    pub fn from_error(error: &Error) -> Self {
        let (kind, advice) = if error.is_retryable() {
            (FailureKind::Transient, None)
        } else {
            (
                FailureKind::Permanent,
                crate::plan::advice(error.code(), error.operation()),
            )
        };
        let reason = match advice {
            Some(advice) => format!("{error}. {advice}"),
            None => error.to_string(),
        };
        Outcome::Failed {
            reason: redact_emails(&reason),
            kind,
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
            Outcome::Pending { .. } => "pending",
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

    /// One structured log line; the level says whether someone must act.
    pub fn log(&self) {
        let (account_id, create_account_request_id) = subject_ids(&self.subject);
        let region = self.region.as_ref().map_or("", Region::as_str);
        let outcome = self.outcome.name();
        let attempt = self.origin.attempt;
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
            Outcome::AlreadyMember { status } => tracing::info!(
                account_id,
                region,
                outcome,
                attempt,
                status = status.as_str(),
                "account already a member"
            ),
            Outcome::Skipped { reason } => tracing::info!(
                account_id,
                region,
                outcome,
                attempt,
                reason = reason.as_str(),
                "account skipped"
            ),
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
            Outcome::Failed { reason, .. } | Outcome::Pending { reason } => {
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
                    reason = reason.as_str(),
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
    }
}

/// One entry of the summary: the subject, the region, and what applies of status, reason and error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_account_request_id: Option<CreateAccountRequestId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// For re-queued work: the attempt the retry will be, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<u32>,
    /// DRY_RUN: the actions that would be taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<&'static str>>,
}

impl Entry {
    pub fn new(subject: &Subject, region: Option<&Region>) -> Self {
        let (account_id, create_account_request_id) = match subject {
            Subject::Account(id) => (Some(id.clone()), None),
            Subject::Request(id) => (None, Some(id.clone())),
        };
        Entry {
            account_id,
            create_account_request_id,
            region: region.cloned(),
            status: None,
            reason: None,
            error_code: None,
            error_message: None,
            attempt: None,
            delay_seconds: None,
            actions: None,
        }
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

/// A known event that adds no account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotAnAddition {
    pub event: String,
    pub reason: String,
}

/// What a reconcile found, and what it did in each region. In every region the five counts add up to
/// `accountsInOrganization`: an account skipped before any regional work counts as skipped in each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    pub accounts_in_organization: usize,
    pub regions: Vec<RegionTally>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionTally {
    pub region: Region,
    /// Members that ListMembers returned, in any relationship; absent when the listing failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_found: Option<usize>,
    pub invited: usize,
    pub already_members: usize,
    pub skipped: usize,
    pub unprocessed: usize,
    pub failed: usize,
}

impl RegionTally {
    /// Counts the outcomes in `region`, and those that apply to every region.
    pub fn count(region: &Region, members_found: Option<usize>, reports: &[Report]) -> Self {
        let mut tally = RegionTally {
            region: region.clone(),
            members_found,
            invited: 0,
            already_members: 0,
            skipped: 0,
            unprocessed: 0,
            failed: 0,
        };
        for report in reports
            .iter()
            .filter(|r| r.region.as_ref().is_none_or(|r| r == region))
        {
            *match report.outcome {
                Outcome::Invited | Outcome::Accepted | Outcome::Planned { .. } => {
                    &mut tally.invited
                }
                Outcome::AlreadyMember { .. } => &mut tally.already_members,
                Outcome::Skipped { .. } => &mut tally.skipped,
                Outcome::Unprocessed { .. } => &mut tally.unprocessed,
                Outcome::Failed { .. } | Outcome::Pending { .. } => &mut tally.failed,
            } += 1;
        }
        tally
    }
}

/// What the invocation returns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// DRY_RUN: the decisions are reported, and nothing was done.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    pub invited: Vec<Entry>,
    /// Invited and accepted in the member account: Enabled members (ACCEPT_ROLE_NAME).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<Entry>,
    /// DRY_RUN: what would be done for each account and region.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<Entry>,
    pub already_members: Vec<Entry>,
    pub skipped: Vec<Entry>,
    pub unprocessed: Vec<Entry>,
    pub failed: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Entry>,
    /// Work sent to the retry queue: the attempt it will be, and its delay.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requeued: Vec<Entry>,
    /// Work sent to the dead-letter queue, with what the operator must do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dead_lettered: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub creations_failed: Vec<CreationFailure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<NotAnAddition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconciliation>,
}

impl Summary {
    /// Sorts the reports into the summary, ordered by subject and region.
    pub fn from_reports(reports: &[Report]) -> Self {
        let mut reports: Vec<&Report> = reports.iter().collect();
        reports.sort_by(|a, b| (&a.subject, &a.region).cmp(&(&b.subject, &b.region)));
        let mut summary = Summary::default();
        for report in reports {
            let mut entry = Entry::new(&report.subject, report.region.as_ref());
            let list = match &report.outcome {
                Outcome::Invited => &mut summary.invited,
                Outcome::Accepted => &mut summary.accepted,
                Outcome::Planned { actions } => {
                    entry.actions = Some(actions.clone());
                    &mut summary.planned
                }
                Outcome::AlreadyMember { status } => {
                    entry.status = Some(status.clone());
                    &mut summary.already_members
                }
                Outcome::Skipped { reason } => {
                    entry.reason = Some(reason.clone());
                    &mut summary.skipped
                }
                Outcome::Unprocessed {
                    error_code,
                    error_message,
                } => {
                    entry.error_code = Some(error_code.clone());
                    entry.error_message = Some(error_message.clone());
                    &mut summary.unprocessed
                }
                Outcome::Failed { reason, .. } => {
                    entry.reason = Some(reason.clone());
                    &mut summary.failed
                }
                Outcome::Pending { reason } => {
                    entry.reason = Some(reason.clone());
                    &mut summary.pending
                }
            };
            list.push(entry);
        }
        summary
    }
}

/// Replaces every word that holds an `@` with `<redacted>`: service messages may quote an email
/// address, and no email address may reach a log line or the summary.
pub fn redact_emails(text: &str) -> String {
    if !text.contains('@') {
        return text.to_owned();
    }
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "<redacted>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(value: &str) -> AccountId {
        AccountId::parse(value, "test").unwrap()
    }

    fn region(value: &str) -> Option<Region> {
        Some(Region::parse(value, "test").unwrap())
    }

    fn report(account: &str, region: Option<Region>, outcome: Outcome) -> Report {
        Report::new(
            Subject::Account(id(account)),
            region,
            outcome,
            &Origin::first(&[]),
        )
    }

    #[test]
    fn the_summary_lists_each_outcome_with_its_details_in_account_and_region_order() {
        let summary = Summary::from_reports(&[
            report("222222222222", region("us-east-1"), Outcome::Invited),
            report("111111111111", region("us-east-1"), Outcome::Invited),
            report(
                "333333333333",
                region("eu-west-1"),
                Outcome::AlreadyMember {
                    status: "Enabled".into(),
                },
            ),
            report(
                "444444444444",
                None,
                Outcome::skipped("listed in EXCLUDED_ACCOUNT_IDS"),
            ),
            report(
                "555555555555",
                region("us-east-1"),
                Outcome::Unprocessed {
                    error_code: "InternalError".into(),
                    error_message: "try again".into(),
                },
            ),
            report(
                "666666666666",
                None,
                Outcome::failed("not in the organization"),
            ),
        ]);
        assert_eq!(
            serde_json::to_value(summary).unwrap(),
            json!({
                "invited": [
                    {"accountId": "111111111111", "region": "us-east-1"},
                    {"accountId": "222222222222", "region": "us-east-1"}
                ],
                "alreadyMembers": [{"accountId": "333333333333", "region": "eu-west-1", "status": "Enabled"}],
                "skipped": [{"accountId": "444444444444", "reason": "listed in EXCLUDED_ACCOUNT_IDS"}],
                "unprocessed": [{
                    "accountId": "555555555555", "region": "us-east-1",
                    "errorCode": "InternalError", "errorMessage": "try again"
                }],
                "failed": [{"accountId": "666666666666", "reason": "not in the organization"}]
            })
        );
    }

    #[test]
    fn email_addresses_are_redacted_from_reasons_and_messages() {
        assert_eq!(
            redact_emails("The email address owner@example.com, is invalid"),
            "The email address <redacted> is invalid"
        );
        assert_eq!(redact_emails("no address here"), "no address here");
        let outcome = Outcome::unprocessed(&Unprocessed {
            account_id: id("111111111111"),
            error_code: "ClientError".into(),
            error_message: "owner@example.com is taken".into(),
        });
        assert_eq!(outcome.detail(), Some("<redacted> is taken"));
    }
}
