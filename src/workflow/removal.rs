//! The removal of members whose accounts have left: each departed member that the function
//! enrolled is disassociated where it is associated, then deleted; the others are kept and
//! reported. Under DRY_RUN the calls are planned instead. The reconcile finds the departed members
//! in its listings; a departure event, a manual removal and a retry name the accounts, whose
//! departure the organization confirms first.

use std::collections::BTreeMap;

use futures_util::future::join_all;

use crate::domain::{Account, AccountId, MemberListing, Origin, Region, Subject};
use crate::error::Error;
use crate::outcome::{Outcome, Report, Run};
use crate::policy::departure::{Departed, Standing, Verdict, judge_departures, judge_standing};
use crate::policy::failure;
use crate::workflow::scope::Scope;
use crate::workflow::steps::lookup::look_up;

/// Removes (or keeps, or under DRY_RUN plans for) the departed members of one region, each with the
/// work it came from. Each gets one report, against its departure: one that fails (or that the
/// deadline leaves for later) is retried as the removal of that account in that region.
pub(crate) async fn remove_departed(
    scope: Scope<'_>,
    region: &Region,
    departed: Vec<(Departed, Origin)>,
) -> Vec<Report> {
    let report = |id: AccountId, outcome, origin: &Origin| {
        Report::new(
            Subject::Departure(id),
            Some(region.clone()),
            outcome,
            origin,
        )
    };
    let remove_one = |(departed, origin): (Departed, Origin)| async move {
        let account_id = departed.account_id;
        let outcome = match departed.verdict {
            Verdict::Keep { why } => Outcome::Kept { reason: why },
            Verdict::Hold { why } => Outcome::Held { reason: why },
            Verdict::Remove { associated, .. } if scope.app.config.dry_run => Outcome::Planned {
                actions: if associated {
                    vec!["disassociate", "delete"]
                } else {
                    vec!["delete"]
                },
            },
            Verdict::Remove { associated, .. } => {
                match remove(scope, region, &account_id, associated).await {
                    Ok(()) => Outcome::Removed,
                    Err(error) => failure::outcome_in(&error, region),
                }
            }
        };
        report(account_id, outcome, &origin)
    };
    scope
        .each(departed, remove_one, |(departed, origin)| {
            report(departed.account_id, Outcome::Deferred, &origin)
        })
        .await
}

/// DisassociateMember where the member is associated, then DeleteMember.
async fn remove(
    scope: Scope<'_>,
    region: &Region,
    account_id: &AccountId,
    associated: bool,
) -> Result<(), Error> {
    let app = scope.app;
    if associated {
        app.macie.disassociate(region, account_id).await?;
    }
    app.macie.delete_member(region, account_id).await
}

/// A departed account named by the work, in one region, with the work it came from.
type RegionalDeparture = ((Region, AccountId), Origin);

/// Removes the members of the accounts that departure events, manual removals and retries name,
/// in the regions of their work. The organization confirms each departure first (the one lookup:
/// `known`, its listing, when the batch has it; else the listing while it pays, or DescribeAccount):
/// an account that is still there and not
/// closed is skipped, never removed, and so is the administrator; one whose closure is not done yet
/// is looked at again later. Then each region's membership decides, as in the reconcile, under the
/// invocation's one bound.
pub(crate) async fn remove_named(
    scope: Scope<'_>,
    departures: Vec<(AccountId, Origin)>,
    known: Option<&[Account]>,
) -> Run {
    let mut run = Run::default();
    let mut named: BTreeMap<(Region, AccountId), Origin> = BTreeMap::new();
    for (id, origin) in departures {
        for region in origin.regions.iter() {
            named
                .entry((region.clone(), id.clone()))
                .or_insert_with(|| origin.clone());
        }
    }
    let mut accounts: BTreeMap<AccountId, Origin> = BTreeMap::new();
    for ((_, id), origin) in &named {
        accounts.entry(id.clone()).or_insert_with(|| origin.clone());
    }
    let departed = confirm_departures(scope, &mut run, accounts, known).await;
    named.retain(|(_, id), _| departed.contains_key(id));
    let found: Vec<Account> = departed.into_values().flatten().collect();
    let mut verdicts = judge_named(scope, &mut run, named, &found).await;
    let (mut all, origins): (Vec<Departed>, Vec<Origin>) = verdicts.drain(..).unzip();
    scope.bound_removals(&mut all);
    let mut by_region: BTreeMap<Region, Vec<(Departed, Origin)>> = BTreeMap::new();
    for (departed, origin) in all.into_iter().zip(origins) {
        by_region
            .entry(departed.region.clone())
            .or_default()
            .push((departed, origin));
    }
    let removals =
        join_all(by_region.into_iter().map(|(region, departed)| async move {
            remove_departed(scope, &region, departed).await
        }));
    run.reports.extend(removals.await.into_iter().flatten());
    run
}

/// The accounts whose departure the organization confirms, with what it knows of each (`None`: no
/// longer in it). The others are reported once each: skipped (the administrator, or an account
/// that is still there and not closed), pending (a closure not done yet, while attempts remain),
/// or failed (the lookup), to be retried.
async fn confirm_departures(
    scope: Scope<'_>,
    run: &mut Run,
    accounts: BTreeMap<AccountId, Origin>,
    known: Option<&[Account]>,
) -> BTreeMap<AccountId, Option<Account>> {
    let (app, own_account) = (scope.app, scope.own_account);
    // The administrator is never removed: it is not looked up.
    let ids = accounts
        .keys()
        .filter(|id| Some(*id) != own_account)
        .cloned()
        .collect();
    let mut looked_up = look_up(scope, ids, known).await;
    let mut departed = BTreeMap::new();
    for (id, origin) in accounts {
        let found = looked_up.remove(&id).unwrap_or(Err(Outcome::Deferred));
        let outcome = match found {
            _ if Some(&id) == own_account => {
                Outcome::skipped("the administrator account itself: never removed")
            }
            Ok(account) => match judge_standing(account.as_ref().map(|account| &account.state)) {
                Standing::Departed(_) => {
                    departed.insert(id, account);
                    continue;
                }
                Standing::Closing(_) => await_closure(origin.attempt, app.config.max_attempts),
                Standing::Staying(why) => Outcome::skipped(format!("{why}: nothing removed")),
                Standing::Present => Outcome::skipped(
                    "the account is still in the organization and active: nothing removed",
                ),
            },
            Err(outcome) => outcome,
        };
        run.reports
            .push(Report::new(Subject::Departure(id), None, outcome, &origin));
    }
    departed
}

/// What becomes of the departure of an account whose closure is requested and not done yet
/// (`PENDING_CLOSURE`): CloseAccount is asynchronous, and the account closes within minutes
/// (CloseAccount API reference), so it is looked at again through the retry queue, shortly, until
/// its attempts run out; then the daily reconcile takes over.
fn await_closure(attempt: u32, max_attempts: u32) -> Outcome {
    if attempt < max_attempts {
        Outcome::pending(
            "its closure is requested and not yet done (PENDING_CLOSURE; the account still works): \
             looked at again shortly, and its members removed once it is CLOSED",
        )
    } else {
        Outcome::skipped(format!(
            "still PENDING_CLOSURE after {attempt} attempts (MAX_ATTEMPTS): nothing removed now; the \
             daily reconcile removes its members once it is CLOSED"
        ))
    }
}

/// The verdict on each departed account's member in each region (GetMember): one that is not a
/// member there is skipped, and one whose membership cannot be read now fails, to be retried.
async fn judge_named(
    scope: Scope<'_>,
    run: &mut Run,
    named: BTreeMap<(Region, AccountId), Origin>,
    found: &[Account],
) -> Vec<(Departed, Origin)> {
    let read = |((region, id), origin): RegionalDeparture| async move {
        let membership = scope.app.macie.membership(&region, &id).await;
        let membership = membership.map_err(|error| failure::outcome_in(&error, &region));
        (region, id, origin, membership)
    };
    let read = scope.each(named, read, |((region, id), origin)| {
        (region, id, origin, Err(Outcome::Deferred))
    });
    let mut verdicts = Vec::new();
    for (region, id, origin, membership) in read.await {
        let outcome = match membership {
            Ok(Some(membership)) => {
                let members = MemberListing::from_listed(vec![(id.clone(), membership)]);
                verdicts.extend(
                    judge_departures(&region, found, &members, None)
                        .into_iter()
                        .map(|departed| (departed, origin.clone())),
                );
                continue;
            }
            Ok(None) => {
                Outcome::skipped("not a member of this administrator here: nothing to remove")
            }
            Err(outcome) => outcome,
        };
        let report = Report::new(Subject::Departure(id), Some(region), outcome, &origin);
        run.reports.push(report);
    }
    verdicts
}
