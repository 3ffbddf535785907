//! The settings' parsers for names, amounts and words: each refuses a bad value with a message that
//! names the setting and what it takes.

use super::{CostAction, Others, Setting, given, invalid, parse_flag};
use crate::domain::{Frequency, Mode, Repository, Usd};
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

/// An amount of US dollars, such as 25 or 12.50.
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

/// A CloudWatch namespace: 1 to 255 letters, digits and `.-_/#: `, not starting with `AWS/`.
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

pub(super) fn parse_frequency(value: Option<String>) -> Result<Option<Frequency>, Error> {
    match given(&value) {
        None => Ok(None),
        Some(word) => Frequency::parse(&word.to_uppercase())
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    "FINDING_PUBLISHING_FREQUENCY",
                    word,
                    "must be FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS",
                )
            }),
    }
}

/// A flag that applies only where it is set: `None` when it is not.
pub(super) fn parse_optional_flag(setting: Setting) -> Result<Option<bool>, Error> {
    match given(&setting.1) {
        None => Ok(None),
        Some(_) => parse_flag(setting, false).map(Some),
    }
}

/// RESULTS_BUCKET, RESULTS_KMS_KEY_ARN and RESULTS_KEY_PREFIX: the bucket and the key together, or
/// none of the three.
pub(super) fn parse_repository(
    [bucket, key, prefix]: [Setting; 3],
) -> Result<Option<Repository>, Error> {
    let (bucket_name, key_name) = (bucket.0, key.0);
    let (bucket, key, prefix) = (given(&bucket.1), given(&key.1), given(&prefix.1));
    match (bucket, key) {
        (None, None) if prefix.is_none() => Ok(None),
        (Some(bucket), Some(key)) => {
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                });
            if !valid_bucket {
                return Err(invalid(
                    bucket_name,
                    bucket,
                    "must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
                ));
            }
            let parts: Vec<&str> = key.split(':').collect();
            let valid_key = parts.len() == 6
                && parts[0] == "arn"
                && parts[2] == "kms"
                && parts[5].starts_with("key/");
            if !valid_key {
                return Err(invalid(
                    key_name,
                    key,
                    "must be a KMS key ARN such as arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                ));
            }
            Ok(Some(Repository {
                bucket_name: bucket.to_owned(),
                kms_key_arn: key.to_owned(),
                key_prefix: prefix.map(str::to_owned),
            }))
        }
        _ => Err(invalid(
            "RESULTS_BUCKET",
            bucket.unwrap_or(""),
            "RESULTS_BUCKET and RESULTS_KMS_KEY_ARN go together (RESULTS_KEY_PREFIX only with them): set both, or none",
        )),
    }
}
