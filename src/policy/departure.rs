//! Pure decisions about members whose accounts have left: which the function removes from Macie,
//! which it keeps and reports, and when it removes none at all.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{
    Account, AccountId, AccountState, Mark, MemberListing, MemberStatus, Membership, Region,
};

/// What becomes of one member of the administrator whose account has left the organization, is
/// closed, or is in a state that the removal reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This function enrolled it: DisassociateMember where `associated`, then DeleteMember.
    Remove {
        /// Its relationship is live (or an invitation is on its way): it is disassociated first.
        associated: bool,
        /// Why its account counts as departed.
        why: String,
    },
    /// Never removed: reported, with why.
    Keep {
        /// Why it stays.
        why: String,
    },
    /// Would be removed, but the invocation would remove more than MAX_REMOVALS: held, with why,
    /// and the alarm raised.
    Hold {
        /// Why it was held.
        why: String,
    },
}

/// A departed account's member in one region, and what becomes of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Departed {
    /// The member's region.
    pub region: Region,
    /// The member's account.
    pub account_id: AccountId,
    /// What becomes of it.
    pub verdict: Verdict,
}

/// Where an account stands, as far as the removal of its members goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// No longer in the organization, or `CLOSED`: the members that this function enrolled go.
    Departed(String),
    /// Still in the organization, in a state that the removal reports and never acts on: suspended
    /// by AWS, or a state this build does not know.
    Staying(String),
    /// `PENDING_CLOSURE`: kept and reported until the closure is done, then departed.
    Closing(String),
    /// `ACTIVE` or `PENDING_ACTIVATION`: nothing to remove, nothing to report.
    Present,
}

/// Whether a member in `status` is disassociated before it is deleted: a live relationship, or an
/// invitation on its way (ListMembers' associated statuses), or a suspended member account.
pub(crate) fn is_associated(status: &MemberStatus) -> bool {
    matches!(
        status,
        MemberStatus::Enabled
            | MemberStatus::Paused
            | MemberStatus::Invited
            | MemberStatus::EmailVerificationInProgress
            | MemberStatus::AccountSuspended
    )
}

/// Where an account stands (`None`: it is no longer in the organization), read as Organizations'
/// `State` defines it: only `CLOSED` is closed; `SUSPENDED` is AWS's restriction of an account
/// that may come back, and `PENDING_CLOSURE` a closure not yet done.
pub(crate) fn judge_standing(account: Option<&AccountState>) -> Standing {
    let state = match account {
        None => return Standing::Departed("its account is no longer in the organization".into()),
        Some(state) => state,
    };
    let meaning = state.meaning();
    match state {
        AccountState::Closed => Standing::Departed(format!(
            "its account is CLOSED in the organization ({meaning})"
        )),
        AccountState::Suspended => Standing::Staying(format!(
            "its account is SUSPENDED by AWS ({meaning}): kept, never removed"
        )),
        AccountState::PendingClosure => Standing::Closing(format!(
            "its account is PENDING_CLOSURE ({meaning}): kept until it is CLOSED"
        )),
        AccountState::Other(name) => Standing::Staying(format!(
            "its account is {name} in the organization ({meaning}): kept, never removed"
        )),
        AccountState::Active | AccountState::PendingActivation => Standing::Present,
    }
}

/// The members of `members` whose tags the listing did not carry and whose account has departed:
/// the few that GetMember is asked about before any is removed.
pub(crate) fn find_unread_departures(
    accounts: &[Account],
    members: &MemberListing,
) -> Vec<AccountId> {
    let states = index_states(accounts);
    members
        .iter()
        .filter(|(_, membership)| membership.mark == Mark::Unread)
        .filter(|(id, _)| {
            matches!(
                judge_standing(states.get(id).copied()),
                Standing::Departed(_)
            )
        })
        .map(|(id, _)| id.clone())
        .collect()
}

fn index_states(accounts: &[Account]) -> BTreeMap<&AccountId, &AccountState> {
    accounts
        .iter()
        .map(|account| (&account.id, &account.state))
        .collect()
}

/// The members of one region (from a complete listing) whose accounts have departed or stand in a
/// state that the removal reports, given the organization's accounts (from a complete listing),
/// with what becomes of each. The administrator is never among them, nor is any member whose
/// account is `ACTIVE`, whatever its tags. A departed member that this function did not enroll, or
/// whose tags could not be read, is kept.
pub(crate) fn judge_departures(
    region: &Region,
    accounts: &[Account],
    members: &MemberListing,
    administrator: Option<&AccountId>,
) -> Vec<Departed> {
    let states = index_states(accounts);
    members
        .iter()
        .filter(|(id, _)| Some(*id) != administrator)
        .filter_map(|(id, membership)| {
            let verdict = match judge_standing(states.get(id).copied()) {
                Standing::Present => return None,
                Standing::Staying(why) | Standing::Closing(why) => Verdict::Keep { why },
                Standing::Departed(why) => judge_mark(why, membership),
            };
            Some(Departed {
                region: region.clone(),
                account_id: id.clone(),
                verdict,
            })
        })
        .collect()
}

/// A departed member's verdict by its mark: removed only where the function's tag is read on it.
fn judge_mark(why: String, membership: &Membership) -> Verdict {
    match membership.mark {
        Mark::Enrolled => Verdict::Remove {
            associated: is_associated(&membership.status),
            why,
        },
        Mark::Unmarked => Verdict::Keep {
            why: format!(
                "{why}, but this function did not enroll it (no macie-invite:enrolled tag): \
                 never removed; remove it by hand, or adopt it while its account is active"
            ),
        },
        Mark::Unread => Verdict::Keep {
            why: format!(
                "{why}, but its tags could not be read (neither ListMembers nor GetMember gave \
                 them), so whether this function enrolled it is unknown: kept; the next reconcile \
                 reads them again"
            ),
        },
    }
}

/// The one bound on removals of an invocation: REMOVE_DEPARTED, and MAX_REMOVALS over every
/// account whose members the invocation removes, whatever mix of reconciles, departures and
/// retries it holds. A wrong organization or a bug must not empty Macie.
#[derive(Debug)]
pub(crate) struct RemovalBound {
    remove_departed: bool,
    max_removals: usize,
    /// The accounts whose members this invocation has already let go.
    granted: BTreeSet<AccountId>,
}

impl RemovalBound {
    /// The bound of REMOVE_DEPARTED and MAX_REMOVALS, before anything is removed.
    pub(crate) fn new(remove_departed: bool, max_removals: usize) -> Self {
        RemovalBound {
            remove_departed,
            max_removals,
            granted: BTreeSet::new(),
        }
    }

    /// Lets `departed`'s removals go, or holds them all back: when removal is off
    /// (REMOVE_DEPARTED=false: each is kept, and says why), or when, with those this invocation
    /// let go before, more accounts than MAX_REMOVALS would lose their membership: then none of
    /// these is removed, and each is held, which raises the alarm.
    pub(crate) fn hold_removals(&mut self, departed: &mut [Departed]) {
        let mut accounts = self.granted.clone();
        accounts.extend(
            departed
                .iter()
                .filter(|d| matches!(d.verdict, Verdict::Remove { .. }))
                .map(|d| d.account_id.clone()),
        );
        let (count, max_removals) = (accounts.len(), self.max_removals);
        if self.remove_departed && count <= max_removals {
            self.granted = accounts;
            return;
        }
        let held = |why: &str| {
            if !self.remove_departed {
                Verdict::Keep {
                    why: format!("{why}; removal is off (REMOVE_DEPARTED=false): reported only"),
                }
            } else {
                Verdict::Hold {
                    why: format!(
                        "{why}; this invocation would remove the members of {count} accounts, more \
                         than MAX_REMOVALS ({max_removals}), so it removes none of these: check \
                         that the function runs in the right organization, then raise \
                         MAX_REMOVALS for one run or remove them by hand"
                    ),
                }
            }
        };
        for departed in departed.iter_mut() {
            if let Verdict::Remove { why, .. } = &departed.verdict {
                departed.verdict = held(why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{account_id as id, active_account, region};

    fn account(account_id: &str, state: AccountState) -> Account {
        Account {
            state,
            ..active_account(account_id)
        }
    }

    fn member(status: MemberStatus, mark: Mark) -> Membership {
        Membership {
            status,
            invited_at: None,
            mark,
            arn: None,
            discovery_mark: crate::domain::DiscoveryMark::NotOurs,
            email_digest: None,
        }
    }

    /// Each departed or reported member's account, and whether it is removed (with `associated`).
    fn verdicts(departed: &[Departed]) -> Vec<(&str, Option<bool>)> {
        departed
            .iter()
            .map(|d| match &d.verdict {
                Verdict::Remove { associated, .. } => (d.account_id.as_str(), Some(*associated)),
                Verdict::Keep { .. } | Verdict::Hold { .. } => (d.account_id.as_str(), None),
            })
            .collect()
    }

    #[test]
    fn removed_are_exactly_the_enrolled_members_of_accounts_gone_or_closed() {
        use AccountState::*;
        let accounts = [
            account("111111111111", Active),
            account("222222222222", Suspended),
            account("333333333333", PendingClosure),
            account("444444444444", PendingActivation),
            account("888888888888", Closed),
            // No State, Status SUSPENDED: the retired field's closed account.
            account("888800000000", AccountState::read(None, Some("SUSPENDED"))),
            account("999999999999", Active),
        ];
        let members = MemberListing::from_iter([
            // ACTIVE and PENDING_ACTIVATION: kept whatever their tags, and not reported.
            (
                id("111111111111"),
                member(MemberStatus::Enabled, Mark::Enrolled),
            ),
            (
                id("444444444444"),
                member(MemberStatus::Invited, Mark::Enrolled),
            ),
            // SUSPENDED by AWS and PENDING_CLOSURE: kept and reported, never removed.
            (
                id("222222222222"),
                member(MemberStatus::Enabled, Mark::Enrolled),
            ),
            (
                id("333333333333"),
                member(MemberStatus::Created, Mark::Enrolled),
            ),
            // CLOSED, in State or in what Status meant: removed.
            (
                id("888888888888"),
                member(MemberStatus::Enabled, Mark::Enrolled),
            ),
            (
                id("888800000000"),
                member(MemberStatus::Created, Mark::Enrolled),
            ),
            // Gone from the organization: enrolled by us, not, and unknown.
            (
                id("555555555555"),
                member(MemberStatus::Removed, Mark::Enrolled),
            ),
            (
                id("666666666666"),
                member(MemberStatus::Enabled, Mark::Unmarked),
            ),
            (
                id("666600000000"),
                member(MemberStatus::Enabled, Mark::Unread),
            ),
            // The administrator itself, were it listed: never.
            (
                id("777777777777"),
                member(MemberStatus::Enabled, Mark::Enrolled),
            ),
        ]);
        let departed = judge_departures(
            &region("us-east-1"),
            &accounts,
            &members,
            Some(&id("777777777777")),
        );
        assert_eq!(
            verdicts(&departed),
            [
                ("222222222222", None),
                ("333333333333", None),
                ("555555555555", Some(false)),
                ("666600000000", None),
                ("666666666666", None),
                ("888800000000", Some(false)),
                ("888888888888", Some(true)),
            ]
        );
        let why = |account: &str| match &departed
            .iter()
            .find(|d| d.account_id.as_str() == account)
            .unwrap()
            .verdict
        {
            Verdict::Keep { why } => why.clone(),
            other => panic!("{other:?}"),
        };
        assert!(why("222222222222").contains("SUSPENDED by AWS"));
        assert!(why("333333333333").contains("kept until it is CLOSED"));
        assert!(why("666600000000").contains("tags could not be read"));
        assert!(why("666666666666").contains("did not enroll it"));
    }

    #[test]
    fn only_departed_members_without_tags_are_asked_about() {
        let accounts = [
            account("111111111111", AccountState::Active),
            account("222222222222", AccountState::Closed),
            account("333333333333", AccountState::Suspended),
        ];
        let members = MemberListing::from_iter([
            (
                id("111111111111"),
                member(MemberStatus::Enabled, Mark::Unread),
            ),
            (
                id("222222222222"),
                member(MemberStatus::Enabled, Mark::Unread),
            ),
            (
                id("333333333333"),
                member(MemberStatus::Enabled, Mark::Unread),
            ),
            (
                id("444444444444"),
                member(MemberStatus::Enabled, Mark::Unread),
            ),
            (
                id("555555555555"),
                member(MemberStatus::Enabled, Mark::Enrolled),
            ),
        ]);
        assert_eq!(
            find_unread_departures(&accounts, &members),
            [id("222222222222"), id("444444444444")]
        );
    }

    fn removal(account_id: &str) -> Departed {
        Departed {
            region: region("us-east-1"),
            account_id: id(account_id),
            verdict: Verdict::Remove {
                associated: true,
                why: "gone".into(),
            },
        }
    }

    fn all_removed(departed: &[Departed]) -> bool {
        departed
            .iter()
            .all(|d| matches!(d.verdict, Verdict::Remove { .. }))
    }

    #[test]
    fn more_removals_than_the_bound_remove_none_and_say_why() {
        // Two regions of the same account count once.
        let mut within = vec![
            removal("111111111111"),
            removal("111111111111"),
            removal("222222222222"),
        ];
        RemovalBound::new(true, 2).hold_removals(&mut within);
        assert!(all_removed(&within));

        let mut over = vec![
            removal("111111111111"),
            removal("222222222222"),
            removal("333333333333"),
        ];
        RemovalBound::new(true, 2).hold_removals(&mut over);
        for departed in &over {
            let Verdict::Hold { why } = &departed.verdict else {
                panic!("{departed:?}")
            };
            assert!(why.contains("more than MAX_REMOVALS (2)"), "{why}");
        }

        let mut off = vec![removal("111111111111")];
        RemovalBound::new(false, 25).hold_removals(&mut off);
        assert!(
            matches!(&off[0].verdict, Verdict::Keep { why } if why.contains("REMOVE_DEPARTED=false")),
            "off is a choice, not an alarm"
        );
    }

    #[test]
    fn the_bound_counts_every_removal_of_the_invocation() {
        let mut bound = RemovalBound::new(true, 3);
        // The departures named first: two accounts, let go.
        let mut named = vec![removal("111111111111"), removal("222222222222")];
        bound.hold_removals(&mut named);
        assert!(all_removed(&named));
        // Then a reconcile that finds one of them again and one more: three in all, let go.
        let mut reconciled = vec![removal("222222222222"), removal("333333333333")];
        bound.hold_removals(&mut reconciled);
        assert!(all_removed(&reconciled));
        // Then another with two more: five in all, more than 3, so these two are held.
        let mut more = vec![removal("444444444444"), removal("555555555555")];
        bound.hold_removals(&mut more);
        assert!(
            more.iter()
                .all(|d| matches!(&d.verdict, Verdict::Hold { why } if why.contains("5 accounts")))
        );
    }
}
