//! What the services answer, in our types: Macie's members, modes, discovery and costs,
//! Organizations' organization, the queues' depth, and the pages a listing reads.

use std::fmt;

use serde::Serialize;

use super::AccountId;
use crate::error::Error;

/// An account's relationship with the Macie administrator in one region (`relationshipStatus`). The
/// Macie adapter reads it from the SDK's `RelationshipStatus`; each variant bears the value's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberStatus {
    /// A member, enabled.
    Enabled,
    /// A member whose Macie is suspended.
    Paused,
    /// Invited, not yet accepted.
    Invited,
    /// Associated, not yet invited (or the invitation not yet shown).
    Created,
    /// Removed by the administrator.
    Removed,
    /// Left the administrator.
    Resigned,
    /// The invitation email being verified.
    EmailVerificationInProgress,
    /// The invitation email could not be verified.
    EmailVerificationFailed,
    /// Macie is disabled for the region.
    RegionDisabled,
    /// The account is suspended.
    AccountSuspended,
    /// A status this build does not know, by its name.
    Other(String),
}

impl MemberStatus {
    /// The status as Macie names it: each variant is named after its `RelationshipStatus` value.
    pub fn name(&self) -> &str {
        match self {
            MemberStatus::Enabled => "Enabled",
            MemberStatus::Paused => "Paused",
            MemberStatus::Invited => "Invited",
            MemberStatus::Created => "Created",
            MemberStatus::Removed => "Removed",
            MemberStatus::Resigned => "Resigned",
            MemberStatus::EmailVerificationInProgress => "EmailVerificationInProgress",
            MemberStatus::EmailVerificationFailed => "EmailVerificationFailed",
            MemberStatus::RegionDisabled => "RegionDisabled",
            MemberStatus::AccountSuspended => "AccountSuspended",
            MemberStatus::Other(name) => name,
        }
    }
}

/// An account's membership of the Macie administrator in one region, as GetMember and ListMembers
/// return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The relationship.
    pub status: MemberStatus,
    /// When the administrator last invited the account (`invitedAt`), in seconds since the epoch;
    /// `None` when it never did.
    pub invited_at: Option<i64>,
    /// Whether it carries this function's enrollment tag: this function associated it, and only
    /// such a member is ever removed.
    pub mark: Mark,
    /// The member's ARN, which tagging names; `None` where Macie gave none.
    pub arn: Option<String>,
    /// Whether the function turned its automated discovery off, and why.
    pub discovery_mark: DiscoveryMark,
    /// A digest of the email the member was associated with ([`email_digest`]), to tell whether
    /// Organizations now gives another one; never the address itself.
    pub email_digest: Option<u64>,
}

/// A digest of an email address (trimmed, in lower case): compared within one invocation, never
/// logged or kept.
pub fn email_digest(email: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    email.trim().to_lowercase().hash(&mut hasher);
    hasher.finish()
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

/// Whether automated sensitive data discovery runs for an account (its status in
/// ListAutomatedDiscoveryAccounts and BatchUpdateAutomatedDiscoveryAccounts; the administrator's
/// own in GetAutomatedDiscoveryConfiguration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Discovery {
    /// ENABLED.
    On,
    /// DISABLED.
    Off,
}

impl Discovery {
    /// Macie's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Discovery::On => "ENABLED",
            Discovery::Off => "DISABLED",
        }
    }
}

/// Macie's own choice of which members get automated discovery in a region
/// (`autoEnableOrganizationMembers`, GetAutomatedDiscoveryConfiguration): `ALL` enables it for
/// existing and new members, `NEW` for new members only, `NONE` for none, for an administrator who
/// enables it "for only particular member accounts" (Macie API reference).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutoEnable {
    /// ALL.
    All,
    /// NEW.
    New,
    /// NONE.
    None,
    /// A word this build does not know, by its name: read as not `ALL`.
    Other(String),
}

impl AutoEnable {
    /// Macie's word for it.
    pub fn name(&self) -> &str {
        match self {
            AutoEnable::All => "ALL",
            AutoEnable::New => "NEW",
            AutoEnable::None => "NONE",
            AutoEnable::Other(word) => word,
        }
    }
}

/// The administrator's automated discovery in a region (GetAutomatedDiscoveryConfiguration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryConfiguration {
    /// Its own status: off, it is off for every member.
    pub status: Discovery,
    /// Whom Macie enables it for by itself.
    pub auto_enable: AutoEnable,
}

/// Why the function turned a member's discovery off: the value of the discovery tag it puts on the
/// member, which is how it remembers, across invocations, what it turned off itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OffReason {
    /// Under a unit of DISCOVERY_OFF_OU_IDS.
    Unit,
    /// Listed in DISCOVERY_OFF_ACCOUNT_IDS.
    Account,
    /// Over DISCOVERY_COST_LIMIT_USD, with DISCOVERY_COST_ACTION=disable.
    Cost,
}

impl OffReason {
    /// The tag's value.
    pub fn name(self) -> &'static str {
        match self {
            OffReason::Unit => "unit",
            OffReason::Account => "account",
            OffReason::Cost => "cost",
        }
    }

    /// The reason a tag's value names; `None` for another value.
    pub fn parse(value: &str) -> Option<Self> {
        [OffReason::Unit, OffReason::Account, OffReason::Cost]
            .into_iter()
            .find(|reason| reason.name() == value)
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

/// How the administrator adds the organization's accounts as members in a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// CreateMember, then CreateInvitations; each account accepts (or the accept role does). At
    /// most 1,000 members (Macie user guide, "macie-quotas").
    Invitations,
    /// The function's account is the organization's delegated Macie administrator there:
    /// CreateMember alone enables and associates the account, with no invitation, up to 10,000
    /// members ("Managing multiple Macie accounts with AWS Organizations").
    Organizations,
}

impl Mode {
    /// The mode's name, as settings, summaries and log lines write it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Invitations => "invitations",
            Mode::Organizations => "organizations",
        }
    }

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

/// How often Macie publishes updates of policy findings to Security Hub and EventBridge
/// (`findingPublishingFrequency`: GetMacieSession, UpdateMacieSession).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Frequency {
    /// FIFTEEN_MINUTES (Macie's default).
    #[serde(rename = "FIFTEEN_MINUTES")]
    FifteenMinutes,
    /// ONE_HOUR.
    #[serde(rename = "ONE_HOUR")]
    OneHour,
    /// SIX_HOURS.
    #[serde(rename = "SIX_HOURS")]
    SixHours,
}

impl Frequency {
    /// Every frequency, as Macie names them.
    pub const ALL: [Frequency; 3] = [
        Frequency::FifteenMinutes,
        Frequency::OneHour,
        Frequency::SixHours,
    ];

    /// Macie's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Frequency::FifteenMinutes => "FIFTEEN_MINUTES",
            Frequency::OneHour => "ONE_HOUR",
            Frequency::SixHours => "SIX_HOURS",
        }
    }

    /// The frequency Macie's word names; `None` for another word.
    pub fn parse(word: &str) -> Option<Self> {
        Frequency::ALL
            .into_iter()
            .find(|frequency| frequency.name() == word)
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
