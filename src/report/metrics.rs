//! The invocation's metrics, as CloudWatch Embedded Metric Format (EMF) log lines: CloudWatch Logs
//! turns them into metrics without a single PutMetricData call.
//!
//! An EMF document carries one value per dimension, so an invocation writes one line with its
//! totals (dimension FunctionName, which the template's alarm watches), then one line for each
//! region it has outcomes in (dimensions FunctionName and Region).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use crate::report::summary::{Bucket, Counts, NO_REGION, RegionTally, Summary};

/// Where the EMF lines go: standard output in Lambda, where CloudWatch Logs reads them as they are
/// (they are not log records of the subscriber); a test hands a writer of its own, and reads it.
#[derive(Clone)]
pub struct MetricsOut(Arc<Mutex<Box<dyn Write + Send>>>);

impl MetricsOut {
    /// To standard output, as in Lambda.
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }

    /// To `writer`.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        MetricsOut(Arc::new(Mutex::new(Box::new(writer))))
    }

    /// Writes the lines; a lost metric line must not fail an invocation whose work is done.
    pub fn write(&self, lines: &[String]) {
        let Ok(mut out) = self.0.lock() else {
            return;
        };
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
}

/// The metrics that count outcomes, in the order they are written, each with the bucket it counts:
/// the table of buckets' `metric` column ([`Bucket::row`]).
fn metric_counts() -> impl Iterator<Item = (&'static str, Bucket)> {
    Bucket::ALL
        .into_iter()
        .filter_map(|bucket| Some((bucket.row().metric?, bucket)))
}

/// How the line of totals combines a measure of the regions.
#[derive(Clone, Copy)]
enum Combine {
    Lowest,
    Highest,
    Sum,
}

/// A reconcile's measures, per region, each with its unit, how the line of totals combines them
/// (the template's alarms watch the totals: the lowest share covered, the highest quota used, the
/// region with the most members drifted from `Enabled`), and
/// where it is read from a region's tally. The members over the cost limit, and the costliest
/// member's total, are the organization's over every region: on the line of totals only
/// ([`read_organization_measures`]).
#[rustfmt::skip]
const MEASURES: [(&str, &str, Combine, MeasureOf); 10] = [
    ("ShareCovered",            "Percent", Combine::Lowest,  |tally| Some(tally.coverage.as_ref()?.share_covered.as_f64())),
    ("ShareEnabled",            "Percent", Combine::Lowest,  |tally| Some(tally.coverage.as_ref()?.share_enabled.as_f64())),
    ("QuotaUsed",               "Percent", Combine::Highest, |tally| Some(tally.coverage.as_ref()?.quota_used_share.as_f64())),
    ("DiscoveryCostUsd",        "None",    Combine::Sum,     |tally| Some(tally.discovery.as_ref()?.cost_usd?.as_f64())),
    ("DiscoveryCostLargestUsd", "None",    Combine::Highest, |tally| Some(tally.discovery.as_ref()?.largest_cost_usd?.as_f64())),
    ("MembersOverCostLimit",    "Count",   Combine::Sum,     |_| None),
    ("MembersDrifted",          "Count",   Combine::Highest, |tally| Some(tally.coverage.as_ref()?.drift.total() as f64)),
    ("ReconcilesCompleted",     "Count",   Combine::Sum,     |_| None),
    ("MembersAudited",          "Count",   Combine::Sum,     |tally| Some(tally.coverage.as_ref()?.baseline?.audited as f64)),
    ("MembersMeetingBaseline",  "Count",   Combine::Sum,     |tally| Some(tally.coverage.as_ref()?.baseline?.meeting as f64)),
];

/// On the line of totals, what the organization's reconcile says as a whole: that it completed
/// (`ReconcilesCompleted`, which the Heartbeat alarm watches), and its costs over every region, the
/// costliest member's total (`DiscoveryCostLargestUsd`) and the members over the limit
/// (`MembersOverCostLimit`, which the `DiscoveryCost` alarm watches).
fn read_organization_measures(summary: &Summary, combined: &mut Measured) {
    let Some(reconcile) = summary.reconcile.as_ref() else {
        return;
    };
    let costs = reconcile.discovery_cost.as_ref();
    for (index, (name, ..)) in MEASURES.iter().enumerate() {
        match *name {
            "ReconcilesCompleted" => combined[index] = Some(1.0),
            "DiscoveryCostLargestUsd" => {
                combined[index] = costs.map(|costs| costs.largest_cost_usd.as_f64())
            }
            "MembersOverCostLimit" => {
                combined[index] = costs.map(|costs| costs.over_cost_limit as f64)
            }
            _ => {}
        }
    }
}

/// Which measure of a region's tally a metric reads; `None` where it was not measured.
type MeasureOf = fn(&RegionTally) -> Option<f64>;

/// The measures of one region, or of all combined, in the order of [`MEASURES`].
type Measured = [Option<f64>; MEASURES.len()];

/// The EMF lines for an invocation's summary: the totals, then one line per region.
pub(crate) fn format_lines(
    summary: &Summary,
    namespace: &str,
    function_name: &str,
    timestamp_ms: u64,
) -> Vec<String> {
    let (totals, mut by_region) = count_metrics(summary);
    let measured = read_measures(summary);
    // A reconciled region has its line, whether or not anything happened there.
    for region in measured.keys() {
        by_region.entry((*region).to_owned()).or_default();
    }
    let emf = Emf {
        namespace,
        function_name,
        timestamp_ms,
    };
    let mut combined = combine_measures(measured.values());
    read_organization_measures(summary, &mut combined);
    let mut lines = vec![emf.format_line(None, &totals, combined)];
    lines.extend(by_region.iter().map(|(region, counts)| {
        let measures = measured.get(region.as_str()).copied().unwrap_or_default();
        emf.format_line(Some(region), counts, measures)
    }));
    lines
}

/// The regions' measures combined for the line of totals, each as [`MEASURES`] says.
fn combine_measures<'m>(regions: impl Iterator<Item = &'m Measured>) -> Measured {
    let mut combined: Measured = Default::default();
    for measured in regions {
        for (index, (_, _, combine, _)) in MEASURES.iter().enumerate() {
            let Some(value) = measured[index] else {
                continue;
            };
            combined[index] = Some(match (combined[index], combine) {
                (None, _) => value,
                (Some(so_far), Combine::Lowest) => so_far.min(value),
                (Some(so_far), Combine::Highest) => so_far.max(value),
                (Some(so_far), Combine::Sum) => so_far + value,
            });
        }
    }
    combined
}

/// The counts over all regions, and for each region that has outcomes, from the summary's counts
/// (which hold every outcome, listed or not).
fn count_metrics(summary: &Summary) -> (Counts, BTreeMap<String, Counts>) {
    let mut totals = Counts::default();
    let mut by_region: BTreeMap<String, Counts> = BTreeMap::new();
    for (region, counts) in &summary.counts {
        for bucket in Bucket::ALL {
            totals[bucket] += counts[bucket];
            if region != NO_REGION {
                by_region.entry(region.clone()).or_default()[bucket] += counts[bucket];
            }
        }
    }
    (totals, by_region)
}

/// Each reconciled region's measures.
fn read_measures(summary: &Summary) -> BTreeMap<&str, Measured> {
    summary
        .reconcile
        .iter()
        .flat_map(|reconcile| &reconcile.regions)
        .filter_map(|tally| {
            let measured = MEASURES.map(|(_, _, _, measure)| measure(tally));
            measured
                .iter()
                .any(Option::is_some)
                .then_some((tally.region.as_str(), measured))
        })
        .collect()
}

/// What every EMF document of an invocation shares.
struct Emf<'a> {
    namespace: &'a str,
    function_name: &'a str,
    timestamp_ms: u64,
}

impl Emf<'_> {
    /// One EMF document: the counts, and each measure where the region (or, on the line of
    /// totals, any region) was measured.
    fn format_line(&self, region: Option<&String>, counts: &Counts, measured: Measured) -> String {
        let dimensions = match region {
            Some(_) => json!([["FunctionName", "Region"]]),
            None => json!([["FunctionName"]]),
        };
        let measures: Vec<(&str, &str, f64)> = MEASURES
            .iter()
            .zip(measured)
            .filter_map(|((name, unit, _, _), value)| Some((*name, *unit, value?)))
            .collect();
        let metrics: Vec<Value> = metric_counts()
            .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
            .chain(
                measures
                    .iter()
                    .map(|(name, unit, _)| json!({"Name": name, "Unit": unit})),
            )
            .collect();
        let mut document = Map::new();
        document.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": self.timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": dimensions,
                    "Metrics": metrics,
                }],
            }),
        );
        document.insert("FunctionName".to_owned(), json!(self.function_name));
        if let Some(region) = region {
            document.insert("Region".to_owned(), json!(region));
        }
        for (name, bucket) in metric_counts() {
            document.insert(name.to_owned(), json!(counts[bucket]));
        }
        for (name, _, value) in measures {
            document.insert(name.to_owned(), json!(value));
        }
        Value::Object(document).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{account_id, region};
    use crate::domain::{Origin, Subject};
    use crate::outcome::{Outcome, Report};
    use crate::report::summary::{Detail, Entry};

    fn report(account: &str, region_name: Option<&str>, outcome: Outcome) -> Report {
        let subject = Subject::Account(account_id(account));
        Report::new(
            subject,
            region_name.map(region),
            outcome,
            &Origin::first(&[]),
        )
    }

    #[test]
    fn one_line_of_totals_then_one_per_region_each_a_valid_emf_document() {
        let invited = |account, region| report(account, Some(region), Outcome::Invited);
        let reports = [
            invited("111111111111", "us-east-1"),
            invited("111111111111", "eu-west-1"),
            invited("222222222222", "us-east-1"),
            report("333333333333", None, Outcome::skipped("excluded")),
        ];
        let mut summary = Summary::from_reports(&reports, Detail::Every);
        let subject = Subject::Account(account_id("444444444444"));
        let dead_letter = Entry::new(&subject, Some(&region("eu-west-1")));
        summary.add_settled(Vec::new(), vec![dead_letter]);

        let lines: Vec<Value> =
            format_lines(&summary, "MacieInvite", "macie-invite", 1_764_000_000_000)
                .iter()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();

        assert_eq!(lines.len(), 3);
        let totals = &lines[0];
        assert_eq!(totals["_aws"]["Timestamp"], 1_764_000_000_000u64);
        let directive = &totals["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "MacieInvite");
        assert_eq!(directive["Dimensions"], json!([["FunctionName"]]));
        let names: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|metric| metric["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            metric_counts().map(|(name, _)| name).collect::<Vec<_>>()
        );
        assert_eq!(totals["FunctionName"], "macie-invite");
        let values = |line: &Value, names: &[&str]| -> Vec<u64> {
            names
                .iter()
                .map(|name| line[name].as_u64().unwrap())
                .collect()
        };
        let (invited, skipped, dead_lettered) =
            ("AccountsInvited", "AccountsSkipped", "AccountsDeadLettered");
        assert_eq!(
            values(totals, &[invited, skipped, dead_lettered]),
            [3, 1, 1]
        );
        assert!(totals.get("Region").is_none());
        assert!(
            totals.get("ReconcilesCompleted").is_none(),
            "not a reconcile"
        );

        let (eu, us) = (&lines[1], &lines[2]);
        assert_eq!(
            (eu["Region"].as_str(), us["Region"].as_str()),
            (Some("eu-west-1"), Some("us-east-1"))
        );
        assert_eq!(
            eu["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["FunctionName", "Region"]])
        );
        assert_eq!(values(eu, &[invited, dead_lettered]), [1, 1]);
        assert_eq!(values(us, &[invited, skipped]), [2, 0]);
    }

    #[test]
    fn an_invocation_without_outcomes_still_writes_its_totals() {
        let lines = format_lines(&Summary::default(), "Security/MacieInvite", "f", 0);
        assert_eq!(lines.len(), 1);
        let totals: Value = serde_json::from_str(&lines[0]).unwrap();
        for (metric, _) in metric_counts() {
            assert_eq!(totals[metric], 0, "{metric}");
        }
    }

    #[test]
    fn a_reconcile_writes_each_regions_coverage_and_the_worst_on_the_totals() {
        use crate::domain::{MemberStatus, Membership, Mode};
        use crate::policy::coverage::measure_coverage;
        use crate::report::summary::{Reconciliation, RegionTally};
        use std::collections::BTreeSet;

        let ids = [account_id("111111111111"), account_id("222222222222")];
        let eligible: BTreeSet<&crate::domain::AccountId> = ids.iter().collect();
        let enabled = Membership {
            status: MemberStatus::Enabled,
            invited_at: None,
            mark: crate::domain::Mark::Enrolled,
            arn: None,
            discovery_mark: crate::domain::DiscoveryMark::NotOurs,
            email_digest: None,
        };
        let half = crate::domain::MemberListing::from_iter([(ids[0].clone(), enabled.clone())]);
        let all = crate::domain::MemberListing::from_iter([
            (ids[0].clone(), enabled.clone()),
            (ids[1].clone(), enabled),
        ]);
        let tally = |name: &str, members: &crate::domain::MemberListing| {
            let coverage = measure_coverage(&eligible, members, &[], 0, Some(Mode::Invitations));
            RegionTally::count(
                &region(name),
                Some(members.len()),
                members.len(),
                Some(coverage),
                &[],
            )
        };
        let summary = Summary {
            reconcile: Some(Reconciliation {
                accounts_in_organization: 2,
                regions: vec![tally("us-east-1", &half), tally("eu-west-1", &all)],
                discovery_cost: None,
                backfill: None,
            }),
            ..Summary::default()
        };

        let lines: Vec<Value> = format_lines(&summary, "MacieInvite", "macie-invite", 0)
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();

        // The totals, then both regions, though nothing happened in either.
        assert_eq!(lines.len(), 3);
        let measures = |line: &Value| (line["ShareCovered"].clone(), line["QuotaUsed"].clone());
        assert_eq!(measures(&lines[0]), (json!(50.0), json!(0.2)));
        // The heartbeat: a reconcile completed, on the line of totals alone.
        assert_eq!(lines[0]["ReconcilesCompleted"], 1.0);
        assert!(lines[1].get("ReconcilesCompleted").is_none());
        assert_eq!(lines[1]["Region"], "eu-west-1");
        assert_eq!(measures(&lines[1]), (json!(100.0), json!(0.2)));
        assert_eq!(measures(&lines[2]), (json!(50.0), json!(0.1)));
        let units: Vec<&Value> = lines[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|metric| metric["Unit"] == "Percent")
            .map(|metric| &metric["Name"])
            .collect();
        assert_eq!(
            units,
            [
                &json!("ShareCovered"),
                &json!("ShareEnabled"),
                &json!("QuotaUsed")
            ]
        );
    }
}
