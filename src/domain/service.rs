//! What the services answer, in our types: Macie's members, modes, discovery and costs,
//! Organizations' organization, the queues' depth, and the pages a listing reads.

use std::fmt;
use std::num::{NonZeroI64, NonZeroU64};

use serde::Serialize;

use super::{AccountId, Region};
use crate::error::Error;

/// A closed set of a service's words as an enum: each variant beside its word, `name` and `parse`
/// between them, and serialized as its word. With `other`, a word this build does not know is kept
/// by its name in the variant named there, and `parse` reads every word.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant,)+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: [$name; [$($word),+].len()] = [$($name::$variant),+];

            /// The word for it.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $word,)+ }
            }

            /// The value a word names; `None` for another word.
            pub fn parse(word: &str) -> Option<Self> {
                match word { $($word => Some($name::$variant),)+ _ => None }
            }
        }

        words!(@serialize $name);
    };
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal,)+ }
        other $other:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A word this build does not know, by its name.
            $other(String),
        }

        impl $name {
            /// The word for it.
            pub fn name(&self) -> &str {
                match self { $($name::$variant => $word,)+ $name::$other(word) => word }
            }

            /// The value a word names, by its name where this build does not know it.
            pub fn parse(word: &str) -> Self {
                match word { $($word => $name::$variant,)+ other => $name::$other(other.to_owned()) }
            }
        }

        words!(@serialize $name);
    };
    (@serialize $name:ident) => {
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }
    };
}

words! {
    /// An account's relationship with the Macie administrator in one region (`relationshipStatus`).
    MemberStatus {
        /// A member, enabled.
        Enabled = "Enabled",
        /// A member whose Macie is suspended.
        Paused = "Paused",
        /// Invited, not yet accepted.
        Invited = "Invited",
        /// Associated, not yet invited (or the invitation not yet shown).
        Created = "Created",
        /// Removed by the administrator.
        Removed = "Removed",
        /// Left the administrator.
        Resigned = "Resigned",
        /// The invitation email being verified.
        EmailVerificationInProgress = "EmailVerificationInProgress",
        /// The invitation email could not be verified.
        EmailVerificationFailed = "EmailVerificationFailed",
        /// Macie is disabled for the region.
        RegionDisabled = "RegionDisabled",
        /// The account is suspended.
        AccountSuspended = "AccountSuspended",
    }
    other Other
}

/// An account's membership of the Macie administrator in one region, as GetMember and ListMembers
/// return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The relationship.
    pub status: MemberStatus,
    /// When the administrator last invited the account (`invitedAt`), in seconds since the epoch;
    /// `None` when it never did. Non-zero, so that the option costs no room: a region's listing
    /// holds one for each of its members.
    pub invited_at: Option<NonZeroI64>,
    /// Whether it carries this function's enrollment tag: this function associated it, and only
    /// such a member is ever removed.
    pub mark: Mark,
    /// The member's ARN, which tagging names; `None` where Macie gave none.
    pub arn: Option<MemberArn>,
    /// Whether the function turned its automated discovery off, and why.
    pub discovery_mark: DiscoveryMark,
    /// A digest of the email the member was associated with ([`email_digest`]), to tell whether
    /// Organizations now gives another one; never the address itself.
    pub email_digest: Option<NonZeroU64>,
}

/// A member's ARN as Macie gave it, held without a copy of what the region and the member's
/// account ID say already: a region's listing holds one for each of its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberArn {
    /// The form `Region::member_arn` writes, of this administrator: the ARN is rebuilt from it.
    Written(AccountId),
    /// Any other form, held as given.
    Given(Box<str>),
}

impl MemberArn {
    /// Reads `arn`, the ARN Macie gave for `member`'s membership in `region`.
    pub fn read(arn: &str, region: &Region, member: &AccountId) -> Self {
        let administrator = arn
            .strip_suffix(member.as_str())
            .and_then(|rest| rest.strip_suffix(":member/"))
            .and_then(|rest| rest.rsplit(':').next())
            .and_then(|account| AccountId::parse(account, "member ARN").ok());
        match administrator {
            Some(administrator) if region.member_arn(&administrator, member) == arn => {
                MemberArn::Written(administrator)
            }
            _ => MemberArn::Given(arn.into()),
        }
    }

    /// The ARN, as Macie gave it, of `member`'s membership in `region`.
    pub fn text(&self, region: &Region, member: &AccountId) -> String {
        match self {
            MemberArn::Written(administrator) => region.member_arn(administrator, member),
            MemberArn::Given(arn) => arn.to_string(),
        }
    }
}

/// A digest of an email address (trimmed, in lower case): compared within one invocation, never
/// logged or kept.
/// Never zero (a digest of zero counts as one), so that a member's optional digest costs no room.
pub fn email_digest(email: &str) -> NonZeroU64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    email.trim().to_lowercase().hash(&mut hasher);
    NonZeroU64::new(hasher.finish()).unwrap_or(NonZeroU64::MIN)
}

/// What a member's tags say of who enrolled it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// It carries the enrollment tag: this function enrolled it.
    Enrolled,
    /// Its tags were read, and the enrollment tag is not among them.
    Unmarked,
    /// The answer carried no tags (a listing may not: GetMember is where Macie is known to return
    /// them), or reading them failed: it is never removed or tagged on this answer.
    Unread,
}

/// The organization, as DescribeOrganization answers it to any of its accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// Its ID (`o-…`).
    pub id: String,
    /// Its management account.
    pub management_account: AccountId,
}

/// The Macie administrator of this account in one region (GetAdministratorAccount), when it has one:
/// an account that is itself a member cannot be the administrator of others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Administrator {
    /// The administrator.
    pub account_id: AccountId,
    /// This account's relationship with it.
    pub status: MemberStatus,
}

/// An amount of US dollars, kept in millionths so that amounts compare and add exactly: what
/// GetUsageStatistics answers in `estimatedCost` (a string), and DISCOVERY_COST_LIMIT_USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Usd(pub(super) u64);

impl Usd {
    /// `12`, `12.5` or `0.000123`: digits, then decimals (past the sixth, cut); `None` for anything
    /// else (a sign, an exponent, an empty part).
    pub fn parse(value: &str) -> Option<Self> {
        let (whole, fraction) = value.trim().split_once('.').unwrap_or((value.trim(), ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return None;
        }
        // Past a millionth of a dollar, the decimals are cut: an amount is never read as nothing.
        let fraction = &fraction[..fraction.len().min(6)];
        let whole: u64 = whole.parse().ok()?;
        let fraction: u64 = format!("{fraction:0<6}").parse().ok()?;
        whole.checked_mul(1_000_000)?.checked_add(fraction).map(Usd)
    }

    /// The sum of two amounts.
    pub fn plus(self, other: Usd) -> Usd {
        Usd(self.0.saturating_add(other.0))
    }

    /// As a number of dollars, as answers and metrics carry it.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} USD", self.as_f64())
    }
}

impl Serialize for Usd {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

words! {
    /// Whether automated sensitive data discovery runs for an account (its status in
    /// ListAutomatedDiscoveryAccounts and BatchUpdateAutomatedDiscoveryAccounts; the administrator's
    /// own in GetAutomatedDiscoveryConfiguration).
    Discovery {
        /// It runs.
        On = "ENABLED",
        /// It does not.
        Off = "DISABLED",
    }
}

words! {
    /// Macie's own choice of which members get automated discovery in a region
    /// (`autoEnableOrganizationMembers`, GetAutomatedDiscoveryConfiguration): `ALL` enables it for
    /// existing and new members, `NEW` for new members only, `NONE` for none, for an administrator
    /// who enables it "for only particular member accounts" (Macie API reference). A word this
    /// build does not know is read as not `ALL`.
    AutoEnable {
        /// Existing and new members.
        All = "ALL",
        /// New members only.
        New = "NEW",
        /// None by itself.
        None = "NONE",
    }
    other Other
}

/// The administrator's automated discovery in a region (GetAutomatedDiscoveryConfiguration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryConfiguration {
    /// Its own status: off, it is off for every member.
    pub status: Discovery,
    /// Whom Macie enables it for by itself.
    pub auto_enable: AutoEnable,
}

words! {
    /// Why the function turned a member's discovery off: the value of the discovery tag it puts on
    /// the member, which is how it remembers, across invocations, what it turned off itself.
    OffReason {
        /// Under a unit of DISCOVERY_OFF_OU_IDS.
        Unit = "unit",
        /// Listed in DISCOVERY_OFF_ACCOUNT_IDS.
        Account = "account",
        /// Over DISCOVERY_COST_LIMIT_USD, with DISCOVERY_COST_ACTION=disable.
        Cost = "cost",
    }
}

/// A decision on a member's discovery: its status, and, off, why (what its tag says). A retry
/// carries it, so that a change that failed is made again as it was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decided {
    /// The status decided.
    pub status: Discovery,
    /// Why off, where off.
    pub reason: Option<OffReason>,
}

/// What a member's tags say of its discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscoveryMark {
    /// The function turned it off, for this reason.
    Ours(OffReason),
    /// Its tags were read, and the discovery tag is not among them.
    NotOurs,
    /// The answer carried no tags: unknown, and never read as "not ours".
    Unread,
}

words! {
    /// How the administrator adds the organization's accounts as members in a region; its name is
    /// as settings, summaries and log lines write it.
    Mode {
        /// CreateMember, then CreateInvitations; each account accepts (or the accept role does). At
        /// most 1,000 members (Macie user guide, "macie-quotas").
        Invitations = "invitations",
        /// The function's account is the organization's delegated Macie administrator there:
        /// CreateMember alone enables and associates the account, with no invitation, up to 10,000
        /// members ("Managing multiple Macie accounts with AWS Organizations").
        Organizations = "organizations",
    }
}

impl Mode {
    /// Macie's quota of members of one administrator in one region, in this mode.
    pub fn member_quota(self) -> usize {
        match self {
            Mode::Invitations => 1_000,
            Mode::Organizations => 10_000,
        }
    }
}

/// What DescribeOrganizationConfiguration answers the delegated Macie administrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrganizationConfiguration {
    /// Macie adds every new account of the organization by itself (no exclusions).
    pub auto_enable: bool,
    /// The organization has as many Macie members as the quota allows.
    pub max_account_limit_reached: bool,
}

/// How many messages a queue holds (GetQueueAttributes' approximate counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Messages ready to be received.
    pub waiting: u64,
    /// Messages not yet visible (a retry's delay).
    pub delayed: u64,
    /// Messages received and not yet deleted.
    pub in_flight: u64,
}

/// An account that CreateInvitations reported in `unprocessedAccounts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unprocessed {
    /// The account.
    pub account_id: AccountId,
    /// Macie's error code.
    pub error_code: String,
    /// Macie's message.
    pub error_message: String,
    /// What the Macie adapter read in Macie's words, where it knows them.
    pub meaning: Option<crate::error::Meaning>,
}

/// One page of a listing: its items, and whether more pages follow.
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Whether more pages follow.
    pub more: bool,
}

/// A listing read a page at a time: an SDK paginator behind an adapter (it ends on an empty token,
/// stops on a repeated one, and can be dropped early), with its items in our types.
pub trait Pages {
    /// What the listing lists.
    type Item;
    /// The next page; `None` once the listing is over.
    fn next_page(&mut self) -> impl Future<Output = Option<Result<Page<Self::Item>, Error>>>;
}

/// Every item of a listing, or its first failure.
pub async fn read_all<P: Pages>(mut pages: P) -> Result<Vec<P::Item>, Error> {
    let mut items = Vec::new();
    while let Some(page) = pages.next_page().await {
        items.extend(page?.items);
    }
    Ok(items)
}

words! {
    /// How often Macie publishes updates of policy findings to Security Hub and EventBridge
    /// (`findingPublishingFrequency`: GetMacieSession, UpdateMacieSession).
    Frequency {
        /// Macie's default.
        FifteenMinutes = "FIFTEEN_MINUTES",
        /// Hourly.
        OneHour = "ONE_HOUR",
        /// Every six hours.
        SixHours = "SIX_HOURS",
    }
}

/// A repository for sensitive data discovery results (PutClassificationExportConfiguration's
/// `s3Destination`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// The S3 bucket.
    pub bucket_name: String,
    /// The customer managed KMS key that encrypts the results.
    pub kms_key_arn: String,
    /// The prefix of the results' keys, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
}

/// An account's own Macie settings in a region, as far as they were read: `None` where not read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MacieSettings {
    /// `findingPublishingFrequency`.
    pub frequency: Option<Frequency>,
    /// Security Hub publication (`publishPolicyFindings`, `publishClassificationFindings`).
    pub publication: Option<(bool, bool)>,
    /// The results repository: `Some(None)` where none is set.
    pub repository: Option<Option<Repository>>,
}
