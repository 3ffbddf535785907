//! The settings' parsers for names, amounts and words: each refuses a bad value with a message that
//! names the setting and what it takes.

use super::{CostAction, Others, given, invalid};
use crate::domain::{Mode, Usd};
use crate::error::Error;

/// An IAM role name: 1 to 64 letters, digits and `+=,.@_-` (no path: the role's ARN is built as
/// `arn:<partition>:iam::<account>:role/<name>`).
pub(super) fn parse_role_name(value: Option<String>) -> Result<Option<String>, Error> {
    match given(&value) {
        None => Ok(None),
        Some(name)
            if name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b)) =>
        {
            Ok(Some(name.to_owned()))
        }
        Some(name) => Err(invalid(
            "ACCEPT_ROLE_NAME",
            name,
            "expected an IAM role name (1 to 64 letters, digits and +=,.@_-, no path)",
        )),
    }
}

/// A CloudWatch namespace: 1 to 255 letters, digits and `.-_/#: `, not starting with `AWS/`.
pub(super) fn parse_cost_limit(value: Option<String>) -> Result<Option<Usd>, Error> {
    match given(&value) {
        None => Ok(None),
        Some(limit) => Usd::parse(limit).map(Some).ok_or_else(|| {
            invalid(
                "DISCOVERY_COST_LIMIT_USD",
                limit,
                "must be an amount of US dollars such as 25 or 12.50",
            )
        }),
    }
}

pub(super) fn parse_cost_action(value: Option<String>) -> Result<CostAction, Error> {
    match given(&value) {
        None => Ok(CostAction::Report),
        Some(action) if action.eq_ignore_ascii_case("report") => Ok(CostAction::Report),
        Some(action) if action.eq_ignore_ascii_case("disable") => Ok(CostAction::Disable),
        Some(action) => Err(invalid(
            "DISCOVERY_COST_ACTION",
            action,
            "must be report (name the member and alarm) or disable (turn its automated discovery \
             off while its month-to-date cost is over DISCOVERY_COST_LIMIT_USD)",
        )),
    }
}

pub(super) fn parse_others(value: Option<String>) -> Result<Others, Error> {
    match given(&value) {
        None => Ok(Others::Keep),
        Some(word) if word.eq_ignore_ascii_case("keep") => Ok(Others::Keep),
        Some(word) if word.eq_ignore_ascii_case("on") => Ok(Others::On),
        Some(word) => Err(invalid(
            "DISCOVERY_OTHERS",
            word,
            "must be keep (leave the automated discovery of the members nothing keeps off as the \
             administrator set it) or on (turn it on for them)",
        )),
    }
}

pub(super) fn parse_enrollment_mode(value: Option<String>) -> Result<Option<Mode>, Error> {
    match given(&value) {
        None => Ok(None),
        Some(mode) if mode.eq_ignore_ascii_case("auto") => Ok(None),
        Some(mode) if mode.eq_ignore_ascii_case("invitations") => Ok(Some(Mode::Invitations)),
        Some(mode) if mode.eq_ignore_ascii_case("organizations") => Ok(Some(Mode::Organizations)),
        Some(mode) => Err(invalid(
            "ENROLLMENT_MODE",
            mode,
            "must be auto (find out per region whether this account is the delegated Macie \
             administrator), invitations or organizations",
        )),
    }
}

pub(super) fn parse_metrics_namespace(value: Option<String>) -> Result<String, Error> {
    let Some(name) = given(&value) else {
        return Ok("MacieInvite".to_owned());
    };
    let valid = name.len() <= 255
        && !name.starts_with("AWS/")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_/#: ".contains(&b));
    if valid {
        Ok(name.to_owned())
    } else {
        Err(invalid(
            "METRICS_NAMESPACE",
            name,
            "expected a CloudWatch namespace: up to 255 letters, digits and .-_/#: and not AWS/…",
        ))
    }
}
