//! The summary an invocation answers: how many subjects ended each way in each region, the
//! subjects in lists (bounded, whatever the organization's size), and a reconcile's counts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{Region, Subject};
use crate::event::Ignored;
pub(crate) use crate::outcome::{Bucket, PerBucket};
use crate::outcome::{CreationFailure, NotAnAddition, Report, Run};
use crate::policy::coverage::Coverage;
use crate::policy::discovery::{CostReport, DiscoveryTally};

/// One entry of the summary: the subject, the region, and what applies of status, reason and error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// An account, a creation request, or the reconcile of its region (or of every region).
    #[serde(flatten)]
    pub subject: Subject,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// For re-queued work: the attempt the retry will be, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<u32>,
    /// DRY_RUN: the actions that would be taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<&'static str>>,
}

impl Entry {
    pub(crate) fn new(subject: &Subject, region: Option<&Region>) -> Self {
        Entry {
            subject: subject.clone(),
            region: region.cloned(),
            status: None,
            reason: None,
            error_code: None,
            error_message: None,
            attempt: None,
            delay_seconds: None,
            actions: None,
        }
    }

    /// The entry of a report, with what its outcome says: the status of a member already, the
    /// actions planned, Macie's error for the unprocessed, else the reason.
    pub(crate) fn of(report: &Report) -> Self {
        let said = report.outcome.said();
        let owned = |part: Option<&str>| part.map(str::to_owned);
        Entry {
            status: owned(said.status),
            reason: owned(said.reason),
            error_code: owned(said.error_code),
            error_message: owned(said.error_message),
            actions: said.actions.map(<[&str]>::to_vec),
            ..Entry::new(&report.subject, report.region.as_ref())
        }
    }
}

/// What a reconcile found, and what it did in each region. In every region the six counts add up to
/// `accountsInOrganization`: an account skipped before any regional work counts as skipped in each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    pub accounts_in_organization: usize,
    pub regions: Vec<RegionTally>,
    /// With DISCOVERY_COST_LIMIT_USD: the month's automated-discovery costs, per member over every
    /// region, and the members over the limit with their cost in each region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery_cost: Option<CostReport>,
    /// BACKFILL off: which accounts were only planned for, and how to invite them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill: Option<String>,
}

/// A reconcile's findings in one region: its counts, the members its listing found, and its
/// coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionTally {
    pub region: Region,
    /// Members that ListMembers returned, in any relationship; absent when the listing failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_found: Option<usize>,
    /// What the run did there: the summary's counts, with the five that add up to the
    /// organization's accounts written even at zero.
    #[serde(flatten, serialize_with = "serialize_tally_counts")]
    pub counts: Counts,
    /// What share of the organization Macie covers here after the run; absent when the listing
    /// failed.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// With a discovery policy: the administrator's own discovery status, and with a cost limit
    /// the members' costs and those over the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryTally>,
}

/// A tally's counts: as the summary's, and those the table of buckets writes `always` even at zero
/// (the five that add up to the organization's accounts) first, so that they add up.
fn serialize_tally_counts<S: serde::Serializer>(
    counts: &Counts,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let (always, others): (Vec<Bucket>, Vec<Bucket>) = Bucket::ALL
        .into_iter()
        .partition(|bucket| bucket.row().always);
    let mut map = serializer.serialize_map(None)?;
    for bucket in always {
        map.serialize_entry(bucket.row().key, &counts[bucket])?;
    }
    for bucket in others.into_iter().filter(|bucket| counts[*bucket] > 0) {
        map.serialize_entry(bucket.row().key, &counts[bucket])?;
    }
    map.end()
}

impl RegionTally {
    /// Counts the outcomes in `region`, and those that apply to every region; `members_already`
    /// are the members counted rather than reported.
    pub(crate) fn count(
        region: &Region,
        members_found: Option<usize>,
        members_already: usize,
        coverage: Option<Coverage>,
        reports: &[Report],
    ) -> Self {
        let mut counts = Counts::default();
        counts[Bucket::AlreadyMembers] = members_already;
        for report in reports
            .iter()
            .filter(|r| r.region.as_ref().is_none_or(|r| r == region))
        {
            counts[Bucket::of(&report.outcome)] += 1;
        }
        RegionTally {
            region: region.clone(),
            members_found,
            counts,
            coverage,
            discovery: None,
        }
    }
}

/// What the invocation returns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// DRY_RUN: the decisions are reported, and nothing was done.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Each bucket's entries, under the bucket's key, in the order of the table of buckets
    /// ([`Bucket::row`]): what was invited, accepted, added, planned, found a member already,
    /// skipped, unprocessed, failed, pending, removed, kept, held, adopted, changed by the discovery
    /// policy, re-queued (with the attempt and delay) and dead-lettered (with what to do).
    #[serde(flatten)]
    pub lists: PerBucket<Vec<Entry>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub creations_failed: Vec<CreationFailure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<NotAnAddition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconciliation>,
    /// `{"action": "adopt"}`: per region, the members found and how many are marked already;
    /// `counts` has what became of the others.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adoption: Vec<AdoptionTally>,
    /// BACKFILL off: why accounts that events named were only planned for (in `planned`), and how
    /// to invite them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill: Option<String>,
    /// How many subjects ended each way, per region (`beforeAnyRegion`: settled before any region). Every
    /// outcome is counted here, listed or not.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, Counts>,
    /// How many entries each list left out to keep the response bounded (see [`Summary::bounded`]);
    /// the counts above hold them all.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub left_out: BTreeMap<&'static str, usize>,
}

/// What an adoption found in one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdoptionTally {
    pub region: Region,
    /// The administrator's members there, in any status.
    pub members_found: usize,
    /// Of those, the members of `ACTIVE` accounts (not excluded, not the administrator): the only
    /// ones adopted.
    pub of_active_accounts: usize,
    /// Of those, the members that carry the mark already: never tagged again.
    pub marked_already: usize,
}

/// How many subjects ended each way, in one region, bucket by bucket.
pub type Counts = PerBucket<usize>;

/// The counts, under the buckets' keys; a count of zero is left out.
impl Serialize for PerBucket<usize> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            Bucket::ALL
                .into_iter()
                .filter(|bucket| self[*bucket] > 0)
                .map(|bucket| (bucket.row().key, self[bucket])),
        )
    }
}

/// The lists, under the buckets' keys; an empty list is left out unless its row says `always`.
impl<T: Serialize> Serialize for PerBucket<Vec<T>> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            Bucket::ALL
                .into_iter()
                .filter(|bucket| bucket.row().always || !self[*bucket].is_empty())
                .map(|bucket| (bucket.row().key, &self[bucket])),
        )
    }
}

/// The key of the counts of outcomes settled before any region.
pub(crate) const NO_REGION: &str = "beforeAnyRegion";

/// What the lists hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Every subject named (an event or invocation that names accounts): whoever named them wants
    /// to see what became of each, members already included.
    Every,
    /// What changed something or needs attention (a reconcile): members already are counted, not listed.
    Changes,
}

impl Detail {
    /// What a run's lists hold: a reconcile's, what changed; any other's, every subject named.
    pub(crate) fn of(reconcile: bool) -> Self {
        if reconcile {
            Detail::Changes
        } else {
            Detail::Every
        }
    }

    /// Whether the lists hold the outcomes of this bucket (else they are only counted): a
    /// reconcile counts members already, and names drifted ones in each region's coverage.
    pub(crate) fn lists(self, bucket: Bucket) -> bool {
        self == Detail::Every || !matches!(bucket, Bucket::AlreadyMembers | Bucket::Drifted)
    }
}

/// At most this many entries a list.
pub(crate) const LIST_CAP: usize = 1_000;

/// At most this many bytes of entries, all lists together, so that a response stays under 256 KiB
/// (the counts take a few hundred bytes a region). What does not fit is counted in `leftOut`.
pub(crate) const ENTRY_BYTES: usize = 200_000;

impl Summary {
    /// The summary of a run: every report counted, and listed under `detail`, ordered by subject
    /// and region; with the reconcile's findings, where the run was one.
    pub(crate) fn of_run(run: &Run, reconcile: Option<Reconciliation>, dry_run: bool) -> Self {
        let detail = Detail::of(reconcile.is_some());
        let mut summary = Summary {
            dry_run,
            creations_failed: run.creations_failed.clone(),
            reconcile,
            backfill: run.backfill.clone(),
            ..Summary::from_reports(&run.reports, detail)
        };
        for (region, members) in &run.members_already {
            if *members > 0 {
                summary.counts_of(Some(region))[Bucket::AlreadyMembers] += *members;
            }
        }
        summary
    }

    /// The summary of an event that calls for nothing.
    pub(crate) fn of_ignored(ignored: Ignored) -> Self {
        match ignored {
            Ignored::CreationFailed(failure) => Summary {
                creations_failed: vec![failure],
                ..Summary::default()
            },
            Ignored::NotAnAddition(event) => Summary {
                ignored: vec![event],
                ..Summary::default()
            },
        }
    }

    /// Sorts the reports into the summary, ordered by subject and region, and counts them all.
    pub(crate) fn from_reports(reports: &[Report], detail: Detail) -> Self {
        let mut reports: Vec<&Report> = reports.iter().collect();
        reports.sort_by(|a, b| (&a.subject, &a.region).cmp(&(&b.subject, &b.region)));
        let mut summary = Summary::default();
        for report in reports {
            let bucket = Bucket::of(&report.outcome);
            summary.counts_of(report.region.as_ref())[bucket] += 1;
            if detail.lists(bucket) {
                summary.lists[bucket].push(Entry::of(report));
            }
        }
        summary
    }

    fn counts_of(&mut self, region: Option<&Region>) -> &mut Counts {
        let key = region.map_or(NO_REGION, Region::as_str);
        self.counts.entry(key.to_owned()).or_default()
    }

    /// Adds what was re-queued and dead-lettered, to the lists and the counts.
    pub(crate) fn add_settled(&mut self, requeued: Vec<Entry>, dead_lettered: Vec<Entry>) {
        for (bucket, entries) in [
            (Bucket::Requeued, requeued),
            (Bucket::DeadLettered, dead_lettered),
        ] {
            for entry in &entries {
                self.counts_of(entry.region.as_ref())[bucket] += 1;
            }
            self.lists[bucket] = entries;
        }
    }

    /// The summary with each list cut to [`LIST_CAP`] entries, and all of them together to
    /// [`ENTRY_BYTES`], the lists that need attention first; `leftOut` says how many each lost.
    pub(crate) fn bounded(mut self) -> Self {
        let mut budget = ENTRY_BYTES;
        let mut lists: Vec<(u8, List)> = Bucket::ALL
            .into_iter()
            .map(|bucket| (bucket.row().bound, List::Bucket(bucket)))
            .chain([
                (CREATIONS_FAILED_BOUND, List::CreationsFailed),
                (IGNORED_BOUND, List::Ignored),
            ])
            .collect();
        lists.sort_by_key(|(bound, _)| *bound);
        for (_, list) in lists {
            let (key, left_out) = match list {
                List::Bucket(bucket) => {
                    (bucket.row().key, fit(&mut self.lists[bucket], &mut budget))
                }
                List::CreationsFailed => (
                    "creationsFailed",
                    fit(&mut self.creations_failed, &mut budget),
                ),
                List::Ignored => ("ignored", fit(&mut self.ignored, &mut budget)),
            };
            if left_out > 0 {
                self.left_out.insert(key, left_out);
            }
        }
        self
    }
}

/// A list of the summary, as [`Summary::bounded`] fills them.
enum List {
    Bucket(Bucket),
    CreationsFailed,
    Ignored,
}

/// The places, among the buckets' (`bound` in the table of buckets), of the two lists that are
/// not buckets' in the order [`Summary::bounded`] fills the lists.
const CREATIONS_FAILED_BOUND: u8 = 110;
const IGNORED_BOUND: u8 = 170;

/// Keeps the list's first entries while they fit in `budget` bytes and [`LIST_CAP`]; returns how
/// many it left out.
fn fit<T: Serialize>(list: &mut Vec<T>, budget: &mut usize) -> usize {
    let mut kept = 0;
    for item in list.iter().take(LIST_CAP) {
        let size = serde_json::to_string(item).map_or(0, |text| text.len()) + 1;
        if size > *budget {
            break;
        }
        *budget -= size;
        kept += 1;
    }
    let left_out = list.len() - kept;
    list.truncate(kept);
    left_out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MemberStatus;
    use crate::domain::Origin;
    use crate::domain::fixtures::account_id as id;
    use crate::outcome::Outcome;
    use serde_json::json;

    fn in_region(value: &str) -> Option<Region> {
        Some(crate::domain::fixtures::region(value))
    }

    fn report(account: &str, region: Option<Region>, outcome: Outcome) -> Report {
        Report::new(
            Subject::Account(id(account)),
            region,
            outcome,
            &Origin::first(&[]),
        )
    }

    #[test]
    fn the_summary_lists_each_outcome_with_its_details_in_account_and_region_order() {
        let summary = Summary::from_reports(
            &[
                report("222222222222", in_region("us-east-1"), Outcome::Invited),
                report("111111111111", in_region("us-east-1"), Outcome::Invited),
                report(
                    "333333333333",
                    in_region("eu-west-1"),
                    Outcome::AlreadyMember {
                        status: MemberStatus::Enabled,
                    },
                ),
                report(
                    "444444444444",
                    None,
                    Outcome::skipped("listed in EXCLUDED_ACCOUNT_IDS"),
                ),
                report(
                    "555555555555",
                    in_region("us-east-1"),
                    Outcome::Unprocessed {
                        error_code: "InternalError".into(),
                        error_message: "try again".into(),
                        meaning: None,
                    },
                ),
                report(
                    "666666666666",
                    None,
                    Outcome::failed("not in the organization"),
                ),
            ],
            Detail::Every,
        );
        assert_eq!(
            serde_json::to_value(summary).unwrap(),
            json!({
                "invited": [
                    {"accountId": "111111111111", "region": "us-east-1"},
                    {"accountId": "222222222222", "region": "us-east-1"}
                ],
                "alreadyMembers": [{"accountId": "333333333333", "region": "eu-west-1", "status": "Enabled"}],
                "skipped": [{"accountId": "444444444444", "reason": "listed in EXCLUDED_ACCOUNT_IDS"}],
                "unprocessed": [{
                    "accountId": "555555555555", "region": "us-east-1",
                    "errorCode": "InternalError", "errorMessage": "try again"
                }],
                "failed": [{"accountId": "666666666666", "reason": "not in the organization"}],
                "counts": {
                    "us-east-1": {"invited": 2, "unprocessed": 1},
                    "eu-west-1": {"alreadyMembers": 1},
                    "beforeAnyRegion": {"skipped": 1, "failed": 1}
                }
            })
        );
    }

    /// Every list, every count and a reconcile's tally in one answer, with a budget small enough
    /// that `bounded` leaves entries out: the answer's JSON, pinned byte for byte.
    #[test]
    fn a_full_answer_is_written_byte_for_byte_as_pinned() {
        use crate::domain::{Discovery, MemberStatus};
        use crate::outcome::{CreationFailure, NotAnAddition};
        let east = || in_region("us-east-1");
        // Too long for the entries' budget once the lists before it are in: `skipped` is left out.
        let long = "x".repeat(ENTRY_BYTES - 500);
        let outcomes = [
            Outcome::Invited,
            Outcome::Accepted,
            Outcome::Added,
            Outcome::Planned {
                actions: vec!["associate", "invite"],
            },
            Outcome::AlreadyMember {
                status: MemberStatus::Enabled,
            },
            Outcome::skipped(long.clone()),
            Outcome::Unprocessed {
                error_code: "ClientError".into(),
                error_message: "no".into(),
                meaning: None,
            },
            Outcome::failed("refused"),
            Outcome::pending("creating"),
            Outcome::Deferred,
            Outcome::Removed,
            Outcome::Kept {
                reason: "not ours".into(),
            },
            Outcome::Held {
                reason: "too many".into(),
            },
            Outcome::Adopted,
            Outcome::DiscoverySet {
                status: Discovery::Off,
                reason: "listed".into(),
            },
        ];
        let reports: Vec<Report> = outcomes
            .into_iter()
            .enumerate()
            .map(|(n, outcome)| {
                let region = if n % 3 == 0 { None } else { east() };
                report(
                    &format!("{:012}", 100_000_000_000u64 + n as u64),
                    region,
                    outcome,
                )
            })
            .collect();
        let settled = |account: &str| Entry::new(&Subject::Account(id(account)), east().as_ref());
        let mut summary = Summary::from_reports(&reports, Detail::Every);
        summary.add_settled(vec![settled("200000000000")], vec![settled("300000000000")]);
        summary.creations_failed.push(CreationFailure {
            create_account_request_id: Some("car-1".into()),
            failure_reason: "EMAIL_ALREADY_EXISTS".into(),
        });
        summary.ignored.push(NotAnAddition {
            event: "x".into(),
            reason: "y".into(),
        });
        summary.reconcile = Some(Reconciliation {
            accounts_in_organization: 15,
            regions: vec![RegionTally::count(
                &east().unwrap(),
                Some(4),
                2,
                None,
                &reports,
            )],
            discovery_cost: None,
            backfill: None,
        });
        let full = serde_json::to_string(&summary).unwrap();
        let answer = serde_json::to_string(&summary.bounded()).unwrap();
        assert_eq!(full.replace(&long, "LONG"), PINNED_FULL);
        assert_eq!(answer, PINNED_ANSWER);
    }

    /// [`a_full_answer_is_written_byte_for_byte_as_pinned`]'s answer, as the summary wrote it before
    /// the table of buckets.
    const PINNED_FULL: &str = r#"{"invited":[{"accountId":"100000000000"}],"accepted":[{"accountId":"100000000001","region":"us-east-1"}],"added":[{"accountId":"100000000002","region":"us-east-1"}],"planned":[{"accountId":"100000000003","actions":["associate","invite"]}],"alreadyMembers":[{"accountId":"100000000004","region":"us-east-1","status":"Enabled"}],"skipped":[{"accountId":"100000000005","region":"us-east-1","reason":"LONG"}],"unprocessed":[{"accountId":"100000000006","errorCode":"ClientError","errorMessage":"no"}],"failed":[{"accountId":"100000000007","region":"us-east-1","reason":"refused"}],"pending":[{"accountId":"100000000008","region":"us-east-1","reason":"creating"},{"accountId":"100000000009","reason":"the invocation's deadline was near; left for the next attempt"}],"removed":[{"accountId":"100000000010","region":"us-east-1"}],"kept":[{"accountId":"100000000011","region":"us-east-1","reason":"not ours"}],"held":[{"accountId":"100000000012","reason":"too many"}],"adopted":[{"accountId":"100000000013","region":"us-east-1"}],"discovery":[{"accountId":"100000000014","region":"us-east-1","status":"DISABLED","reason":"listed"}],"requeued":[{"accountId":"200000000000","region":"us-east-1"}],"deadLettered":[{"accountId":"300000000000","region":"us-east-1"}],"creationsFailed":[{"createAccountRequestId":"car-1","failureReason":"EMAIL_ALREADY_EXISTS"}],"ignored":[{"event":"x","reason":"y"}],"reconcile":{"accountsInOrganization":15,"regions":[{"region":"us-east-1","membersFound":4,"invited":1,"alreadyMembers":3,"skipped":1,"unprocessed":1,"failed":1,"accepted":1,"added":1,"planned":1,"pending":2,"removed":1,"kept":1,"held":1,"adopted":1,"discovery":1}]},"counts":{"beforeAnyRegion":{"invited":1,"planned":1,"unprocessed":1,"pending":1,"held":1},"us-east-1":{"accepted":1,"added":1,"alreadyMembers":1,"skipped":1,"failed":1,"pending":1,"removed":1,"kept":1,"adopted":1,"discovery":1,"requeued":1,"deadLettered":1}}}"#;
    const PINNED_ANSWER: &str = r#"{"invited":[{"accountId":"100000000000"}],"accepted":[{"accountId":"100000000001","region":"us-east-1"}],"added":[{"accountId":"100000000002","region":"us-east-1"}],"planned":[{"accountId":"100000000003","actions":["associate","invite"]}],"alreadyMembers":[{"accountId":"100000000004","region":"us-east-1","status":"Enabled"}],"skipped":[],"unprocessed":[{"accountId":"100000000006","errorCode":"ClientError","errorMessage":"no"}],"failed":[{"accountId":"100000000007","region":"us-east-1","reason":"refused"}],"pending":[{"accountId":"100000000008","region":"us-east-1","reason":"creating"},{"accountId":"100000000009","reason":"the invocation's deadline was near; left for the next attempt"}],"removed":[{"accountId":"100000000010","region":"us-east-1"}],"kept":[{"accountId":"100000000011","region":"us-east-1","reason":"not ours"}],"held":[{"accountId":"100000000012","reason":"too many"}],"adopted":[{"accountId":"100000000013","region":"us-east-1"}],"discovery":[{"accountId":"100000000014","region":"us-east-1","status":"DISABLED","reason":"listed"}],"requeued":[{"accountId":"200000000000","region":"us-east-1"}],"deadLettered":[{"accountId":"300000000000","region":"us-east-1"}],"creationsFailed":[{"createAccountRequestId":"car-1","failureReason":"EMAIL_ALREADY_EXISTS"}],"ignored":[{"event":"x","reason":"y"}],"reconcile":{"accountsInOrganization":15,"regions":[{"region":"us-east-1","membersFound":4,"invited":1,"alreadyMembers":3,"skipped":1,"unprocessed":1,"failed":1,"accepted":1,"added":1,"planned":1,"pending":2,"removed":1,"kept":1,"held":1,"adopted":1,"discovery":1}]},"counts":{"beforeAnyRegion":{"invited":1,"planned":1,"unprocessed":1,"pending":1,"held":1},"us-east-1":{"accepted":1,"added":1,"alreadyMembers":1,"skipped":1,"failed":1,"pending":1,"removed":1,"kept":1,"adopted":1,"discovery":1,"requeued":1,"deadLettered":1}},"leftOut":{"skipped":1}}"#;

    /// 10,000 accounts in 17 regions, every one a member already, and some thousands of each other
    /// outcome with long reasons: the response stays under 256 KiB whatever the organization's size.
    #[test]
    fn the_response_stays_under_256_kib_whatever_the_organizations_size() {
        let regions: Vec<Region> = (0..17)
            .map(|n| Region::parse(&format!("xx-test-{n}"), "t").unwrap())
            .collect();
        let long = "x".repeat(600);
        let mut reports = Vec::new();
        for n in 0..10_000u64 {
            let account = format!("{:012}", 100_000_000_000 + n);
            for region in &regions {
                let outcome = match n % 10 {
                    0 => Outcome::failed(long.clone()),
                    1 => Outcome::Invited,
                    2 => Outcome::skipped(long.clone()),
                    _ => Outcome::AlreadyMember {
                        status: MemberStatus::Enabled,
                    },
                };
                reports.push(report(&account, Some(region.clone()), outcome));
            }
        }
        for detail in [Detail::Changes, Detail::Every] {
            let summary = Summary::from_reports(&reports, detail);
            let dead_lettered = summary.lists[Bucket::Failed].clone();
            let mut summary = summary;
            summary.add_settled(Vec::new(), dead_lettered);

            let bounded = summary.bounded();
            let size = serde_json::to_string(&bounded).unwrap().len();

            assert!(size < 256 * 1024, "{detail:?}: {size} bytes");
            assert!(bounded.lists[Bucket::Invited].len() <= LIST_CAP);
            let counts = &bounded.counts["xx-test-3"];
            assert_eq!(
                (
                    counts[Bucket::Invited],
                    counts[Bucket::Failed],
                    counts[Bucket::DeadLettered]
                ),
                (1_000, 1_000, 1_000)
            );
            // Nothing is lost from sight: what a list left out is counted.
            assert_eq!(
                bounded.left_out["failed"] + bounded.lists[Bucket::Failed].len(),
                17_000,
                "{detail:?}"
            );
            if detail == Detail::Changes {
                assert_eq!(counts[Bucket::AlreadyMembers], 7_000);
                assert!(bounded.lists[Bucket::AlreadyMembers].is_empty());
            }
        }
    }
}
