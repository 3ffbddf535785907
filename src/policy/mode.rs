//! Which way accounts become members in a region: through Organizations, where the function's
//! account is the organization's delegated Macie administrator, or by invitation everywhere else.

use crate::domain::{Mode, OrganizationConfiguration};
use crate::error::Error;
use crate::policy::failure::is_transient;

/// A region's mode, and what told it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RegionMode {
    pub mode: Mode,
    /// ENROLLMENT_MODE chose it, with no read.
    pub forced: bool,
    /// What DescribeOrganizationConfiguration answered, where it answered.
    pub configuration: Option<OrganizationConfiguration>,
    /// Macie's words where it refused to answer: read as "not the delegated administrator here".
    pub refusal: Option<String>,
}

impl RegionMode {
    /// The mode ENROLLMENT_MODE forces.
    pub(crate) fn forced(mode: Mode) -> Self {
        RegionMode {
            mode,
            forced: true,
            configuration: None,
            refusal: None,
        }
    }
}

/// The mode that DescribeOrganizationConfiguration's answer tells: an answer means this account is
/// the delegated Macie administrator (only it may read that configuration: Macie API reference,
/// "AWS Organizations - Macie Configuration"). What Macie answers any other account is not
/// documented, so any refusal means invitations, which work for every administrator; throttling,
/// a 5xx or a lost connection tells nothing, and is given back to be retried.
///
/// # Errors
/// The read's own error, where it is transient.
pub(crate) fn judge_mode(
    answer: Result<OrganizationConfiguration, Error>,
) -> Result<RegionMode, Error> {
    match answer {
        Ok(configuration) => Ok(RegionMode {
            mode: Mode::Organizations,
            forced: false,
            configuration: Some(configuration),
            refusal: None,
        }),
        Err(error) if is_transient(&error) => Err(error),
        Err(refusal) => Ok(RegionMode {
            mode: Mode::Invitations,
            forced: false,
            configuration: None,
            refusal: Some(refusal.to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, status: u16) -> Error {
        Error::Service {
            service: "Macie",
            operation: "DescribeOrganizationConfiguration",
            code: Some(code.to_owned()),
            status: Some(status),
            transport: false,
            message: "words".to_owned(),
            meaning: None,
        }
    }

    #[test]
    fn an_answer_means_organizations_any_refusal_invitations_and_throttling_nothing_yet() {
        let configuration = OrganizationConfiguration {
            auto_enable: false,
            max_account_limit_reached: false,
        };
        let read = judge_mode(Ok(configuration)).unwrap();
        assert_eq!(read.mode, Mode::Organizations);
        assert_eq!(read.configuration, Some(configuration));
        for (code, status) in [
            ("AccessDeniedException", 403),
            ("ValidationException", 400),
            ("ResourceNotFoundException", 404),
            ("ConflictException", 409),
        ] {
            let read = judge_mode(Err(error(code, status))).unwrap();
            assert_eq!(read.mode, Mode::Invitations, "{code}");
            assert!(read.refusal.unwrap().contains("words"), "{code}");
        }
        for (code, status) in [
            ("ThrottlingException", 429),
            ("InternalServerException", 500),
        ] {
            assert!(judge_mode(Err(error(code, status))).is_err(), "{code}");
        }
    }
}
