//! The removal of members whose accounts have left: in one region, each departed member that the
//! function enrolled is disassociated where it is associated, then deleted; the others are kept and
//! reported. Under DRY_RUN the calls are planned instead.

use crate::app::App;
use crate::departure::{Departed, Verdict};
use crate::domain::{AccountId, Origin, Region, Subject};
use crate::error::Error;
use crate::failure;
use crate::outcome::{FailureKind, Outcome, Report};
use crate::workflow::{Deadline, before_deadline};

/// What one member's removal came to.
enum Removal {
    Done(Report),
    /// The member is still there: the region's reconcile goes on later with this failure.
    Failed(AccountId, Outcome),
    Deferred,
}

/// Removes (or keeps, or under DRY_RUN plans for) the departed members of one region. A removal that
/// fails is not reported against its account, whose work would be an invitation: the region's
/// reconcile is reported failed instead, naming the accounts, so that it is retried (and at last
/// dead-lettered) as a whole, and lists the region again; so is one the deadline left for later.
pub(crate) async fn remove_departed(
    app: &App,
    region: &Region,
    departed: Vec<Departed>,
    origin: &Origin,
    deadline: Deadline,
) -> Vec<Report> {
    let remove_one = |departed: Departed| async move {
        let account_id = departed.account_id;
        let outcome = match departed.verdict {
            Verdict::Keep { why } => Outcome::Kept { reason: why },
            Verdict::Remove { associated, .. } if app.config.dry_run => Outcome::Planned {
                actions: if associated {
                    vec!["disassociate", "delete"]
                } else {
                    vec!["delete"]
                },
            },
            Verdict::Remove { associated, .. } => {
                match remove(app, region, &account_id, associated).await {
                    Ok(()) => Outcome::Removed,
                    Err(error) => {
                        return Removal::Failed(account_id, failure::outcome_in(&error, region));
                    }
                }
            }
        };
        Removal::Done(Report::account(&account_id, Some(region), outcome, origin))
    };
    let limit = app.config.max_calls_in_flight;
    let removals = before_deadline(departed, limit, deadline, remove_one, |_| Removal::Deferred);
    let mut reports = Vec::new();
    let mut failed: Vec<(AccountId, Outcome)> = Vec::new();
    let mut deferred = false;
    for removal in removals.await {
        match removal {
            Removal::Done(report) => reports.push(report),
            Removal::Failed(account_id, outcome) => failed.push((account_id, outcome)),
            Removal::Deferred => deferred = true,
        }
    }
    let region_later =
        |outcome| Report::new(Subject::Reconcile, Some(region.clone()), outcome, origin);
    if let Some(outcome) = report_failed_removals(&mut failed) {
        reports.push(region_later(outcome));
    } else if deferred {
        reports.push(region_later(Outcome::Deferred));
    }
    reports
}

/// One failure for the region's failed removals: the first one's kind (a lasting one first, so
/// that what needs a person is not retried in vain), naming every account.
fn report_failed_removals(failed: &mut [(AccountId, Outcome)]) -> Option<Outcome> {
    failed.sort_by_key(|(_, outcome)| disposed_later(outcome));
    let accounts: Vec<&str> = failed.iter().map(|(id, _)| id.as_str()).collect();
    let (_, first) = failed.first()?;
    let Outcome::Failed { reason, kind } = first else {
        return Some(first.clone());
    };
    Some(Outcome::Failed {
        reason: format!(
            "removing the members of departed accounts {} failed: {reason}",
            accounts.join(", ")
        ),
        kind: *kind,
    })
}

/// Sorts lasting failures before transient ones.
fn disposed_later(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Failed {
            kind: FailureKind::Transient,
            ..
        }
    )
}

/// DisassociateMember where the member is associated, then DeleteMember.
async fn remove(
    app: &App,
    region: &Region,
    account_id: &AccountId,
    associated: bool,
) -> Result<(), Error> {
    if associated {
        app.macie.disassociate(region, account_id).await?;
    }
    app.macie.delete_member(region, account_id).await
}
