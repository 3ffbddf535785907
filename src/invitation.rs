//! The invitation workflow: look the accounts up, then associate and invite them in every region.

use futures_util::future::join_all;
use futures_util::{StreamExt, stream};

use crate::domain::{Account, AccountId, Region};
use crate::handler::App;
use crate::macie::InvitationOptions;
use crate::outcome::{Outcome, Report};
use crate::plan::{self, MemberAction};

/// Calls in flight at once against one service in one region: enough to hide latency, few enough
/// to stay well under the request-rate quotas of Organizations and Macie.
const CALLS_IN_FLIGHT: usize = 8;

/// Invites `ids` (screened already) in every configured region; one report per account, and per
/// region once the account is known to the organization.
pub async fn invite_accounts(app: &App, ids: Vec<AccountId>) -> Vec<Report> {
    let (eligible, mut reports) = look_up(app, ids).await;
    if eligible.is_empty() {
        return reports;
    }
    let regions = join_all(
        app.config
            .regions
            .iter()
            .map(|region| invite_in_region(app, region, &eligible)),
    )
    .await;
    reports.extend(regions.into_iter().flatten());
    reports
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
                Outcome::failed("not an account of this organization (Organizations DescribeAccount: AccountNotFoundException)"),
            )),
            Err(error) => reports.push(Report::new(id, None, Outcome::failed(error.to_string()))),
        }
    }
    (eligible, reports)
}

async fn invite_in_region(app: &App, region: &Region, accounts: &[Account]) -> Vec<Report> {
    let macie = &app.macie;
    let report = |id: &AccountId, outcome| Report::new(id.clone(), Some(region.clone()), outcome);

    let statuses: Vec<_> = stream::iter(accounts)
        .map(|account| async move { (account, macie.member_status(region, &account.id).await) })
        .buffered(CALLS_IN_FLIGHT)
        .collect()
        .await;
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
