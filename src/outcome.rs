//! What happened to each account in each region: the reports, their log lines and the invocation's summary.

use lambda_runtime::tracing;
use serde::Serialize;

use crate::domain::{AccountId, Region, Unprocessed};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Invited,
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
    },
}

impl Outcome {
    pub fn skipped(reason: impl Into<String>) -> Self {
        Outcome::Skipped {
            reason: redact_emails(&reason.into()),
        }
    }

    pub fn failed(reason: impl Into<String>) -> Self {
        Outcome::Failed {
            reason: redact_emails(&reason.into()),
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
            Outcome::AlreadyMember { .. } => "alreadyMember",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Unprocessed { .. } => "unprocessed",
            Outcome::Failed { .. } => "failed",
        }
    }

    /// The status, reason or error message, where the outcome has one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Outcome::Invited => None,
            Outcome::AlreadyMember { status } => Some(status),
            Outcome::Skipped { reason } | Outcome::Failed { reason } => Some(reason),
            Outcome::Unprocessed { error_message, .. } => Some(error_message),
        }
    }
}

/// The outcome for one account, in one region where a region applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub account_id: AccountId,
    pub region: Option<Region>,
    pub outcome: Outcome,
}

impl Report {
    pub fn new(account_id: AccountId, region: Option<Region>, outcome: Outcome) -> Self {
        Report {
            account_id,
            region,
            outcome,
        }
    }

    /// One structured log line; the level says whether someone must act.
    pub fn log(&self) {
        let account_id = self.account_id.as_str();
        let region = self.region.as_ref().map_or("", Region::as_str);
        let outcome = self.outcome.name();
        match &self.outcome {
            Outcome::Invited => tracing::info!(account_id, region, outcome, "account invited"),
            Outcome::AlreadyMember { status } => {
                tracing::info!(
                    account_id,
                    region,
                    outcome,
                    status = status.as_str(),
                    "account already a member"
                )
            }
            Outcome::Skipped { reason } => {
                tracing::info!(
                    account_id,
                    region,
                    outcome,
                    reason = reason.as_str(),
                    "account skipped"
                )
            }
            Outcome::Unprocessed {
                error_code,
                error_message,
            } => tracing::warn!(
                account_id,
                region,
                outcome,
                error_code = error_code.as_str(),
                error_message = error_message.as_str(),
                "account unprocessed by CreateInvitations"
            ),
            Outcome::Failed { reason } => {
                tracing::error!(
                    account_id,
                    region,
                    outcome,
                    reason = reason.as_str(),
                    "account failed"
                )
            }
        }
    }
}

/// One entry of the summary: the account, the region, and what applies of status, reason and error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub account_id: AccountId,
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
}

/// A failed account creation: nothing to invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationFailure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_account_request_id: Option<String>,
    pub failure_reason: String,
}

/// An account creation that has not finished yet, or could not be looked up: to try again later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    pub create_account_request_id: String,
    pub reason: String,
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
                Outcome::Invited => &mut tally.invited,
                Outcome::AlreadyMember { .. } => &mut tally.already_members,
                Outcome::Skipped { .. } => &mut tally.skipped,
                Outcome::Unprocessed { .. } => &mut tally.unprocessed,
                Outcome::Failed { .. } => &mut tally.failed,
            } += 1;
        }
        tally
    }
}

/// What the invocation returns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub invited: Vec<Entry>,
    pub already_members: Vec<Entry>,
    pub skipped: Vec<Entry>,
    pub unprocessed: Vec<Entry>,
    pub failed: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub creations_failed: Vec<CreationFailure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Pending>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<NotAnAddition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconciliation>,
}

impl Summary {
    /// Sorts the reports into the summary, ordered by account and region.
    pub fn from_reports(mut reports: Vec<Report>) -> Self {
        reports.sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
        let mut summary = Summary::default();
        for report in reports {
            let mut entry = Entry {
                account_id: report.account_id,
                region: report.region,
                status: None,
                reason: None,
                error_code: None,
                error_message: None,
            };
            let list = match report.outcome {
                Outcome::Invited => &mut summary.invited,
                Outcome::AlreadyMember { status } => {
                    entry.status = Some(status);
                    &mut summary.already_members
                }
                Outcome::Skipped { reason } => {
                    entry.reason = Some(reason);
                    &mut summary.skipped
                }
                Outcome::Unprocessed {
                    error_code,
                    error_message,
                } => {
                    entry.error_code = Some(error_code);
                    entry.error_message = Some(error_message);
                    &mut summary.unprocessed
                }
                Outcome::Failed { reason } => {
                    entry.reason = Some(reason);
                    &mut summary.failed
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

    #[test]
    fn the_summary_lists_each_outcome_with_its_details_in_account_and_region_order() {
        let summary = Summary::from_reports(vec![
            Report::new(id("222222222222"), region("us-east-1"), Outcome::Invited),
            Report::new(id("111111111111"), region("us-east-1"), Outcome::Invited),
            Report::new(
                id("333333333333"),
                region("eu-west-1"),
                Outcome::AlreadyMember {
                    status: "Enabled".into(),
                },
            ),
            Report::new(
                id("444444444444"),
                None,
                Outcome::skipped("listed in EXCLUDED_ACCOUNT_IDS"),
            ),
            Report::new(
                id("555555555555"),
                region("us-east-1"),
                Outcome::Unprocessed {
                    error_code: "InternalError".into(),
                    error_message: "try again".into(),
                },
            ),
            Report::new(
                id("666666666666"),
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
