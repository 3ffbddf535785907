//! What happened to each account in each region: the reports, their log lines and the invocation's summary.

use lambda_runtime::tracing;

use crate::domain::{Discovery, MemberStatus, Unprocessed};
use crate::error::Meaning;
use crate::quote::redact_emails;

mod report;

pub use report::{CreationFailure, NotAnAddition};
pub(crate) use report::{Report, Run};

/// Why a call failed, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// Throttling, 5xx, a timeout or a connection error that outlasted the SDK's retries: may pass.
    Transient,
    /// Organizations does not know the account: right after a creation it may not yet.
    NotInOrganization,
    /// Will fail again until someone acts; the reason says what to do.
    Permanent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Invited,
    /// Invited and accepted in the member account (ACCEPT_ROLE_NAME): an Enabled member.
    Accepted,
    /// Added through Organizations by the delegated Macie administrator (CreateMember alone, no
    /// invitation): an Enabled member.
    Added,
    /// DRY_RUN: what would be done, in order (associate, invite, accept).
    Planned {
        actions: Vec<&'static str>,
    },
    AlreadyMember {
        status: MemberStatus,
    },
    Skipped {
        reason: String,
    },
    Unprocessed {
        error_code: String,
        error_message: String,
        /// What the Macie adapter read in Macie's words, where it knows them.
        meaning: Option<Meaning>,
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
    /// A member whose account departed, that this function enrolled: disassociated where it was
    /// associated, then deleted.
    Removed,
    /// A member whose account departed, kept: not enrolled by this function, removal off, or more
    /// removals than MAX_REMOVALS.
    Kept {
        reason: String,
    },
    /// A member whose account departed, that this function enrolled, not removed because the run
    /// would remove more than MAX_REMOVALS: the alarm's concern.
    Held {
        reason: String,
    },
    /// A member enrolled before the enrollment tag existed, whose account is ACTIVE: tagged, so that
    /// it is removed once its account departs.
    Adopted,
    /// A Paused member resumed (RESUME_PAUSED): Enabled again.
    Resumed,
    /// One of the administrator's own Macie settings set to the baseline: which, from what, to what.
    BaselineSet {
        setting: &'static str,
        change: String,
    },
    /// A member that has drifted from `Enabled` (Paused, RegionDisabled, EmailVerificationFailed,
    /// …): a fact to report, with what to do, never work to retry.
    Drifted {
        status: MemberStatus,
        reason: &'static str,
    },
    /// A member's automated sensitive data discovery turned on or off, as the policy says.
    DiscoverySet {
        status: Discovery,
        reason: String,
    },
}

/// Why deferred work was not done, as the summary and the logs say it.
pub(crate) const DEFERRED: &str = "the invocation's deadline was near; left for the next attempt";

impl Outcome {
    pub(crate) fn skipped(reason: impl Into<String>) -> Self {
        Outcome::Skipped {
            reason: redact_emails(&reason.into()),
        }
    }

    /// A failure that no retry can mend.
    pub(crate) fn failed(reason: impl Into<String>) -> Self {
        Outcome::Failed {
            reason: redact_emails(&reason.into()),
            kind: FailureKind::Permanent,
        }
    }

    pub(crate) fn not_in_organization() -> Self {
        Outcome::Failed {
            reason: "not an account of this organization (DescribeAccount: AccountNotFoundException, or absent from ListAccounts)"
                .to_owned(),
            kind: FailureKind::NotInOrganization,
        }
    }

    pub(crate) fn pending(reason: impl Into<String>) -> Self {
        Outcome::Pending {
            reason: reason.into(),
        }
    }

    pub(crate) fn unprocessed(unprocessed: &Unprocessed) -> Self {
        Outcome::Unprocessed {
            error_code: unprocessed.error_code.clone(),
            error_message: redact_emails(&unprocessed.error_message),
            meaning: unprocessed.meaning,
        }
    }

    /// Every property of the outcome, declared once: the one table of outcomes, from which the
    /// log lines, the summary's lists and counts, the tallies, the metrics and the failure policy's
    /// "nothing more to do" all derive.
    #[rustfmt::skip] // A table: one row an outcome.
    pub(crate) fn row(&self) -> Row {
        use Bucket as B;
        let row = |name, bucket, settled, attention, enabled, message| Row { name, bucket, settled, attention, enabled, message };
        // Columns: the name; the bucket; settled (nothing more to do); attention (a WARN line);
        // enabled (leaves the account an Enabled member); the log message.
        match self {
            Outcome::Invited =>            row("invited",       B::Invited,        true,  false, false, "account invited"),
            Outcome::Accepted =>           row("accepted",      B::Accepted,       true,  false, true,  "account invited and accepted: an enabled member"),
            Outcome::Added =>              row("added",         B::Added,          true,  false, true,  "account added through Organizations: an enabled member, no invitation"),
            Outcome::Planned { .. } =>     row("planned",       B::Planned,        true,  false, false, "planned: would act, nothing done"),
            Outcome::AlreadyMember { status: MemberStatus::Enabled } =>
                                           row("alreadyMember", B::AlreadyMembers, true,  false, true,  "account already a member"),
            Outcome::AlreadyMember { .. } => row("alreadyMember", B::AlreadyMembers, true,  false, false, "account already a member"),
            Outcome::Skipped { .. } =>     row("skipped",       B::Skipped,        true,  false, false, "account skipped"),
            Outcome::Unprocessed { .. } => row("unprocessed",   B::Unprocessed,    false, true,  false, "account unprocessed by CreateInvitations"),
            Outcome::Failed { .. } =>      row("failed",        B::Failed,         false, true,  false, "call failed"),
            Outcome::Pending { .. } | Outcome::Deferred =>
                                           row("pending",       B::Pending,        false, true,  false, "not done in this invocation"),
            Outcome::Removed =>            row("removed",       B::Removed,        true,  false, false, "member of a departed account removed from Macie"),
            Outcome::Kept { .. } =>        row("kept",          B::Kept,           true,  false, false, "member of a departed account kept"),
            // Settled (nothing to retry), and yet the alarm's concern: its log line is a warning.
            Outcome::Held { .. } =>        row("held",          B::Held,           true,  true,  false, "member of a departed account held: more removals than MAX_REMOVALS"),
            Outcome::Adopted =>            row("adopted",       B::Adopted,        true,  false, false, "member adopted: tagged as enrolled by this function"),
            Outcome::Resumed =>            row("resumed",       B::Resumed,        true,  false, true,  "member resumed: Macie enabled again in the member account"),
            Outcome::BaselineSet { .. } => row("baselineSet",   B::Baseline,       true,  false, false, "the administrator's Macie setting set to the baseline"),
            Outcome::Drifted { .. } =>     row("drifted",       B::Drifted,        true,  false, false, "member drifted from Enabled: reported, nothing to retry"),
            Outcome::DiscoverySet { status: Discovery::On, .. } =>
                                           row("discoveryOn",   B::Discovery,      true,  false, false, "automated sensitive data discovery turned on"),
            Outcome::DiscoverySet { status: Discovery::Off, .. } =>
                                           row("discoveryOff",  B::Discovery,      true,  false, false, "automated sensitive data discovery turned off"),
        }
    }

    /// The name used for the outcome in log lines.
    pub(crate) fn name(&self) -> &'static str {
        self.row().name
    }

    /// What the outcome says besides its name, each part in its own field: the other place that
    /// spells out the outcomes, beside [`Outcome::row`]; the summary's entries and the log lines
    /// both read it.
    pub(crate) fn said(&self) -> Said<'_> {
        let mut said = Said::default();
        match self {
            Outcome::Invited
            | Outcome::Accepted
            | Outcome::Added
            | Outcome::Removed
            | Outcome::Adopted
            | Outcome::Resumed => {}
            Outcome::Planned { actions } => said.actions = Some(actions.as_slice()),
            Outcome::AlreadyMember { status } => said.status = Some(status.name()),
            Outcome::Unprocessed {
                error_code,
                error_message,
                ..
            } => {
                said.error_code = Some(error_code.as_str());
                said.error_message = Some(error_message.as_str());
            }
            Outcome::Skipped { reason }
            | Outcome::Failed { reason, .. }
            | Outcome::Pending { reason }
            | Outcome::Kept { reason }
            | Outcome::Held { reason } => said.reason = Some(reason.as_str()),
            Outcome::Deferred => said.reason = Some(DEFERRED),
            Outcome::BaselineSet { setting, change } => {
                said.status = Some(setting);
                said.reason = Some(change.as_str());
            }
            Outcome::Drifted { status, reason } => {
                said.status = Some(status.name());
                said.reason = Some(reason);
            }
            Outcome::DiscoverySet { status, reason } => {
                said.status = Some(status.name());
                said.reason = Some(reason.as_str());
            }
        }
        said
    }

    /// The status, reason or error message, where the outcome has one.
    pub(crate) fn detail(&self) -> Option<&str> {
        let said = self.said();
        said.status.or(said.reason).or(said.error_message)
    }

    /// The reason an attempt did not finish the work, for the retry history.
    pub(crate) fn attempt_reason(&self) -> String {
        match self {
            Outcome::Unprocessed {
                error_code,
                error_message,
                ..
            } => format!("unprocessed by CreateInvitations: {error_code}: {error_message}"),
            other => other.detail().unwrap_or(other.name()).to_owned(),
        }
    }
}

/// What an outcome says besides its name ([`Outcome::said`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Said<'a> {
    /// A member's relationship status.
    pub status: Option<&'a str>,
    /// Why it ended so.
    pub reason: Option<&'a str>,
    /// Macie's error code for an unprocessed account.
    pub error_code: Option<&'a str>,
    /// Macie's message for an unprocessed account.
    pub error_message: Option<&'a str>,
    /// What a plan would do.
    pub actions: Option<&'a [&'static str]>,
}

/// One row of the table of outcomes ([`Outcome::row`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    /// The outcome's name in log lines.
    pub name: &'static str,
    /// Where it is listed and counted, in the summary, the tallies and the metrics.
    pub bucket: Bucket,
    /// Nothing more to do: neither re-queued nor dead-lettered.
    pub settled: bool,
    /// Someone should look: its log line is WARN, else INFO.
    pub attention: bool,
    /// It leaves the account an `Enabled` member: what coverage counts as enabled, and what the
    /// discovery policy applies to at once.
    pub enabled: bool,
    /// What its log line says.
    pub message: &'static str,
}

/// The one table of buckets: where outcomes (and the work settled after them) are listed and
/// counted. A row declares the bucket's key in the summary (its list, its count in `counts` and in a
/// reconcile's tally, and its entry in `leftOut`), its field in the log line of counts, its metric
/// (if any), its place in the order the bounded summary (`Summary::bounded`) fills the
/// lists (the lists that need attention first), and whether its list and its tally's count are
/// written even when empty (the five that add up to the organization's accounts). The summary's
/// lists and counts, `bounded`, the log line of counts and the metrics all derive from it.
macro_rules! buckets {
    ($($variant:ident: $key:literal, $field:ident, $metric:expr, $bound:literal, $always:literal;)*) => {
        /// Where an outcome is listed and counted ([`Bucket::row`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Bucket {
            $(#[doc = $key] $variant,)*
        }

        impl Bucket {
            /// How many buckets there are.
            pub const COUNT: usize = [$($key),*].len();

            /// Every bucket, in the order the summary writes them.
            pub const ALL: [Bucket; Bucket::COUNT] = [$(Bucket::$variant),*];

            /// The bucket's row of the table.
            pub const fn row(self) -> BucketRow {
                match self {
                    $(Bucket::$variant => BucketRow { key: $key, metric: $metric, bound: $bound, always: $always },)*
                }
            }
        }

        impl PerBucket<usize> {
            /// One line with the counts of `region`: what the invocation did there, however many
            /// accounts.
            pub(crate) fn log(&self, region: &str) {
                tracing::info!(region, $($field = self[Bucket::$variant],)* "region done");
            }
        }
    };
}

buckets! {
//  bucket          key               log field        metric                           bound  always
    Invited:        "invited",        invited,         Some("AccountsInvited"),         150,   true;
    Accepted:       "accepted",       accepted,        Some("AccountsAccepted"),        130,   false;
    Added:          "added",          added,           Some("AccountsAdded"),           140,   false;
    Planned:        "planned",        planned,         None,                            160,   false;
    AlreadyMembers: "alreadyMembers", already_members, Some("AccountsAlreadyMembers"),  180,   true;
    Skipped:        "skipped",        skipped,         Some("AccountsSkipped"),         120,   true;
    Unprocessed:    "unprocessed",    unprocessed,     None,                            30,    true;
    Failed:         "failed",         failed,          None,                            20,    true;
    Pending:        "pending",        pending,         None,                            50,    false;
    Removed:        "removed",        removed,         Some("MembersRemoved"),          80,    false;
    Kept:           "kept",           kept,            None,                            70,    false;
    Held:           "held",           held,            Some("RemovalsHeld"),            60,    false;
    Adopted:        "adopted",        adopted,         None,                            90,    false;
    Discovery:      "discovery",      discovery,       Some("DiscoveryChanged"),        100,   false;
    Resumed:        "resumed",        resumed,         Some("MembersResumed"),          125,   false;
    Drifted:        "drifted",        drifted,         None,                            175,   false;
    Baseline:       "baseline",       baseline,        Some("BaselineChanged"),         105,   false;
    // No outcome falls in these two: the work re-queued or dead-lettered after the run.
    Requeued:       "requeued",       requeued,        Some("AccountsRequeued"),        40,    false;
    DeadLettered:   "deadLettered",   dead_lettered,   Some("AccountsDeadLettered"),    10,    false;
}

/// One row of the table of buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketRow {
    /// The key of its list and its count.
    pub key: &'static str,
    /// The metric that counts it, if any.
    pub metric: Option<&'static str>,
    /// Its place in the order the bounded summary fills its lists (1 first).
    pub bound: u8,
    /// Its list, and its count in a reconcile's tally, are written even when empty.
    pub always: bool,
}

impl Bucket {
    /// The bucket of an outcome.
    pub(crate) fn of(outcome: &Outcome) -> Self {
        outcome.row().bucket
    }
}

/// One value per bucket: the counts (`PerBucket<usize>`) or the lists of the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerBucket<T>([T; Bucket::COUNT]);

impl<T: Default> Default for PerBucket<T> {
    fn default() -> Self {
        PerBucket(std::array::from_fn(|_| T::default()))
    }
}

impl<T> std::ops::Index<Bucket> for PerBucket<T> {
    type Output = T;
    fn index(&self, bucket: Bucket) -> &T {
        &self.0[bucket as usize]
    }
}

impl<T> std::ops::IndexMut<Bucket> for PerBucket<T> {
    fn index_mut(&mut self, bucket: Bucket) -> &mut T {
        &mut self.0[bucket as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::account_id as id;

    #[test]
    fn email_addresses_are_redacted_from_reasons_and_messages() {
        let outcome = Outcome::unprocessed(&Unprocessed {
            account_id: id("111111111111"),
            error_code: "ClientError".into(),
            error_message: "owner@example.com is taken".into(),
            meaning: None,
        });
        assert_eq!(outcome.detail(), Some("<redacted> is taken"));
    }
}
