//! The reconcile: every ACTIVE account of the organization that is not a member yet is invited, in
//! every region, from one listing of the organization and one of each region's members.

use std::collections::BTreeSet;

use futures_util::future::join_all;

use crate::app::App;
use crate::domain::{Account, AccountId, Origin, Region};
use crate::error::Error;
use crate::failure;
use crate::outcome::{Outcome, Report};
use crate::plan;
use crate::summary::{Reconciliation, RegionTally};
use crate::workflow::lookup::exclusions;
use crate::workflow::region::{Memberships, invite_in_region};
use crate::workflow::{Deadline, Run, Task};

/// What a region's work found and did.
struct RegionRun {
    /// Members that ListMembers returned; `None` when the listing failed.
    members_found: Option<usize>,
    reports: Vec<Report>,
}

/// Invites every ACTIVE account of the organization that is not a member yet, in every region.
pub async fn reconcile(
    app: &App,
    regions: &[Region],
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> Result<(Run, Reconciliation), Error> {
    let origin = Origin::first(regions);
    let accounts = app.organizations.list_accounts().await?;
    let mut run = Run::default();
    let eligible = eligible(app, &mut run, &accounts, &origin, own_account, deadline).await;
    let regional = join_all(
        regions
            .iter()
            .map(|region| in_region(app, region, &eligible, own_account, deadline)),
    );
    let mut members_found = Vec::new();
    for region_run in regional.await {
        members_found.push(region_run.members_found);
        run.reports.extend(region_run.reports);
    }
    let tallies = regions
        .iter()
        .zip(members_found)
        .map(|(region, found)| RegionTally::count(region, found, &run.reports))
        .collect();
    let reconciliation = Reconciliation {
        accounts_in_organization: accounts.len(),
        regions: tallies,
    };
    Ok((run, reconciliation))
}

/// The organization's accounts that may be invited: screened, ACTIVE, outside EXCLUDED_OU_IDS.
/// Those that may not are reported in the run.
async fn eligible(
    app: &App,
    run: &mut Run,
    accounts: &[Account],
    origin: &Origin,
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> Vec<Task> {
    let ids = accounts.iter().map(|account| account.id.clone()).collect();
    let screening = plan::screen(ids, &app.config.excluded_account_ids, own_account);
    for (id, reason) in &screening.skipped {
        let outcome = Outcome::skipped(*reason);
        run.reports.push(Report::account(id, None, outcome, origin));
    }
    let mut candidates: BTreeSet<&AccountId> = screening.to_look_up.iter().collect();
    let mut eligible: Vec<Task> = Vec::new();
    // Removing each candidate as it is met screens an account listed twice only once.
    let listed = accounts
        .iter()
        .filter(|account| candidates.remove(&account.id));
    for account in listed {
        match plan::ineligibility(account) {
            None => eligible.push(Task {
                account: account.clone(),
                origin: origin.clone(),
            }),
            Some(reason) => {
                let outcome = Outcome::skipped(reason);
                run.reports
                    .push(Report::account(&account.id, None, outcome, origin));
            }
        }
    }
    let ids = eligible
        .iter()
        .map(|task| task.account.id.clone())
        .collect();
    let verdicts = exclusions(app, ids, deadline).await;
    eligible.retain(|task| match &verdicts[&task.account.id] {
        Ok(()) => true,
        Err(outcome) => {
            let report = Report::account(&task.account.id, None, outcome.clone(), &task.origin);
            run.reports.push(report);
            false
        }
    });
    eligible
}

/// One region: its members listed, then each eligible account invited as its relationship calls
/// for. A listing that fails reports every account there with the failure.
async fn in_region(
    app: &App,
    region: &Region,
    eligible: &[Task],
    own_account: Option<&AccountId>,
    deadline: Deadline,
) -> RegionRun {
    match app.macie.list_members(region).await {
        Ok(members) => {
            let members_found = Some(members.len());
            let memberships = Memberships::Listed(members);
            let reports =
                invite_in_region(app, region, eligible, memberships, own_account, deadline).await;
            RegionRun {
                members_found,
                reports,
            }
        }
        Err(error) => {
            let outcome = failure::outcome_of(&error);
            let reports = eligible
                .iter()
                .map(|task| {
                    Report::account(
                        &task.account.id,
                        Some(region),
                        outcome.clone(),
                        &task.origin,
                    )
                })
                .collect();
            RegionRun {
                members_found: None,
                reports,
            }
        }
    }
}
