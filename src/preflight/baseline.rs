//! The check's report of Macie's own settings in a region: the administrator's finding publishing
//! frequency, Security Hub publication and results repository, against the baseline, with a
//! warning where automated discovery runs with no repository.

use super::Check;
use crate::config::Baseline;
use crate::domain::{Discovery, Frequency, Region, Repository};
use crate::error::{Error, Meaning};

/// What the check read of the administrator's settings in a region.
pub(crate) struct BaselineRead {
    pub frequency: Result<Option<Frequency>, Error>,
    pub publication: Result<(bool, bool), Error>,
    pub repository: Result<Option<Repository>, Error>,
    /// The administrator's own automated discovery (`None`: not read).
    pub discovery: Option<Discovery>,
}

/// The administrator's settings in `region`, and how they stand against `wanted`: it passes, and
/// says "warning" where automated discovery runs with no repository (results are kept 90 days).
pub(crate) fn judge_baseline_setup(
    region: &Region,
    read: &BaselineRead,
    wanted: &Baseline,
) -> Check {
    const CHECK: &str = "baseline";
    let say = |result: &Result<String, &Error>| match result {
        Ok(text) => text.clone(),
        Err(error) => format!("unread ({error})"),
    };
    let frequency = read
        .frequency
        .as_ref()
        .map(|f| f.map_or("unknown", Frequency::name).to_owned());
    let publication = read.publication.as_ref().map(|(policy, sensitive)| {
        format!("publishPolicyFindings {policy}, publishClassificationFindings {sensitive}")
    });
    let repository = read.repository.as_ref().map(|repository| match repository {
        Some(repository) => format!("s3://{}", repository.bucket_name),
        None => "none".to_owned(),
    });
    let mut detail = format!(
        "findingPublishingFrequency {}; {}; results repository {}",
        say(&frequency),
        say(&publication),
        say(&repository)
    );
    if wanted.is_set() {
        detail.push_str("; the reconcile holds them to the baseline set");
    }
    let unstored = matches!(read.repository, Ok(None)) && wanted.repository.is_none();
    if unstored && read.discovery == Some(Discovery::On) {
        detail.push_str(&format!(
            "; warning: automated discovery runs here with no results repository, and Macie keeps \
             its results for only 90 days: set ResultsBucket and ResultsKmsKeyArn (RESULTS_BUCKET, \
             RESULTS_KMS_KEY_ARN), or aws macie2 put-classification-export-configuration --region \
             {region} --configuration 's3Destination={{bucketName=BUCKET,kmsKeyArn=KEY_ARN}}'"
        ));
    }
    Check::pass(CHECK, detail).in_region(region)
}

/// What the check read of a member's own settings: its frequency and its publication.
pub(crate) type MemberRead = (
    Result<Option<Frequency>, Error>,
    Result<(bool, bool), Error>,
);

/// A member's own frequency and publication in `region`, as read through the member role (the
/// check's `accountIds`): it passes where both were read, and fails where the role may not read them.
pub(crate) fn judge_member_baseline(
    account: &crate::domain::AccountId,
    region: &Region,
    (frequency, publication): MemberRead,
) -> Check {
    const CHECK: &str = "memberBaseline";
    match (frequency, publication) {
        (Ok(frequency), Ok((policy, sensitive))) => Check::pass(
            CHECK,
            format!(
                "account {account}: findingPublishingFrequency {}; publishPolicyFindings {policy}, \
                 publishClassificationFindings {sensitive}",
                frequency.map_or("unknown", Frequency::name)
            ),
        ),
        (Err(error), _) | (_, Err(error)) if error.meaning() == Some(Meaning::MacieOff) => {
            Check::pass(
                CHECK,
                format!(
                    "account {account}: Macie is not enabled there yet, so it has no settings of \
                     its own; the function sets them when it enrolls it"
                ),
            )
        }
        (Err(error), _) | (_, Err(error)) => Check::fail(
            CHECK,
            format!("account {account}: the member role could not read its settings: {error}"),
            "deploy the current member-role.yaml in that account: it grants macie2:GetMacieSession \
             and the publication calls",
        ),
    }
    .in_region(region)
}
