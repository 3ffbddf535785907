//! The failure policy: for every failure, whether another attempt may pass (re-queued), none can
//! (dead-lettered, with what the operator must do), or it is only reported; and how long a retry
//! waits. Decided from error codes, with message text only where the service gives no code.

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use lambda_runtime::Diagnostic;

use crate::domain::{Origin, Region};
use crate::error::{Error, Meaning};
use crate::outcome::{DEFERRED, FailureKind, Outcome};

/// Error codes of the services we call that mean "later", besides aws-runtime's published
/// throttling and transient lists: their 5xx faults (Macie's InternalServerException,
/// Organizations' ServiceException: the services' models, botocore macie2 and organizations).
const SERVICE_FAULTS: &[&str] = &["InternalServerException", "ServiceException"];

/// Whether the same call may pass later: no answer (a timeout, a connection error), throttling, a
/// 5xx or a bare 429, Macie's ClientError on CreateMember or CreateInvitations, or a role in a member account that cannot be assumed yet (a brand-new account's
/// role may not exist for some minutes). Whatever else is refused will be refused again.
pub(crate) fn is_transient(error: &Error) -> bool {
    match error {
        Error::Service {
            transport: true, ..
        } => true,
        Error::Service {
            operation: "AssumeRole",
            code: None,
            ..
        } => true,
        // Macie refuses these calls for a while with the code ClientError: terraform-provider-aws
        // retries both on it for up to 4 minutes (internal/service/macie2, `errCodeClientError`).
        Error::Service {
            service: "Macie",
            operation: "CreateMember" | "CreateInvitations",
            code: Some(code),
            ..
        } if code == "ClientError" => true,
        Error::Service { code, status, .. } => {
            code.as_deref().is_some_and(|code| {
                THROTTLING_ERRORS.contains(&code)
                    || TRANSIENT_ERRORS.contains(&code)
                    || SERVICE_FAULTS.contains(&code)
            }) || status.is_some_and(|status| status == 429 || status >= 500)
        }
        Error::RetryLater { .. } => true,
        _ => false,
    }
}

/// The outcome of a call that failed: transient, or permanent with what to do.
pub(crate) fn outcome_of(error: &Error) -> Outcome {
    let (kind, advice) = if is_transient(error) {
        (FailureKind::Transient, None)
    } else {
        (
            FailureKind::Permanent,
            advice(error.code(), error.operation()),
        )
    };
    let reason = match advice {
        Some(advice) => format!("{error}. {advice}"),
        None => error.to_string(),
    };
    Outcome::Failed {
        reason: crate::quote::redact_emails(&reason),
        kind,
    }
}

/// Whether the service refused the caller: its policy, a control policy, or (Macie) the service not
/// enabled. AccessDeniedException, or AccessDenied as STS and SQS name it.
pub(crate) fn is_access_denied(error: &Error) -> bool {
    matches!(error.code(), Some("AccessDeniedException" | "AccessDenied"))
}

/// Whether Macie refused the call for its quota of members (1,000 by invitation: the Macie user
/// guide, "macie-quotas").
pub(crate) fn is_quota_refusal(error: &Error) -> bool {
    error.code() == Some("ServiceQuotaExceededException")
}

/// The outcome of an account left unassociated because Macie refused an earlier one in `region`
/// for its member quota: permanent, so it is dead-lettered at once, with what to do.
pub(crate) fn quota_stop(region: &Region) -> Outcome {
    Outcome::failed(format!(
        "not associated: Macie refused an earlier account in {region} for its quota of members, so no \
         more CreateMember calls are made there in this invocation. {QUOTA_ADVICE}"
    ))
}

/// The runtime's errorType: `MacieInvite.{Retryable|Permanent}.{Kind}`, so that whoever reads it
/// knows whether invoking again can help.
pub(crate) fn error_type(error: &Error) -> String {
    let transient = is_transient(error);
    let retry = if transient { "Retryable" } else { "Permanent" };
    let kind = match error {
        Error::Service { .. } if transient => "ServiceUnavailable",
        Error::Service { .. } => "ServiceError",
        other => other.kind(),
    };
    format!("MacieInvite.{retry}.{kind}")
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Diagnostic {
        Diagnostic {
            error_type: error_type(&error),
            error_message: error.to_string(),
        }
    }
}

/// SQS delays a message by at most 15 minutes.
pub(crate) const MAX_DELAY_SECONDS: u32 = 900;

/// Attempts during which an account that Organizations does not know is tried again: right after
/// its creation it may not be visible yet.
pub(crate) const NOT_FOUND_ATTEMPTS: u32 = 3;

/// What to do with a subject once an attempt is over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// Finished: invited, already a member, skipped, or a creation that failed.
    Done,
    /// Try again as attempt `attempt`.
    Requeue { attempt: u32, reason: String },
    /// Give up: the dead-letter queue, with what the operator must do.
    DeadLetter { reason: String },
}

pub(crate) fn disposition(outcome: &Outcome, origin: &Origin, max_attempts: u32) -> Disposition {
    let attempt = origin.attempt;
    let retry = |reason: String| {
        if attempt < max_attempts {
            Disposition::Requeue {
                attempt: attempt + 1,
                reason,
            }
        } else {
            Disposition::DeadLetter {
                reason: format!(
                    "gave up after {attempt} attempts (MAX_ATTEMPTS); the last failed with: {reason}"
                ),
            }
        }
    };
    match outcome {
        // What needs nothing more, as the table of outcomes says.
        _ if outcome.row().settled => Disposition::Done,
        Outcome::Unprocessed { meaning, .. } => match unprocessed_advice(*meaning) {
            None => retry(outcome.attempt_reason()),
            Some(advice) => Disposition::DeadLetter {
                reason: format!("{}. {advice}", outcome.attempt_reason()),
            },
        },
        Outcome::Failed { reason, kind } => match kind {
            FailureKind::Transient => retry(reason.clone()),
            // An operator named it: the answer says so at once; only an event's account, which may
            // not be visible yet right after its creation, is looked for again.
            FailureKind::NotInOrganization if origin.by_operator => Disposition::Done,
            FailureKind::NotInOrganization if attempt < NOT_FOUND_ATTEMPTS => retry(reason.clone()),
            FailureKind::NotInOrganization => Disposition::DeadLetter {
                reason: format!(
                    "{reason}, after {attempt} attempts. Check the account ID; if the account has just \
                     joined or been created, invoke again with it"
                ),
            },
            FailureKind::Permanent => Disposition::DeadLetter {
                reason: reason.clone(),
            },
        },
        Outcome::Pending { reason } => retry(reason.clone()),
        Outcome::Deferred => retry(DEFERRED.to_owned()),
        // Every other outcome is settled, above.
        _ => Disposition::Done,
    }
}

/// Whether the error says that Macie is not enabled for the caller in the call's region.
pub(crate) fn is_macie_off(error: &Error) -> bool {
    error.meaning() == Some(Meaning::MacieOff)
}

/// The outcome of a Macie call in `region` that failed: as [`outcome_of`], but where the
/// administrator's own Macie is off there, one permanent failure that names the region and the
/// command that mends it, never a verdict on the account.
pub(crate) fn outcome_in(error: &Error, region: &Region) -> Outcome {
    if is_macie_off(error) && !in_member_account(error.operation()) {
        return Outcome::failed(format!(
            "Macie is not enabled for the administrator account in {region} ({error}): run `aws macie2 \
             enable-macie --region {region}` in the administrator account, or remove {region} from \
             MACIE_REGIONS, then invoke again"
        ));
    }
    outcome_of(error)
}

/// What the operator must do about an account that CreateInvitations left unprocessed, when no
/// retry can help (as the Macie adapter read Macie's words); `None` when a retry may pass
/// (InternalError, and ClientErrors not known to be lasting).
pub(crate) fn unprocessed_advice(meaning: Option<Meaning>) -> Option<&'static str> {
    match meaning? {
        Meaning::Lasting(advice) => Some(advice),
        Meaning::QuotaReached => Some(QUOTA_ADVICE),
        Meaning::NoMember | Meaning::MacieOff | Meaning::NotOrganizationAdministrator => None,
    }
}

const QUOTA_ADVICE: &str = "Macie's quota of members is reached (1,000 by invitation, 10,000 through \
                            Organizations): remove members that have left (the reconcile removes those this \
                            function enrolled; the untagged ones, listed in its kept, by hand or after \
                            {\"action\": \"adopt\"}), or, by invitation, manage accounts through Organizations \
                            with a delegated Macie administrator (the README's deploy checklist)";

/// Whether `operation` is made in a member account, through ACCEPT_ROLE_NAME, rather than by the
/// administrator.
fn in_member_account(operation: Option<&str>) -> bool {
    matches!(
        operation,
        Some("AssumeRole" | "EnableMacie" | "ListInvitations" | "AcceptInvitation")
    )
}

/// Whether a GetMember refusal is no verdict on the account, to be settled from the region's
/// listing instead: neither a "later" nor Macie off, and in words the table does not read as "no
/// member" (those never reach here: the adapter answers `None` for them).
pub(crate) fn needs_listing(error: &Error) -> bool {
    !is_transient(error) && !is_macie_off(error)
}

/// What the operator must do about a call that failed for good, by its error code.
pub(crate) fn advice(code: Option<&str>, operation: Option<&str>) -> Option<&'static str> {
    match code? {
        "ServiceQuotaExceededException" => Some(QUOTA_ADVICE),
        "AccessDeniedException" | "AccessDenied" if in_member_account(operation) => Some(
            "The role ACCEPT_ROLE_NAME in the member account must trust the function's role and allow \
             macie2:EnableMacie, macie2:ListInvitations and macie2:AcceptInvitation (with \
             iam:CreateServiceLinkedRole for Macie's service-linked role)",
        ),
        "AccessDeniedException" | "AccessDenied"
            if operation == Some("DescribeOrganizationConfiguration") =>
        {
            Some(
                "Whether this account is the organization's delegated Macie administrator cannot be \
                 read, so no account is added in this region: allow \
                 macie2:DescribeOrganizationConfiguration to the function's role (and check that no \
                 SCP denies it), or set ENROLLMENT_MODE (EnrollmentMode) to invitations or \
                 organizations",
            )
        }
        "AccessDeniedException" | "AccessDenied" => Some(
            "Check that the function's role allows this call, that Macie is enabled for the administrator in \
             this region, and that the function runs in the Macie administrator account",
        ),
        "ValidationException" | "ConflictException"
            if matches!(operation, Some("DisassociateMember" | "DeleteMember")) =>
        {
            Some(
                "Macie refused to remove the member: a member is deleted only once its administrator \
                 has disassociated it, including one associated through AWS Organizations, which \
                 cannot leave by itself (terraform-provider-aws #26219, gruntwork-io/cloud-nuke #323). \
                 Check its status (aws macie2 get-member --id ACCOUNT --region REGION); disassociate \
                 it (aws macie2 disassociate-member --id ACCOUNT --region REGION) from this \
                 administrator account, then invoke {\"action\": \"remove\", \"accountIds\": [ACCOUNT]}",
            )
        }
        "AWSOrganizationsNotInUseException" => Some(
            "The function's account is not in an organization: deploy it in the management or a delegated administrator account",
        ),
        "ValidationException" => {
            Some("Macie refused the request as invalid: check the account's email in Organizations")
        }
        "ConflictException" => Some(
            "The account's membership changed meanwhile: check its status in Macie, then invite it again",
        ),
        _ => None,
    }
}

/// Attempts after which the backoff of pending work (an invitation Macie is still processing, a
/// creation in progress) stops growing: an invitation shows within minutes (terraform-provider-aws
/// waits up to 5), so it is looked at again at most 2 × RETRY_BASE_DELAY_SECONDS later.
pub(crate) const PENDING_BACKOFF_ATTEMPTS: u32 = 2;

/// How long a re-queued `outcome` waits after its `attempt`-th attempt: [`backoff_seconds`], held
/// short for pending work.
pub(crate) fn retry_delay_seconds(outcome: &Outcome, attempt: u32, base: u32, jitter: f64) -> u32 {
    let attempt = match outcome {
        Outcome::Pending { .. } => attempt.min(PENDING_BACKOFF_ATTEMPTS),
        _ => attempt,
    };
    backoff_seconds(attempt, base, jitter)
}

/// How long a re-queued subject waits after its `attempt`-th attempt failed: `base` × 2^(attempt−1),
/// capped at SQS's 900 s, with equal jitter (`jitter` in [0, 1) picks a point in the upper half) so
/// that accounts throttled together do not come back together.
pub(crate) fn backoff_seconds(attempt: u32, base: u32, jitter: f64) -> u32 {
    let ceiling = u64::from(base)
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
        .min(u64::from(MAX_DELAY_SECONDS));
    let half = ceiling / 2;
    let spread = ((ceiling - half) as f64 * jitter.clamp(0.0, 1.0)) as u64;
    (half + spread).min(ceiling) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::macie_words::read_words;
    use crate::domain::MemberStatus;

    /// Work of an event at its `attempt`-th attempt.
    fn at(attempt: u32) -> Origin {
        Origin {
            attempt,
            ..Origin::first(&[])
        }
    }

    #[test]
    fn backoff_doubles_from_the_base_caps_at_fifteen_minutes_and_keeps_at_least_half() {
        let without_jitter: Vec<u32> = (1..=8)
            .map(|attempt| backoff_seconds(attempt, 60, 0.999_999))
            .collect();
        assert_eq!(without_jitter, [59, 119, 239, 479, 899, 899, 899, 899]);
        let lowest: Vec<u32> = (1..=6)
            .map(|attempt| backoff_seconds(attempt, 60, 0.0))
            .collect();
        assert_eq!(lowest, [30, 60, 120, 240, 450, 450]);
        assert_eq!(backoff_seconds(3, 0, 0.5), 0);
        assert_eq!(backoff_seconds(u32::MAX, u32::MAX, 0.5), 675);
    }

    fn failed(kind: FailureKind) -> Outcome {
        Outcome::Failed {
            reason: "boom".into(),
            kind,
        }
    }

    /// An unprocessed account as the Macie adapter reports it: with what Macie's words mean.
    fn unprocessed(code: &str, message: &str) -> Outcome {
        Outcome::Unprocessed {
            error_code: code.into(),
            error_message: message.into(),
            meaning: read_words(code, message),
        }
    }

    #[test]
    fn transient_trouble_is_retried_until_max_attempts_then_dead_lettered_with_the_last_reason() {
        for outcome in [
            failed(FailureKind::Transient),
            unprocessed("InternalError", "try again"),
            unprocessed("ClientError", "Something unexpected happened"),
            Outcome::Pending {
                reason: "IN_PROGRESS".into(),
            },
        ] {
            assert!(
                matches!(
                    disposition(&outcome, &at(1), 8),
                    Disposition::Requeue { attempt: 2, .. }
                ),
                "{outcome:?}"
            );
            assert!(
                matches!(
                    disposition(&outcome, &at(7), 8),
                    Disposition::Requeue { attempt: 8, .. }
                ),
                "{outcome:?}"
            );
            let Disposition::DeadLetter { reason } = disposition(&outcome, &at(8), 8) else {
                panic!("{outcome:?} at the last attempt is dead-lettered");
            };
            assert!(reason.contains("after 8 attempts"), "{reason}");
        }
    }

    #[test]
    fn lasting_client_errors_and_permanent_failures_go_straight_to_the_dead_letter_queue() {
        let cases = [
            (
                unprocessed(
                    "ClientError",
                    "The account is already associated with a different administrator account",
                ),
                "another Macie administrator",
            ),
            (
                unprocessed("ClientError", "Email verification failed for the account"),
                "email address",
            ),
            (
                unprocessed(
                    "ClientError",
                    "You have reached the quota of member accounts",
                ),
                "quota",
            ),
            (failed(FailureKind::Permanent), "boom"),
        ];
        for (outcome, expected) in cases {
            let Disposition::DeadLetter { reason } = disposition(&outcome, &at(1), 8) else {
                panic!("{outcome:?} is dead-lettered at once");
            };
            assert!(reason.contains(expected), "{reason}");
        }
    }

    #[test]
    fn an_account_unknown_to_organizations_is_retried_for_the_first_attempts_only() {
        let outcome = failed(FailureKind::NotInOrganization);
        assert!(matches!(
            disposition(&outcome, &at(1), 8),
            Disposition::Requeue { attempt: 2, .. }
        ));
        assert!(matches!(
            disposition(&outcome, &at(NOT_FOUND_ATTEMPTS - 1), 8),
            Disposition::Requeue { .. }
        ));
        assert!(matches!(
            disposition(&outcome, &at(NOT_FOUND_ATTEMPTS), 8),
            Disposition::DeadLetter { .. }
        ));
        // An operator's ID that the organization does not know is answered at once.
        let asked = Origin {
            by_operator: true,
            ..at(1)
        };
        assert_eq!(disposition(&outcome, &asked, 8), Disposition::Done);
    }

    #[test]
    fn the_failure_policy_settles_exactly_what_the_table_of_outcomes_says_is_settled() {
        let every = [
            Outcome::Invited,
            Outcome::Accepted,
            Outcome::Planned { actions: vec![] },
            Outcome::AlreadyMember {
                status: MemberStatus::Enabled,
            },
            Outcome::skipped("x"),
            unprocessed("InternalError", "x"),
            failed(FailureKind::Transient),
            Outcome::pending("x"),
            Outcome::Deferred,
            Outcome::Removed,
            Outcome::Kept { reason: "x".into() },
            Outcome::Held { reason: "x".into() },
            Outcome::Adopted,
        ];
        for outcome in every {
            let done = disposition(&outcome, &at(1), 8) == Disposition::Done;
            assert_eq!(done, outcome.row().settled, "{outcome:?}");
        }
    }

    #[test]
    fn finished_outcomes_need_nothing_more() {
        for outcome in [
            Outcome::Invited,
            Outcome::AlreadyMember {
                status: MemberStatus::Enabled,
            },
            Outcome::skipped("x"),
        ] {
            assert_eq!(disposition(&outcome, &at(8), 8), Disposition::Done);
        }
    }

    #[test]
    fn permanent_service_errors_come_with_advice() {
        assert!(
            advice(Some("ServiceQuotaExceededException"), Some("CreateMember"))
                .unwrap()
                .contains("1,000")
        );
        assert!(
            advice(Some("AccessDeniedException"), Some("CreateMember"))
                .unwrap()
                .contains("role")
        );
        assert!(
            advice(Some("AccessDeniedException"), Some("AcceptInvitation"))
                .unwrap()
                .contains("ACCEPT_ROLE_NAME")
        );
        assert_eq!(advice(Some("SomethingElse"), None), None);
        assert_eq!(advice(None, None), None);
    }

    /// A Macie error as the Macie adapter hands it on: with what its words mean.
    fn macie_error(code: &str, message: &str, operation: &'static str) -> Error {
        Error::Service {
            service: "Macie",
            operation,
            code: Some(code.to_owned()),
            status: Some(400),
            transport: false,
            message: format!("{code}: {message}"),
            meaning: None,
        }
        .read_as(read_words)
    }

    #[test]
    fn macie_off_for_the_administrator_is_reported_with_the_region_and_the_command() {
        let off = macie_error(
            "AccessDeniedException",
            "Macie is not enabled.",
            "GetMember",
        );
        assert!(is_macie_off(&off));
        let region = Region::parse("eu-west-1", "t").unwrap();
        let Outcome::Failed { reason, kind } = outcome_in(&off, &region) else {
            panic!("a failure");
        };
        assert_eq!(kind, FailureKind::Permanent);
        assert!(
            reason.contains("aws macie2 enable-macie --region eu-west-1"),
            "{reason}"
        );
        // In a member account it is the accept role's business, not the administrator's.
        let member = macie_error(
            "AccessDeniedException",
            "Macie is not enabled.",
            "AcceptInvitation",
        );
        let Outcome::Failed { reason, .. } = outcome_in(&member, &region) else {
            panic!("a failure");
        };
        assert!(reason.contains("ACCEPT_ROLE_NAME"), "{reason}");
    }

    #[test]
    fn a_client_error_of_create_member_or_create_invitations_may_pass_later() {
        for operation in ["CreateMember", "CreateInvitations"] {
            let error = macie_error(
                "ClientError",
                "An error occurred with the client",
                operation,
            );
            assert!(is_transient(&error), "{operation}");
            let Disposition::DeadLetter { reason } = disposition(&outcome_of(&error), &at(8), 8)
            else {
                panic!("dead-lettered at the last attempt");
            };
            assert!(
                reason.contains("An error occurred with the client"),
                "{reason}"
            );
        }
        assert!(!is_transient(&macie_error("ClientError", "x", "GetMember")));
    }

    #[test]
    fn pending_work_comes_back_soon_whatever_its_attempt() {
        let pending = Outcome::pending("Created");
        let failed = failed(FailureKind::Transient);
        assert_eq!(retry_delay_seconds(&pending, 7, 60, 0.999_999), 119);
        assert_eq!(retry_delay_seconds(&failed, 7, 60, 0.999_999), 899);
    }

    fn service_error(code: Option<&str>, status: Option<u16>, operation: &'static str) -> Error {
        Error::Service {
            service: "Macie",
            operation,
            code: code.map(str::to_owned),
            status,
            transport: false,
            message: "m".into(),
            meaning: None,
        }
    }

    #[test]
    fn throttling_faults_and_no_answer_may_pass_later_and_refusals_never() {
        for (code, status) in [
            (Some("ThrottlingException"), Some(429)),
            (Some("TooManyRequestsException"), Some(400)),
            (Some("InternalServerException"), Some(500)),
            (Some("ServiceException"), Some(500)),
            (None, Some(429)),
            (None, Some(503)),
        ] {
            assert!(
                is_transient(&service_error(code, status, "CreateMember")),
                "{code:?} {status:?}"
            );
        }
        for (code, status) in [
            (Some("AccessDeniedException"), Some(403)),
            (Some("ValidationException"), Some(400)),
            (Some("ServiceQuotaExceededException"), Some(402)),
        ] {
            assert!(!is_transient(&service_error(code, status, "CreateMember")));
        }
        let mut timeout = service_error(None, None, "GetMember");
        if let Error::Service { transport, .. } = &mut timeout {
            *transport = true;
        }
        assert!(is_transient(&timeout));
        assert!(is_transient(&service_error(None, None, "AssumeRole")));
        assert_eq!(
            error_type(&service_error(
                Some("AccessDeniedException"),
                Some(403),
                "CreateMember"
            )),
            "MacieInvite.Permanent.ServiceError"
        );
        assert_eq!(
            error_type(&service_error(None, Some(503), "ListAccounts")),
            "MacieInvite.Retryable.ServiceUnavailable"
        );
    }
}
