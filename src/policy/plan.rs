//! Pure decisions: which accounts to look up, which to invite, and what to do with each Macie relationship.

use std::collections::BTreeSet;
use std::num::NonZeroI64;

use crate::domain::{
    Account, AccountId, AccountState, MemberStatus, Membership, Mode, OrganizationalUnitId, Region,
    Work,
};
use crate::error::Error;

/// CreateInvitations takes at most this many account IDs a call.
pub(crate) const MAX_ACCOUNTS_PER_INVITATION: usize = 50;

/// Work confined to the regions the function is configured for (MACIE_REGIONS): what may go on,
/// and each subject and region refused, with the work it came from.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Confined {
    pub works: Vec<Work>,
    pub refused: Vec<(Work, Region)>,
}

/// Keeps in each work only the regions of `allowed`: a manual invocation or a retry message may
/// name others, and the function never acts there. Work left with no region is dropped (its
/// regions are all in `refused`).
pub(crate) fn confine_works(works: Vec<Work>, allowed: &[Region]) -> Confined {
    let mut confined = Confined::default();
    for mut work in works {
        let regions = &work.origin.regions;
        if regions.iter().all(|region| allowed.contains(region)) {
            // The usual case: the work keeps its list of regions, shared with the rest of its
            // piece of work (`Origin.regions`), not a copy of its own.
            confined.works.push(work);
            continue;
        }
        let (kept, refused): (Vec<Region>, Vec<Region>) = work
            .origin
            .regions
            .iter()
            .cloned()
            .partition(|region| allowed.contains(region));
        confined
            .refused
            .extend(refused.into_iter().map(|region| (work.clone(), region)));
        if !kept.is_empty() {
            work.origin.regions = kept.into();
            confined.works.push(work);
        }
    }
    confined
}

/// The regions of a reconcile: those it names, all of MACIE_REGIONS, or none at all when it names
/// one outside them.
pub(crate) fn reconcile_regions<'a>(
    named: Option<&'a [Region]>,
    allowed: &'a [Region],
) -> Result<&'a [Region], Error> {
    let Some(named) = named else {
        return Ok(allowed);
    };
    match named.iter().find(|region| !allowed.contains(region)) {
        Some(region) => Err(Error::RegionNotAllowed {
            region: region.to_string(),
            allowed: allowed
                .iter()
                .map(Region::as_str)
                .collect::<Vec<_>>()
                .join(","),
        }),
        None => Ok(named),
    }
}

/// Why a region is refused, for the report.
pub(crate) fn region_refusal(region: &Region) -> String {
    format!(
        "region {region} is not one of MACIE_REGIONS: the function acts only in the regions it is configured for (add it to MacieRegions to invite there)"
    )
}

/// How the function learns about accounts: one call per account (DescribeAccount, GetMember), or
/// a listing of pages (ListAccounts, ListMembers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    EachAccount,
    Listing,
}

/// A listing of the organization (20 accounts a page) costs fewer calls than one DescribeAccount
/// per account only in an organization of fewer than 20 × N accounts, and its pages come one after
/// another where look-ups run side by side: up to this many accounts are looked up one by one.
pub(crate) const ACCOUNTS_LOOKED_UP_ONE_BY_ONE: usize = 50;

/// A region's member listing answers for every account on its first page when the region has at
/// most 25 members (a new administrator, a new region): one GetMember is asked only for one account.
pub(crate) const MEMBERSHIPS_ASKED_ONE_BY_ONE: usize = 1;

/// Where to learn about `wanted` accounts, when up to `one_by_one` of them are cheapest asked each.
pub(crate) fn source(wanted: usize, one_by_one: usize) -> Source {
    if wanted <= one_by_one {
        Source::EachAccount
    } else {
        Source::Listing
    }
}

/// Whether to fetch another page of a listing that is not finished, after `pages` pages have found
/// `found` of the `wanted` accounts. A page is one call, as asking for one account is: the listing
/// goes on while it has found more accounts than it took pages, or while it has taken fewer pages
/// than a tenth of the accounts still to find (pages without any of them, such as the oldest
/// accounts of an organization, do not end it at once). So it never costs more than a tenth, and
/// one call, above asking for each account, and it stops as soon as it has found them all.
pub(crate) fn keep_listing(pages: usize, found: usize, wanted: usize) -> bool {
    let left = wanted.saturating_sub(found);
    left > 0 && (found > pages || pages * 10 < left)
}

/// The accounts left to look up, and those screened out before any call, with why.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Screening {
    pub to_look_up: Vec<AccountId>,
    pub skipped: Vec<(AccountId, &'static str)>,
}

/// Why an account is screened out before it is looked up, if it is: the function's own account,
/// or one listed in EXCLUDED_ACCOUNT_IDS.
pub(crate) fn skip_reason(
    id: &AccountId,
    excluded: &BTreeSet<AccountId>,
    own_account: Option<&AccountId>,
) -> Option<&'static str> {
    if own_account == Some(id) {
        Some("the function's own account is the Macie administrator and cannot be its own member")
    } else if excluded.contains(id) {
        Some("listed in EXCLUDED_ACCOUNT_IDS")
    } else {
        None
    }
}

/// Drops duplicates (keeping the first), and skips excluded accounts and the function's own account.
pub(crate) fn screen(
    ids: Vec<AccountId>,
    excluded: &BTreeSet<AccountId>,
    own_account: Option<&AccountId>,
) -> Screening {
    let mut seen = BTreeSet::new();
    let mut screening = Screening::default();
    for id in ids {
        if !seen.insert(id.clone()) {
            continue;
        }
        match skip_reason(&id, excluded, own_account) {
            Some(reason) => screening.skipped.push((id, reason)),
            None => screening.to_look_up.push(id),
        }
    }
    screening
}

/// The excluded unit that an account sits under, given its units from the nearest up to the root.
pub(crate) fn excluded_unit<'a>(
    ancestry: &'a [OrganizationalUnitId],
    excluded: &BTreeSet<OrganizationalUnitId>,
) -> Option<&'a OrganizationalUnitId> {
    ancestry.iter().find(|unit| excluded.contains(*unit))
}

/// Whether the reconcile only plans for `account` while BACKFILL is off: it was in the organization
/// before `deployed` (seconds since the epoch: the retry queue's creation, the stack's first
/// deployment), or when it joined, or when the function was deployed, is unknown (fail safe: a
/// plan sends no email).
pub(crate) fn existed_before_deployment(account: &Account, deployed: Option<i64>) -> bool {
    match (account.joined, deployed) {
        (Some(joined), Some(deployed)) => joined < deployed,
        _ => true,
    }
}

/// Why an account that Organizations describes is not to be invited, if it is not.
pub(crate) fn ineligibility(account: &Account) -> Option<String> {
    match &account.state {
        AccountState::Active if account.email.is_empty() => Some(
            "Organizations returned no email address for the account, and Macie needs one"
                .to_owned(),
        ),
        AccountState::Active => None,
        state => Some(format!(
            "account state is {state} in Organizations ({}); only ACTIVE accounts are invited",
            state.meaning()
        )),
    }
}

/// What to do in one region, given the account's current relationship with Macie there.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MemberAction {
    /// A live membership or an invitation on its way: nothing to do.
    AlreadyMember,
    /// Not associated (or no longer): CreateMember, then CreateInvitations.
    AssociateAndInvite,
    /// Associated but never invited: CreateInvitations only.
    Invite,
    /// Invited, and the function accepts invitations: accept it in the member account.
    Accept,
    /// An invitation Macie is still processing: look again shortly, and never invite again meanwhile.
    Wait(String),
    /// Inviting cannot help now.
    Skip(&'static str),
    /// A member whose Macie is suspended, and RESUME_PAUSED asks for it to be resumed.
    Resume,
    /// A member that has drifted from `Enabled`: a fact to report (never retried or dead-lettered),
    /// with what it means and what to do.
    Drifted(&'static str),
}

/// The settings that change what a relationship calls for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MemberPolicy {
    /// REINVITE_REMOVED: associate and invite again the members that were removed or resigned.
    pub reinvite_removed: bool,
    /// ACCEPT_ROLE_NAME is set: the function accepts invitations in the member accounts.
    pub accept: bool,
    /// RESUME_PAUSED: a member whose Macie is suspended (`Paused`) is resumed.
    pub resume_paused: bool,
}

/// How long after an invitation a member still `Created` is taken as that invitation on its way,
/// never to be sent again: its status passes through `Created` and `EmailVerificationInProgress`
/// before `Invited`, and terraform-provider-aws waits up to 5 minutes for that
/// (internal/service/macie2, `waitMemberInvited`); Control Tower's factory brings two events for
/// one account minutes apart.
/// Thrice the provider's wait: a member still `Created` after it is invited again.
pub(crate) const INVITATION_SETTLING_SECONDS: i64 = 15 * 60;

/// A Paused member, left so (RESUME_PAUSED off).
pub(crate) const PAUSED: &str = "Macie is suspended in the member account (Paused): it is a member, \
                                 and Macie does nothing there; set RESUME_PAUSED=true to resume it, \
                                 or resume it in the member account";

/// A member whose invitation's email could not be verified.
pub(crate) const EMAIL_FAILED: &str = "Macie could not verify the account's email address \
                                       (EmailVerificationFailed): correct the account's email in \
                                       Organizations; the next reconcile invites it again";

/// What one region's `membership` calls for, at `now` (seconds since the epoch).
pub(crate) fn member_action(
    membership: Option<&Membership>,
    policy: MemberPolicy,
    now: i64,
) -> MemberAction {
    let Some(membership) = membership else {
        return MemberAction::AssociateAndInvite;
    };
    let invited_at = membership.invited_at.map(NonZeroI64::get);
    let invited_recently =
        invited_at.is_some_and(|at| now.saturating_sub(at) < INVITATION_SETTLING_SECONDS);
    match &membership.status {
        MemberStatus::Removed | MemberStatus::Resigned if policy.reinvite_removed => {
            MemberAction::AssociateAndInvite
        }
        MemberStatus::Removed => MemberAction::Skip(
            "the administrator removed this member (Removed); set REINVITE_REMOVED=true to invite it again",
        ),
        MemberStatus::Resigned => MemberAction::Skip(
            "the account left this administrator (Resigned); set REINVITE_REMOVED=true to invite it again",
        ),
        MemberStatus::Created if invited_recently && policy.accept => {
            MemberAction::Wait(format!(
                "invited {} s ago, and Macie still shows the member as Created: the invitation is on its way",
                now.saturating_sub(invited_at.unwrap_or(now))
            ))
        }
        MemberStatus::Created if invited_recently => MemberAction::AlreadyMember,
        MemberStatus::Created => MemberAction::Invite,
        MemberStatus::EmailVerificationInProgress if policy.accept => MemberAction::Wait(
            "Macie is verifying the account's email before the invitation shows (EmailVerificationInProgress)"
                .to_owned(),
        ),
        MemberStatus::Invited if policy.accept => MemberAction::Accept,
        MemberStatus::Paused if policy.resume_paused => MemberAction::Resume,
        MemberStatus::Paused => MemberAction::Drifted(PAUSED),
        MemberStatus::Enabled
        | MemberStatus::Invited
        | MemberStatus::EmailVerificationInProgress => MemberAction::AlreadyMember,
        MemberStatus::RegionDisabled => MemberAction::Drifted(
            "Macie reports the region as disabled for this account (RegionDisabled): enable the \
             region in the account (Account settings, AWS Regions); the next reconcile invites it",
        ),
        MemberStatus::AccountSuspended => MemberAction::Drifted(
            "AWS has suspended the account (AccountSuspended): nothing to do in Macie until AWS \
             reinstates it",
        ),
        MemberStatus::EmailVerificationFailed => MemberAction::Drifted(EMAIL_FAILED),
        MemberStatus::Other(_) => MemberAction::Drifted(
            "Macie reports a relationship status this function does not know: look at the member \
             in Macie's console",
        ),
    }
}

/// By invitation, only the member account can resume its own Macie.
const NO_ROLE: &str = "Macie is suspended in the member account (Paused), and an administrator by \
                       invitation cannot resume it (only the delegated Macie administrator can, \
                       with UpdateMemberSession): set ACCEPT_ROLE_NAME (member-role.yaml grants \
                       macie2:UpdateMacieSession), or resume Macie in the member account";

/// Whether RESUME_PAUSED can resume a member in a region of `mode`, with ACCEPT_ROLE_NAME `role`:
/// the delegated administrator can (UpdateMemberSession), and by invitation only the member
/// account itself, through the role (UpdateMacieSession); else why not, and what to do.
pub(crate) fn judge_resume(mode: Mode, role: Option<&str>) -> Result<(), &'static str> {
    match (mode, role) {
        (Mode::Organizations, _) | (Mode::Invitations, Some(_)) => Ok(()),
        (Mode::Invitations, None) => Err(NO_ROLE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{account_id as id, active_account};

    #[test]
    fn work_keeps_only_the_configured_regions_and_reports_the_others() {
        let region = |name: &str| Region::parse(name, "t").unwrap();
        let work = |regions: &[&str]| Work {
            subject: crate::domain::Subject::Account(
                AccountId::parse("111122223333", "t").unwrap(),
            ),
            origin: crate::domain::Origin::first(
                &regions.iter().map(|r| region(r)).collect::<Vec<_>>(),
            ),
        };
        let allowed = [region("us-east-1"), region("eu-west-1")];

        let confined = confine_works(
            vec![work(&["eu-west-1", "ap-south-1"]), work(&["sa-east-1"])],
            &allowed,
        );

        assert_eq!(confined.works, [work(&["eu-west-1"])]);
        let refused: Vec<&str> = confined.refused.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(refused, ["ap-south-1", "sa-east-1"]);
        assert!(region_refusal(&region("ap-south-1")).contains("MACIE_REGIONS"));
    }

    /// The calls spent on `wanted` accounts when the listing's pages hold `per_page` of them each:
    /// pages fetched while `keep_listing` says so, then one call for each account not found.
    fn calls(per_page: &[usize], wanted: usize) -> usize {
        let (mut pages, mut found) = (0, 0);
        for held in per_page {
            pages += 1;
            found += held;
            if !keep_listing(pages, found, wanted) {
                break;
            }
        }
        let finished = pages == per_page.len();
        pages + if finished { 0 } else { wanted - found }
    }

    #[test]
    fn a_few_accounts_are_asked_for_one_by_one_and_many_are_listed() {
        assert_eq!(source(1, MEMBERSHIPS_ASKED_ONE_BY_ONE), Source::EachAccount);
        assert_eq!(source(2, MEMBERSHIPS_ASKED_ONE_BY_ONE), Source::Listing);
        assert_eq!(
            source(50, ACCOUNTS_LOOKED_UP_ONE_BY_ONE),
            Source::EachAccount
        );
        assert_eq!(source(51, ACCOUNTS_LOOKED_UP_ONE_BY_ONE), Source::Listing);
    }

    #[test]
    fn a_listing_that_finds_many_accounts_a_page_is_read_to_the_end() {
        // 1,000 new accounts among 1,001: 51 pages at most, not 1,000 look-ups; and the listing
        // stops as soon as it has found them all.
        let mut pages = vec![0];
        pages.extend([20; 50]);
        assert_eq!(calls(&pages, 1000), 51);
        assert_eq!(calls(&[20, 20, 10, 0, 0], 50), 3);
    }

    #[test]
    fn a_listing_that_stops_finding_gives_way_to_one_call_per_account() {
        // 60 new accounts among 5,000 (250 pages): 6 pages, then 60 look-ups.
        assert_eq!(calls(&[0; 250], 60), 66);
        // 100 wanted, 30 found in the first 10 pages, then none: the listing goes on until it has
        // taken as many pages as it found accounts, then the other 70 are looked up.
        let mut pages = vec![3; 10];
        pages.extend([0; 200]);
        assert_eq!(calls(&pages, 100), 30 + 70);
        // A region with no member yet: one empty page answers for every account.
        assert_eq!(calls(&[0], 50), 1);
        // Brand-new accounts are no region's members: a long member listing is given up after a
        // tenth of their number in pages.
        assert_eq!(calls(&[0; 80], 50), 55);
    }

    #[test]
    fn a_listing_never_costs_more_than_a_tenth_above_asking_for_each() {
        for wanted in 1..40 {
            for density in 0..=20 {
                for length in 1..30 {
                    let pages: Vec<usize> = (0..length)
                        .scan(wanted, |left, _| {
                            let held = density.min(*left);
                            *left -= held;
                            Some(held)
                        })
                        .collect();
                    let cost = calls(&pages, wanted);
                    let bound = wanted + wanted.div_ceil(10) + 1;
                    assert!(cost <= bound, "{wanted} wanted, {pages:?}: {cost}");
                }
            }
        }
    }

    #[test]
    fn screening_drops_duplicates_and_skips_excluded_and_own_accounts_with_reasons() {
        let excluded = BTreeSet::from([id("222222222222")]);
        let screening = screen(
            vec![
                id("111111111111"),
                id("222222222222"),
                id("111111111111"),
                id("999999999999"),
                id("333333333333"),
            ],
            &excluded,
            Some(&id("999999999999")),
        );
        assert_eq!(
            screening.to_look_up,
            vec![id("111111111111"), id("333333333333")]
        );
        let skipped = &screening.skipped;
        assert_eq!(skipped.len(), 2);
        assert_eq!(skipped[0].0, id("222222222222"));
        assert!(skipped[0].1.contains("EXCLUDED_ACCOUNT_IDS"));
        assert_eq!(skipped[1].0, id("999999999999"));
        assert!(skipped[1].1.contains("own account"));
    }

    #[test]
    fn only_active_accounts_are_eligible() {
        let account = |state: &str| Account {
            state: AccountState::read(Some(state), None),
            ..active_account("111111111111")
        };
        assert_eq!(ineligibility(&account("ACTIVE")), None);
        for state in [
            "SUSPENDED",
            "PENDING_CLOSURE",
            "CLOSED",
            "PENDING_ACTIVATION",
        ] {
            assert!(ineligibility(&account(state)).unwrap().contains(state));
        }
    }

    #[test]
    fn only_accounts_known_to_have_joined_since_the_deployment_are_acted_on_without_backfill() {
        let account = |joined| Account {
            joined,
            ..active_account("111111111111")
        };
        assert!(existed_before_deployment(&account(Some(99)), Some(100)));
        assert!(!existed_before_deployment(&account(Some(100)), Some(100)));
        // Unknown either way: only planned for, so that no email goes out on a guess.
        assert!(existed_before_deployment(&account(None), Some(100)));
        assert!(existed_before_deployment(&account(Some(200)), None));
    }

    #[test]
    fn each_relationship_status_has_its_action() {
        use MemberAction::*;
        let by_default = MemberPolicy::default();
        let reinvite = MemberPolicy {
            reinvite_removed: true,
            ..MemberPolicy::default()
        };
        let accept = MemberPolicy {
            accept: true,
            ..MemberPolicy::default()
        };
        let resume = MemberPolicy {
            resume_paused: true,
            ..MemberPolicy::default()
        };
        let cases = [
            (None, by_default, AssociateAndInvite),
            (Some("Removed"), reinvite, AssociateAndInvite),
            (Some("Resigned"), reinvite, AssociateAndInvite),
            (Some("Created"), by_default, Invite),
            (Some("Enabled"), by_default, AlreadyMember),
            (Some("Paused"), by_default, Drifted(PAUSED)),
            (Some("Paused"), resume, Resume),
            (
                Some("EmailVerificationFailed"),
                by_default,
                Drifted(EMAIL_FAILED),
            ),
            (Some("Invited"), by_default, AlreadyMember),
            (Some("Invited"), accept, Accept),
            (Some("Enabled"), accept, AlreadyMember),
            (
                Some("EmailVerificationInProgress"),
                by_default,
                AlreadyMember,
            ),
        ];
        for (status, policy, expected) in cases {
            let membership = status.map(never_invited);
            let action = member_action(membership.as_ref(), policy, NOW);
            assert_eq!(action, expected, "{status:?} {policy:?}");
        }
        for status in ["Removed", "Resigned"] {
            let action = member_action(Some(&never_invited(status)), by_default, NOW);
            assert!(
                matches!(action, Skip(reason) if reason.contains(status)),
                "{status}"
            );
        }
        // Drift is a fact to report, never a failure to retry.
        for status in ["RegionDisabled", "AccountSuspended", "SomethingNew"] {
            let action = member_action(Some(&never_invited(status)), by_default, NOW);
            assert!(matches!(action, Drifted(_)), "{status}");
        }
    }

    const NOW: i64 = 1_800_000_000;

    /// A status as Macie would send it, read as the adapter reads it.
    fn status_named(name: &str) -> MemberStatus {
        let status = aws_sdk_macie2::types::RelationshipStatus::from(name);
        crate::aws::macie::to_member_status(Some(&status))
    }

    fn never_invited(status: &str) -> Membership {
        Membership {
            status: status_named(status),
            invited_at: None,
            mark: crate::domain::Mark::Enrolled,
            arn: None,
            discovery_mark: crate::domain::DiscoveryMark::NotOurs,
            email_digest: None,
        }
    }

    fn invited_ago(status: &str, seconds: i64) -> Membership {
        Membership {
            status: status_named(status),
            invited_at: NonZeroI64::new(NOW - seconds),
            mark: crate::domain::Mark::Enrolled,
            arn: None,
            discovery_mark: crate::domain::DiscoveryMark::NotOurs,
            email_digest: None,
        }
    }

    #[test]
    fn an_invitation_on_its_way_is_never_sent_again_and_with_an_accept_role_is_waited_for() {
        use MemberAction::*;
        let accept = MemberPolicy {
            accept: true,
            ..MemberPolicy::default()
        };
        let by_default = MemberPolicy::default();
        // Right after CreateInvitations Macie still shows Created: not invited again, either way.
        let just_invited = invited_ago("Created", 30);
        assert!(matches!(
            member_action(Some(&just_invited), accept, NOW),
            Wait(_)
        ));
        assert_eq!(
            member_action(Some(&just_invited), by_default, NOW),
            AlreadyMember
        );
        // EmailVerificationInProgress: done without an accept role, waited for with one.
        let verifying = invited_ago("EmailVerificationInProgress", 60);
        assert!(matches!(
            member_action(Some(&verifying), accept, NOW),
            Wait(_)
        ));
        assert_eq!(
            member_action(Some(&verifying), by_default, NOW),
            AlreadyMember
        );
        // Still Created long after its invitation: that invitation went nowhere, so invite again.
        let stuck = invited_ago("Created", INVITATION_SETTLING_SECONDS);
        assert_eq!(member_action(Some(&stuck), accept, NOW), Invite);
        assert_eq!(member_action(Some(&stuck), by_default, NOW), Invite);
        // Associated and never invited.
        assert_eq!(
            member_action(Some(&never_invited("Created")), accept, NOW),
            Invite
        );
    }
}
