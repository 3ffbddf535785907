//! Macie's organization configuration, which only the delegated Macie administrator may read.

use crate::domain::{OrganizationConfiguration, Region};
use crate::error::Error;

use super::{Macie, macie_error};

impl Macie {
    /// The organization's Macie configuration in `region` (DescribeOrganizationConfiguration), which
    /// only the organization's delegated Macie administrator may read ("To use this resource, you
    /// must be the delegated Macie administrator": Macie API reference, "AWS Organizations - Macie
    /// Configuration"). What Macie answers any other account is not documented: the caller reads
    /// any refusal that is not throttling or a 5xx as "not the delegated administrator here".
    pub async fn organization_configuration(
        &self,
        region: &Region,
    ) -> Result<OrganizationConfiguration, Error> {
        let output = self
            .client(region)
            .describe_organization_configuration()
            .send()
            .await
            .map_err(|error| macie_error("DescribeOrganizationConfiguration", error))?;
        Ok(OrganizationConfiguration {
            auto_enable: output.auto_enable().unwrap_or(false),
            max_account_limit_reached: output.max_account_limit_reached().unwrap_or(false),
        })
    }
}
