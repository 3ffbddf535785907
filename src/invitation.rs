//! The invitation workflows: accounts named by an event, and the reconcile of the whole organization.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use futures_util::{StreamExt, stream};
use lambda_runtime::tracing;

use crate::domain::{Account, AccountId, CreateAccountRequestId, Creation, MemberStatus, Region};
use crate::error::Error;
use crate::event::Request;
use crate::handler::App;
use crate::macie::InvitationOptions;
use crate::outcome::{
    CreationFailure, Outcome, Pending, Reconciliation, RegionTally, Report, Summary,
};
use crate::plan::{self, MemberAction};

/// Calls in flight at once against one service in one region: enough to hide latency, few enough
/// to stay well under the request-rate quotas of Organizations and Macie.
const CALLS_IN_FLIGHT: usize = 8;

/// Where the current relationships with Macie come from.
enum Memberships {
    /// One GetMember per account: cheapest for the few accounts an event names.
    Ask,
    /// One ListMembers listing of the region: cheapest for a whole organization.
    Listed(BTreeMap<AccountId, MemberStatus>),
}

/// Invites the accounts an event names, directly or through their creation requests.
pub async fn invite_requested(
    app: &App,
    request: Request,
    own_account: Option<&AccountId>,
) -> Summary {
    let regions = request.regions.as_deref().unwrap_or(&app.config.regions);
    let mut account_ids = request.account_ids;
    let mut creations_failed = Vec::new();
    let mut pending = Vec::new();
    for (request_id, result) in resolve(app, request.create_account_request_ids).await {
        let request_id_text = request_id.to_string();
        match result {
            Ok(Some(Creation::Succeeded(account_id))) => account_ids.push(account_id),
            Ok(Some(Creation::Failed { reason })) => creations_failed.push(CreationFailure {
                create_account_request_id: Some(request_id_text),
                failure_reason: reason,
            }),
            Ok(Some(Creation::InProgress)) => pending.push(Pending {
                create_account_request_id: request_id_text,
                reason:
                    "the account creation is still IN_PROGRESS; invoke again when it has finished"
                        .to_owned(),
            }),
            Ok(None) => creations_failed.push(CreationFailure {
                create_account_request_id: Some(request_id_text),
                failure_reason: "Organizations knows no such account creation request \
                                 (CreateAccountStatusNotFoundException)"
                    .to_owned(),
            }),
            Err(error) => pending.push(Pending {
                create_account_request_id: request_id_text,
                reason: error.to_string(),
            }),
        }
    }
    creations_failed.iter().for_each(log_creation_failure);
    for entry in &pending {
        tracing::warn!(
            create_account_request_id = entry.create_account_request_id.as_str(),
            reason = entry.reason.as_str(),
            outcome = "pending",
            "account creation not resolved yet"
        );
    }

    let screening = plan::screen(account_ids, &app.config.excluded_account_ids, own_account);
    let mut reports = screening.skipped;
    let (eligible, ineligible) = look_up(app, screening.to_look_up).await;
    reports.extend(ineligible);
    reports.extend(
        invite_everywhere(app, regions, &eligible, |_| Memberships::Ask)
            .await
            .into_iter()
            .flat_map(|(_, r)| r),
    );
    reports.iter().for_each(Report::log);
    Summary {
        creations_failed,
        pending,
        ..Summary::from_reports(reports)
    }
}

/// Invites every ACTIVE account of the organization that is not a member yet, in every region.
pub async fn reconcile(
    app: &App,
    regions: Option<Vec<Region>>,
    own_account: Option<&AccountId>,
) -> Result<Summary, Error> {
    let regions = regions.as_deref().unwrap_or(&app.config.regions);
    let accounts = app.organizations.list_accounts().await?;
    let accounts_in_organization = accounts.len();
    let screening = plan::screen(
        accounts.iter().map(|account| account.id.clone()).collect(),
        &app.config.excluded_account_ids,
        own_account,
    );
    let mut reports = screening.skipped;
    let mut candidates: BTreeSet<&AccountId> = screening.to_look_up.iter().collect();
    let mut eligible = Vec::new();
    // Removing each candidate as it is met screens an account listed twice only once.
    for account in accounts
        .iter()
        .filter(|account| candidates.remove(&account.id))
    {
        match plan::ineligibility(account) {
            None => eligible.push(account.clone()),
            Some(reason) => reports.push(Report::new(
                account.id.clone(),
                None,
                Outcome::skipped(reason),
            )),
        }
    }

    let listings = join_all(
        regions
            .iter()
            .map(|region| async move { (region, app.macie.list_members(region).await) }),
    )
    .await;
    let mut members_found = BTreeMap::new();
    let mut listed = BTreeMap::new();
    for (region, listing) in listings {
        match listing {
            Ok(members) => {
                members_found.insert(region.clone(), members.len());
                listed.insert(region.clone(), members);
            }
            Err(error) => {
                let reason = error.to_string();
                reports.extend(eligible.iter().map(|account| {
                    Report::new(
                        account.id.clone(),
                        Some(region.clone()),
                        Outcome::failed(&reason),
                    )
                }));
            }
        }
    }
    let listed_regions: Vec<Region> = listed.keys().cloned().collect();
    let regional = invite_everywhere(app, &listed_regions, &eligible, |region| {
        Memberships::Listed(listed.remove(region).unwrap_or_default())
    })
    .await;
    reports.extend(regional.into_iter().flat_map(|(_, reports)| reports));
    reports.iter().for_each(Report::log);

    let tallies: Vec<RegionTally> = regions
        .iter()
        .map(|region| RegionTally::count(region, members_found.get(region).copied(), &reports))
        .collect();
    for tally in &tallies {
        tracing::info!(
            region = tally.region.as_str(),
            accounts_in_organization,
            members_found = tally.members_found,
            invited = tally.invited,
            already_members = tally.already_members,
            skipped = tally.skipped,
            unprocessed = tally.unprocessed,
            failed = tally.failed,
            "reconcile of the region done"
        );
    }
    Ok(Summary {
        reconcile: Some(Reconciliation {
            accounts_in_organization,
            regions: tallies,
        }),
        ..Summary::from_reports(reports)
    })
}

pub fn log_creation_failure(failure: &CreationFailure) {
    tracing::warn!(
        create_account_request_id = failure.create_account_request_id.as_deref().unwrap_or(""),
        failure_reason = failure.failure_reason.as_str(),
        outcome = "creationFailed",
        "account creation failed; nothing to invite"
    );
}

async fn resolve(
    app: &App,
    request_ids: Vec<CreateAccountRequestId>,
) -> Vec<(CreateAccountRequestId, Result<Option<Creation>, Error>)> {
    stream::iter(request_ids)
        .map(|id| async move {
            let creation = app.organizations.creation(&id).await;
            (id, creation)
        })
        .buffered(CALLS_IN_FLIGHT)
        .collect()
        .await
}

/// Describes each account: the eligible ones, and the reports of those that are not.
async fn look_up(app: &App, ids: Vec<AccountId>) -> (Vec<Account>, Vec<Report>) {
    let described: Vec<_> = stream::iter(ids)
        .map(|id| async move {
            let result = app.organizations.describe_account(&id).await;
            (id, result)
        })
        .buffered(CALLS_IN_FLIGHT)
        .collect()
        .await;
    let mut eligible = Vec::new();
    let mut reports = Vec::new();
    for (id, result) in described {
        match result {
            Ok(Some(account)) => match plan::ineligibility(&account) {
                None => eligible.push(account),
                Some(reason) => reports.push(Report::new(id, None, Outcome::skipped(reason))),
            },
            Ok(None) => reports.push(Report::new(
                id,
                None,
                Outcome::failed(
                    "not an account of this organization (Organizations DescribeAccount: AccountNotFoundException)",
                ),
            )),
            Err(error) => reports.push(Report::new(id, None, Outcome::failed(error.to_string()))),
        }
    }
    (eligible, reports)
}

/// Runs the regional work in every region at once.
async fn invite_everywhere<'a>(
    app: &App,
    regions: &'a [Region],
    accounts: &[Account],
    mut memberships: impl FnMut(&Region) -> Memberships,
) -> Vec<(&'a Region, Vec<Report>)> {
    if accounts.is_empty() {
        return Vec::new();
    }
    join_all(regions.iter().map(|region| {
        let memberships = memberships(region);
        async move {
            (
                region,
                invite_in_region(app, region, accounts, memberships).await,
            )
        }
    }))
    .await
}

async fn invite_in_region(
    app: &App,
    region: &Region,
    accounts: &[Account],
    memberships: Memberships,
) -> Vec<Report> {
    let macie = &app.macie;
    let report = |id: &AccountId, outcome| Report::new(id.clone(), Some(region.clone()), outcome);

    let statuses: Vec<(&Account, Result<Option<MemberStatus>, Error>)> = match memberships {
        Memberships::Ask => stream::iter(accounts)
            .map(|account| async move { (account, macie.member_status(region, &account.id).await) })
            .buffered(CALLS_IN_FLIGHT)
            .collect()
            .await,
        Memberships::Listed(members) => accounts
            .iter()
            .map(|account| (account, Ok(members.get(&account.id).cloned())))
            .collect(),
    };
    let mut reports = Vec::new();
    let mut to_associate = Vec::new();
    let mut to_invite = Vec::new();
    for (account, status) in statuses {
        let status = match status {
            Ok(status) => status,
            Err(error) => {
                reports.push(report(&account.id, Outcome::failed(error.to_string())));
                continue;
            }
        };
        match plan::member_action(status.as_ref()) {
            MemberAction::AlreadyMember => reports.push(report(
                &account.id,
                Outcome::AlreadyMember {
                    status: status.map_or_else(String::new, |s| s.name().to_owned()),
                },
            )),
            MemberAction::AssociateAndInvite => to_associate.push(account),
            MemberAction::Invite => to_invite.push(account.id.clone()),
            MemberAction::Skip(reason) => {
                reports.push(report(&account.id, Outcome::skipped(reason)))
            }
            MemberAction::Fail(reason) => {
                reports.push(report(&account.id, Outcome::failed(reason)))
            }
        }
    }

    let associated: Vec<_> = stream::iter(to_associate)
        .map(|account| async move { (account, macie.associate(region, account).await) })
        .buffered(CALLS_IN_FLIGHT)
        .collect()
        .await;
    for (account, result) in associated {
        match result {
            Ok(()) => to_invite.push(account.id.clone()),
            Err(error) => reports.push(report(&account.id, Outcome::failed(error.to_string()))),
        }
    }

    let options = InvitationOptions {
        message: app.config.invitation_message.as_deref(),
        disable_email_notification: app.config.disable_email_notification,
    };
    let invitations: Vec<_> = stream::iter(plan::invitation_batches(to_invite))
        .map(|batch| async move {
            let result = macie.invite(region, &batch, options).await;
            (batch, result)
        })
        .buffered(CALLS_IN_FLIGHT)
        .collect()
        .await;
    for (batch, result) in invitations {
        match result {
            Ok(unprocessed) => reports.extend(batch.iter().map(|id| {
                let outcome = unprocessed
                    .iter()
                    .find(|entry| &entry.account_id == id)
                    .map_or(Outcome::Invited, Outcome::unprocessed);
                report(id, outcome)
            })),
            Err(error) => {
                let reason = error.to_string();
                reports.extend(
                    batch
                        .iter()
                        .map(|id| report(id, Outcome::failed(reason.clone()))),
                );
            }
        }
    }
    reports
}
