//! Pure decisions: which accounts to look up, which to invite, and what to do with each Macie relationship.

use std::collections::BTreeSet;

use crate::domain::{Account, AccountId, AccountState, MemberStatus};
use crate::outcome::{Outcome, Report};

/// CreateInvitations takes at most this many account IDs a call.
pub const MAX_ACCOUNTS_PER_INVITATION: usize = 50;

/// The accounts left to look up, and the reports of those screened out before any call.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Screening {
    pub to_look_up: Vec<AccountId>,
    pub skipped: Vec<Report>,
}

/// Drops duplicates (keeping the first), and skips excluded accounts and the function's own account.
pub fn screen(
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
        let skip = if own_account == Some(&id) {
            Some(
                "the function's own account is the Macie administrator and cannot be its own member",
            )
        } else if excluded.contains(&id) {
            Some("listed in EXCLUDED_ACCOUNT_IDS")
        } else {
            None
        };
        match skip {
            Some(reason) => screening
                .skipped
                .push(Report::new(id, None, Outcome::skipped(reason))),
            None => screening.to_look_up.push(id),
        }
    }
    screening
}

/// Why an account that Organizations describes is not to be invited, if it is not.
pub fn ineligibility(account: &Account) -> Option<String> {
    match &account.state {
        AccountState::Active if account.email.is_empty() => Some(
            "Organizations returned no email address for the account, and Macie needs one"
                .to_owned(),
        ),
        AccountState::Active => None,
        AccountState::Other(state) => Some(format!(
            "account state is {state} in Organizations; only ACTIVE accounts are invited"
        )),
    }
}

/// What to do in one region, given the account's current relationship with Macie there.
#[derive(Debug, PartialEq, Eq)]
pub enum MemberAction {
    /// A live membership or an invitation on its way: nothing to do.
    AlreadyMember,
    /// Not associated (or no longer): CreateMember, then CreateInvitations.
    AssociateAndInvite,
    /// Associated but never invited: CreateInvitations only.
    Invite,
    /// Inviting cannot help now.
    Skip(&'static str),
    /// Inviting cannot work until someone fixes the account.
    Fail(&'static str),
}

pub fn member_action(status: Option<&MemberStatus>) -> MemberAction {
    match status {
        None | Some(MemberStatus::Removed | MemberStatus::Resigned) => {
            MemberAction::AssociateAndInvite
        }
        Some(MemberStatus::Created) => MemberAction::Invite,
        Some(
            MemberStatus::Enabled
            | MemberStatus::Paused
            | MemberStatus::Invited
            | MemberStatus::EmailVerificationInProgress,
        ) => MemberAction::AlreadyMember,
        Some(MemberStatus::RegionDisabled) => MemberAction::Skip(
            "Macie reports the region as disabled for this account (RegionDisabled)",
        ),
        Some(MemberStatus::AccountSuspended) => {
            MemberAction::Skip("Macie reports the account as suspended (AccountSuspended)")
        }
        Some(MemberStatus::EmailVerificationFailed) => MemberAction::Fail(
            "Macie could not verify the account's email address (EmailVerificationFailed): correct the \
             account's email in Organizations, then invite it again",
        ),
        Some(MemberStatus::Other(_)) => {
            MemberAction::Fail("Macie reports a relationship status this function does not know")
        }
    }
}

/// The CreateInvitations calls for these accounts: sorted, without duplicates, at most 50 a call.
pub fn invitation_batches(mut ids: Vec<AccountId>) -> Vec<Vec<AccountId>> {
    ids.sort();
    ids.dedup();
    ids.chunks(MAX_ACCOUNTS_PER_INVITATION)
        .map(<[AccountId]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(value: &str) -> AccountId {
        AccountId::parse(value, "test").unwrap()
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
        let skipped: Vec<(&str, String)> = screening
            .skipped
            .iter()
            .map(|report| {
                (
                    report.account_id.as_str(),
                    report.outcome.detail().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(skipped.len(), 2);
        assert_eq!(skipped[0].0, "222222222222");
        assert!(skipped[0].1.contains("EXCLUDED_ACCOUNT_IDS"));
        assert_eq!(skipped[1].0, "999999999999");
        assert!(skipped[1].1.contains("own account"));
    }

    #[test]
    fn only_active_accounts_are_eligible() {
        let account = |state: &str| Account {
            id: id("111111111111"),
            email: "a@example.com".into(),
            state: AccountState::from_name(state),
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
    fn each_relationship_status_has_its_action() {
        use MemberAction::*;
        let cases = [
            (None, AssociateAndInvite),
            (Some("Removed"), AssociateAndInvite),
            (Some("Resigned"), AssociateAndInvite),
            (Some("Created"), Invite),
            (Some("Enabled"), AlreadyMember),
            (Some("Paused"), AlreadyMember),
            (Some("Invited"), AlreadyMember),
            (Some("EmailVerificationInProgress"), AlreadyMember),
        ];
        for (status, expected) in cases {
            let status = status.map(MemberStatus::from_name);
            assert_eq!(member_action(status.as_ref()), expected, "{status:?}");
        }
        for status in ["RegionDisabled", "AccountSuspended"] {
            assert!(
                matches!(member_action(Some(&MemberStatus::from_name(status))), Skip(reason) if reason.contains(status))
            );
        }
        for status in ["EmailVerificationFailed", "SomethingNew"] {
            assert!(matches!(
                member_action(Some(&MemberStatus::from_name(status))),
                Fail(_)
            ));
        }
    }

    #[test]
    fn invitations_go_out_in_sorted_batches_of_at_most_fifty() {
        let ids: Vec<AccountId> = (0..120u64)
            .rev()
            .map(|n| id(&format!("{:012}", 100_000_000_000 + n)))
            .collect();
        let batches = invitation_batches(ids.clone());
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [50, 50, 20]);
        let mut sorted = ids;
        sorted.sort();
        assert_eq!(batches.concat(), sorted);
        assert!(invitation_batches(Vec::new()).is_empty());
        assert_eq!(invitation_batches(vec![id("111111111111"); 3]).len(), 1);
    }
}
