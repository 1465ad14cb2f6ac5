//! Server-side search (RFC 3501 §6.4.4 `UID SEARCH`): for messages whose bodies are not
//! cached, the user can ask the server. The keys come from `core::query::imap`; the UIDs
//! that come back are mapped to the cache's `LocalId`s through the index, so a match is
//! shown like any other message. UIDs the index does not know yet (envelopes not synced)
//! are counted, not invented.

use super::conn::Part;
use super::{ImapAccount, resp, sync::local_id};
use crate::account::{AccountError, ServerMatches};
use crate::core::FolderPath;
use crate::core::query::imap::{ImapArg, ImapSearch};
use std::borrow::Cow;
use std::collections::HashSet;

/// The command's parts: `UID SEARCH [CHARSET UTF-8] keys`, non-ASCII strings (and any
/// with CR/LF) as literals (RFC 3501 §4.3), the rest quoted.
fn command(search: &ImapSearch) -> Vec<Part<'_>> {
    let mut parts = vec![Part::text("UID SEARCH")];
    if search.utf8 {
        parts.push(Part::text(" CHARSET UTF-8"));
    }
    let mut prev_open = false;
    for a in &search.args {
        let close = matches!(a, ImapArg::Atom(s) if s == ")");
        if !prev_open && !close {
            parts.push(Part::text(" "));
        }
        match a {
            ImapArg::Atom(s) => parts.push(Part::Text(Cow::Borrowed(s.as_str()))),
            ImapArg::Str(s) if s.is_ascii() && !s.contains(['\r', '\n']) => {
                parts.push(Part::Text(Cow::Owned(super::conn::quoted(s))));
            }
            ImapArg::Str(s) => parts.push(Part::Literal(s.as_bytes())),
        }
        prev_open = matches!(a, ImapArg::Atom(s) if s == "(");
    }
    parts
}

/// Runs `search` in `folder` on the server.
pub async fn server_search(
    acc: &mut ImapAccount,
    folder: &FolderPath,
    search: &ImapSearch,
) -> Result<ServerMatches, AccountError> {
    let validity = acc.ensure_selected(folder).await?;
    let conn = acc.conn().await?;
    let mut uids: Vec<u32> = Vec::new();
    let parts = command(search);
    let r = conn
        .run_parts(&parts, |r| {
            if let resp::Resp::Search(v) = r {
                uids.extend(v);
            }
        })
        .await;
    if let Err(e) = r {
        return Err(acc.failed(e));
    }
    let f = folder.clone();
    let known: HashSet<u32> = acc
        .disk(move |d| {
            let ix = d.index();
            Ok(ix
                .mirrored(&d.id, &f, validity)?
                .into_iter()
                .map(|m| m.uid)
                .collect())
        })
        .await?;
    let mut out = ServerMatches::default();
    for uid in uids {
        if known.contains(&uid) {
            out.ids.push(local_id(folder, validity, uid));
        } else {
            out.unsynced += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(parts: &[Part<'_>]) -> String {
        parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.to_string(),
                Part::Literal(b) => format!("{{{}}}{}", b.len(), String::from_utf8_lossy(b)),
            })
            .collect()
    }

    #[test]
    fn ascii_keys_are_quoted_on_one_line() {
        let s = ImapSearch {
            args: vec![
                ImapArg::Atom("(".into()),
                ImapArg::Atom("FROM".into()),
                ImapArg::Str("grace \"g\"".into()),
                ImapArg::Atom(")".into()),
                ImapArg::Atom("UNSEEN".into()),
            ],
            utf8: false,
        };
        assert_eq!(
            line(&command(&s)),
            "UID SEARCH (FROM \"grace \\\"g\\\"\") UNSEEN"
        );
    }

    #[test]
    fn non_ascii_strings_go_as_literals_with_a_charset() {
        let s = ImapSearch {
            args: vec![ImapArg::Atom("BODY".into()), ImapArg::Str("zoë".into())],
            utf8: true,
        };
        assert_eq!(line(&command(&s)), "UID SEARCH CHARSET UTF-8 BODY {4}zoë");
    }
}
