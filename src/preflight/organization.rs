//! The preflight's judgement of the organization: read access, where the function runs, the rules'
//! management account, and the exclusions.

use super::{Check, Status, is_access_denied, judge_refusal};
use crate::domain::{AccountId, Organization, OrganizationalUnitId};
use crate::error::Error;

/// One read the function makes of Organizations, tried once: its action, and how it went.
pub(crate) type Read = (&'static str, Result<(), Error>);

/// Organizations: the function may make each of its reads (`reads`: ListAccounts, DescribeAccount,
/// DescribeCreateAccountStatus, ListParents, tried on the management account), and where it runs.
pub(crate) fn judge_organizations(
    own: Option<&AccountId>,
    organization: &Result<Organization, Error>,
    reads: &[Read],
) -> Check {
    const CHECK: &str = "organizations";
    let organization = match organization {
        Ok(organization) => organization,
        Err(error) if error.code() == Some("AWSOrganizationsNotInUseException") => {
            return Check::fail(
                CHECK,
                "this account belongs to no organization",
                "deploy the function in the organization's management account, or in a member account that it delegates to (docs/deploying.md)",
            );
        }
        Err(error) => return judge_refusal(CHECK, error, "organizations:DescribeOrganization"),
    };
    let management = &organization.management_account;
    let delegated = own.is_some_and(|own| own != management);
    let denied: Vec<&str> = reads
        .iter()
        .filter(|(_, read)| read.as_ref().is_err_and(is_access_denied))
        .map(|(action, _)| *action)
        .collect();
    // A read that answered "not found" was allowed: the probes ask about things that may not exist.
    let fault = reads.iter().find_map(|(action, read)| match read {
        Err(error) if !is_access_denied(error) && !is_not_found(error) => Some((action, error)),
        _ => None,
    });
    match (denied.as_slice(), fault) {
        ([], None) => Check::pass(CHECK, describe_answers(organization, reads, delegated)),
        ([], Some((action, error))) => judge_refusal(CHECK, error, action),
        (denied, _) if delegated => Check::fail(
            CHECK,
            format!(
                "this account is not the management account ({management}), and Organizations refuses it {}",
                denied.join(", ")
            ),
            "in the management account, deploy management.yaml with DelegateOrganizationsRead=true (docs/deploying.md, Two layouts, b): it delegates DescribeAccount, DescribeCreateAccountStatus, ListAccounts and ListParents to this account; an organization has one such policy, so merge them into an existing one",
        ),
        (denied, _) => Check::fail(
            CHECK,
            format!("refused: {}", denied.join(", ")),
            "deploy the current template.yaml, whose role allows them; a service control policy or a permissions boundary may also deny them",
        ),
    }
}

/// What the check says when every read answered.
fn describe_answers(organization: &Organization, reads: &[Read], delegated: bool) -> String {
    let actions: Vec<&str> = reads.iter().map(|(action, _)| *action).collect();
    let delegated = if delegated {
        " (this account is a delegated administrator)"
    } else {
        ""
    };
    format!(
        "organization {}, management account {}: {} answer{delegated}",
        organization.id,
        organization.management_account,
        actions.join(", ")
    )
}

fn is_not_found(error: &Error) -> bool {
    error
        .code()
        .is_some_and(|code| code.ends_with("NotFoundException"))
}

/// Event delivery: the rules accept the organization's management account (MANAGEMENT_ACCOUNT_ID,
/// the template's ManagementAccountId), and where the function runs in a member account, the event
/// bus lets the management account forward to it (the template's bus policy needs that setting).
pub(crate) fn judge_events(
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

/// What the check found of one excluded ID: it names something of the organization, or not;
/// `None` when it was not looked up, the invocation's deadline being near.
pub(crate) type Found<T> = (T, Option<Result<bool, Error>>);

/// EXCLUDED_ACCOUNT_IDS and EXCLUDED_OU_IDS name accounts and units of the organization: an ID that
/// names nothing (a typo) excludes nothing, and the account it was meant for would be invited.
pub(crate) fn judge_exclusions(
    list: &IdList,
    accounts: &[Found<AccountId>],
    units: &[Found<OrganizationalUnitId>],
) -> Check {
    let (check, listed) = (list.check, list.listed);
    if accounts.is_empty() && units.is_empty() {
        return Check::new(check, Status::Skip, format!("nothing is {listed}"));
    }
    let missing: Vec<String> = accounts
        .iter()
        .filter(|(_, found)| matches!(found, Some(Ok(false))))
        .map(|(id, _)| format!("account {id}"))
        .chain(
            units
                .iter()
                .filter(|(_, found)| matches!(found, Some(Ok(false))))
                .map(|(id, _)| format!("unit {id}")),
        )
        .collect();
    let founds = || {
        accounts
            .iter()
            .map(|(_, found)| found)
            .chain(units.iter().map(|(_, found)| found))
    };
    let error = founds().find_map(|found| found.as_ref()?.as_ref().err());
    let untried = founds().filter(|found| found.is_none()).count();
    match (missing.is_empty(), error) {
        (false, _) => Check::fail(
            check,
            format!(
                "not in the organization: {}; an ID that names nothing {}",
                missing.join(", "),
                list.naming_nothing
            ),
            format!("correct {}, or remove the IDs", list.settings),
        ),
        (true, Some(error)) => judge_refusal(check, error, list.reads),
        (true, None) if untried > 0 => Check::fail(
            check,
            format!("{untried} {listed} ID(s) not looked up: the invocation's deadline was near"),
            "run the check again, or give the function a longer timeout",
        ),
        (true, None) => Check::pass(
            check,
            format!(
                "{} account(s) and {} unit(s) {listed}, each found in the organization",
                accounts.len(),
                units.len()
            ),
        ),
    }
}

/// A list of accounts and units in the settings, as the check looks them up.
pub(crate) struct IdList {
    /// The check's name.
    pub check: &'static str,
    /// What the list does to its accounts ("excluded").
    pub listed: &'static str,
    /// What an ID that names nothing does.
    pub naming_nothing: &'static str,
    /// The parameters and variables to correct.
    pub settings: &'static str,
    /// The reads that look the IDs up.
    pub reads: &'static str,
}

/// EXCLUDED_ACCOUNT_IDS and EXCLUDED_OU_IDS.
pub(crate) const EXCLUSIONS: IdList = IdList {
    check: "exclusions",
    listed: "excluded",
    naming_nothing: "excludes nothing, so the account meant would be invited",
    settings: "ExcludedAccountIds and ExcludedOuIds (EXCLUDED_ACCOUNT_IDS, EXCLUDED_OU_IDS)",
    reads: "organizations:DescribeAccount and ListParents",
};

/// DISCOVERY_OFF_ACCOUNT_IDS and DISCOVERY_OFF_OU_IDS.
pub(crate) const DISCOVERY_OFF: IdList = IdList {
    check: "discoveryPolicy",
    listed: "kept off automated discovery",
    naming_nothing: "keeps nothing off (the other units and accounts still apply)",
    settings: "DiscoveryOffAccountIds and DiscoveryOffOuIds (DISCOVERY_OFF_ACCOUNT_IDS, \
               DISCOVERY_OFF_OU_IDS)",
    reads: "organizations:DescribeAccount, ListAccountsForParent and \
            ListOrganizationalUnitsForParent",
};

/// Whether ListParents (or, walking down, ListAccountsForParent) of an organizational unit found it:
/// Organizations answers ChildNotFoundException (ParentNotFoundException) for an ID that names
/// nothing (its API reference; moto answers OrganizationalUnitNotFoundException).
pub(crate) fn unit_found(parent: Result<(), Error>) -> Result<bool, Error> {
    match parent {
        Ok(()) => Ok(true),
        Err(error)
            if matches!(
                error.code(),
                Some(
                    "ChildNotFoundException"
                        | "ParentNotFoundException"
                        | "OrganizationalUnitNotFoundException"
                )
            ) =>
        {
            Ok(false)
        }
        Err(error) => Err(error),
    }
}
