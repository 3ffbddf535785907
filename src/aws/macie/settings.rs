//! An account's own Macie settings in a region, the administrator's or a member's: its finding
//! publishing frequency (GetMacieSession, UpdateMacieSession), its Security Hub publication
//! (Get/PutFindingsPublicationConfiguration) and its results repository
//! (Get/PutClassificationExportConfiguration).

use aws_sdk_macie2::types::{
    ClassificationExportConfiguration, FindingPublishingFrequency, S3Destination,
    SecurityHubConfiguration,
};

use aws_sdk_macie2::Client;

use super::{Macie, MemberSession, macie_error};
use crate::domain::{Frequency, Region, Repository};
use crate::error::Error;

/// One account's own Macie settings in one region: the administrator's ([`Macie::settings`]) or,
/// through the member role, a member's ([`MemberSession::settings`]). A member's frequency and
/// publication are its own, which only it can set ("Configure publication destinations for
/// findings" is each account's own: Macie user guide, "Relationships between administrator and
/// member accounts"); its results go to the administrator's repository.
pub struct Settings {
    client: Client,
}

impl Macie {
    /// The administrator's own settings in `region`.
    pub fn settings(&self, region: &Region) -> Settings {
        Settings {
            client: self.client(region),
        }
    }
}

impl MemberSession {
    /// The member's own settings.
    pub fn settings(&self) -> Settings {
        Settings {
            client: self.client.clone(),
        }
    }
}

impl Settings {
    /// The finding publishing frequency (GetMacieSession).
    pub async fn frequency(&self) -> Result<Option<Frequency>, Error> {
        let output = self.client.get_macie_session().send().await;
        let output = output.map_err(|error| macie_error("GetMacieSession", error))?;
        let word = output.finding_publishing_frequency();
        Ok(word.and_then(|word| Frequency::parse(word.as_str())))
    }

    /// Sets it (UpdateMacieSession with `findingPublishingFrequency` alone: the status is kept).
    pub async fn set_frequency(&self, frequency: Frequency) -> Result<(), Error> {
        let word = FindingPublishingFrequency::from(frequency.name());
        let sent = self
            .client
            .update_macie_session()
            .finding_publishing_frequency(word);
        let sent = sent.send().await;
        sent.map(|_| ())
            .map_err(|error| macie_error("UpdateMacieSession", error))
    }

    /// Whether policy findings and sensitive data findings are published to Security Hub
    /// (GetFindingsPublicationConfiguration), Macie's defaults (true, false) where it says nothing.
    pub async fn publication(&self) -> Result<(bool, bool), Error> {
        let output = self
            .client
            .get_findings_publication_configuration()
            .send()
            .await;
        let output =
            output.map_err(|error| macie_error("GetFindingsPublicationConfiguration", error))?;
        let hub = output.security_hub_configuration();
        let policy = hub.and_then(SecurityHubConfiguration::publish_policy_findings);
        let sensitive = hub.and_then(SecurityHubConfiguration::publish_classification_findings);
        Ok((policy.unwrap_or(true), sensitive.unwrap_or(false)))
    }

    /// Sets both (PutFindingsPublicationConfiguration takes the whole object).
    pub async fn set_publication(&self, (policy, sensitive): (bool, bool)) -> Result<(), Error> {
        let hub = SecurityHubConfiguration::builder()
            .publish_policy_findings(policy)
            .publish_classification_findings(sensitive)
            .build();
        let sent = self.client.put_findings_publication_configuration();
        let sent = sent.security_hub_configuration(hub).send().await;
        sent.map(|_| ())
            .map_err(|error| macie_error("PutFindingsPublicationConfiguration", error))
    }

    /// The results repository (GetClassificationExportConfiguration): `None` where none is set.
    pub async fn repository(&self) -> Result<Option<Repository>, Error> {
        let output = self.client.get_classification_export_configuration();
        let output = output.send().await;
        let output =
            output.map_err(|error| macie_error("GetClassificationExportConfiguration", error))?;
        let destination = output
            .configuration()
            .and_then(ClassificationExportConfiguration::s3_destination);
        Ok(destination.and_then(|destination| {
            Some(Repository {
                bucket_name: destination.bucket_name()?.to_owned(),
                kms_key_arn: destination.kms_key_arn()?.to_owned(),
                key_prefix: destination.key_prefix().map(str::to_owned),
            })
        }))
    }

    /// Sets it (PutClassificationExportConfiguration).
    pub async fn set_repository(&self, repository: &Repository) -> Result<(), Error> {
        let destination = S3Destination::builder()
            .bucket_name(&repository.bucket_name)
            .kms_key_arn(&repository.kms_key_arn)
            .set_key_prefix(repository.key_prefix.clone())
            .build();
        let configuration = ClassificationExportConfiguration::builder()
            .s3_destination(destination)
            .build();
        let sent = self.client.put_classification_export_configuration();
        let sent = sent.configuration(configuration).send().await;
        sent.map(|_| ())
            .map_err(|error| macie_error("PutClassificationExportConfiguration", error))
    }
}
