//! Counted nouns for the status line, the notices and the list header: "1 message",
//! "2 messages". Pure text; no state.

/// `n` followed by the singular or plural form: `count(1, "message", "messages")`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "1 message" / "N messages".
pub fn messages(n: usize) -> String {
    count(n, "message", "messages")
}

/// "1 message matches" / "N messages match".
pub fn matching(n: usize) -> String {
    format!(
        "{} {}",
        messages(n),
        if n == 1 { "matches" } else { "match" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_and_plural() {
        assert_eq!(messages(1), "1 message");
        assert_eq!(messages(0), "0 messages");
        assert_eq!(matching(1), "1 message matches");
        assert_eq!(matching(3), "3 messages match");
        assert_eq!(count(2, "change", "changes"), "2 changes");
    }
}
