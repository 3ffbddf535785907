//! The outcome of one subject in one region (`Report`), its log line, and what a run did.

use std::collections::BTreeMap;

use lambda_runtime::tracing;
use serde::Serialize;

use super::Outcome;
use crate::domain::{AccountId, Origin, Region, Subject};

/// The outcome for one subject, in one region where a region applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Report {
    pub subject: Subject,
    pub region: Option<Region>,
    pub outcome: Outcome,
    pub origin: Origin,
}

impl Report {
    pub(crate) fn new(
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

    pub(crate) fn account(
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
    pub(crate) fn log(&self) {
        let (account_id, request_id, _) = self.subject.fields();
        let create_account_request_id = (!request_id.is_empty()).then_some(request_id);
        let region = self.region.as_ref().map_or("", Region::as_str);
        let outcome = self.outcome.name();
        let attempt = self.origin.attempt;
        let said = self.outcome.said();
        let (status, reason, error_code, error_message) = (
            said.status,
            said.reason,
            said.error_code,
            said.error_message,
        );
        let actions = said.actions.map(|actions| actions.join(", "));
        let row = self.outcome.row();
        let message = row.message;
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    account_id,
                    create_account_request_id,
                    region,
                    outcome,
                    attempt,
                    status,
                    reason,
                    error_code,
                    error_message,
                    actions,
                    "{message}"
                )
            };
        }
        if row.attention {
            line!(warn)
        } else {
            line!(info)
        }
    }
}

/// What a run did: one report per subject (and region), and the creations that failed.
#[derive(Default)]
pub(crate) struct Run {
    /// What became of each subject, in each region where one applies.
    pub reports: Vec<Report>,
    /// The creation requests that made no account.
    pub creations_failed: Vec<CreationFailure>,
    /// Per region, the accounts found members already and counted rather than reported (a
    /// reconcile: a report each would grow with the organization).
    pub members_already: BTreeMap<Region, usize>,
    /// BACKFILL off: why accounts that events named were only planned for, and how to invite them.
    pub backfill: Option<String>,
}

impl Run {
    /// Adds what a later run did to this one; a region's members already are as the later run
    /// counted them (it read the same members again).
    pub(crate) fn absorb(&mut self, later: Run) {
        self.reports.extend(later.reports);
        self.creations_failed.extend(later.creations_failed);
        self.members_already.extend(later.members_already);
        self.backfill = self.backfill.take().or(later.backfill);
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
    pub(crate) fn log(&self) {
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
    pub(crate) fn log(&self) {
        tracing::warn!(
            event = self.event.as_str(),
            reason = self.reason.as_str(),
            outcome = "ignored",
            "event adds no account"
        );
    }
}
