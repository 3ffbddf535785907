//! Associations ahead of a reconcile: while the organization is listed, page after page, each
//! region whose members are listed already associates (CreateMember) the accounts of each page that
//! it lacks and that the reconcile would associate. Once the listing is whole, the reconcile finds
//! them associated and never invited, and invites them, 50 to a call: the same calls, sooner.
//!
//! Only where a page alone settles the reconcile's choice: BACKFILL on (no cutoff to read), no
//! EXCLUDED_OU_IDS (no unit to look up), not a dry run, and a region where the function invites.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use futures_util::{StreamExt, stream};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::domain::{
    Account, AccountId, DiscoveryMark, Mark, MemberStatus, Membership, Mode, Origin, Pages, Region,
    email_digest,
};
use crate::error::Error;
use crate::policy::plan;
use crate::workflow::scope::Scope;
use crate::workflow::steps::enroll::associate_one;
use crate::workflow::steps::passes::{Prefetched, prefetch};

/// The organization's accounts (ListAccounts, page after page), and the first regions' members
/// listed meanwhile (`prefetch`); in those regions, each account the reconcile would associate is
/// associated as its page comes, and stands in its region's listing as `Created`, never invited.
pub(crate) async fn list_ahead(
    scope: Scope<'_>,
    origin: &Origin,
) -> (Result<Vec<Account>, Error>, Prefetched) {
    let (pages, arriving) = unbounded_channel::<Vec<Account>>();
    let listing = async move {
        let mut listed = scope.app.organizations.account_pages();
        let mut accounts = Vec::new();
        while let Some(page) = listed.next_page().await {
            let page = page?;
            // Gone only when the associations stopped: the listing goes on all the same.
            let _ = pages.send(page.items.clone());
            accounts.extend(page.items);
        }
        Ok(accounts)
    };
    let ahead = async {
        let mut members = prefetch(scope, origin).await;
        associate_ahead(scope, &mut members, arriving).await;
        members
    };
    futures_util::join!(listing, ahead)
}

/// Associates, region by region (MAX_CALLS_IN_FLIGHT at once in each), the accounts of the pages as
/// they arrive that the listed regions lack, and puts each one Macie took in its region's listing.
async fn associate_ahead(
    scope: Scope<'_>,
    members: &mut Prefetched,
    mut arriving: UnboundedReceiver<Vec<Account>>,
) {
    let regions = regions_ahead(scope, members).await;
    if regions.is_empty() {
        arriving.close();
        return;
    }
    let limit = scope.app.config.max_calls_in_flight;
    let calls: Vec<(Semaphore, AtomicBool)> = regions
        .iter()
        .map(|_| (Semaphore::new(limit), AtomicBool::new(false)))
        .collect();
    let (listed, calls, regions) = (&*members, &calls, &regions);
    let mut seen = BTreeSet::new();
    let accounts = stream::unfold(arriving, |mut arriving| async {
        arriving.recv().await.map(|page| (page, arriving))
    })
    .flat_map(stream::iter)
    .filter(|account| {
        std::future::ready(seen.insert(account.id.clone()) && wanted(scope, account))
    });
    let associated: Vec<(usize, Account)> = accounts
        .flat_map(|account| {
            let lacking = regions.iter().enumerate().filter(|(_, region)| {
                listed[*region]
                    .0
                    .as_ref()
                    .is_ok_and(|listing| !listing.contains_key(&account.id))
            });
            let lacking: Vec<usize> = lacking.map(|(index, _)| index).collect();
            stream::iter(
                lacking
                    .into_iter()
                    .map(move |index| (index, account.clone())),
            )
        })
        .map(|(index, account)| async move {
            let (permits, quota_reached) = &calls[index];
            let _call = permits.acquire().await;
            // A failure is left to the reconcile, which asks again and reports it.
            let taken = associate_one(scope, &regions[index], &account, quota_reached).await;
            taken.ok().map(|()| (index, account))
        })
        .buffer_unordered(limit * regions.len())
        .filter_map(std::future::ready)
        .collect()
        .await;
    put_in_listings(members, regions, associated);
}

/// Puts the accounts associated ahead in their regions' listings: all of a region's at once,
/// sorted once, not one insertion (and one shift of the listing) for each account.
fn put_in_listings(
    members: &mut Prefetched,
    regions: &[Region],
    associated: Vec<(usize, Account)>,
) {
    let mut by_region: Vec<Vec<(AccountId, Membership)>> =
        regions.iter().map(|_| Vec::new()).collect();
    for (index, account) in associated {
        by_region[index].push((account.id.clone(), associated_now(&account)));
    }
    for (region, taken) in regions.iter().zip(by_region) {
        if let Some((Ok(listing), ahead)) = members.get_mut(region) {
            *ahead += taken.len();
            listing.extend(taken);
        }
    }
}

/// The listed regions where a page alone settles what the reconcile does: listed whole, and the
/// function invites there (the mode read with the listing); none unless BACKFILL is on, no
/// EXCLUDED_OU_IDS is set, and the run is no dry run.
async fn regions_ahead(scope: Scope<'_>, members: &Prefetched) -> Vec<Region> {
    let config = &scope.app.config;
    if !config.backfill || config.dry_run || !config.excluded_ou_ids.is_empty() {
        return Vec::new();
    }
    let mut regions = Vec::new();
    // The mode was read with each listing that came whole (`prefetch`): this read is that one.
    for (region, _) in members.iter().filter(|(_, (listing, _))| listing.is_ok()) {
        let invites = scope.mode_in(region).await;
        if invites.is_ok_and(|read| read.mode == Mode::Invitations) {
            regions.push(region.clone());
        }
    }
    regions
}

/// Whether the reconcile would associate the account wherever it is no member: screened in
/// (`plan::skip_reason`), and ACTIVE with an email (`plan::ineligibility`).
fn wanted(scope: Scope<'_>, account: &Account) -> bool {
    let excluded = &scope.app.config.excluded_account_ids;
    plan::skip_reason(&account.id, excluded, scope.own_account).is_none()
        && plan::ineligibility(account).is_none()
}

/// The member an account is once CreateMember took it, as ListMembers would list it: `Created`,
/// never invited, with the enrollment tag.
fn associated_now(account: &Account) -> Membership {
    Membership {
        status: MemberStatus::Created,
        invited_at: None,
        mark: Mark::Enrolled,
        arn: None,
        discovery_mark: DiscoveryMark::NotOurs,
        email_digest: Some(email_digest(&account.email)),
    }
}
