//! The preflight's judgement of Macie: this account's own Macie in a region, and the accept role in
//! member accounts.

use super::{Check, Status, is_access_denied, judge_refusal};
use crate::domain::{
    AccountId, Administrator, AutoEnable, Discovery, DiscoveryConfiguration, MemberListing,
    MemberStatus, Mode, OrganizationConfiguration, Region,
};
use crate::error::Error;
use std::collections::BTreeMap;

use crate::policy::coverage::{Percent, drift_state};
use crate::policy::mode::RegionMode;
use crate::policy::plan::judge_resume;

/// Macie in one region: enabled for this account, which is nobody's member.
pub(crate) fn judge_macie(
    region: &Region,
    session: &Result<String, Error>,
    administrator: Option<&Result<Option<Administrator>, Error>>,
) -> Check {
    const CHECK: &str = "macie";
    let enable = format!("aws macie2 enable-macie --region {region}");
    let check = match (session, administrator) {
        // Macie answers AccessDeniedException "Macie is not enabled" where it is not enabled (the
        // failure policy's table of Macie's words).
        (Err(error), _) if crate::policy::failure::is_macie_off(error) => Check::fail(
            CHECK,
            "Macie is not enabled for this account in this region",
            format!("enable it, as the administrator: {enable}"),
        ),
        (Err(error), _) if is_access_denied(error) => Check::fail(
            CHECK,
            format!(
                "GetMacieSession was refused: either Macie is not enabled here, or the role may not call it in this region: {error}"
            ),
            format!(
                "enable Macie ({enable}), and keep this region in MacieRegions (the role's Macie statements allow only those regions)"
            ),
        ),
        (Err(error), _) => judge_refusal(CHECK, error, "macie2:GetMacieSession"),
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
        (Ok(_), Some(administrator)) => judge_administrator(region, administrator),
    };
    check.in_region(region)
}

/// The members that this administrator has in `region` (ListMembers), out of Macie's quota in the
/// region's `mode`: past 90 %, the quota is close, and the check fails with what to do.
pub(crate) fn judge_quota(region: &Region, members: &Result<usize, Error>, mode: Mode) -> Check {
    const CHECK: &str = "quota";
    let quota = mode.member_quota();
    let check = match members {
        Err(error) => judge_refusal(CHECK, error, "macie2:ListMembers"),
        Ok(members) => {
            let used = Percent::of(*members, quota).as_f64();
            let way = match mode {
                Mode::Invitations => "by invitation",
                Mode::Organizations => "through Organizations",
            };
            let detail = format!("{members} of Macie's {quota} members {way} used ({used} %)");
            let advice = match mode {
                Mode::Invitations => {
                    "remove the members of accounts that have left (the reconcile removes those \
                     this function enrolled), or move to Organizations-based management (10,000 \
                     members): see the README's deploy checklist"
                }
                Mode::Organizations => {
                    "remove the members of accounts that have left (the reconcile removes those \
                     this function enrolled), or ask AWS Support about the quota (Macie user \
                     guide, macie-quotas)"
                }
            };
            if *members * 10 > quota * 9 {
                Check::fail(CHECK, detail, advice)
            } else {
                Check::pass(CHECK, detail)
            }
        }
    };
    check.in_region(region)
}

/// How accounts become members in `region`, as DescribeOrganizationConfiguration tells (`read`,
/// judged by the policy) and ENROLLMENT_MODE may force: through Organizations it reports
/// `autoEnable` and `maxAccountLimitReached`, and fails where `autoEnable` would add the accounts
/// that the exclusions keep out; by invitation it shows Macie's words and the designation step.
pub(crate) fn judge_enrollment(
    region: &Region,
    read: &Result<RegionMode, Error>,
    forced: Option<Mode>,
    exclusions: bool,
    own: Option<&AccountId>,
) -> Check {
    const CHECK: &str = "mode";
    let own = own.map_or_else(|| "THIS_ACCOUNT_ID".to_owned(), AccountId::to_string);
    let designate = format!(
        "from the management account: aws macie2 enable-organization-admin-account \
         --admin-account-id {own} --region {region}"
    );
    let read = match read {
        Err(error) => {
            let check = judge_refusal(CHECK, error, "macie2:DescribeOrganizationConfiguration");
            return check.in_region(region);
        }
        Ok(read) => read,
    };
    let check = match read.configuration {
        Some(configuration) => judge_organizations_mode(region, configuration, forced, exclusions),
        None => judge_invitations_mode(read.refusal.as_deref(), forced, &designate),
    };
    check.in_region(region)
}

/// Through Organizations: whether ENROLLMENT_MODE, the exclusions and Macie's own configuration
/// agree with it.
fn judge_organizations_mode(
    region: &Region,
    configuration: OrganizationConfiguration,
    forced: Option<Mode>,
    exclusions: bool,
) -> Check {
    const CHECK: &str = "mode";
    match (configuration, forced) {
        (_, Some(Mode::Invitations)) => Check::fail(
            CHECK,
            "ENROLLMENT_MODE=invitations, but this account is the organization's delegated Macie \
             administrator here: Macie's members are added through Organizations, and an \
             invitation to an account of the organization only emails its root user",
            "set ENROLLMENT_MODE to auto (the default)",
        ),
        (configuration, _) if configuration.auto_enable && exclusions => Check::fail(
            CHECK,
            "organizations: autoEnable is on, so Macie adds every new account of the \
             organization by itself, and EXCLUDED_ACCOUNT_IDS and EXCLUDED_OU_IDS cannot hold \
             here (autoEnable has no exclusions)",
            format!(
                "turn it off, and the function adds the accounts the exclusions allow (it never \
                 changes autoEnable itself): aws macie2 update-organization-configuration \
                 --no-auto-enable --region {region}"
            ),
        ),
        (configuration, _) if configuration.max_account_limit_reached => Check::fail(
            CHECK,
            "organizations: Macie says the organization has as many members as its quota allows \
             (maxAccountLimitReached)",
            "remove the members of accounts that have left (the reconcile removes those this \
             function enrolled), or ask AWS Support about the quota (Macie user guide, \
             macie-quotas)",
        ),
        (configuration, _) => Check::pass(
            CHECK,
            format!(
                "organizations: this account is the organization's delegated Macie administrator \
                 here (autoEnable {}, maxAccountLimitReached false): accounts are added with \
                 CreateMember alone, no invitation, up to 10,000",
                configuration.auto_enable
            ),
        ),
    }
}

/// By invitation: Macie's words, and the designation step (`designate`) that would add accounts
/// through Organizations instead.
fn judge_invitations_mode(refusal: Option<&str>, forced: Option<Mode>, designate: &str) -> Check {
    const CHECK: &str = "mode";
    match forced {
        Some(Mode::Organizations) => Check::fail(
            CHECK,
            format!(
                "ENROLLMENT_MODE=organizations, but this account is not the organization's \
                 delegated Macie administrator here (DescribeOrganizationConfiguration: {})",
                refusal.unwrap_or("refused")
            ),
            format!("designate it, {designate}; or set ENROLLMENT_MODE to auto"),
        ),
        _ => Check::pass(
            CHECK,
            format!(
                "invitations: this account is not the organization's delegated Macie \
                 administrator here (DescribeOrganizationConfiguration: {}). To add accounts \
                 through Organizations instead, as AWS advises (no invitation, up to 10,000), \
                 designate it, {designate}",
                refusal.unwrap_or("refused")
            ),
        ),
    }
}

/// With a discovery policy: the administrator's own automated sensitive data discovery in `region`
/// (GetAutomatedDiscoveryConfiguration). Off, it is off for every member and the policy has
/// nothing to turn on: reported, not failed (the function never turns it on for the organization).
pub(crate) fn judge_discovery_setup(
    region: &Region,
    read: &Result<DiscoveryConfiguration, Error>,
    keeps_off: bool,
) -> Check {
    const CHECK: &str = "discovery";
    let configuration = match read {
        Err(error) => {
            let check = judge_refusal(CHECK, error, "macie2:GetAutomatedDiscoveryConfiguration");
            return check.in_region(region);
        }
        Ok(configuration) => configuration,
    };
    let auto_enable = configuration.auto_enable.name();
    let detail = match (configuration.status, &configuration.auto_enable) {
        (Discovery::Off, _) => format!(
            "the administrator's automated sensitive data discovery is DISABLED, so it is off for \
             every member and the policy turns nothing on or off here; to run it: aws macie2 \
             update-automated-discovery-configuration --status ENABLED --region {region}"
        ),
        (Discovery::On, AutoEnable::All) if keeps_off => format!(
            "the administrator's automated sensitive data discovery is ENABLED, and Macie's \
             autoEnableOrganizationMembers is ALL: Macie may enable it for new members on its own, \
             units and accounts of the policy included, until the next reconcile turns them off \
             (whether ALL also reverts a member's DISABLED is not documented). To choose member by \
             member: aws macie2 update-automated-discovery-configuration --status ENABLED \
             --auto-enable-organization-members NONE --region {region} (or NEW)"
        ),
        (Discovery::On, _) => format!(
            "the administrator's automated sensitive data discovery is ENABLED, \
             autoEnableOrganizationMembers {auto_enable}: the policy turns it off where it must be \
             off, and on only where this function turned it off, Macie's setting is ALL or \
             DISCOVERY_OTHERS is on"
        ),
    };
    Check::pass(CHECK, detail).in_region(region)
}

/// The region's members that are not `Enabled`, by state (a fact: it passes), and, with
/// RESUME_PAUSED (`resume`: the region's mode and ACCEPT_ROLE_NAME), whether it can act here: it
/// fails where it cannot (by invitation without the role).
pub(crate) fn judge_drift(
    region: &Region,
    members: &Result<MemberListing, Error>,
    resume: Option<(Mode, Option<&str>)>,
) -> Check {
    const CHECK: &str = "drift";
    let Ok(members) = members else {
        return Check::pass(
            CHECK,
            "the members could not be listed (see the quota check)",
        )
        .in_region(region);
    };
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    for membership in members.values() {
        if let Some(state) = drift_state(&membership.status) {
            *states.entry(state).or_default() += 1;
        }
    }
    let counts = match states.is_empty() {
        true => "no member has drifted from Enabled".to_owned(),
        false => states
            .iter()
            .map(|(state, count)| format!("{count} {state}"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let check = match resume.map(|(mode, role)| (mode, judge_resume(mode, role))) {
        None => Check::pass(
            CHECK,
            format!("{counts}; RESUME_PAUSED is off: Paused members are named, not resumed"),
        ),
        Some((mode, Ok(()))) => Check::pass(
            CHECK,
            format!(
                "{counts}; RESUME_PAUSED resumes Paused members here ({})",
                mode.name()
            ),
        ),
        Some((_, Err(reason))) => Check::fail(
            CHECK,
            format!(
                "{counts}; RESUME_PAUSED cannot act here: by invitation, without ACCEPT_ROLE_NAME"
            ),
            reason,
        ),
    };
    check.in_region(region)
}

/// Macie enabled in `region`: this account is nobody's member, or it cannot have members.
fn judge_administrator(
    region: &Region,
    administrator: &Result<Option<Administrator>, Error>,
) -> Check {
    const CHECK: &str = "macie";
    match administrator {
        Err(error) => judge_refusal(CHECK, error, "macie2:GetAdministratorAccount"),
        Ok(Some(administrator))
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
        Ok(Some(administrator)) => Check::pass(
            CHECK,
            format!(
                "Macie is enabled; {}'s relationship with this account is {}, not a membership",
                administrator.account_id,
                administrator.status.name()
            ),
        ),
        Ok(None) => Check::pass(
            CHECK,
            "Macie is enabled, and this account is no other administrator's member",
        ),
    }
}

/// The accept role when there is no account to try it in: not set, or no account named.
pub(crate) fn judge_accept_role_untried(role_name: Option<&str>) -> Check {
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
pub(crate) fn judge_accept_role(
    role_name: &str,
    account: &AccountId,
    own: Option<&AccountId>,
    tried: &Result<(), Error>,
) -> Check {
    const CHECK: &str = "acceptRole";
    let redeploy = format!(
        "deploy member-role.yaml in account {account} (as a StackSet: docs/security.md, The role in member accounts) with FunctionRoleArn set to this function's role, and RoleName {role_name}"
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
