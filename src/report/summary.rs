//! The summary an invocation answers: how many subjects ended each way in each region, the
//! subjects in lists (bounded, whatever the organization's size), and a reconcile's counts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{Region, Subject};
use crate::event::Ignored;
pub(crate) use crate::outcome::Bucket;
use crate::outcome::{CreationFailure, NotAnAddition, Report, Run};
use crate::policy::coverage::Coverage;
use crate::policy::discovery::DiscoveryTally;

/// The field of a bucket, in any of the structs that count or list by bucket (the summary's lists,
/// its counts, a reconcile's tallies), which all name their fields after the buckets.
macro_rules! field_of {
    ($holder:expr, $bucket:expr) => {
        match $bucket {
            Bucket::Invited => &mut $holder.invited,
            Bucket::Accepted => &mut $holder.accepted,
            Bucket::Added => &mut $holder.added,
            Bucket::Planned => &mut $holder.planned,
            Bucket::AlreadyMembers => &mut $holder.already_members,
            Bucket::Skipped => &mut $holder.skipped,
            Bucket::Unprocessed => &mut $holder.unprocessed,
            Bucket::Failed => &mut $holder.failed,
            Bucket::Pending => &mut $holder.pending,
            Bucket::Removed => &mut $holder.removed,
            Bucket::Kept => &mut $holder.kept,
            Bucket::Held => &mut $holder.held,
            Bucket::Adopted => &mut $holder.adopted,
            Bucket::Discovery => &mut $holder.discovery,
        }
    };
}

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

/// The counts of a region's tally that add up to the organization's accounts.
const ADDING_UP: [&str; 5] = [
    "invited",
    "alreadyMembers",
    "skipped",
    "unprocessed",
    "failed",
];

/// A tally's counts: as the summary's, and those [`ADDING_UP`] even at zero, so that they add up.
fn serialize_tally_counts<S: serde::Serializer>(
    counts: &Counts,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let value = serde_json::to_value(counts).map_err(serde::ser::Error::custom)?;
    let mut map = serializer.serialize_map(None)?;
    for key in ADDING_UP {
        map.serialize_entry(key, value.get(key).unwrap_or(&serde_json::json!(0)))?;
    }
    for (key, count) in value.as_object().into_iter().flatten() {
        if !ADDING_UP.contains(&key.as_str()) {
            map.serialize_entry(key, count)?;
        }
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
        let mut counts = Counts {
            already_members: members_already,
            ..Counts::default()
        };
        for report in reports
            .iter()
            .filter(|r| r.region.as_ref().is_none_or(|r| r == region))
        {
            *field_of!(counts, Bucket::of(&report.outcome)) += 1;
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
    pub invited: Vec<Entry>,
    /// Invited and accepted in the member account: Enabled members (ACCEPT_ROLE_NAME).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<Entry>,
    /// Added through Organizations by the delegated Macie administrator: Enabled members, with no
    /// invitation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<Entry>,
    /// DRY_RUN: what would be done for each account and region.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<Entry>,
    pub already_members: Vec<Entry>,
    pub skipped: Vec<Entry>,
    pub unprocessed: Vec<Entry>,
    pub failed: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Entry>,
    /// Members whose accounts left the organization or are closing, removed from Macie.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<Entry>,
    /// Members whose accounts left the organization or are closing, kept, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Entry>,
    /// Members whose accounts left the organization or are closing, that this function enrolled,
    /// not removed because the run would remove more than MAX_REMOVALS (the alarm's concern).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<Entry>,
    /// `{"action": "adopt"}`: the members tagged as enrolled by this function.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adopted: Vec<Entry>,
    /// The members whose automated sensitive data discovery was turned on or off (`status`), and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discovery: Vec<Entry>,
    /// Work sent to the retry queue: the attempt it will be, and its delay.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requeued: Vec<Entry>,
    /// Work sent to the dead-letter queue, with what the operator must do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dead_lettered: Vec<Entry>,
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
    /// How many subjects ended each way, per region (`noRegion`: settled before any region). Every
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

/// How many subjects ended each way, in one region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    #[serde(skip_serializing_if = "is_zero")]
    pub invited: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub accepted: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub added: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub planned: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub already_members: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub unprocessed: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub failed: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub pending: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub removed: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub kept: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub held: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub adopted: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub discovery: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub requeued: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub dead_lettered: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// The key of the counts of outcomes settled before any region.
pub(crate) const NO_REGION: &str = "noRegion";

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

    /// Whether the lists hold the outcomes of this bucket (else they are only counted).
    pub(crate) fn lists(self, bucket: Bucket) -> bool {
        self == Detail::Every || bucket != Bucket::AlreadyMembers
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
                summary.counts_of(Some(region)).already_members += *members;
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
            *field_of!(summary.counts_of(report.region.as_ref()), bucket) += 1;
            if detail.lists(bucket) {
                field_of!(summary, bucket).push(Entry::of(report));
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
        for entry in &requeued {
            self.counts_of(entry.region.as_ref()).requeued += 1;
        }
        for entry in &dead_lettered {
            self.counts_of(entry.region.as_ref()).dead_lettered += 1;
        }
        self.requeued = requeued;
        self.dead_lettered = dead_lettered;
    }

    /// The summary with each list cut to [`LIST_CAP`] entries, and all of them together to
    /// [`ENTRY_BYTES`], the lists that need attention first; `leftOut` says how many each lost.
    pub(crate) fn bounded(mut self) -> Self {
        let mut budget = ENTRY_BYTES;
        let mut left_out = BTreeMap::new();
        let mut keep = |name: &'static str, count: usize| {
            if count > 0 {
                left_out.insert(name, count);
            }
        };
        keep("deadLettered", fit(&mut self.dead_lettered, &mut budget));
        keep("failed", fit(&mut self.failed, &mut budget));
        keep("unprocessed", fit(&mut self.unprocessed, &mut budget));
        keep("requeued", fit(&mut self.requeued, &mut budget));
        keep("pending", fit(&mut self.pending, &mut budget));
        keep("held", fit(&mut self.held, &mut budget));
        keep("kept", fit(&mut self.kept, &mut budget));
        keep("removed", fit(&mut self.removed, &mut budget));
        keep("adopted", fit(&mut self.adopted, &mut budget));
        keep("discovery", fit(&mut self.discovery, &mut budget));
        keep(
            "creationsFailed",
            fit(&mut self.creations_failed, &mut budget),
        );
        keep("skipped", fit(&mut self.skipped, &mut budget));
        keep("accepted", fit(&mut self.accepted, &mut budget));
        keep("added", fit(&mut self.added, &mut budget));
        keep("invited", fit(&mut self.invited, &mut budget));
        keep("planned", fit(&mut self.planned, &mut budget));
        keep("ignored", fit(&mut self.ignored, &mut budget));
        keep(
            "alreadyMembers",
            fit(&mut self.already_members, &mut budget),
        );
        self.left_out = left_out;
        self
    }
}

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
                        status: "Enabled".into(),
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
                    "noRegion": {"skipped": 1, "failed": 1}
                }
            })
        );
    }

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
                        status: "Enabled".into(),
                    },
                };
                reports.push(report(&account, Some(region.clone()), outcome));
            }
        }
        for detail in [Detail::Changes, Detail::Every] {
            let summary = Summary::from_reports(&reports, detail);
            let dead_lettered = summary.failed.clone();
            let mut summary = summary;
            summary.add_settled(Vec::new(), dead_lettered);

            let bounded = summary.bounded();
            let size = serde_json::to_string(&bounded).unwrap().len();

            assert!(size < 256 * 1024, "{detail:?}: {size} bytes");
            assert!(bounded.invited.len() <= LIST_CAP);
            let counts = &bounded.counts["xx-test-3"];
            assert_eq!(
                (counts.invited, counts.failed, counts.dead_lettered),
                (1_000, 1_000, 1_000)
            );
            // Nothing is lost from sight: what a list left out is counted.
            assert_eq!(
                bounded.left_out["failed"] + bounded.failed.len(),
                17_000,
                "{detail:?}"
            );
            if detail == Detail::Changes {
                assert_eq!(counts.already_members, 7_000);
                assert!(bounded.already_members.is_empty());
            }
        }
    }
}
