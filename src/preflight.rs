//! The preflight's judgement (`{"action": "check"}`): what each read-only probe found, whether it
//! passes, and what to fix when it does not.

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Config;
use crate::domain::{
    AccountId, Administrator, MemberStatus, Organization, OrganizationalUnitId, QueueDepth, Region,
};
use crate::error::Error;

/// At most this many accounts may be named to try the accept role in, in one check.
pub const MAX_ACCOUNTS_TO_TRY: usize = 10;

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
    pub fn label(&self) -> String {
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
pub struct Report {
    pub ok: bool,
    /// The account that runs the function (from its ARN), when known.
    pub account: Option<AccountId>,
    /// The management account, or a delegated administrator (a member account), when known.
    pub runs_in: Option<String>,
    pub failing: Vec<String>,
    pub checks: Vec<Check>,
    pub settings: Value,
}

impl Report {
    pub fn new(
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
        Report {
            ok: failing.is_empty(),
            runs_in: runs_in(account.as_ref(), organization),
            account,
            failing,
            checks,
            settings,
        }
    }
}

fn runs_in(own: Option<&AccountId>, organization: Option<&Organization>) -> Option<String> {
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

fn is_access_denied(error: &Error) -> bool {
    error
        .code()
        .is_some_and(|code| code.contains("AccessDenied"))
}

/// A probe that failed for a reason other than the one its check is about: a refusal of the role,
/// or a fault on the way.
fn refused(check: &'static str, error: &Error, action: &str) -> Check {
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

/// Organizations: the function may read the organization's accounts, and where it runs.
pub fn organizations(
    own: Option<&AccountId>,
    organization: &Result<Organization, Error>,
    listing: &Result<(), Error>,
) -> Check {
    const CHECK: &str = "organizations";
    let organization = match organization {
        Ok(organization) => organization,
        Err(error) if error.code() == Some("AWSOrganizationsNotInUseException") => {
            return Check::fail(
                CHECK,
                "this account belongs to no organization",
                "deploy the function in the organization's management account, or in a member account that it delegates to (README, Deploying)",
            );
        }
        Err(error) => return refused(CHECK, error, "organizations:DescribeOrganization"),
    };
    let management = &organization.management_account;
    let in_management = own == Some(management);
    match listing {
        Ok(()) => Check::pass(
            CHECK,
            format!(
                "organization {}, management account {management}: ListAccounts answers{}",
                organization.id,
                if in_management || own.is_none() {
                    ""
                } else {
                    " (this account is a delegated administrator)"
                }
            ),
        ),
        Err(error) if is_access_denied(error) && !in_management && own.is_some() => Check::fail(
            CHECK,
            format!(
                "this account is not the management account ({management}), and Organizations lets it read no account: {error}"
            ),
            "in the management account, deploy management.yaml with DelegateOrganizationsRead=true (README, Deploying, layout b): it delegates DescribeAccount, DescribeCreateAccountStatus, ListAccounts and ListParents to this account",
        ),
        Err(error) => refused(CHECK, error, "organizations:ListAccounts"),
    }
}

/// Event delivery: the rules accept the organization's management account (MANAGEMENT_ACCOUNT_ID,
/// the template's ManagementAccountId), and where the function runs in a member account, the event
/// bus lets the management account forward to it (the template's bus policy needs that setting).
pub fn events(
    own: Option<&AccountId>,
    expected: Option<&AccountId>,
    organization: &Result<Organization, Error>,
) -> Check {
    const CHECK: &str = "events";
    let Ok(organization) = organization else {
        return Check::new(
            CHECK,
            Status::Skip,
            "the organization is unknown (the organizations check says why)",
        );
    };
    let management = &organization.management_account;
    let set_it = format!("update the stack with ManagementAccountId={management}");
    match (expected, own) {
        (Some(expected), _) if expected != management => Check::fail(
            CHECK,
            format!(
                "the rules accept events of account {expected} (ManagementAccountId), but the organization's management account is {management}: no creation or join event reaches the function"
            ),
            set_it,
        ),
        (None, Some(own)) if own != management => Check::fail(
            CHECK,
            format!(
                "the function runs in a member account, and ManagementAccountId is empty: this region's event bus then refuses the events that {management} forwards"
            ),
            set_it,
        ),
        (Some(_), _) => Check::pass(
            CHECK,
            format!("the rules accept the events of the management account, {management}"),
        ),
        (None, _) => Check::pass(
            CHECK,
            "the rules accept events of any account (ManagementAccountId is empty)",
        ),
    }
}

/// Macie in one region: enabled for this account, which is nobody's member.
pub fn macie(
    region: &Region,
    session: &Result<String, Error>,
    administrator: Option<&Result<Option<Administrator>, Error>>,
) -> Check {
    const CHECK: &str = "macie";
    let enable = format!("aws macie2 enable-macie --region {region}");
    let check = match (session, administrator) {
        // Macie answers AccessDeniedException "Macie is not enabled" where it is not enabled.
        (Err(error), _)
            if is_access_denied(error)
                && error.to_string().to_lowercase().contains("not enabled") =>
        {
            Check::fail(
                CHECK,
                "Macie is not enabled for this account in this region",
                format!("enable it, as the administrator: {enable}"),
            )
        }
        (Err(error), _) if is_access_denied(error) => Check::fail(
            CHECK,
            format!(
                "GetMacieSession was refused: either Macie is not enabled here, or the role may not call it in this region: {error}"
            ),
            format!(
                "enable Macie ({enable}), and keep this region in MacieRegions (the role's Macie statements allow only those regions)"
            ),
        ),
        (Err(error), _) => refused(CHECK, error, "macie2:GetMacieSession"),
        (Ok(status), _) if status == "PAUSED" => Check::fail(
            CHECK,
            "Macie is suspended (PAUSED) for this account in this region",
            format!(
                "resume it: aws macie2 update-macie-session --status ENABLED --region {region}"
            ),
        ),
        (Ok(status), _) if status != "ENABLED" => Check::fail(
            CHECK,
            format!("Macie's status here is {status}, not ENABLED"),
            format!("enable it: {enable}"),
        ),
        (Ok(_), None) => Check::pass(CHECK, "Macie is enabled"),
        (Ok(_), Some(Err(error))) => refused(CHECK, error, "macie2:GetAdministratorAccount"),
        (Ok(_), Some(Ok(Some(administrator))))
            if matches!(
                administrator.status,
                MemberStatus::Enabled | MemberStatus::Paused
            ) =>
        {
            Check::fail(
                CHECK,
                format!(
                    "this account is itself a member of the Macie administrator {} ({}): a member cannot have members",
                    administrator.account_id,
                    administrator.status.name()
                ),
                format!(
                    "run the function in the Macie administrator account, or leave that administrator: aws macie2 disassociate-from-administrator-account --region {region}"
                ),
            )
        }
        (Ok(_), Some(Ok(Some(administrator)))) => Check::pass(
            CHECK,
            format!(
                "Macie is enabled; {}'s relationship with this account is {}, not a membership",
                administrator.account_id,
                administrator.status.name()
            ),
        ),
        (Ok(_), Some(Ok(None))) => Check::pass(
            CHECK,
            "Macie is enabled, and this account is no other administrator's member",
        ),
    };
    check.in_region(region)
}

/// Which queue a queue check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueRole {
    Retry,
    DeadLetter,
}

impl QueueRole {
    fn check(self) -> &'static str {
        match self {
            QueueRole::Retry => "retryQueue",
            QueueRole::DeadLetter => "deadLetterQueue",
        }
    }

    pub fn setting(self) -> &'static str {
        match self {
            QueueRole::Retry => "RETRY_QUEUE_URL",
            QueueRole::DeadLetter => "DEAD_LETTER_QUEUE_URL",
        }
    }
}

/// A queue: set, and reachable. `depth` is `None` when the setting is absent.
pub fn queue(role: QueueRole, depth: Option<&Result<QueueDepth, Error>>) -> Check {
    let (check, setting) = (role.check(), role.setting());
    match depth {
        None => Check::fail(
            check,
            match role {
                QueueRole::Retry => format!(
                    "{setting} is not set: work that may pass later fails the invocation instead, and rests on Lambda's own two retries"
                ),
                QueueRole::DeadLetter => format!(
                    "{setting} is not set: work that cannot be finished is reported only in the invocation's error"
                ),
            },
            format!("set {setting} to the queue's URL (template.yaml does)"),
        ),
        Some(Err(error))
            if error.code().is_some_and(|code| {
                code.contains("NonExistentQueue") || code == "QueueDoesNotExist"
            }) =>
        {
            Check::fail(
                check,
                format!("no such queue: {error}"),
                format!("set {setting} to the URL of an existing queue (template.yaml's output)"),
            )
        }
        Some(Err(error)) => refused(check, error, "sqs:GetQueueAttributes"),
        Some(Ok(depth)) => {
            let mut detail = format!(
                "reachable: {} waiting, {} delayed, {} in flight",
                depth.waiting, depth.delayed, depth.in_flight
            );
            if role == QueueRole::DeadLetter && depth.waiting + depth.delayed > 0 {
                detail.push_str(
                    "; accounts that could not be enrolled wait there, with their reasons (README, Dead letters)",
                );
            }
            Check::pass(check, detail)
        }
    }
}

/// The accept role when there is no account to try it in: not set, or no account named.
pub fn accept_role_untried(role_name: Option<&str>) -> Check {
    const CHECK: &str = "acceptRole";
    match role_name {
        None => Check::new(
            CHECK,
            Status::Skip,
            "ACCEPT_ROLE_NAME is not set: invitations wait for each account to accept them",
        ),
        Some(role) => Check::new(
            CHECK,
            Status::Skip,
            format!(
                "ACCEPT_ROLE_NAME is {role}; name an account to try it in: {{\"action\": \"check\", \"accountIds\": [\"111122223333\"]}}"
            ),
        ),
    }
}

/// The accept role in `account`: assumed, and Macie answers that account through it
/// (ListInvitations, which acceptance starts with). `own` is the function's account: without it,
/// acceptance fails closed.
pub fn accept_role(
    role_name: &str,
    account: &AccountId,
    own: Option<&AccountId>,
    tried: &Result<(), Error>,
) -> Check {
    const CHECK: &str = "acceptRole";
    let redeploy = format!(
        "deploy member-role.yaml in account {account} (as a StackSet: README, The role in member accounts) with FunctionRoleArn set to this function's role, and RoleName {role_name}"
    );
    let check = match (own, tried) {
        (None, _) => Check::fail(
            CHECK,
            "the function's ARN names no account, so an invitation's sender cannot be confirmed and acceptance fails closed",
            "run the check in Lambda (cargo lambda watch names no account)",
        ),
        (Some(_), Ok(())) => Check::pass(
            CHECK,
            format!(
                "assumed role {role_name} there, and Macie answered ListInvitations as that account"
            ),
        ),
        (Some(_), Err(error)) if error.operation() == Some("AssumeRole") => Check::fail(
            CHECK,
            format!("role {role_name} could not be assumed: {error}"),
            redeploy,
        ),
        (Some(_), Err(error)) => Check::fail(
            CHECK,
            format!("role {role_name} was assumed, but Macie refused it: {error}"),
            redeploy,
        ),
    };
    check.for_account(account)
}

/// What the check found of one excluded ID: it names something of the organization, or not.
pub type Found<T> = (T, Result<bool, Error>);

/// EXCLUDED_ACCOUNT_IDS and EXCLUDED_OU_IDS name accounts and units of the organization: an ID that
/// names nothing (a typo) excludes nothing, and the account it was meant for would be invited.
pub fn exclusions(accounts: &[Found<AccountId>], units: &[Found<OrganizationalUnitId>]) -> Check {
    const CHECK: &str = "exclusions";
    if accounts.is_empty() && units.is_empty() {
        return Check::new(CHECK, Status::Skip, "nothing is excluded");
    }
    let missing: Vec<String> = accounts
        .iter()
        .filter(|(_, found)| matches!(found, Ok(false)))
        .map(|(id, _)| format!("account {id}"))
        .chain(
            units
                .iter()
                .filter(|(_, found)| matches!(found, Ok(false)))
                .map(|(id, _)| format!("unit {id}")),
        )
        .collect();
    let error = accounts
        .iter()
        .map(|(_, found)| found)
        .chain(units.iter().map(|(_, found)| found))
        .find_map(|found| found.as_ref().err());
    match (missing.is_empty(), error) {
        (false, _) => Check::fail(
            CHECK,
            format!(
                "not in the organization: {}; an ID that names nothing excludes nothing",
                missing.join(", ")
            ),
            "correct ExcludedAccountIds and ExcludedOuIds (EXCLUDED_ACCOUNT_IDS, EXCLUDED_OU_IDS), or remove the IDs",
        ),
        (true, Some(error)) => refused(
            CHECK,
            error,
            "organizations:DescribeAccount and ListParents",
        ),
        (true, None) => Check::pass(
            CHECK,
            format!(
                "{} account(s) and {} unit(s) excluded, each found in the organization",
                accounts.len(),
                units.len()
            ),
        ),
    }
}

/// Whether ListParents of an organizational unit found it: Organizations answers
/// ChildNotFoundException for an ID that names nothing (its API reference; moto answers
/// OrganizationalUnitNotFoundException).
pub fn unit_found(parent: Result<(), Error>) -> Result<bool, Error> {
    match parent {
        Ok(()) => Ok(true),
        Err(error)
            if matches!(
                error.code(),
                Some("ChildNotFoundException" | "OrganizationalUnitNotFoundException")
            ) =>
        {
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// The settings in force, by the names of their variables; a bad value would have stopped the
/// function at start, so they passed their checks.
pub fn settings(config: &Config) -> (Check, Value) {
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
    let settings = json!({
        "MACIE_REGIONS": config.regions,
        "INVITATION_MESSAGE": config.invitation_message,
        "DISABLE_EMAIL_NOTIFICATION": config.disable_email_notification,
        "EXCLUDED_ACCOUNT_IDS": config.excluded_account_ids,
        "EXCLUDED_OU_IDS": config.excluded_ou_ids,
        "RETRY_QUEUE_URL": config.retry_queue_url,
        "DEAD_LETTER_QUEUE_URL": config.dead_letter_queue_url,
        "MAX_ATTEMPTS": config.max_attempts,
        "RETRY_BASE_DELAY_SECONDS": config.retry_base_delay_seconds,
        "MAX_CALLS_IN_FLIGHT": config.max_calls_in_flight,
        "REINVITE_REMOVED": config.reinvite_removed,
        "DRY_RUN": config.dry_run,
        "ACCEPT_ROLE_NAME": config.accept_role_name,
        "METRICS_NAMESPACE": config.metrics_namespace,
        "MAX_ACCOUNTS_PER_EVENT": config.max_accounts_per_event,
        "MANAGEMENT_ACCOUNT_ID": config.management_account_id,
    });
    (Check::pass("settings", detail), settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(operation: &'static str, code: &str, message: &str) -> Error {
        Error::Service {
            service: "test",
            operation,
            code: Some(code.to_owned()),
            status: Some(403),
            transport: false,
            message: format!("{code}: {message}"),
        }
    }

    fn account(id: &str) -> AccountId {
        AccountId::parse(id, "test").unwrap()
    }

    fn organization() -> Organization {
        Organization {
            id: "o-abcdefghij".to_owned(),
            management_account: account("111122223333"),
        }
    }

    #[test]
    fn a_member_account_that_organizations_does_not_delegate_to_is_told_to_deploy_the_delegation() {
        let denied = Err(refusal(
            "ListAccounts",
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        ));
        let own = account("210987654321");
        let check = organizations(Some(&own), &Ok(organization()), &denied);
        assert_eq!(check.status, Status::Fail);
        assert!(
            check
                .detail
                .contains("not the management account (111122223333)")
        );
        assert!(
            check
                .fix
                .unwrap()
                .contains("DelegateOrganizationsRead=true")
        );
        // in the management account, the same refusal is the role's
        let check = organizations(Some(&account("111122223333")), &Ok(organization()), &denied);
        assert!(check.fix.unwrap().contains("template.yaml"));
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
            let check = events(own, expected, &organization);
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
            Report::new(
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
        let check = macie(
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
        let check = macie(&region, &Ok("ENABLED".to_owned()), Some(&invited));
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
        let skipped = accept_role_untried(None);
        let failed = queue(QueueRole::Retry, None);
        let ok = Report::new(None, None, vec![skipped.clone()], Value::Null);
        assert!(ok.ok);
        let not = Report::new(None, None, vec![skipped, failed], Value::Null);
        assert!(!not.ok);
        assert_eq!(not.failing, ["retryQueue"]);
    }
}
