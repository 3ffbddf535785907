//! Text from outside (events, messages, service errors) as the function may quote it: cut short,
//! and without email addresses; and times as people read them.

/// Input text quoted in an error, cut short: events can be forged and large.
pub(crate) fn excerpt(text: &str) -> String {
    cut(text, 64)
}

/// A longer explanation that may quote input (a decoder's message), cut short likewise.
pub(crate) fn clip(text: &str) -> String {
    cut(text, 300)
}

/// The text's first `limit` characters, and `…` where it went on.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Replaces every word that holds an `@` with `<redacted>`: service messages may quote an email
/// address, and no email address may reach a log line or the summary.
pub(crate) fn redact_emails(text: &str) -> String {
    if !text.contains('@') {
        return text.to_owned();
    }
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "<redacted>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Free text from outside (an event's message, a retry's history) as a log line or a summary may
/// quote it: cut short, and without email addresses.
pub(crate) fn free_text(text: &str) -> String {
    redact_emails(&excerpt(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_redacted() {
        assert_eq!(
            redact_emails("The email address owner@example.com, is invalid"),
            "The email address <redacted> is invalid"
        );
        assert_eq!(redact_emails("no address here"), "no address here");
    }

    #[test]
    fn long_text_is_cut_short_on_a_character_boundary() {
        assert_eq!(excerpt(&"é".repeat(100)).chars().count(), 65);
        assert_eq!(clip("short"), "short");
    }
}
