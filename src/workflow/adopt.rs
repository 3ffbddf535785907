//! `{"action": "adopt"}`: an existing deployment's members, enrolled before the enrollment tag
//! existed, are tagged as this function's (TagResource), so that they are removed once their
//! accounts depart. Only the members whose accounts are `ACTIVE` in the organization (not excluded,
//! not the administrator) are adopted: a member of an account that has left, or that another
//! tool's or a person's invitation brought from outside, stays untouched. Run it with
//! `"dryRun": true` first: the plan lists each member it would tag.

use std::collections::BTreeSet;

use futures_util::future::join_all;

use crate::domain::{AccountId, AccountState, Mark, MemberListing, Origin, Region};
use crate::error::Error;
use crate::outcome::{Outcome, Report};
use crate::policy::failure;
use crate::report::summary::{AdoptionTally, Detail, Summary};
use crate::workflow::scope::Scope;
use crate::workflow::steps::lookup::read_marks;

/// Tags the `untagged` members (under a dry run, plans it), at most MAX_CALLS_IN_FLIGHT at once
/// and none past the deadline; the `unread` are reported, never tagged on a guess.
async fn tag_untagged(
    scope: Scope<'_>,
    untagged: Vec<(Region, AccountId, Option<String>)>,
    unread: Vec<(Region, AccountId)>,
    origin: &Origin,
) -> Vec<Report> {
    let app = scope.app;
    let adopt_one = |(region, id, arn): (Region, AccountId, Option<String>)| async move {
        let outcome = match arn {
            _ if app.config.dry_run => Outcome::Planned {
                actions: vec!["tag"],
            },
            None => Outcome::failed("Macie gave no ARN for this member, so it cannot be tagged"),
            Some(arn) => match app.macie.tag_enrolled(&region, &arn).await {
                Ok(()) => Outcome::Adopted,
                Err(error) => failure::outcome_in(&error, &region),
            },
        };
        Report::account(&id, Some(&region), outcome, origin)
    };
    let reports = scope
        .each(untagged, adopt_one, |(region, id, _)| {
            Report::account(&id, Some(&region), Outcome::Deferred, origin)
        })
        .await;
    // A member whose tags could not be read is never tagged on a guess: reported, for the next run.
    reports
        .into_iter()
        .chain(unread.into_iter().map(|(region, id)| {
            let outcome = Outcome::pending(
                "its tags could not be read (GetMember), so whether it carries the mark is unknown: \
                 not tagged; run the adoption again",
            );
            Report::account(&id, Some(&region), outcome, origin)
        }))
        .collect()
}

/// The members of `ACTIVE` accounts, sorted by their mark, and each region's tally.
#[derive(Default)]
struct Sorted {
    /// Members without the mark, with their ARN: to be tagged.
    untagged: Vec<(Region, AccountId, Option<String>)>,
    /// Members whose tags could not be read: never tagged on a guess.
    unread: Vec<(Region, AccountId)>,
    tallies: Vec<AdoptionTally>,
}

impl Sorted {
    /// Sorts the members of `region` whose accounts are `active`.
    fn sort_members(
        &mut self,
        region: &Region,
        members: MemberListing,
        active: &BTreeSet<&AccountId>,
    ) {
        let mut tally = AdoptionTally {
            region: region.clone(),
            members_found: members.len(),
            of_active_accounts: 0,
            marked_already: 0,
        };
        for (id, membership) in members {
            if !active.contains(&id) {
                continue;
            }
            tally.of_active_accounts += 1;
            match membership.mark {
                Mark::Enrolled => tally.marked_already += 1,
                Mark::Unmarked => {
                    let arn = membership.arn.map(|arn| arn.text(region, &id));
                    self.untagged.push((region.clone(), id, arn));
                }
                Mark::Unread => self.unread.push((region.clone(), id)),
            }
        }
        self.tallies.push(tally);
    }
}

/// Adopts the untagged members of `regions` whose accounts are `ACTIVE` in the organization. The
/// organization and every region are listed first: a listing that fails is the error, before any
/// member is tagged, and the action can be run again. A member whose tagging fails is listed in
/// `failed`, and one the deadline left in `pending`: the next run adopts what is left.
pub(crate) async fn adopt_members(scope: Scope<'_>, regions: &[Region]) -> Result<Summary, Error> {
    let (app, own_account) = (scope.app, scope.own_account);
    let accounts = app.organizations.list_accounts().await?;
    let excluded = &app.config.excluded_account_ids;
    let active: BTreeSet<&AccountId> = accounts
        .iter()
        .filter(|account| account.state == AccountState::Active)
        .map(|account| &account.id)
        .filter(|id| !excluded.contains(id) && Some(*id) != own_account)
        .collect();
    let listings = join_all(regions.iter().map(|region| async {
        let mut members = app.macie.list_members(region).await?;
        // Where the listing carried no tags, GetMember reads them, for the candidates only.
        let unread = members
            .iter()
            .filter(|(id, membership)| active.contains(id) && membership.mark == Mark::Unread)
            .map(|(id, _)| id.clone())
            .collect();
        read_marks(scope, region, &mut members, unread).await;
        Ok::<_, Error>(members)
    }))
    .await;
    let mut sorted = Sorted::default();
    for (region, listing) in regions.iter().zip(listings) {
        sorted.sort_members(region, listing?, &active);
    }
    let Sorted {
        untagged,
        unread,
        tallies,
    } = sorted;
    let origin = Origin::first(regions);
    let reports = tag_untagged(scope, untagged, unread, &origin).await;
    for report in &reports {
        report.log();
    }
    Ok(Summary {
        dry_run: app.config.dry_run,
        adoption: tallies,
        ..Summary::from_reports(&reports, Detail::Every)
    })
}
