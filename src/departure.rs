//! Pure decisions about members whose accounts have left: which the function removes from Macie,
//! which it keeps and reports, and when it removes none at all.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{Account, AccountId, AccountState, MemberStatus, Membership, Region};

/// The organization's states of an account that is closing or closed: a closed account is
/// `SUSPENDED` for 90 days before it is terminated (aws-facts.md, "Departures").
const CLOSING_STATES: [&str; 3] = ["SUSPENDED", "PENDING_CLOSURE", "CLOSED"];

/// At most this many accounts' members are removed by one run, unless MAX_REMOVALS says otherwise.
pub(crate) const DEFAULT_MAX_REMOVALS: usize = 25;

/// What becomes of one member of the administrator whose account has left the organization or is
/// closing.
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
    /// Would be removed, but the run would remove more than MAX_REMOVALS: held, with why, and the
    /// alarm raised.
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

/// Why `account`'s member counts as departed: its account is no longer in the organization
/// (`None`), or is closing or closed. An `ACTIVE` account, or one in any other state (such as
/// `PENDING_ACTIVATION`), has not departed.
pub(crate) fn departure_of(account: Option<&AccountState>) -> Option<String> {
    match account {
        None => Some("its account is no longer in the organization".to_owned()),
        Some(AccountState::Other(state)) if CLOSING_STATES.contains(&state.as_str()) => Some(
            format!("its account is {state} in the organization (closing or closed)"),
        ),
        Some(_) => None,
    }
}

/// The members of one region (from a complete listing) whose accounts have departed, given the
/// organization's accounts (from a complete listing), with what becomes of each. The administrator
/// is never among them, nor is any member whose account is `ACTIVE` in the organization, whatever
/// its tags. A member that this function did not enroll (no enrollment tag) is kept.
pub(crate) fn judge_departures(
    region: &Region,
    accounts: &[Account],
    members: &BTreeMap<AccountId, Membership>,
    administrator: Option<&AccountId>,
) -> Vec<Departed> {
    let states: BTreeMap<&AccountId, &AccountState> = accounts
        .iter()
        .map(|account| (&account.id, &account.state))
        .collect();
    members
        .iter()
        .filter(|(id, _)| Some(*id) != administrator)
        .filter_map(|(id, membership)| {
            let why = departure_of(states.get(id).copied())?;
            let verdict = if membership.enrolled {
                Verdict::Remove {
                    associated: is_associated(&membership.status),
                    why,
                }
            } else {
                Verdict::Keep {
                    why: format!(
                        "{why}, but this function did not enroll it (no macie-invite:enrolled tag): \
                         never removed; remove it by hand, or adopt it while its account is active"
                    ),
                }
            };
            Some(Departed {
                region: region.clone(),
                account_id: id.clone(),
                verdict,
            })
        })
        .collect()
}

/// Holds back the removals of a run when they are off (REMOVE_DEPARTED=false: each is kept, and
/// says why), or when more accounts than `max_removals` would lose their membership: then none is
/// removed, and each is held, which raises the alarm. A wrong organization or a bug must not empty
/// Macie.
pub(crate) fn hold_removals(departed: &mut [Departed], remove_departed: bool, max_removals: usize) {
    let accounts: BTreeSet<&AccountId> = departed
        .iter()
        .filter(|d| matches!(d.verdict, Verdict::Remove { .. }))
        .map(|d| &d.account_id)
        .collect();
    let count = accounts.len();
    let held = |why: &str| {
        if !remove_departed {
            Verdict::Keep {
                why: format!("{why}; removal is off (REMOVE_DEPARTED=false): reported only"),
            }
        } else {
            Verdict::Hold {
                why: format!(
                    "{why}; this run would remove the members of {count} accounts, more than \
                     MAX_REMOVALS ({max_removals}), so it removes none: check that the function \
                     runs in the right organization, then raise MAX_REMOVALS for one run or remove \
                     them by hand"
                ),
            }
        }
    };
    if remove_departed && count <= max_removals {
        return;
    }
    for departed in departed.iter_mut() {
        if let Verdict::Remove { why, .. } = &departed.verdict {
            departed.verdict = held(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{account_id as id, region};

    fn account(account_id: &str, state: &str) -> Account {
        Account {
            id: id(account_id),
            email: format!("{account_id}@example.com"),
            state: AccountState::from_name(state),
            joined: None,
            joined_by_invitation: false,
        }
    }

    fn member(status: MemberStatus, enrolled: bool) -> Membership {
        Membership {
            status,
            invited_at: None,
            enrolled,
            arn: None,
        }
    }

    #[test]
    fn only_enrolled_members_of_departed_or_closing_accounts_are_removed() {
        let accounts = [
            account("111111111111", "ACTIVE"),
            account("222222222222", "SUSPENDED"),
            account("333333333333", "PENDING_CLOSURE"),
            account("444444444444", "PENDING_ACTIVATION"),
            account("999999999999", "ACTIVE"),
        ];
        let members = BTreeMap::from([
            // ACTIVE: kept whatever its tags, and not reported.
            (id("111111111111"), member(MemberStatus::Enabled, true)),
            (id("222222222222"), member(MemberStatus::Enabled, true)),
            (id("333333333333"), member(MemberStatus::Created, true)),
            (id("444444444444"), member(MemberStatus::Invited, true)),
            // Gone from the organization: enrolled by us, and not.
            (id("555555555555"), member(MemberStatus::Removed, true)),
            (id("666666666666"), member(MemberStatus::Enabled, false)),
            // The administrator itself, were it listed: never.
            (id("777777777777"), member(MemberStatus::Enabled, true)),
        ]);
        let departed = judge_departures(
            &region("us-east-1"),
            &accounts,
            &members,
            Some(&id("777777777777")),
        );
        let verdicts: Vec<(&str, bool, Option<bool>)> = departed
            .iter()
            .map(|d| match &d.verdict {
                Verdict::Remove { associated, .. } => {
                    (d.account_id.as_str(), true, Some(*associated))
                }
                Verdict::Keep { .. } | Verdict::Hold { .. } => (d.account_id.as_str(), false, None),
            })
            .collect();
        assert_eq!(
            verdicts,
            [
                ("222222222222", true, Some(true)),
                ("333333333333", true, Some(false)),
                ("555555555555", true, Some(false)),
                ("666666666666", false, None),
            ]
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

    #[test]
    fn more_removals_than_the_bound_remove_none_and_say_why() {
        // Two regions of the same account count once.
        let mut within = vec![
            removal("111111111111"),
            removal("111111111111"),
            removal("222222222222"),
        ];
        hold_removals(&mut within, true, 2);
        assert!(
            within
                .iter()
                .all(|d| matches!(d.verdict, Verdict::Remove { .. }))
        );

        let mut over = vec![
            removal("111111111111"),
            removal("222222222222"),
            removal("333333333333"),
        ];
        hold_removals(&mut over, true, 2);
        for departed in &over {
            let Verdict::Hold { why } = &departed.verdict else {
                panic!("{departed:?}")
            };
            assert!(why.contains("more than MAX_REMOVALS (2)"), "{why}");
        }

        let mut off = vec![removal("111111111111")];
        hold_removals(&mut off, false, 25);
        assert!(
            matches!(&off[0].verdict, Verdict::Keep { why } if why.contains("REMOVE_DEPARTED=false")),
            "off is a choice, not an alarm"
        );
    }
}
