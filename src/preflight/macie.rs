//! The preflight's judgement of Macie: this account's own Macie in a region, and the accept role in
//! member accounts.

use super::{Check, Status, is_access_denied, judge_refusal};
use crate::domain::{AccountId, Administrator, MemberStatus, Region};
use crate::error::Error;
use crate::policy::coverage::{MEMBER_QUOTA, Percent};

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

/// The members by invitation that this administrator has in `region` (ListMembers), out of Macie's
/// quota: past 90 %, the quota is close, and the check fails with what to do.
pub(crate) fn judge_quota(region: &Region, members: &Result<usize, Error>) -> Check {
    const CHECK: &str = "quota";
    let check = match members {
        Err(error) => judge_refusal(CHECK, error, "macie2:ListMembers"),
        Ok(members) => {
            let used = Percent::of(*members, MEMBER_QUOTA).as_f64();
            let detail = format!(
                "{members} of Macie's {MEMBER_QUOTA} members by invitation used ({used} %)"
            );
            if *members * 10 > MEMBER_QUOTA * 9 {
                Check::fail(
                    CHECK,
                    detail,
                    "remove the members of accounts that have left (the reconcile removes those this \
                     function enrolled), or move to Organizations-based management (10,000 members)",
                )
            } else {
                Check::pass(CHECK, detail)
            }
        }
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
