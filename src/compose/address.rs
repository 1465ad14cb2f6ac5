//! Address text as the composer handles it: splitting a typed list at the commas that
//! separate mailboxes (not those inside quotes, comments or angle brackets), the bare
//! address of a mailbox, and writing `Name <addr>` with the name quoted when RFC 5322
//! §3.2.3 requires it. Pure string work; building checks addresses with lettre.

/// Splits an address list at top-level commas (RFC 5322 §3.4 `address-list`); empty
/// entries are dropped, each entry is trimmed.
pub fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped, mut angle, mut comment) = (false, false, false, 0usize);
    for c in value.chars() {
        if escaped {
            escaped = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' if quoted || comment > 0 => escaped = true,
            '"' if comment == 0 => quoted = !quoted,
            '<' if !quoted && comment == 0 => angle = true,
            '>' if !quoted && comment == 0 => angle = false,
            '(' if !quoted => comment += 1,
            ')' if !quoted && comment > 0 => comment -= 1,
            ',' if !quoted && !angle && comment == 0 => {
                push_trimmed(&mut out, &cur);
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    push_trimmed(&mut out, &cur);
    out
}

fn push_trimmed(out: &mut Vec<String>, s: &str) {
    let t = s.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
}

/// The bare address of one mailbox as typed: what is inside the last `<...>`, else the
/// whole text. Not lower-cased (the local part is case-sensitive in principle).
pub fn bare(mailbox: &str) -> String {
    let t = mailbox.trim();
    if let Some(l) = t.rfind('<')
        && let Some(r) = t[l..].find('>')
    {
        return t[l + 1..l + r].trim().to_string();
    }
    t.trim_matches(['<', '>']).trim().to_string()
}

/// The display name of one mailbox as typed, unquoted; None when there is none.
pub fn name_of(mailbox: &str) -> Option<String> {
    let t = mailbox.trim();
    let l = t.rfind('<')?;
    let name = t[..l].trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .map(|n| n.replace("\\\"", "\"").replace("\\\\", "\\"))
        .unwrap_or_else(|| name.to_string());
    (!name.trim().is_empty()).then(|| name.trim().to_string())
}

/// `Name <addr>`, or `addr` when there is no name; the name is quoted when it holds a
/// character RFC 5322 only allows in a quoted string.
pub fn format_mailbox(name: Option<&str>, addr: &str) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty() && *n != addr) {
        None => addr.to_string(),
        Some(n) => {
            let special = n.chars().any(|c| "()<>[]:;@\\,.\"".contains(c));
            if special {
                let esc = n.replace('\\', "\\\\").replace('"', "\\\"");
                format!("\"{esc}\" <{addr}>")
            } else {
                format!("{n} <{addr}>")
            }
        }
    }
}

/// Mailboxes of a decoded header value, as (name, address). Uses mailparse's parser
/// (groups are opened) and falls back to splitting the text when it refuses the value,
/// so a broken header still yields what can be read.
pub fn mailboxes(value: &str) -> Vec<(Option<String>, String)> {
    if let Ok(list) = mailparse::addrparse(value) {
        let mut out = Vec::new();
        for a in list.iter() {
            match a {
                mailparse::MailAddr::Single(s) => {
                    out.push((s.display_name.clone(), s.addr.clone()))
                }
                mailparse::MailAddr::Group(g) => {
                    for s in &g.addrs {
                        out.push((s.display_name.clone(), s.addr.clone()));
                    }
                }
            }
        }
        return out.into_iter().filter(|(_, a)| !a.is_empty()).collect();
    }
    split_list(value)
        .into_iter()
        .map(|m| (name_of(&m), bare(&m)))
        .filter(|(_, a)| a.contains('@'))
        .collect()
}

/// The `<...>` message identifiers in a header value: the index's own reading.
pub use crate::mime::msg_ids;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_commas_only() {
        assert_eq!(
            split_list(r#""Doe, John" <j@x.org>, b@y.org,, (c, d) e@z.org , <f,g@h>"#),
            vec![
                r#""Doe, John" <j@x.org>"#,
                "b@y.org",
                "(c, d) e@z.org",
                "<f,g@h>"
            ]
        );
        assert!(split_list("  ").is_empty());
    }

    #[test]
    fn bare_names_and_quoting() {
        assert_eq!(bare("Zoë <Zoe@X.org>"), "Zoe@X.org");
        assert_eq!(bare("a@b"), "a@b");
        assert_eq!(
            name_of(r#""Doe, \"J\"" <j@x>"#).as_deref(),
            Some("Doe, \"J\"")
        );
        assert_eq!(name_of("j@x"), None);
        assert_eq!(
            format_mailbox(Some("Doe, John"), "j@x"),
            r#""Doe, John" <j@x>"#
        );
        assert_eq!(format_mailbox(Some("Zoë"), "z@x"), "Zoë <z@x>");
        assert_eq!(format_mailbox(None, "z@x"), "z@x");
    }
}
