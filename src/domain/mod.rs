//! The types the function reasons with: account IDs, regions, accounts and their Macie relationship.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::error::Error;
use crate::quote::{clip, excerpt};

mod listing;
mod service;

pub use listing::MemberListing;
pub use service::*;

/// A checked text type: a newtype over the `String` its `parse` accepted, shown and serialized as
/// that text.
macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// An AWS account ID: exactly 12 ASCII digits (leading zeros are significant). Held inline, not
/// on the heap: a reconcile holds one for each account of the organization and each member of a
/// region, tens of thousands of them. Shown and serialized as its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId([u8; 12]);

impl AccountId {
    /// Checks `value`; `field` says where it came from, for the error.
    pub fn parse(value: &str, field: &str) -> Result<Self, Error> {
        let digits: Option<[u8; 12]> = value.as_bytes().try_into().ok();
        if let Some(digits) = digits.filter(|digits| digits.iter().all(u8::is_ascii_digit)) {
            Ok(AccountId(digits))
        } else {
            Err(Error::InvalidAccountId {
                value: excerpt(value),
                field: clip(field),
            })
        }
    }
}

text_type! {
    /// The ID of a CreateAccount request: `car-` and 8 to 32 lowercase letters or digits.
    CreateAccountRequestId
}

impl AccountId {
    /// The text: its 12 digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever held (`parse`), so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccountId").field(&self.as_str()).finish()
    }
}

impl Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl CreateAccountRequestId {
    /// Checks `value`; `field` says where it came from, for the error.
    pub fn parse(value: &str, field: &str) -> Result<Self, Error> {
        let valid = value.strip_prefix("car-").is_some_and(|rest| {
            (8..=32).contains(&rest.len())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if valid {
            Ok(CreateAccountRequestId(value.to_owned()))
        } else {
            Err(Error::InvalidRequestId {
                value: excerpt(value),
                field: clip(field),
            })
        }
    }
}

text_type! {
    /// The ID of an organizational unit: `ou-`, 4 to 32 lowercase letters or digits (the root's ID
    /// part), `-`, and 8 to 32 more.
    OrganizationalUnitId
}

impl OrganizationalUnitId {
    /// `None` when `value` is not an OU ID (a root's `r-…`, for one).
    pub fn parse(value: &str) -> Option<Self> {
        let part = |text: &str, lengths: std::ops::RangeInclusive<usize>| {
            lengths.contains(&text.len())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        let (root, unit) = value.strip_prefix("ou-")?.split_once('-')?;
        (part(root, 4..=32) && part(unit, 8..=32)).then(|| OrganizationalUnitId(value.to_owned()))
    }
}

text_type! {
    /// An AWS region name such as `us-east-1` or `us-gov-west-1`.
    Region
}

impl Region {
    /// Checks `value`; `field` says where it came from, for the error.
    pub fn parse(value: &str, field: &str) -> Result<Self, Error> {
        // Shape of every region name: a partition prefix, one or more words, a number.
        let mut parts = value.split('-');
        let prefix_ok = parts.next().is_some_and(|p| {
            (2..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase())
        });
        let rest: Vec<&str> = parts.collect();
        let valid = prefix_ok
            && rest.len() >= 2
            && rest.split_last().is_some_and(|(number, words)| {
                (1..=2).contains(&number.len())
                    && number.bytes().all(|b| b.is_ascii_digit())
                    && words
                        .iter()
                        .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
            });
        if valid {
            Ok(Region(value.to_owned()))
        } else {
            Err(Error::InvalidRegion {
                value: excerpt(value),
                field: clip(field),
            })
        }
    }

    /// The ARN of `member`'s membership of `administrator` here: Macie's member ARNs name the
    /// administrator's account, with the member's account as the resource (Macie user guide, the
    /// CloudTrail sample of "Logging Macie API calls").
    pub fn member_arn(&self, administrator: &AccountId, member: &AccountId) -> String {
        format!(
            "arn:{}:macie2:{self}:{administrator}:member/{member}",
            self.partition()
        )
    }

    /// The AWS partition of the region, for ARNs: aws, aws-cn, aws-us-gov, or an isolated one.
    pub fn partition(&self) -> &'static str {
        const PREFIXES: &[(&str, &str)] = &[
            ("cn-", "aws-cn"),
            ("us-gov-", "aws-us-gov"),
            ("us-isob-", "aws-iso-b"),
            ("us-isof-", "aws-iso-f"),
            ("us-iso-", "aws-iso"),
            ("eu-isoe-", "aws-iso-e"),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| self.0.starts_with(prefix))
            .map_or("aws", |(_, partition)| partition)
    }
}

/// The state of an account in the organization, as Organizations' `State` field defines it
/// (Organizations user guide, "Monitor the state of your AWS accounts"), or, where an answer
/// carries no `State`, as the retired `Status` field meant it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountState {
    /// `PENDING_ACTIVATION`: created, not yet usable.
    PendingActivation,
    /// `ACTIVE`: it may be invited.
    Active,
    /// `SUSPENDED` in `State`: AWS has restricted the account (fraud, payment). It is still in the
    /// organization and may be reinstated: never removed.
    Suspended,
    /// `PENDING_CLOSURE`: a closure requested and not yet done; the account still works.
    PendingClosure,
    /// `CLOSED` in `State` (the 90 days in which it may be reinstated, before it leaves the
    /// organization), or `SUSPENDED` in `Status` where no `State` is given: the retired field
    /// called a closed account so (CloseAccount API reference).
    Closed,
    /// A state this build does not know, by its name: never acted on.
    Other(String),
}

impl AccountState {
    /// The state of an account that Organizations describes with these `State` and `Status`
    /// fields: `State` where it is given, else what `Status` meant.
    pub fn read(state: Option<&str>, status: Option<&str>) -> Self {
        match (state, status) {
            (Some("PENDING_ACTIVATION"), _) => AccountState::PendingActivation,
            (Some("ACTIVE"), _) | (None, Some("ACTIVE")) => AccountState::Active,
            (Some("SUSPENDED"), _) => AccountState::Suspended,
            (Some("PENDING_CLOSURE"), _) | (None, Some("PENDING_CLOSURE")) => {
                AccountState::PendingClosure
            }
            (Some("CLOSED"), _) | (None, Some("SUSPENDED")) => AccountState::Closed,
            (Some(other), _) | (None, Some(other)) => AccountState::Other(excerpt(other)),
            (None, None) => AccountState::Other("(no State or Status)".to_owned()),
        }
    }
}

impl AccountState {
    /// What the state means, in a few words, for the reports that name it.
    pub fn meaning(&self) -> &'static str {
        match self {
            AccountState::PendingActivation => "created, not yet active",
            AccountState::Active => "active",
            AccountState::Suspended => {
                "restricted by AWS, and may be reinstated; still an account of the organization"
            }
            AccountState::PendingClosure => {
                "its closure is requested and not yet done; the account still works"
            }
            AccountState::Closed => "closed; it leaves the organization 90 days after its closure",
            AccountState::Other(_) => "a state this function does not know",
        }
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountState::PendingActivation => "PENDING_ACTIVATION",
            AccountState::Active => "ACTIVE",
            AccountState::Suspended => "SUSPENDED",
            AccountState::PendingClosure => "PENDING_CLOSURE",
            AccountState::Closed => "CLOSED",
            AccountState::Other(name) => name,
        })
    }
}

/// An account of the organization, as Organizations describes it.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// Its ID.
    pub id: AccountId,
    /// Its email address: personal data, never logged.
    pub email: String,
    /// Its state in the organization.
    pub state: AccountState,
    /// When it joined the organization (`JoinedTimestamp`), in seconds since the epoch.
    pub joined: Option<i64>,
    /// It joined by invitation (`JoinedMethod` INVITED), not by being created in the organization.
    pub joined_by_invitation: bool,
}

// The email address is personal data: it must never reach a log line, not even through `{:?}`.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("email", &"<redacted>")
            .field("state", &self.state)
            .field("joined", &self.joined)
            .field("joined_by_invitation", &self.joined_by_invitation)
            .finish()
    }
}

/// What a piece of work is about: an account, or a creation request that will name one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// An account, by its ID.
    Account(AccountId),
    /// A creation request, by its ID.
    Request(CreateAccountRequestId),
    /// The reconcile of the work's regions: what a reconcile could not finish in a region (its
    /// listing throttled, or the deadline near) goes on as one work item, not one per account.
    Reconcile,
    /// The removal of a departed account's members, by its ID: the account left the organization
    /// or is closing, and the members that the function enrolled are removed.
    Departure(AccountId),
    /// The Macie administrator's own settings (the baseline): reported, never re-queued as such
    /// (a write that fails goes on as the region's reconcile).
    Administrator,
}

impl Subject {
    /// The subject as every output names it: its account ID, its creation request ID, and whether
    /// it is a reconcile ("" and false where they do not apply). The summary's entries, the queues'
    /// messages and the log lines all take it from here.
    pub fn fields(&self) -> (&str, &str, bool) {
        match self {
            Subject::Account(id) | Subject::Departure(id) => (id.as_str(), "", false),
            Subject::Request(id) => ("", id.as_str(), false),
            Subject::Reconcile => ("", "", true),
            Subject::Administrator => ("", "", false),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Account(id) => write!(f, "account {id}"),
            Subject::Request(id) => write!(f, "creation request {id}"),
            Subject::Reconcile => f.write_str("the reconcile"),
            Subject::Departure(id) => write!(f, "the departure of account {id}"),
            Subject::Administrator => f.write_str("the administrator's settings"),
        }
    }
}

/// `{"accountId": …}`, `{"createAccountRequestId": …}` or `{"reconcile": true}`: flattened into the
/// summary's entries and the queues' messages.
impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self {
            Subject::Account(id) => map.serialize_entry("accountId", id.as_str())?,
            Subject::Request(id) => map.serialize_entry("createAccountRequestId", id.as_str())?,
            Subject::Reconcile => map.serialize_entry("reconcile", &true)?,
            Subject::Departure(id) => {
                map.serialize_entry("accountId", id.as_str())?;
                map.serialize_entry("departed", &true)?;
            }
            Subject::Administrator => map.serialize_entry("administrator", &true)?,
        }
        map.end()
    }
}

/// Where a piece of work comes from, carried to every report about it so that a retry knows its
/// regions, its attempt and the reasons of the attempts before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The regions to invite the account in: shared, not copied, by the reports and tasks of one
    /// piece of work (a reconcile's thousands of accounts would otherwise each hold the list).
    pub regions: Arc<[Region]>,
    /// 1 for work from an event; n for the n-th try.
    pub attempt: u32,
    /// The reason each earlier attempt failed, oldest first.
    pub history: Vec<String>,
    /// The SQS message the work came in, when it came from the retry queue.
    pub message_id: Option<String>,
    /// An operator asked for it (a manual invocation, or a dead letter redriven), as no event
    /// does: it acts on accounts from before the first deployment whatever BACKFILL says, and an
    /// account that is not in the organization is answered at once, never retried.
    pub by_operator: bool,
    /// A change of the account's automated discovery that an earlier attempt decided and could not
    /// make: made again as it was decided.
    pub discovery: Option<Decided>,
}

impl Origin {
    /// Work from an event: a first attempt.
    pub fn first(regions: &[Region]) -> Self {
        Origin {
            regions: regions.into(),
            attempt: 1,
            history: Vec::new(),
            message_id: None,
            by_operator: false,
            discovery: None,
        }
    }
}

/// One piece of work of an invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Work {
    /// What it is about.
    pub subject: Subject,
    /// Where it comes from.
    pub origin: Origin,
}

/// Where a CreateAccount request stands (DescribeCreateAccountStatus).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Creation {
    /// The request made this account.
    Succeeded(AccountId),
    /// The request failed.
    Failed {
        /// Organizations' reason.
        reason: String,
    },
    /// The account is still being created.
    InProgress,
}

/// Valid IDs and names for tests, from literals.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{Account, AccountId, AccountState, Region};

    /// An account ID from a literal of 12 digits.
    pub(crate) fn account_id(value: &str) -> AccountId {
        AccountId::parse(value, "test").unwrap()
    }

    /// A region from a literal region name.
    pub(crate) fn region(name: &str) -> Region {
        Region::parse(name, "test").unwrap()
    }

    /// An ACTIVE account of the organization, `{id}@example.com`, created in it (no join date).
    pub(crate) fn active_account(id: &str) -> Account {
        Account {
            id: account_id(id),
            email: format!("{id}@example.com"),
            state: AccountState::Active,
            joined: None,
            joined_by_invitation: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{account_id, region};
    use super::*;

    #[test]
    fn amounts_of_dollars_are_read_to_the_millionth_or_refused() {
        assert_eq!(Usd::parse("12.5"), Some(Usd(12_500_000)));
        assert_eq!(Usd::parse("0.000123"), Some(Usd(123)));
        assert_eq!(Usd::parse("25"), Some(Usd(25_000_000)));
        for bad in ["", "-1", "1e3", ".5", "ten", "1.2.3"] {
            assert_eq!(Usd::parse(bad), None, "{bad}");
        }
        // Past a millionth of a dollar the decimals are cut: never refused, so never read as nothing.
        assert_eq!(Usd::parse("1.2345678"), Some(Usd(1_234_567)));
        assert_eq!(Usd::parse("12.3461").unwrap().to_string(), "12.35 USD");
        assert!(Usd::parse("10.01") > Usd::parse("10"));
    }

    #[test]
    fn an_account_state_is_read_from_state_and_else_from_what_status_meant() {
        use AccountState::*;
        let cases = [
            // State, as Organizations' user guide defines it: SUSPENDED is AWS's restriction, not a closure.
            (Some("ACTIVE"), Some("ACTIVE"), Active),
            (
                Some("PENDING_ACTIVATION"),
                Some("ACTIVE"),
                PendingActivation,
            ),
            (Some("SUSPENDED"), Some("SUSPENDED"), Suspended),
            (
                Some("PENDING_CLOSURE"),
                Some("PENDING_CLOSURE"),
                PendingClosure,
            ),
            (Some("CLOSED"), Some("SUSPENDED"), Closed),
            // No State: the retired Status called a closed account SUSPENDED.
            (None, Some("SUSPENDED"), Closed),
            (None, Some("PENDING_CLOSURE"), PendingClosure),
            (None, Some("ACTIVE"), Active),
            (
                Some("RETIRED_SOMEDAY"),
                None,
                Other("RETIRED_SOMEDAY".into()),
            ),
        ];
        for (state, status, expected) in cases {
            assert_eq!(
                AccountState::read(state, status),
                expected,
                "{state:?} {status:?}"
            );
        }
        assert!(matches!(AccountState::read(None, None), Other(_)));
    }

    #[test]
    fn account_ids_are_exactly_twelve_digits() {
        for good in ["111122223333", "012345678901"] {
            assert_eq!(AccountId::parse(good, "t").unwrap().as_str(), good);
        }
        for bad in [
            "",
            "11112222333",
            "1111222233334",
            "11112222333a",
            " 111122223333",
            "１１１１２２２２３３３３",
        ] {
            let error = AccountId::parse(bad, "accountIds[0]")
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("accountIds[0]") && error.contains("12 digits"),
                "{error}"
            );
        }
    }

    #[test]
    fn an_account_id_is_shown_serialized_and_ordered_as_its_text() {
        let id = AccountId::parse("012345678901", "t").unwrap();
        assert_eq!(id.to_string(), "012345678901");
        assert_eq!(format!("{id:?}"), r#"AccountId("012345678901")"#);
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""012345678901""#);
        let later = AccountId::parse("100000000000", "t").unwrap();
        assert!(id < later);
    }

    #[test]
    fn a_member_arn_of_the_written_form_is_rebuilt_exactly_and_any_other_is_kept_as_given() {
        let (administrator, member) = (account_id("111122223333"), account_id("444455556666"));
        for name in ["us-east-1", "cn-north-1", "us-gov-west-1"] {
            let region = region(name);
            let arn = region.member_arn(&administrator, &member);
            let read = MemberArn::read(&arn, &region, &member);
            assert_eq!(read, MemberArn::Written(administrator.clone()));
            assert_eq!(read.text(&region, &member), arn);
        }
        let east = region("us-east-1");
        for other in [
            "arn:aws:macie2:us-east-1:111122223333:member/444455556666/extra",
            "arn:aws:macie2:eu-west-1:111122223333:member/444455556666",
            "arn:aws:macie2:us-east-1:111122223333:members/444455556666",
            "arn:aws:macie2:us-east-1:111122223333:member/777788889999",
            "member/444455556666",
            "",
        ] {
            let read = MemberArn::read(other, &east, &member);
            assert!(matches!(read, MemberArn::Given(_)), "{other}");
            assert_eq!(read.text(&east, &member), other);
        }
    }

    #[test]
    fn create_account_request_ids_are_car_and_8_to_32_lowercase_letters_or_digits() {
        for good in [
            "car-examplecreateaccountrequestid111",
            "car-12345678",
            "car-abcdefgh0123456789abcdefgh012345",
        ] {
            assert!(CreateAccountRequestId::parse(good, "t").is_ok(), "{good}");
        }
        for bad in [
            "",
            "car-",
            "car-1234567",
            "car-ABCDEFGH",
            "car-abcdefgh0123456789abcdefgh0123456",
            "abc-12345678",
            "car-1234567 ",
        ] {
            let error = CreateAccountRequestId::parse(bad, "createAccountRequestIds[0]")
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("createAccountRequestIds[0]") && error.contains("car-"),
                "{error}"
            );
        }
    }

    #[test]
    fn region_names_are_checked_for_their_shape() {
        for good in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "cn-northwest-1",
        ] {
            assert!(Region::parse(good, "t").is_ok(), "{good}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "us--1",
            "useast1",
            "us-east-100",
            "-east-1",
        ] {
            assert!(Region::parse(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn an_account_debug_print_hides_the_email() {
        let account = Account {
            id: AccountId::parse("111122223333", "t").unwrap(),
            email: "owner@example.com".into(),
            state: AccountState::Active,
            joined: None,
            joined_by_invitation: false,
        };
        assert!(!format!("{account:?}").contains("owner@example.com"));
    }
}
