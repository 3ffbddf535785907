//! A region's member listing, held as one sorted list.

use super::{AccountId, Membership};

/// A region's members, as ListMembers lists them: one list sorted by account ID, not a tree. A
/// reconcile holds a listing of every member of a region while it works there, and of the next
/// region while it lists it: as one block, sorted in place, a listing costs its entries and goes
/// back to the allocator whole, where a tree's thousands of nodes (and the scratch copy its
/// building sorts into) stayed as holes that the next region's listing did not fill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberListing(Vec<(AccountId, Membership)>);

impl MemberListing {
    fn find(&self, id: &AccountId) -> Result<usize, usize> {
        self.0.binary_search_by(|(listed, _)| listed.cmp(id))
    }

    /// The member `id`'s membership, if it is one.
    pub fn get(&self, id: &AccountId) -> Option<&Membership> {
        self.find(id).ok().map(|at| &self.0[at].1)
    }

    /// The member `id`'s membership, to change, if it is one.
    pub fn get_mut(&mut self, id: &AccountId) -> Option<&mut Membership> {
        self.find(id).ok().map(|at| &mut self.0[at].1)
    }

    /// Whether `id` is a member.
    pub fn contains_key(&self, id: &AccountId) -> bool {
        self.find(id).is_ok()
    }

    /// How many members it lists.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it lists none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The members, in the order of their account IDs.
    pub fn iter(&self) -> impl Iterator<Item = (&AccountId, &Membership)> {
        self.0.iter().map(|(id, membership)| (id, membership))
    }

    /// The memberships, in the order of their account IDs.
    pub fn values(&self) -> impl Iterator<Item = &Membership> {
        self.0.iter().map(|(_, membership)| membership)
    }

    /// Adds `more` members at once (in place of any of them it had): sorted once, not each.
    pub fn extend(&mut self, more: Vec<(AccountId, Membership)>) {
        let mut fresh = Vec::new();
        for (id, membership) in more {
            match self.get_mut(&id) {
                Some(held) => *held = membership,
                None => fresh.push((id, membership)),
            }
        }
        if !fresh.is_empty() {
            self.0.append(&mut fresh);
            self.settle();
        }
    }

    /// The members of a listing, in whatever order Macie gave them. A member listed twice (a
    /// listing that changed as it was paged) is kept once.
    pub fn from_listed(listed: Vec<(AccountId, Membership)>) -> Self {
        let mut members = MemberListing(listed);
        members.settle();
        members.0.shrink_to_fit();
        members
    }

    /// Sorted in place, with no scratch copy (an unstable sort needs none), and each ID once.
    fn settle(&mut self) {
        self.0.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        self.0.dedup_by(|(later, _), (earlier, _)| later == earlier);
    }
}

impl IntoIterator for MemberListing {
    type Item = (AccountId, Membership);
    type IntoIter = std::vec::IntoIter<(AccountId, Membership)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<(AccountId, Membership)> for MemberListing {
    fn from_iter<I: IntoIterator<Item = (AccountId, Membership)>>(iter: I) -> Self {
        MemberListing::from_listed(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::account_id;
    use crate::domain::{DiscoveryMark, Mark, MemberStatus};

    fn membership(status: MemberStatus) -> Membership {
        Membership {
            status,
            invited_at: None,
            mark: Mark::Unread,
            arn: None,
            discovery_mark: DiscoveryMark::NotOurs,
            email_digest: None,
        }
    }

    #[test]
    fn a_listing_finds_each_member_whatever_order_macie_gave_them_in() {
        let ids = ["333333333333", "111111111111", "222222222222"];
        let listing: MemberListing = ids
            .iter()
            .map(|id| (account_id(id), membership(MemberStatus::Enabled)))
            .collect();
        assert_eq!(listing.len(), 3);
        for id in ids {
            assert!(listing.contains_key(&account_id(id)), "{id}");
        }
        assert_eq!(listing.get(&account_id("444444444444")), None);
        let order: Vec<String> = listing.iter().map(|(id, _)| id.to_string()).collect();
        assert_eq!(order, ["111111111111", "222222222222", "333333333333"]);
    }

    #[test]
    fn a_member_listed_twice_is_held_once() {
        let listing = MemberListing::from_listed(vec![
            (
                account_id("111111111111"),
                membership(MemberStatus::Enabled),
            ),
            (account_id("222222222222"), membership(MemberStatus::Paused)),
            (
                account_id("111111111111"),
                membership(MemberStatus::Enabled),
            ),
        ]);
        assert_eq!(listing.len(), 2);
    }

    #[test]
    fn members_added_later_take_the_place_of_those_listed_and_keep_the_order() {
        let mut listing = MemberListing::from_listed(vec![
            (account_id("222222222222"), membership(MemberStatus::Paused)),
            (
                account_id("444444444444"),
                membership(MemberStatus::Enabled),
            ),
        ]);
        listing.extend(vec![
            (
                account_id("333333333333"),
                membership(MemberStatus::Created),
            ),
            (
                account_id("222222222222"),
                membership(MemberStatus::Enabled),
            ),
            (
                account_id("111111111111"),
                membership(MemberStatus::Created),
            ),
        ]);
        listing.extend(vec![(
            account_id("555555555555"),
            membership(MemberStatus::Created),
        )]);
        let held: Vec<(String, MemberStatus)> = listing
            .iter()
            .map(|(id, m)| (id.to_string(), m.status.clone()))
            .collect();
        assert_eq!(
            held,
            [
                ("111111111111".to_string(), MemberStatus::Created),
                ("222222222222".to_string(), MemberStatus::Enabled),
                ("333333333333".to_string(), MemberStatus::Created),
                ("444444444444".to_string(), MemberStatus::Enabled),
                ("555555555555".to_string(), MemberStatus::Created),
            ]
        );
        listing.get_mut(&account_id("444444444444")).unwrap().mark = Mark::Enrolled;
        assert_eq!(
            listing.get(&account_id("444444444444")).unwrap().mark,
            Mark::Enrolled
        );
    }
}
