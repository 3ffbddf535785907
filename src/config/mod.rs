//! The function's settings, read from the environment and validated once, at init.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::domain::{AccountId, Frequency, Mode, OrganizationalUnitId, Region, Repository, Usd};
use crate::error::Error;

mod parse;

use parse::{
    parse_cost_action, parse_cost_limit, parse_enrollment_mode, parse_frequency,
    parse_metrics_namespace, parse_optional_flag, parse_others, parse_repository, parse_role_name,
};

/// Macie's documented limit on the invitation message.
pub(crate) const MAX_INVITATION_MESSAGE_CHARS: usize = 80;

/// At most this many accounts' members are removed by one invocation, unless MAX_REMOVALS says
/// otherwise: a wrong organization or a bug must not empty Macie.
const DEFAULT_MAX_REMOVALS: u32 = 25;

/// Every setting, read from the environment and checked once, at init. It serializes as the
/// settings are named in the environment, with their values as read: the check's echo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct Config {
    /// MACIE_REGIONS, or the function's own region.
    #[serde(rename = "MACIE_REGIONS")]
    pub regions: Vec<Region>,
    /// INVITATION_MESSAGE.
    pub invitation_message: Option<String>,
    /// DISABLE_EMAIL_NOTIFICATION.
    pub disable_email_notification: bool,
    /// EXCLUDED_ACCOUNT_IDS.
    pub excluded_account_ids: BTreeSet<AccountId>,
    /// RETRY_QUEUE_URL: where work that may pass later is re-queued. Without it, such work fails
    /// the invocation, so that Lambda's own retries keep it.
    pub retry_queue_url: Option<String>,
    /// DEAD_LETTER_QUEUE_URL: where work that cannot be finished goes, with its reason.
    pub dead_letter_queue_url: Option<String>,
    /// MAX_ATTEMPTS: attempts before work is dead-lettered.
    pub max_attempts: u32,
    /// RETRY_BASE_DELAY_SECONDS: the first retry's delay, doubled at each attempt.
    pub retry_base_delay_seconds: u32,
    /// MAX_CALLS_IN_FLIGHT: calls at once against one service in one region.
    pub max_calls_in_flight: usize,
    /// REINVITE_REMOVED: whether members that were removed or resigned are associated and invited
    /// again (by default they are skipped: someone chose to end that membership).
    pub reinvite_removed: bool,
    /// DRY_RUN: decide and report everything, change nothing (no mutating call, nothing queued).
    pub dry_run: bool,
    /// BACKFILL: whether the reconcile invites the accounts that were in the organization before
    /// the function was first deployed. Off (the default), it only plans for them, and invites
    /// those that joined since: day one shows the plan for the existing accounts and emails none.
    pub backfill: bool,
    /// EXCLUDED_OU_IDS: accounts anywhere under these organizational units are skipped.
    pub excluded_ou_ids: BTreeSet<OrganizationalUnitId>,
    /// ACCEPT_ROLE_NAME: the role that the function assumes in each new account to enable Macie
    /// there and accept the invitation; without it, invitations wait for someone to accept them.
    pub accept_role_name: Option<String>,
    /// METRICS_NAMESPACE: the CloudWatch namespace of the metrics (Embedded Metric Format).
    pub metrics_namespace: String,
    /// MAX_ACCOUNTS_PER_EVENT: an event or invocation that names more accounts and creation
    /// requests than this is refused whole.
    pub max_accounts_per_event: usize,
    /// MANAGEMENT_ACCOUNT_ID: the account whose events the template's rules accept (its
    /// ManagementAccountId); the check compares it with the organization's.
    pub management_account_id: Option<AccountId>,
    /// REMOVE_DEPARTED: whether the members that this function enrolled are removed from Macie once
    /// their accounts have left the organization or are closing (on by default); off, they are
    /// reported only.
    pub remove_departed: bool,
    /// MAX_REMOVALS: a run that would remove the members of more accounts than this removes none,
    /// reports them all and raises the alarm.
    pub max_removals: usize,
    /// RESUME_PAUSED: a member whose Macie is suspended (`Paused`) is resumed: through
    /// Organizations by the delegated administrator, by invitation inside the member through
    /// ACCEPT_ROLE_NAME. Off by default: a member may have been suspended on purpose.
    pub resume_paused: bool,
    /// ENROLLMENT_MODE: `auto` (the default, `None`) finds out in each region whether the
    /// function's account is the organization's delegated Macie administrator there, and adds
    /// accounts through Organizations where it is, by invitation elsewhere; `invitations` or
    /// `organizations` forces one way in every region, with no read.
    #[serde(serialize_with = "serialize_enrollment_mode")]
    pub enrollment_mode: Option<Mode>,
    /// DISCOVERY_OFF_OU_IDS, DISCOVERY_OFF_ACCOUNT_IDS, DISCOVERY_COST_LIMIT_USD and
    /// DISCOVERY_COST_ACTION: the policy of automated sensitive data discovery.
    #[serde(flatten)]
    pub discovery: DiscoveryPolicy,
    /// FINDING_PUBLISHING_FREQUENCY, PUBLISH_POLICY_FINDINGS, PUBLISH_SENSITIVE_DATA_FINDINGS,
    /// RESULTS_BUCKET, RESULTS_KMS_KEY_ARN and RESULTS_KEY_PREFIX: Macie's own settings, held to
    /// these in the administrator's account in every region.
    #[serde(flatten)]
    pub baseline: Baseline,
}

/// Macie's own settings as policy; each applies only where it is set, and none set means no call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Baseline {
    /// FINDING_PUBLISHING_FREQUENCY.
    #[serde(rename = "FINDING_PUBLISHING_FREQUENCY")]
    pub frequency: Option<Frequency>,
    /// PUBLISH_POLICY_FINDINGS: policy findings published to Security Hub.
    #[serde(rename = "PUBLISH_POLICY_FINDINGS")]
    pub publish_policy_findings: Option<bool>,
    /// PUBLISH_SENSITIVE_DATA_FINDINGS: sensitive data findings published to Security Hub.
    #[serde(rename = "PUBLISH_SENSITIVE_DATA_FINDINGS")]
    pub publish_sensitive_data_findings: Option<bool>,
    /// RESULTS_BUCKET, RESULTS_KMS_KEY_ARN and RESULTS_KEY_PREFIX: the results repository.
    #[serde(rename = "RESULTS_REPOSITORY")]
    pub repository: Option<Repository>,
}

impl Baseline {
    /// Whether any of its settings is given: only then is anything read or written.
    pub fn is_set(&self) -> bool {
        self.frequency.is_some()
            || self.publish_policy_findings.is_some()
            || self.publish_sensitive_data_findings.is_some()
            || self.repository.is_some()
    }
}

/// What automated sensitive data discovery does for the organization's Enabled members. With
/// none of its settings given, the function makes no automated-discovery or usage call at all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiscoveryPolicy {
    /// DISCOVERY_OFF_OU_IDS: accounts anywhere under these units have discovery off.
    #[serde(rename = "DISCOVERY_OFF_OU_IDS")]
    pub off_ou_ids: BTreeSet<OrganizationalUnitId>,
    /// DISCOVERY_OFF_ACCOUNT_IDS: these accounts have discovery off.
    #[serde(rename = "DISCOVERY_OFF_ACCOUNT_IDS")]
    pub off_account_ids: BTreeSet<AccountId>,
    /// DISCOVERY_COST_LIMIT_USD: a member's month-to-date automated-discovery cost past which it is
    /// named and alarmed.
    #[serde(rename = "DISCOVERY_COST_LIMIT_USD")]
    pub cost_limit: Option<Usd>,
    /// DISCOVERY_COST_ACTION: what is done with a member over the limit.
    #[serde(rename = "DISCOVERY_COST_ACTION")]
    pub cost_action: CostAction,
    /// DISCOVERY_OTHERS: what is done with the members that nothing above keeps off.
    #[serde(rename = "DISCOVERY_OTHERS")]
    pub others: Others,
}

impl DiscoveryPolicy {
    /// Whether any of the policy's settings is given: only then is discovery read or changed.
    pub fn is_set(&self) -> bool {
        !(self.off_ou_ids.is_empty()
            && self.off_account_ids.is_empty()
            && self.cost_limit.is_none()
            && self.others == Others::Keep)
    }
}

/// What the policy does with a member that nothing keeps off and whose discovery is off: turned
/// on only where someone asked for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Others {
    /// Left as the administrator set it (the default), unless this function turned it off itself,
    /// or Macie's own `autoEnableOrganizationMembers` is `ALL`.
    #[default]
    Keep,
    /// Turned on: the operator asks for discovery in every member that nothing keeps off.
    On,
}

/// What is done with a member whose month-to-date automated-discovery cost is over the limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CostAction {
    /// It is named in the answer and alarmed (the default).
    #[default]
    Report,
    /// Besides, its discovery is turned off while its month-to-date cost stays over the limit.
    Disable,
}

/// ENROLLMENT_MODE as it is set: `auto` where no mode is forced.
fn serialize_enrollment_mode<S: serde::Serializer>(
    mode: &Option<Mode>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(mode.map_or("auto", Mode::name))
}

impl Config {
    /// Reads and checks every setting.
    ///
    /// # Errors
    /// A setting with a bad value: the error names the variable and what is wrong.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, in production).
    ///
    /// # Errors
    /// As [`Config::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let read = |name: &'static str| (name, lookup(name));
        let number = |name, default, range| parse_number(read(name), default, range);
        Ok(Config {
            regions: parse_regions(lookup("MACIE_REGIONS"), lookup("AWS_REGION"))?,
            invitation_message: parse_invitation_message(lookup("INVITATION_MESSAGE"))?,
            disable_email_notification: parse_flag(read("DISABLE_EMAIL_NOTIFICATION"), false)?,
            excluded_account_ids: parse_account_id_setting(read("EXCLUDED_ACCOUNT_IDS"))?,
            retry_queue_url: parse_queue_url(read("RETRY_QUEUE_URL"))?,
            dead_letter_queue_url: parse_queue_url(read("DEAD_LETTER_QUEUE_URL"))?,
            max_attempts: number("MAX_ATTEMPTS", 8, 1..=100)?,
            retry_base_delay_seconds: number("RETRY_BASE_DELAY_SECONDS", 60, 0..=900)?,
            max_calls_in_flight: number("MAX_CALLS_IN_FLIGHT", 10, 1..=100)? as usize,
            reinvite_removed: parse_flag(read("REINVITE_REMOVED"), false)?,
            dry_run: parse_flag(read("DRY_RUN"), false)?,
            backfill: parse_flag(read("BACKFILL"), false)?,
            excluded_ou_ids: parse_ou_ids(read("EXCLUDED_OU_IDS"))?,
            accept_role_name: parse_role_name(lookup("ACCEPT_ROLE_NAME"))?,
            metrics_namespace: parse_metrics_namespace(lookup("METRICS_NAMESPACE"))?,
            max_accounts_per_event: number("MAX_ACCOUNTS_PER_EVENT", 1_000, 1..=10_000)? as usize,
            management_account_id: parse_management_account_id(lookup("MANAGEMENT_ACCOUNT_ID"))?,
            remove_departed: parse_flag(read("REMOVE_DEPARTED"), true)?,
            resume_paused: parse_flag(read("RESUME_PAUSED"), false)?,
            max_removals: number("MAX_REMOVALS", DEFAULT_MAX_REMOVALS, 0..=10_000)? as usize,
            enrollment_mode: parse_enrollment_mode(lookup("ENROLLMENT_MODE"))?,
            discovery: DiscoveryPolicy {
                off_ou_ids: parse_ou_ids(read("DISCOVERY_OFF_OU_IDS"))?,
                off_account_ids: parse_account_id_setting(read("DISCOVERY_OFF_ACCOUNT_IDS"))?,
                cost_limit: parse_cost_limit(lookup("DISCOVERY_COST_LIMIT_USD"))?,
                cost_action: parse_cost_action(lookup("DISCOVERY_COST_ACTION"))?,
                others: parse_others(lookup("DISCOVERY_OTHERS"))?,
            },
            baseline: Baseline {
                frequency: parse_frequency(lookup("FINDING_PUBLISHING_FREQUENCY"))?,
                publish_policy_findings: parse_optional_flag(read("PUBLISH_POLICY_FINDINGS"))?,
                publish_sensitive_data_findings: parse_optional_flag(read(
                    "PUBLISH_SENSITIVE_DATA_FINDINGS",
                ))?,
                repository: parse_repository([
                    read("RESULTS_BUCKET"),
                    read("RESULTS_KMS_KEY_ARN"),
                    read("RESULTS_KEY_PREFIX"),
                ])?,
            },
        })
    }
}

fn invalid(name: &'static str, value: &str, problem: impl Into<String>) -> Error {
    Error::InvalidSetting {
        name,
        value: value.to_owned(),
        problem: problem.into(),
    }
}

/// The non-empty items of a comma-separated list, trimmed.
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

fn parse_regions(
    macie_regions: Option<String>,
    own_region: Option<String>,
) -> Result<Vec<Region>, Error> {
    let (name, value) = match (macie_regions, own_region) {
        (Some(value), _) if !value.trim().is_empty() => ("MACIE_REGIONS", value),
        (_, Some(value)) if !value.trim().is_empty() => ("AWS_REGION", value),
        _ => {
            return Err(invalid(
                "MACIE_REGIONS",
                "",
                "no region: set MACIE_REGIONS (comma-separated, such as us-east-1,eu-west-1) or AWS_REGION",
            ));
        }
    };
    let mut regions: Vec<Region> = Vec::new();
    for item in split_list(&value) {
        let region = Region::parse(item, name).map_err(|_| {
            invalid(
                name,
                &value,
                format!("{item:?} is not a region name such as us-east-1"),
            )
        })?;
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    if regions.is_empty() {
        return Err(invalid(name, &value, "no region in the list"));
    }
    Ok(regions)
}

fn parse_invitation_message(value: Option<String>) -> Result<Option<String>, Error> {
    match value {
        None => Ok(None),
        Some(message) if message.is_empty() => Ok(None),
        Some(message) => {
            let chars = message.chars().count();
            if chars > MAX_INVITATION_MESSAGE_CHARS {
                Err(invalid(
                    "INVITATION_MESSAGE",
                    &message,
                    format!(
                        "{chars} characters; Macie accepts at most {MAX_INVITATION_MESSAGE_CHARS}"
                    ),
                ))
            } else {
                Ok(Some(message))
            }
        }
    }
}

/// The value, trimmed; `None` where it is unset or blank (then the default applies).
fn given(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// A setting's name, and its value where it is set.
pub(super) type Setting = (&'static str, Option<String>);

/// A flag, `default` when it is not set.
fn parse_flag((name, value): Setting, default: bool) -> Result<bool, Error> {
    match given(&value) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid(name, v, "expected true or false")),
    }
}

fn parse_queue_url((name, value): Setting) -> Result<Option<String>, Error> {
    match given(&value) {
        None => Ok(None),
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Ok(Some(url.to_owned()))
        }
        Some(url) => Err(invalid(
            name,
            url,
            "expected a queue URL such as https://sqs.us-east-1.amazonaws.com/111122223333/name",
        )),
    }
}

fn parse_number(
    (name, value): Setting,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, Error> {
    match given(&value) {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|number| range.contains(number))
            .ok_or_else(|| {
                invalid(
                    name,
                    text,
                    format!(
                        "expected a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                )
            }),
    }
}

fn parse_account_id_setting((name, value): Setting) -> Result<BTreeSet<AccountId>, Error> {
    let value = value.unwrap_or_default();
    split_list(&value)
        .map(|item| {
            AccountId::parse(item, name).map_err(|_| {
                invalid(
                    name,
                    &value,
                    format!("{item:?} is not an account ID of exactly 12 digits"),
                )
            })
        })
        .collect()
}

fn parse_management_account_id(value: Option<String>) -> Result<Option<AccountId>, Error> {
    match given(&value) {
        None => Ok(None),
        Some(id) => AccountId::parse(id, "MANAGEMENT_ACCOUNT_ID")
            .map(Some)
            .map_err(|_| {
                invalid(
                    "MANAGEMENT_ACCOUNT_ID",
                    id,
                    "not an account ID of exactly 12 digits (the organization's management account)",
                )
            }),
    }
}

fn parse_ou_ids((name, value): Setting) -> Result<BTreeSet<OrganizationalUnitId>, Error> {
    let value = value.unwrap_or_default();
    split_list(&value)
        .map(|item| {
            OrganizationalUnitId::parse(item).ok_or_else(|| {
                invalid(
                    name,
                    &value,
                    format!("{item:?} is not an organizational unit ID such as ou-ab12-cd34ef56"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    fn error(vars: &[(&str, &str)]) -> String {
        config(vars).unwrap_err().to_string()
    }

    #[test]
    fn defaults_to_the_function_region_and_notifications_on() {
        let config = config(&[("AWS_REGION", "eu-west-1")]).unwrap();
        assert_eq!(
            config.regions,
            vec![Region::parse("eu-west-1", "t").unwrap()]
        );
        assert_eq!(config.invitation_message, None);
        assert!(!config.disable_email_notification);
        assert!(config.excluded_account_ids.is_empty());
        assert_eq!(config.retry_queue_url, None);
        assert_eq!(config.dead_letter_queue_url, None);
        assert_eq!(config.max_attempts, 8);
        assert_eq!(config.retry_base_delay_seconds, 60);
        assert_eq!(config.max_calls_in_flight, 10);
    }

    #[test]
    fn reads_the_retry_settings() {
        let config = config(&[
            ("AWS_REGION", "eu-west-1"),
            (
                "RETRY_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/111122223333/retry",
            ),
            (
                "DEAD_LETTER_QUEUE_URL",
                "http://127.0.0.1:5000/111122223333/dead",
            ),
            ("MAX_ATTEMPTS", "3"),
            ("RETRY_BASE_DELAY_SECONDS", "0"),
        ])
        .unwrap();
        assert_eq!(
            config.retry_queue_url.as_deref(),
            Some("https://sqs.eu-west-1.amazonaws.com/111122223333/retry")
        );
        assert_eq!(
            config.dead_letter_queue_url.as_deref(),
            Some("http://127.0.0.1:5000/111122223333/dead")
        );
        assert_eq!(config.max_attempts, 3);
        assert_eq!(config.retry_base_delay_seconds, 0);
    }

    #[test]
    fn reads_every_setting() {
        let config = config(&[
            ("AWS_REGION", "eu-west-1"),
            ("MACIE_REGIONS", " us-east-1, eu-west-1 ,us-east-1,"),
            ("INVITATION_MESSAGE", "Welcome to Macie"),
            ("DISABLE_EMAIL_NOTIFICATION", "true"),
            ("EXCLUDED_ACCOUNT_IDS", "111122223333, 444455556666"),
            ("MANAGEMENT_ACCOUNT_ID", "111122223333"),
        ])
        .unwrap();
        let regions: Vec<&str> = config.regions.iter().map(Region::as_str).collect();
        assert_eq!(regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(
            config.invitation_message.as_deref(),
            Some("Welcome to Macie")
        );
        assert!(config.disable_email_notification);
        assert_eq!(config.excluded_account_ids.len(), 2);
        assert_eq!(config.enrollment_mode, None, "auto by default");
        assert!(!config.discovery.is_set(), "no discovery policy by default");
        let policy = super::Config::from_lookup(|name| match name {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "DISCOVERY_COST_LIMIT_USD" => Some("12.5".to_owned()),
            "DISCOVERY_COST_ACTION" => Some("Disable".to_owned()),
            _ => None,
        })
        .unwrap()
        .discovery;
        assert!(policy.is_set());
        assert_eq!(policy.cost_limit, Usd::parse("12.50"));
        assert_eq!(policy.cost_action, CostAction::Disable);
        for (value, mode) in [
            ("auto", None),
            ("Organizations", Some(Mode::Organizations)),
            ("invitations", Some(Mode::Invitations)),
        ] {
            let read = super::parse_enrollment_mode(Some(value.to_owned())).unwrap();
            assert_eq!(read, mode, "{value}");
        }
        assert_eq!(
            config.management_account_id.unwrap().as_str(),
            "111122223333"
        );
    }

    #[test]
    fn bad_regions_name_the_variable_and_the_problem() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: &[Case] = &[
            (&[], &["MACIE_REGIONS", "AWS_REGION"]),
            (
                &[("MACIE_REGIONS", "us-east-1,mars-1")],
                &["MACIE_REGIONS", "\"mars-1\""],
            ),
            (&[("AWS_REGION", "x")], &["AWS_REGION", "\"x\""]),
            (
                &[("AWS_REGION", "us-east-1"), ("MACIE_REGIONS", ",")],
                &["MACIE_REGIONS", "no region"],
            ),
        ];
        for (vars, expected) in cases {
            assert_names(&error(vars), expected);
        }
    }

    #[test]
    fn bad_settings_name_the_variable_and_the_problem() {
        let long_message = "x".repeat(81);
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "INVITATION_MESSAGE",
                &long_message,
                &["81 characters", "at most 80"],
            ),
            ("DISABLE_EMAIL_NOTIFICATION", "yes", &["true or false"]),
            (
                "EXCLUDED_ACCOUNT_IDS",
                "111122223333,12345",
                &["\"12345\"", "12 digits"],
            ),
            (
                "MANAGEMENT_ACCOUNT_ID",
                "o-abcdefghij",
                &["12 digits", "management account"],
            ),
            ("MAX_ATTEMPTS", "0", &["from 1 to 100"]),
            (
                "DISCOVERY_COST_LIMIT_USD",
                "ten",
                &["\"ten\"", "US dollars"],
            ),
            ("DISCOVERY_COST_LIMIT_USD", "-5", &["\"-5\"", "US dollars"]),
            ("DISCOVERY_COST_ACTION", "stop", &["report", "disable"]),
            ("DISCOVERY_OTHERS", "yes", &["keep", "on"]),
            ("RESUME_PAUSED", "maybe", &["true or false"]),
            (
                "FINDING_PUBLISHING_FREQUENCY",
                "daily",
                &["FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS"],
            ),
            ("PUBLISH_POLICY_FINDINGS", "on", &["true or false"]),
            (
                "RESULTS_BUCKET",
                "macie-results",
                &["RESULTS_KMS_KEY_ARN go together"],
            ),
            (
                "DISCOVERY_OFF_ACCOUNT_IDS",
                "12345",
                &["DISCOVERY_OFF_ACCOUNT_IDS", "12 digits"],
            ),
            (
                "DISCOVERY_OFF_OU_IDS",
                "r-ab12",
                &["DISCOVERY_OFF_OU_IDS", "organizational unit ID"],
            ),
            (
                "ENROLLMENT_MODE",
                "delegated",
                &["\"delegated\"", "auto", "invitations or organizations"],
            ),
            ("MAX_ATTEMPTS", "eight", &["\"eight\""]),
            ("RETRY_BASE_DELAY_SECONDS", "901", &["from 0 to 900"]),
            ("RETRY_QUEUE_URL", "my-queue", &["queue URL"]),
            (
                "EXCLUDED_OU_IDS",
                "ou-ab12-cd34ef56,r-ab12",
                &["\"r-ab12\" is not an organizational unit ID"],
            ),
            ("ACCEPT_ROLE_NAME", "path/Role", &["no path"]),
            ("METRICS_NAMESPACE", "AWS/Macie", &["not AWS/"]),
            ("DRY_RUN", "yes", &["true or false"]),
        ];
        for (name, value, expected) in cases {
            let message = error(&[("AWS_REGION", "us-east-1"), (name, value)]);
            assert_names(&message, &[name]);
            assert_names(&message, expected);
        }
    }

    fn assert_names(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(
                message.contains(part),
                "{message:?} should contain {part:?}"
            );
        }
    }

    #[test]
    fn a_message_of_eighty_characters_is_accepted_even_when_they_are_multibyte() {
        let message = "é".repeat(80);
        let config = config(&[
            ("AWS_REGION", "us-east-1"),
            ("INVITATION_MESSAGE", &message),
        ])
        .unwrap();
        assert_eq!(config.invitation_message, Some(message));
    }

    #[test]
    fn the_settings_of_the_member_side_and_the_dry_run_are_read() {
        let config = config(&[
            ("AWS_REGION", "us-east-1"),
            ("REINVITE_REMOVED", "true"),
            ("DRY_RUN", "TRUE"),
            ("EXCLUDED_OU_IDS", " ou-ab12-cd34ef56 , ou-ab12-99999999 "),
            ("ACCEPT_ROLE_NAME", "MacieInviteAccept"),
            ("METRICS_NAMESPACE", "Security/MacieInvite"),
        ])
        .unwrap();
        assert!(config.reinvite_removed && config.dry_run);
        let units: Vec<&str> = config
            .excluded_ou_ids
            .iter()
            .map(|ou| ou.as_str())
            .collect();
        assert_eq!(units, ["ou-ab12-99999999", "ou-ab12-cd34ef56"]);
        assert_eq!(
            config.accept_role_name.as_deref(),
            Some("MacieInviteAccept")
        );
        assert_eq!(config.metrics_namespace, "Security/MacieInvite");

        let defaults = super::tests::config(&[("AWS_REGION", "us-east-1")]).unwrap();
        assert!(!defaults.reinvite_removed && !defaults.dry_run);
        assert!(defaults.excluded_ou_ids.is_empty() && defaults.accept_role_name.is_none());
        assert_eq!(defaults.metrics_namespace, "MacieInvite");
    }
}
