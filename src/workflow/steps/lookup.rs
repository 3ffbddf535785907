//! Look-ups that workflows share: creation requests resolved, accounts described or read from the
//! organization's listing, units of the organization for EXCLUDED_OU_IDS, members' marks where a
//! listing carried none, and listings read only while they pay.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use lambda_runtime::tracing;

use crate::aws::organizations::Parent;
use crate::domain::{
    Account, AccountId, CreateAccountRequestId, Creation, Mark, MemberListing,
    OrganizationalUnitId, Origin, Pages, Region,
};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::policy::discovery::UnitsWalked;
use crate::policy::failure;
use crate::policy::mode::{RegionMode, judge_mode};
use crate::policy::plan::{self, Source};
use crate::workflow::clock::{Deadline, iso_time};
use crate::workflow::scope::Scope;

/// A creation request, with the work it came from, and what became of it.
pub(crate) struct Resolution {
    pub request_id: CreateAccountRequestId,
    pub origin: Origin,
    /// The account it made (or its failure, or that it is in progress), or the outcome to report.
    pub creation: Result<Creation, Outcome>,
}

/// Reads, with GetMember, the marks that a listing of `region` did not carry, of the `candidates`
/// among `members` (the few whose removal or adoption hangs on it), into `members`. A mark that
/// cannot be read now stays [`Mark::Unread`]: the member is kept, and reported as such.
pub(crate) async fn read_marks(
    scope: Scope<'_>,
    region: &Region,
    members: &mut MemberListing,
    candidates: Vec<AccountId>,
) {
    let read = |id: AccountId| async move {
        let mark = match scope.app.macie.membership(region, &id).await {
            Ok(Some(membership)) => membership.mark,
            Ok(None) => Mark::Unread,
            Err(error) => {
                tracing::warn!(account_id = %id, region = %region, %error, "the member's tags could not be read: it is kept");
                Mark::Unread
            }
        };
        (id, mark)
    };
    let marks = scope.each(candidates, read, |id| (id, Mark::Unread)).await;
    for (id, mark) in marks {
        if let Some(membership) = members.get_mut(&id) {
            membership.mark = mark;
        }
    }
}

/// BACKFILL off: the accounts from before the function's first deployment are only planned for.
pub(crate) struct Cutoff {
    /// When the function was first deployed, in seconds since the epoch; `None` where that is
    /// unknown, and then every account is only planned for.
    pub deployed: Option<i64>,
    /// What the summary says of it.
    pub note: String,
}

impl Cutoff {
    /// Whether `account` is from before the first deployment, and so only planned for.
    pub(crate) fn predates(&self, account: &Account) -> bool {
        plan::existed_before_deployment(account, self.deployed)
    }
}

/// The cutoff of BACKFILL off (and not under DRY_RUN, which plans everything anyway); `None` with
/// BACKFILL on. The deployment's time is the retry queue's creation (GetQueueAttributes
/// CreatedTimestamp): the template makes it with the stack and keeps it across updates, so no one
/// has to set a date.
pub(crate) async fn read_backfill_cutoff(scope: Scope<'_>) -> Option<Cutoff> {
    let app = scope.app;
    let config = &app.config;
    if config.backfill || config.dry_run {
        return None;
    }
    let read = match config.retry_queue_url.as_deref() {
        None => Err("without RETRY_QUEUE_URL it is unknown".to_owned()),
        Some(url) => match app.queue.created_at(url).await {
            Ok(Some(deployed)) => Ok(deployed),
            Ok(None) => Err("the retry queue has no CreatedTimestamp".to_owned()),
            Err(error) => Err(format!("it could not be read ({error})")),
        },
    };
    let turn_on = "set BACKFILL=true (the stack's Backfill parameter) to invite them, or name \
                   them in a manual invocation";
    let note = match &read {
        Ok(deployed) => format!(
            "BACKFILL is off: the accounts that joined the organization before the function's first \
             deployment ({}, when its retry queue was created) are planned for, not invited, and \
             those that joined since are invited; {turn_on}",
            iso_time(*deployed)
        ),
        Err(why) => format!(
            "BACKFILL is off, and the time of the first deployment (the retry queue's creation) is \
             not known: {why}; so every account is planned for; {turn_on}"
        ),
    };
    Some(Cutoff {
        deployed: read.ok(),
        note,
    })
}

/// Resolves creation requests: the account each made, or the outcome to report for the request.
pub(crate) async fn resolve(
    scope: Scope<'_>,
    requests: Vec<(CreateAccountRequestId, Origin)>,
) -> Vec<Resolution> {
    let work = |(request_id, origin): (CreateAccountRequestId, Origin)| async move {
        let creation = match scope.app.organizations.creation(&request_id).await {
            Ok(Some(creation)) => Ok(creation),
            Ok(None) => Ok(Creation::Failed {
                reason: "Organizations knows no such account creation request (CreateAccountStatusNotFoundException)"
                    .to_owned(),
            }),
            Err(error) => Err(failure::outcome_of(&error)),
        };
        Resolution {
            request_id,
            origin,
            creation,
        }
    };
    scope
        .each(requests, work, |(request_id, origin)| Resolution {
            request_id,
            origin,
            creation: Err(Outcome::Deferred),
        })
        .await
}

/// Looks each account up, the one way accounts are looked up: the account as the organization
/// knows it, `None` when it is not an account of the organization, or the outcome to report when
/// it could not be read now. From the organization's accounts when the invocation has listed them
/// already (`known`); else many accounts are read from the listing while it pays (see
/// [`plan::keep_listing`]), and the others are described one by one.
pub(crate) async fn look_up(
    scope: Scope<'_>,
    ids: Vec<AccountId>,
    known: Option<&[Account]>,
) -> BTreeMap<AccountId, Result<Option<Account>, Outcome>> {
    let app = scope.app;
    let deadline = scope.deadline;
    let wanted: BTreeSet<AccountId> = ids.into_iter().collect();
    let listing = match (
        known,
        plan::source(wanted.len(), plan::ACCOUNTS_LOOKED_UP_ONE_BY_ONE),
    ) {
        (Some(accounts), _) => Listing {
            found: accounts
                .iter()
                .filter(|account| wanted.contains(&account.id))
                .map(|account| (account.id.clone(), account.clone()))
                .collect(),
            complete: true,
        },
        (None, Source::EachAccount) => Listing::default(),
        (None, Source::Listing) => {
            let pages = app.organizations.account_pages();
            read_listing(&wanted, deadline, "ListAccounts", pages, |account| {
                &account.id
            })
            .await
        }
    };
    let mut looked_up: BTreeMap<AccountId, Result<Option<Account>, Outcome>> = listing
        .found
        .into_iter()
        .map(|(id, account)| (id, Ok(Some(account))))
        .collect();
    let rest: Vec<AccountId> = wanted
        .into_iter()
        .filter(|id| !looked_up.contains_key(id))
        .collect();
    if listing.complete {
        let absent = rest.into_iter();
        looked_up.extend(absent.map(|id| (id, Ok(None))));
        return looked_up;
    }
    let describe = |id: AccountId| async move {
        let result = app.organizations.describe_account(&id).await;
        (id, result.map_err(|error| failure::outcome_of(&error)))
    };
    let described = scope.each(rest, describe, |id| (id, Err(Outcome::Deferred)));
    looked_up.extend(described.await);
    looked_up
}

/// The accounts that may not be invited as far as EXCLUDED_OU_IDS goes, each with the outcome to
/// report: under an excluded unit (at any depth), or its place could not be read; the rest may be.
/// Each account's parents are read with ListParents up to the root; a unit's parent is read once.
/// With no EXCLUDED_OU_IDS, none (and nothing held for each account).
pub(crate) async fn screen_excluded_units(
    scope: Scope<'_>,
    ids: Vec<AccountId>,
) -> BTreeMap<AccountId, Outcome> {
    let excluded = &scope.app.config.excluded_ou_ids;
    if excluded.is_empty() {
        return BTreeMap::new();
    }
    let parents: Mutex<BTreeMap<OrganizationalUnitId, Parent>> = Mutex::default();
    let parents = &parents;
    let verdict = |id: AccountId| async move {
        let refusal = match read_ancestry(scope, &id, parents).await {
            Err(error) => Some(failure::outcome_of(&error)),
            Ok(ancestry) => plan::excluded_unit(&ancestry, excluded).map(|unit| {
                Outcome::skipped(format!(
                    "under organizational unit {unit}, listed in EXCLUDED_OU_IDS"
                ))
            }),
        };
        (id, refusal)
    };
    let verdicts = scope.each(ids, verdict, |id| (id, Some(Outcome::Deferred)));
    let refused = verdicts.await.into_iter();
    refused
        .filter_map(|(id, refusal)| Some((id, refusal?)))
        .collect()
}

/// The units above an account, nearest first, up to the root; `parents` remembers each unit's
/// parent across accounts.
async fn read_ancestry(
    scope: Scope<'_>,
    id: &AccountId,
    parents: &Mutex<BTreeMap<OrganizationalUnitId, Parent>>,
) -> Result<Vec<OrganizationalUnitId>, crate::error::Error> {
    let app = scope.app;
    let mut ancestry = Vec::new();
    let mut parent = app.organizations.parent(id.as_str()).await?;
    while let Parent::Unit(unit) = parent {
        let known = parents.lock().unwrap().get(&unit).cloned();
        parent = match known {
            Some(known) => known,
            None => {
                let read = app.organizations.parent(unit.as_str()).await?;
                parents.lock().unwrap().insert(unit.clone(), read.clone());
                read
            }
        };
        ancestry.push(unit);
    }
    Ok(ancestry)
}

/// The wanted items a listing held, and whether it was read to the end (then an account it did not
/// hold is not in it).
pub(crate) struct Listing<T> {
    pub found: BTreeMap<AccountId, T>,
    pub complete: bool,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            found: BTreeMap::new(),
            complete: false,
        }
    }
}

/// Reads a listing page by page while [`plan::keep_listing`] says it pays. A failed page or a near
/// deadline ends it early: the accounts it has not settled are then asked for one by one, with the
/// retries and re-queueing of every single call.
pub(crate) async fn read_listing<P: Pages>(
    wanted: &BTreeSet<AccountId>,
    deadline: Deadline,
    operation: &str,
    mut pages: P,
    key: impl Fn(&P::Item) -> &AccountId,
) -> Listing<P::Item> {
    let mut listing = Listing::default();
    let mut read = 0;
    while !deadline.near() {
        let page = match pages.next_page().await {
            None => {
                listing.complete = true;
                break;
            }
            Some(Ok(page)) => page,
            Some(Err(error)) => {
                tracing::warn!(operation, %error, "the listing failed; asking for each account instead");
                break;
            }
        };
        read += 1;
        for item in page.items {
            let id = key(&item);
            if wanted.contains(id) {
                listing.found.insert(id.clone(), item);
            }
        }
        if !page.more {
            listing.complete = true;
            break;
        }
        if !plan::keep_listing(read, listing.found.len(), wanted.len()) {
            break;
        }
    }
    listing
}

/// The accounts anywhere under DISCOVERY_OFF_OU_IDS, each unit walked down once. A unit that does
/// not exist, or whose walk is refused, is named with what to do, and the others still count; a
/// walk that fails for now (throttled, a 5xx) is the outcome of the work that needed it.
pub(crate) async fn read_accounts_under_off_units(
    scope: Scope<'_>,
) -> Result<UnitsWalked, Outcome> {
    let app = scope.app;
    let units = &app.config.discovery.off_ou_ids;
    let walked = futures_util::future::join_all(
        units
            .iter()
            .map(|unit| app.organizations.accounts_under(unit)),
    )
    .await;
    let mut read = UnitsWalked::default();
    for (unit, walk) in units.iter().zip(walked) {
        match walk {
            Ok(accounts) => read.accounts.extend(accounts),
            Err(error) if failure::is_transient(&error) => return Err(failure::outcome_of(&error)),
            Err(error) => read.unread.push(say_unit_unread(unit, &error)),
        }
    }
    Ok(read)
}

/// What to do about a unit of DISCOVERY_OFF_OU_IDS whose walk failed for good.
fn say_unit_unread(unit: &OrganizationalUnitId, error: &Error) -> String {
    let fix = match error.code() {
        // Organizations' word (its API reference), and moto's.
        Some("ParentNotFoundException" | "OrganizationalUnitNotFoundException") => {
            "the unit does not exist (any more): remove it from DISCOVERY_OFF_OU_IDS"
        }
        _ if failure::is_access_denied(error) => {
            "allow organizations:ListAccountsForParent and ListOrganizationalUnitsForParent on the \
             organization's units to the function's role (management.yaml's delegation, in layout b)"
        }
        _ => "check the unit's ID",
    };
    format!(
        "{unit}: {}; {fix}. The other units and accounts are applied",
        error.code().unwrap_or("refused")
    )
}

/// Whether the function's account is the organization's delegated Macie administrator in
/// `region` (one DescribeOrganizationConfiguration), or the mode ENROLLMENT_MODE forces with no
/// read; logged once, with what told it. A read that fails for now (throttled past the SDK's
/// retries, a 5xx) is the outcome of every account that waited on it: re-queued.
pub(crate) async fn read_mode(scope: Scope<'_>, region: &Region) -> Result<RegionMode, Outcome> {
    let app = scope.app;
    if let Some(mode) = app.config.enrollment_mode {
        return Ok(RegionMode::forced(mode));
    }
    let answer = app.macie.organization_configuration(region).await;
    match judge_mode(answer) {
        Ok(read) => {
            let configuration = read.configuration;
            // Why, in words: Macie's own refusal is the answer "not the delegated administrator"
            // here, not a failure, so its exception text is not logged.
            let why = match configuration {
                Some(_) => "this account is the organization's delegated Macie administrator here",
                None => "this account is not the organization's delegated Macie administrator here",
            };
            tracing::info!(
                region = region.as_str(),
                mode = read.mode.name(),
                why,
                auto_enable = configuration.map(|c| c.auto_enable),
                max_account_limit_reached = configuration.map(|c| c.max_account_limit_reached),
                "enrollment mode chosen"
            );
            Ok(read)
        }
        Err(error) => Err(failure::outcome_in(&error, region)),
    }
}

/// What a workflow reads at most once an invocation, through its scope.
impl Scope<'_> {
    /// The mode of `region` ([`read_mode`]): read the first time a workflow of the invocation
    /// needs it, and known from then on.
    pub(crate) async fn mode_in(&self, region: &Region) -> Result<RegionMode, Outcome> {
        match self.modes.get(region) {
            Some(mode) => mode.get_or_init(|| read_mode(*self, region)).await.clone(),
            None => read_mode(*self, region).await,
        }
    }

    /// The accounts anywhere under DISCOVERY_OFF_OU_IDS ([`read_accounts_under_off_units`]): read
    /// the first time a workflow of the invocation needs them.
    pub(crate) async fn accounts_under_off_units(&self) -> Result<UnitsWalked, Outcome> {
        let read = || read_accounts_under_off_units(*self);
        self.off_units.get_or_init(read).await.clone()
    }
}
