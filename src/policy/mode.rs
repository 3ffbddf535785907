//! Which way accounts become members in a region: through Organizations, where the function's
//! account is the organization's delegated Macie administrator, or by invitation everywhere else.

use crate::domain::{Mode, OrganizationConfiguration};
use crate::error::{Error, Meaning};

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
/// "AWS Organizations - Macie Configuration"). Macie's own refusal, "you must be the Macie
/// administrator for an organization" (read beside the adapter as
/// `Meaning::NotOrganizationAdministrator`; ResourceNotFoundException, as terraform-provider-aws
/// reads it too), means invitations. Any other refusal (an IAM policy or an SCP that denies the
/// read: "is not authorized to perform") tells nothing of the mode: a setup fault, never read as
/// one; throttling, a 5xx or a lost connection likewise tell nothing.
///
/// # Errors
/// The read's own error, where it tells nothing of the mode.
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
        Err(refusal) if says_not_administrator(&refusal) => Ok(RegionMode {
            mode: Mode::Invitations,
            forced: false,
            configuration: None,
            refusal: Some(refusal.to_string()),
        }),
        Err(error) => Err(error),
    }
}

/// Whether Macie said that the caller is not the organization's delegated administrator.
fn says_not_administrator(error: &Error) -> bool {
    error.meaning() == Some(Meaning::NotOrganizationAdministrator)
        || error.code() == Some("ResourceNotFoundException")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, status: u16, message: &str) -> Error {
        Error::Service {
            service: "Macie",
            operation: "DescribeOrganizationConfiguration",
            code: Some(code.to_owned()),
            status: Some(status),
            transport: false,
            message: format!("{code}: {message}"),
            meaning: None,
        }
        .read_as(crate::aws::macie_words::read_words)
    }

    #[test]
    fn an_answer_means_organizations_macies_refusal_invitations_and_any_other_nothing() {
        let configuration = OrganizationConfiguration {
            auto_enable: false,
            max_account_limit_reached: false,
        };
        let read = judge_mode(Ok(configuration)).unwrap();
        assert_eq!(read.mode, Mode::Organizations);
        assert_eq!(read.configuration, Some(configuration));
        let not_administrator = "The request failed because you must be the Macie administrator \
                                 for an organization to perform this operation";
        for (code, status, message) in [
            ("AccessDeniedException", 403, not_administrator),
            ("ResourceNotFoundException", 404, "not found"),
        ] {
            let read = judge_mode(Err(error(code, status, message))).unwrap();
            assert_eq!(read.mode, Mode::Invitations, "{code}");
            assert!(read.refusal.unwrap().contains(message), "{code}");
        }
        let denied = "User: arn:aws:sts::111122223333:assumed-role/f/f is not authorized to \
                      perform: macie2:DescribeOrganizationConfiguration with an explicit deny";
        for (code, status, message) in [
            ("AccessDeniedException", 403, denied),
            ("ValidationException", 400, "words"),
            ("ThrottlingException", 429, "slow down"),
            ("InternalServerException", 500, "oops"),
        ] {
            assert!(
                judge_mode(Err(error(code, status, message))).is_err(),
                "{code}"
            );
        }
    }
}
