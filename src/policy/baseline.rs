//! Macie's own settings as policy: what the administrator's settings in a region must become, from
//! what was read of them; only what differs is written.

use crate::config::Baseline;
use crate::domain::{Frequency, MacieSettings, Repository};

/// One of the administrator's settings to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BaselineChange {
    Frequency(Frequency),
    /// Both of Security Hub's flags: the call takes the whole object.
    Publication(bool, bool),
    Repository(Repository),
}

impl BaselineChange {
    /// The setting's name, as Macie's API names it.
    pub(crate) fn setting(&self) -> &'static str {
        match self {
            BaselineChange::Frequency(_) => "findingPublishingFrequency",
            BaselineChange::Publication(..) => "securityHubConfiguration",
            BaselineChange::Repository(_) => "classificationExportConfiguration",
        }
    }

    /// What a dry run plans.
    pub(crate) fn action(&self) -> &'static str {
        match self {
            BaselineChange::Frequency(_) => "set frequency",
            BaselineChange::Publication(..) => "set publication",
            BaselineChange::Repository(_) => "set repository",
        }
    }
}

/// Says a setting's value as the answer shows it.
fn say_publication((policy, sensitive): (bool, bool)) -> String {
    format!("publishPolicyFindings {policy}, publishClassificationFindings {sensitive}")
}

/// Says a repository as the answer shows it.
fn say_repository(repository: Option<&Repository>) -> String {
    repository.map_or("none".to_owned(), |repository| {
        let prefix = repository.key_prefix.as_deref().unwrap_or("");
        format!(
            "s3://{}/{prefix} ({})",
            repository.bucket_name, repository.kms_key_arn
        )
    })
}

/// The writes the settings call for, each with the value it replaces and the one it sets: only
/// what is set, and only where it differs from what was read.
pub(crate) fn judge_baseline(
    wanted: &Baseline,
    current: &MacieSettings,
) -> Vec<(BaselineChange, String, String)> {
    let mut changes = Vec::new();
    if let Some(frequency) = wanted.frequency {
        if current.frequency != Some(frequency) {
            let now = current
                .frequency
                .map_or("unknown", Frequency::name)
                .to_owned();
            changes.push((
                BaselineChange::Frequency(frequency),
                now,
                frequency.name().to_owned(),
            ));
        }
    }
    if let Some(now) = current.publication {
        let (policy, sensitive) = now;
        let new = (
            wanted.publish_policy_findings.unwrap_or(policy),
            wanted.publish_sensitive_data_findings.unwrap_or(sensitive),
        );
        if new != now {
            let change = BaselineChange::Publication(new.0, new.1);
            changes.push((change, say_publication(now), say_publication(new)));
        }
    }
    if let (Some(repository), Some(now)) = (&wanted.repository, &current.repository) {
        if now.as_ref() != Some(repository) {
            let change = BaselineChange::Repository(repository.clone());
            changes.push((
                change,
                say_repository(now.as_ref()),
                say_repository(Some(repository)),
            ));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> Repository {
        Repository {
            bucket_name: "results".to_owned(),
            kms_key_arn: "arn:aws:kms:us-east-1:111122223333:key/k".to_owned(),
            key_prefix: None,
        }
    }

    #[test]
    fn only_what_is_set_and_differs_is_written() {
        let wanted = Baseline {
            frequency: Some(Frequency::OneHour),
            publish_sensitive_data_findings: Some(true),
            repository: Some(repository()),
            ..Baseline::default()
        };
        let current = MacieSettings {
            frequency: Some(Frequency::FifteenMinutes),
            publication: Some((true, false)),
            repository: Some(None),
        };
        let changes = judge_baseline(&wanted, &current);
        let settings: Vec<&str> = changes
            .iter()
            .map(|(change, ..)| change.setting())
            .collect();
        assert_eq!(
            settings,
            [
                "findingPublishingFrequency",
                "securityHubConfiguration",
                "classificationExportConfiguration"
            ]
        );
        // The policy flag, not set, is written as it was read: the call takes both.
        assert_eq!(changes[1].0, BaselineChange::Publication(true, true));
        assert_eq!(changes[0].1, "FIFTEEN_MINUTES");
        assert_eq!(changes[2].1, "none");

        let done = MacieSettings {
            frequency: Some(Frequency::OneHour),
            publication: Some((true, true)),
            repository: Some(Some(repository())),
        };
        assert_eq!(judge_baseline(&wanted, &done), []);
        assert_eq!(judge_baseline(&Baseline::default(), &current), []);
    }
}
