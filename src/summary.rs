//! The summary an invocation answers: its outcomes sorted into lists, and a reconcile's counts.

use serde::Serialize;

use crate::domain::{AccountId, CreateAccountRequestId, Region, Subject};
use crate::outcome::{CreationFailure, NotAnAddition, Outcome, Report};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Origin;
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
}
