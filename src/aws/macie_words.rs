//! Macie's vocabulary, beside its adapter: what its error codes and messages mean where a decision
//! rests on them (each form of "no member", Macie off, lasting refusals of an invitation). The
//! adapter reads them at its edge and hands the meaning on (`Error::meaning`,
//! `Unprocessed::meaning`); the failure policy decides on the meaning, never on the words.

use crate::error::Meaning;

/// One reading of Macie's words: an error code, and phrases of its message (the message matches
/// when it holds one phrase of each group; no group: any message), what that means, and where the
/// reading comes from.
struct Words {
    code: &'static str,
    phrases: &'static [&'static [&'static str]],
    meaning: Meaning,
    /// Where the reading comes from: for the reader of the table (and its test), not the code.
    #[allow(dead_code)]
    source: &'static str,
}

/// The one table of Macie's words, where a decision rests on them rather than on its codes, as
/// clients tested against real accounts meet them (terraform-provider-aws internal/service/macie2,
/// which keeps `isMemberNotFoundError` beside its member resource likewise). Macie publishes no
/// list of its messages: each row names where it was seen. A message that matches no row is
/// decided by its code alone: GetMember's is then settled from the region's listing, and an
/// unprocessed ClientError is retried up to MAX_ATTEMPTS, so that a wrong reading costs calls,
/// never an account.
const MACIE_WORDS: &[Words] = &[
    Words {
        code: "ResourceNotFoundException",
        phrases: &[],
        meaning: Meaning::NoMember,
        source: "Macie API reference, GetMember (404)",
    },
    Words {
        code: "ValidationException",
        phrases: &[&[
            "account is not associated with your account",
            "not an associated member of account",
        ]],
        meaning: Meaning::NoMember,
        source: "terraform-provider-aws internal/service/macie2/member.go, isMemberNotFoundError",
    },
    Words {
        code: "ConflictException",
        phrases: &[&["member accounts are associated with your account"]],
        meaning: Meaning::NoMember,
        source: "terraform-provider-aws internal/service/macie2/member.go, isMemberNotFoundError",
    },
    Words {
        code: "AccessDeniedException",
        phrases: &[&["must be the macie administrator for an organization"]],
        meaning: Meaning::NotOrganizationAdministrator,
        source: "DescribeOrganizationConfiguration, to an account that is not the delegated \
                 administrator (or whose Macie is off): terraform-provider-aws \
                 internal/service/macie2, isOrganizationConfigurationNotFoundError; awslabs/sra-verify",
    },
    Words {
        code: "AccessDeniedException",
        phrases: &[&["macie is not enabled"]],
        meaning: Meaning::MacieOff,
        source: "terraform-provider-aws internal/service/macie2/account.go; DataBiosphere/azul#5779",
    },
    // CreateInvitations' unprocessedAccounts: ClientError is the only code Macie gives there
    // (Macie API reference, UnprocessedAccount); the phrases are our reading of messages seen, unverified.
    Words {
        code: "ClientError",
        phrases: &[&[
            "another administrator",
            "different administrator",
            "already associated",
            "member of another",
        ]],
        meaning: Meaning::Lasting(
            "The account already belongs to another Macie administrator: disassociate it there, then invite it again",
        ),
        source: "unverified: messages seen in CreateInvitations' unprocessedAccounts",
    },
    Words {
        code: "ClientError",
        phrases: &[&["email"], &["verif", "invalid", "not valid"]],
        meaning: Meaning::Lasting(
            "Macie could not verify the account's email address: correct it in Organizations, then invite it again",
        ),
        source: "unverified: messages seen in CreateInvitations' unprocessedAccounts",
    },
    Words {
        code: "ClientError",
        phrases: &[&["quota", "limit"]],
        meaning: Meaning::QuotaReached,
        source: "Macie user guide, macie-quotas (1,000 members by invitation)",
    },
    Words {
        code: "ClientError",
        phrases: &[&["suspended", "closed"]],
        meaning: Meaning::Lasting(
            "The account is suspended or closed: nothing to invite unless it is reinstated",
        ),
        source: "unverified: messages seen in CreateInvitations' unprocessedAccounts",
    },
];

/// What Macie meant by an error `code` with `message`, where the table reads it.
pub(crate) fn read_words(code: &str, message: &str) -> Option<Meaning> {
    let message = message.to_ascii_lowercase();
    MACIE_WORDS
        .iter()
        .find(|words| {
            words.code == code
                && words
                    .phrases
                    .iter()
                    .all(|group| group.iter().any(|phrase| message.contains(phrase)))
        })
        .map(|words| words.meaning)
}

/// Whether GetMember's error (its code and message, as the SDK gives them) says that the account
/// is no member of this administrator.
pub(crate) fn says_no_member(code: Option<&str>, message: Option<&str>) -> bool {
    read_words(code.unwrap_or(""), message.unwrap_or("")) == Some(Meaning::NoMember)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reading_of_macies_words_names_its_source() {
        for words in MACIE_WORDS {
            assert!(!words.source.is_empty(), "{}", words.code);
        }
    }

    #[test]
    fn every_way_macie_says_no_member_is_read_as_no_member() {
        for (code, message) in [
            (
                "ResourceNotFoundException",
                "The request failed because the specified resource wasn't found",
            ),
            (
                "ValidationException",
                "The request failed because the specified account is not associated with your account.",
            ),
            (
                "ValidationException",
                "111122223333 is not an associated member of account 123456789012",
            ),
            (
                "ConflictException",
                "No member accounts are associated with your account.",
            ),
        ] {
            assert!(
                says_no_member(Some(code), Some(message)),
                "{code}: {message}"
            );
        }
        // Other words under the same codes are no verdict on the account.
        for (code, message) in [
            (
                "ValidationException",
                "The request failed because the input doesn't satisfy the constraints",
            ),
            (
                "ConflictException",
                "The request failed because it conflicts with the current state",
            ),
            (
                "AccessDeniedException",
                "User is not authorized to perform macie2:GetMember",
            ),
        ] {
            assert!(
                !says_no_member(Some(code), Some(message)),
                "{code}: {message}"
            );
        }
    }

    #[test]
    fn lasting_refusals_and_macie_off_are_read_and_other_client_errors_are_not() {
        let lasting =
            |code, message| matches!(read_words(code, message), Some(Meaning::Lasting(_)));
        assert!(lasting(
            "ClientError",
            "The account is already associated with another administrator"
        ));
        assert!(lasting(
            "ClientError",
            "Email verification failed for the account"
        ));
        assert_eq!(
            read_words("ClientError", "Member quota limit exceeded"),
            Some(Meaning::QuotaReached)
        );
        assert_eq!(
            read_words("ClientError", "Something unexpected happened"),
            None
        );
        assert_eq!(read_words("InternalError", "try again"), None);
        assert_eq!(
            read_words("AccessDeniedException", "Macie is not enabled."),
            Some(Meaning::MacieOff)
        );
    }
}
