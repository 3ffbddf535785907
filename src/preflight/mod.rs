//! The preflight's judgement (`{"action": "check"}`): what each read-only probe found, whether it
//! passes, and what to fix when it does not.

mod baseline;
mod macie;
mod organization;
mod queues;

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::domain::{AccountId, Organization, Region};
use crate::error::Error;
use crate::policy::failure::is_access_denied;

pub(crate) use baseline::{BaselineRead, judge_baseline_setup, judge_member_baseline};
pub(crate) use macie::{
    judge_accept_role, judge_accept_role_untried, judge_discovery_setup, judge_drift,
    judge_enrollment, judge_macie, judge_quota,
};
pub(crate) use organization::{
    DISCOVERY_OFF, EXCLUSIONS, IdList, Read, judge_events, judge_exclusions, judge_organizations,
    unit_found,
};
pub(crate) use queues::{QueueRole, judge_queue};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Not tried, and why: nothing to fix.
    Skip,
}

/// One check: what it covers, how it went, and what to do when it failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub check: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(check: &'static str, status: Status, detail: impl Into<String>) -> Self {
        Check {
            check,
            region: None,
            account: None,
            status,
            detail: detail.into(),
            fix: None,
        }
    }

    fn pass(check: &'static str, detail: impl Into<String>) -> Self {
        Check::new(check, Status::Pass, detail)
    }

    fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            fix: Some(fix.into()),
            ..Check::new(check, Status::Fail, detail)
        }
    }

    fn in_region(self, region: &Region) -> Self {
        Check {
            region: Some(region.clone()),
            ..self
        }
    }

    fn for_account(self, account: &AccountId) -> Self {
        Check {
            account: Some(account.clone()),
            ..self
        }
    }

    /// `organizations`, `macie/us-east-1`, `acceptRole/111122223333`.
    pub(crate) fn label(&self) -> String {
        match (&self.region, &self.account) {
            (Some(region), _) => format!("{}/{region}", self.check),
            (None, Some(account)) => format!("{}/{account}", self.check),
            (None, None) => self.check.to_owned(),
        }
    }
}

/// What `{"action": "check"}` answers: `ok` when no check failed, the failing checks by label, every
/// check, and the settings in force.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub ok: bool,
    /// The account that runs the function (from its ARN), when known.
    pub account: Option<AccountId>,
    /// The management account, or a delegated administrator (a member account), when known.
    pub runs_in: Option<String>,
    pub failing: Vec<String>,
    pub checks: Vec<Check>,
    pub settings: Value,
}

impl CheckReport {
    pub(crate) fn new(
        account: Option<AccountId>,
        organization: Option<&Organization>,
        checks: Vec<Check>,
        settings: Value,
    ) -> Self {
        let failing: Vec<String> = checks
            .iter()
            .filter(|check| check.status == Status::Fail)
            .map(Check::label)
            .collect();
        CheckReport {
            ok: failing.is_empty(),
            runs_in: describe_runs_in(account.as_ref(), organization),
            account,
            failing,
            checks,
            settings,
        }
    }
}

fn describe_runs_in(
    own: Option<&AccountId>,
    organization: Option<&Organization>,
) -> Option<String> {
    let (own, organization) = (own?, organization?);
    Some(if *own == organization.management_account {
        format!("the management account of {}", organization.id)
    } else {
        format!(
            "a member account of {} (its management account is {}): Organizations must delegate reading the accounts to it",
            organization.id, organization.management_account
        )
    })
}

/// A probe that failed for a reason other than the one its check is about: a refusal of the role,
/// or a fault on the way.
fn judge_refusal(check: &'static str, error: &Error, action: &str) -> Check {
    if is_access_denied(error) {
        Check::fail(
            check,
            format!("{action} was refused: {error}"),
            format!(
                "deploy the current template.yaml, whose role allows {action}; a service control policy or a permissions boundary may also deny it"
            ),
        )
    } else {
        Check::fail(
            check,
            format!("{action} failed: {error}"),
            "check again; if it persists, check the function's path to the service (a function in a VPC needs a NAT gateway or a VPC endpoint)",
        )
    }
}

/// The settings in force, by the names of their variables; a bad value would have stopped the
/// function at start, so they passed their checks.
pub(crate) fn judge_settings(config: &Config) -> (Check, Value) {
    let mut detail = format!(
        "read and valid; the function acts in {} region(s): {}",
        config.regions.len(),
        config
            .regions
            .iter()
            .map(Region::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if config.dry_run {
        detail.push_str("; DRY_RUN is on: it decides and reports, and changes nothing");
    }
    // As a JSON value, whose keys are ordered by name.
    let settings = serde_json::to_value(config).unwrap_or_default();
    (Check::pass("settings", detail), settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::account_id as account;
    use crate::domain::{Administrator, MemberStatus, Mode};

    /// A refusal as the adapter hands it on, with what Macie's words mean.
    fn refusal(operation: &'static str, code: &str, message: &str) -> Error {
        Error::Service {
            service: "test",
            operation,
            code: Some(code.to_owned()),
            status: Some(403),
            transport: false,
            message: format!("{code}: {message}"),
            meaning: None,
        }
        .read_as(crate::aws::macie_words::read_words)
    }

    fn organization() -> Organization {
        Organization {
            id: "o-abcdefghij".to_owned(),
            management_account: account("111122223333"),
        }
    }

    #[test]
    fn a_member_account_that_organizations_does_not_delegate_to_is_told_to_deploy_the_delegation() {
        let reads = || -> Vec<Read> {
            vec![
                ("ListAccounts", Ok(())),
                (
                    "DescribeAccount",
                    Err(refusal(
                        "DescribeAccount",
                        "AccessDeniedException",
                        "You don't have permissions to access this resource.",
                    )),
                ),
                (
                    "DescribeCreateAccountStatus",
                    Err(refusal(
                        "DescribeCreateAccountStatus",
                        "CreateAccountStatusNotFoundException",
                        "no such request",
                    )),
                ),
            ]
        };
        let own = account("210987654321");
        let check = judge_organizations(Some(&own), &Ok(organization()), &reads());
        assert_eq!(check.status, Status::Fail);
        assert!(
            check
                .detail
                .ends_with("not the management account (111122223333), and Organizations refuses it DescribeAccount"),
            "{check:?}"
        );
        assert!(
            check
                .fix
                .unwrap()
                .contains("DelegateOrganizationsRead=true")
        );
        // in the management account, the same refusal is the role's
        let check = judge_organizations(
            Some(&account("111122223333")),
            &Ok(organization()),
            &reads(),
        );
        assert_eq!(check.detail, "refused: DescribeAccount");
        assert!(check.fix.unwrap().contains("template.yaml"));
    }

    #[test]
    fn a_read_that_finds_nothing_was_allowed_and_a_throttled_one_is_a_fault() {
        let not_found = refusal("X", "CreateAccountStatusNotFoundException", "none");
        let own = account("111122223333");
        let reads: Vec<Read> = vec![
            ("ListAccounts", Ok(())),
            ("DescribeCreateAccountStatus", Err(not_found)),
        ];
        let check = judge_organizations(Some(&own), &Ok(organization()), &reads);
        assert_eq!(check.status, Status::Pass, "{check:?}");
        let throttled = refusal("ListParents", "TooManyRequestsException", "slow down");
        let reads: Vec<Read> = vec![("ListParents", Err(throttled))];
        let check = judge_organizations(Some(&own), &Ok(organization()), &reads);
        assert!(check.fix.unwrap().starts_with("check again"));
    }

    #[test]
    fn events_are_checked_against_the_organizations_management_account() {
        let organization = Ok(organization());
        let (management, member) = (account("111122223333"), account("210987654321"));
        let wrong = account("999999999999");
        type Case<'a> = (
            Option<&'a AccountId>,
            Option<&'a AccountId>,
            Status,
            &'a str,
        );
        let cases: [Case; 5] = [
            (Some(&management), Some(&management), Status::Pass, ""),
            (Some(&member), Some(&management), Status::Pass, ""),
            (Some(&management), None, Status::Pass, "any account"),
            (
                Some(&management),
                Some(&wrong),
                Status::Fail,
                "no creation or join event",
            ),
            (Some(&member), None, Status::Fail, "refuses the events"),
        ];
        for (own, expected, status, says) in cases {
            let check = judge_events(own, expected, &organization);
            assert_eq!(check.status, status, "{check:?}");
            assert!(check.detail.contains(says), "{check:?}");
            if status == Status::Fail {
                assert_eq!(
                    check.fix.as_deref(),
                    Some("update the stack with ManagementAccountId=111122223333")
                );
            }
        }
    }

    #[test]
    fn where_the_function_runs_follows_the_management_account() {
        let report = |own: &str| {
            CheckReport::new(
                Some(account(own)),
                Some(&organization()),
                Vec::new(),
                Value::Null,
            )
            .runs_in
            .unwrap()
        };
        assert_eq!(
            report("111122223333"),
            "the management account of o-abcdefghij"
        );
        assert!(report("210987654321").starts_with("a member account of o-abcdefghij"));
    }

    #[test]
    fn a_throttled_probe_fails_its_check_as_a_fault_not_as_a_refusal() {
        let throttled = Err(refusal(
            "GetMacieSession",
            "ThrottlingException",
            "slow down",
        ));
        let check = judge_macie(
            &Region::parse("us-east-1", "test").unwrap(),
            &throttled,
            None,
        );
        assert_eq!(check.status, Status::Fail);
        assert!(check.fix.unwrap().starts_with("check again"));
    }

    #[test]
    fn a_pending_invitation_from_another_administrator_is_no_membership() {
        let region = Region::parse("us-east-1", "test").unwrap();
        let invited = Ok(Some(Administrator {
            account_id: account("999999999999"),
            status: MemberStatus::Invited,
        }));
        let check = judge_macie(&region, &Ok("ENABLED".to_owned()), Some(&invited));
        assert_eq!(check.status, Status::Pass, "{check:?}");
    }

    #[test]
    fn a_unit_that_organizations_cannot_find_is_missing_and_other_errors_stay_errors() {
        let missing = refusal("ListParents", "ChildNotFoundException", "no such child");
        assert!(matches!(unit_found(Err(missing)), Ok(false)));
        assert!(matches!(unit_found(Ok(())), Ok(true)));
        let throttled = refusal("ListParents", "TooManyRequestsException", "slow down");
        assert!(unit_found(Err(throttled)).is_err());
    }

    #[test]
    fn the_report_is_ok_only_when_no_check_failed() {
        let skipped = judge_accept_role_untried(None);
        let failed = judge_queue(QueueRole::Retry, None);
        let ok = CheckReport::new(None, None, vec![skipped.clone()], Value::Null);
        assert!(ok.ok);
        let not = CheckReport::new(None, None, vec![skipped, failed], Value::Null);
        assert!(!not.ok);
        assert_eq!(not.failing, ["retryQueue"]);
    }

    #[test]
    fn the_quota_check_fails_past_nine_tenths_of_the_quota() {
        let region = crate::domain::fixtures::region("us-east-1");
        let within = judge_quota(&region, &Ok(900), Mode::Invitations);
        assert_eq!(within.status, Status::Pass);
        assert!(
            within.detail.contains("900 of Macie's 1000"),
            "{}",
            within.detail
        );
        let close = judge_quota(&region, &Ok(901), Mode::Invitations);
        assert_eq!(close.status, Status::Fail);
        assert!(
            close
                .fix
                .unwrap()
                .contains("Organizations-based management")
        );
        let organizations = judge_quota(&region, &Ok(901), Mode::Organizations);
        assert_eq!(organizations.status, Status::Pass);
        assert!(
            organizations
                .detail
                .contains("901 of Macie's 10000 members through Organizations")
        );
    }

    #[test]
    fn the_mode_check_names_the_mode_and_fails_where_auto_enable_defeats_the_exclusions() {
        use crate::domain::OrganizationConfiguration;
        use crate::policy::mode::{RegionMode, judge_mode};
        let region = crate::domain::fixtures::region("eu-west-1");
        let own = account("123456789012");
        let delegated = |auto_enable| {
            judge_mode(Ok(OrganizationConfiguration {
                auto_enable,
                max_account_limit_reached: false,
            }))
        };
        let refusal = |message: &str| {
            Error::Service {
                service: "Macie",
                operation: "DescribeOrganizationConfiguration",
                code: Some("AccessDeniedException".to_owned()),
                status: Some(403),
                transport: false,
                message: message.to_owned(),
                meaning: None,
            }
            .read_as(crate::aws::macie_words::read_words)
        };
        let refused = judge_mode(Err(refusal(
            "you must be the Macie administrator for an organization to perform this operation",
        )));
        let denied = judge_mode(Err(refusal(
            "is not authorized to perform: macie2:DescribeOrganizationConfiguration",
        )));
        let judge = |read: &Result<RegionMode, Error>, forced, exclusions| {
            judge_enrollment(&region, read, forced, exclusions, Some(&own))
        };

        let on = judge(&delegated(false), None, true);
        assert_eq!(on.status, Status::Pass);
        assert!(on.detail.starts_with("organizations:"), "{}", on.detail);
        let auto = judge(&delegated(true), None, true);
        assert_eq!(auto.status, Status::Fail);
        assert!(
            auto.fix
                .unwrap()
                .contains("update-organization-configuration --no-auto-enable --region eu-west-1")
        );
        assert_eq!(judge(&delegated(true), None, false).status, Status::Pass);

        let invitations = judge(&refused, None, true);
        assert_eq!(invitations.status, Status::Pass);
        assert!(invitations.detail.starts_with("invitations:"));
        assert!(
            invitations
                .detail
                .contains("must be the Macie administrator for an organization")
        );
        // Denied by IAM or an SCP: no mode can be told, and the region's check fails.
        let check = judge(&denied, None, true);
        assert_eq!(check.status, Status::Fail);
        assert!(check.detail.contains("not authorized"), "{}", check.detail);
        assert!(invitations.detail.contains(
            "enable-organization-admin-account --admin-account-id 123456789012 --region eu-west-1"
        ));
        assert_eq!(
            judge(&refused, Some(Mode::Organizations), false).status,
            Status::Fail
        );
        assert_eq!(
            judge(&delegated(false), Some(Mode::Invitations), false).status,
            Status::Fail
        );
    }
}
