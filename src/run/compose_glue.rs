//! The one place the TUI's compose runtime calls the compose library (the editor file,
//! new drafts, replies and forwards, building, resuming, the address book). Each
//! function is a thin adapter, so a change of that API is fixed here alone; the outbox
//! is reached through `compose_send`.
//!
//! Must not hold compose logic of its own: what it does is what `compose` does.

use crate::app::compose::ComposeHow;
use crate::compose::{BuildOptions, Draft, ReplyKind};
use crate::config::AccountConfig;

/// The editor file of a draft: headers at the top, a blank line, the body.
pub fn render(d: &Draft) -> String {
    crate::compose::editfile::render(d)
}

/// A draft from the editor file; `base` gives what the file does not hold.
pub fn parse(text: &str, base: &Draft) -> Result<Draft, String> {
    crate::compose::editfile::parse(text, base).map_err(|e| e.to_string())
}

/// A new message from `account`: its From and signature.
pub fn new_draft(account: &str, cfg: Option<&AccountConfig>) -> Result<Draft, String> {
    match cfg {
        Some(cfg) => Draft::new(account, cfg).map_err(|e| e.to_string()),
        None => Ok(Draft {
            account: account.to_string(),
            ..Draft::default()
        }),
    }
}

/// A new article to `group` from the NNTP account `account`.
pub fn new_article(
    account: &str,
    cfg: Option<&AccountConfig>,
    group: &str,
) -> Result<Draft, String> {
    let fallback = AccountConfig::maildir(std::path::PathBuf::new());
    crate::compose::new_article(account, cfg.unwrap_or(&fallback), group).map_err(|e| e.to_string())
}

/// A reply, forward, resumed draft or cancel from the original's bytes, with a note
/// for the user when the answer goes another way than asked (a follow-up that is a
/// mail reply). On an NNTP account `r` is a follow-up (`compose::follow_up`) and `w`
/// a reply by mail to the author.
pub fn from_original(
    how: ComposeHow,
    account: &str,
    cfg: Option<&AccountConfig>,
    bytes: &[u8],
) -> Result<(Draft, Option<String>), String> {
    let fallback = AccountConfig::maildir(std::path::PathBuf::new());
    let news = cfg.is_some_and(|c| matches!(c.source, crate::config::Source::Nntp(_)));
    let c = cfg.unwrap_or(&fallback);
    let err = |e: crate::compose::ComposeError| e.to_string();
    match how {
        ComposeHow::Cancel => {
            return Ok((
                crate::compose::cancel(bytes, account, c).map_err(err)?,
                None,
            ));
        }
        ComposeHow::Reply if news => {
            return match crate::compose::follow_up(bytes, account, c).map_err(err)? {
                crate::compose::FollowUp::Post(d) => Ok((d, None)),
                crate::compose::FollowUp::Mail(d) => Ok((
                    d,
                    Some(mail_note(
                        "The author asked for answers by mail (Followup-To: poster): replying by mail",
                        c,
                    )),
                )),
            };
        }
        ComposeHow::ReplyAll if news => {
            let d = crate::compose::respond(bytes, ReplyKind::Reply, account, c).map_err(err)?;
            return Ok((d, Some(mail_note("Replying by mail to the author", c))));
        }
        _ => {}
    }
    from_original_mail(how, account, cfg, bytes).map(|d| (d, None))
}

/// Says which way a mail reply from a news account leaves.
fn mail_note(what: &str, cfg: &AccountConfig) -> String {
    if cfg.sending.is_some() {
        format!("{what}, through the account's [smtp] or [sendmail]")
    } else {
        format!("{what}; this account has no [smtp] or [sendmail] table, so sending will fail")
    }
}

fn from_original_mail(
    how: ComposeHow,
    account: &str,
    cfg: Option<&AccountConfig>,
    bytes: &[u8],
) -> Result<Draft, String> {
    let kind = match how {
        ComposeHow::New | ComposeHow::Cancel => return new_draft(account, cfg),
        ComposeHow::Resume => {
            let mut d = crate::compose::from_message(bytes).map_err(|e| e.to_string())?;
            d.account = account.to_string();
            return Ok(d);
        }
        ComposeHow::Reply => ReplyKind::Reply,
        ComposeHow::ReplyAll => ReplyKind::ReplyAll,
        ComposeHow::ListReply => ReplyKind::ListReply,
        ComposeHow::Forward => ReplyKind::ForwardInline,
        ComposeHow::ForwardAttached => ReplyKind::ForwardAttached,
    };
    let fallback = AccountConfig::maildir(std::path::PathBuf::new());
    let cfg = cfg.unwrap_or(&fallback);
    crate::compose::respond(bytes, kind, account, cfg).map_err(|e| e.to_string())
}

/// The finished message, to send (`sent` has no Bcc; `kept` has it).
pub fn build(d: &Draft) -> Result<crate::compose::Built, String> {
    crate::compose::build(d, &BuildOptions::default()).map_err(|e| e.to_string())
}

/// The message to keep in Drafts: built even with no recipient yet.
pub fn build_draft(d: &Draft) -> Result<crate::compose::Built, String> {
    let opts = BuildOptions {
        allow_no_recipients: true,
        ..BuildOptions::default()
    };
    crate::compose::build(d, &opts).map_err(|e| e.to_string())
}

/// The address book, read from the index once and kept for a minute: a tab in an
/// address prompt must not group every envelope of the index again.
/// A loaded book and when it was read.
type Loaded = Option<(
    std::time::Instant,
    std::sync::Arc<crate::compose::AddressBook>,
)>;

#[derive(Clone, Default)]
pub struct BookCache(std::sync::Arc<std::sync::Mutex<Loaded>>);

/// How long a loaded address book answers before it is read again (new mail adds names).
const BOOK_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

impl BookCache {
    /// Address-book entries completing `prefix`, as `Name <addr>`, from every account's
    /// cached mail. Blocking (runs the index query when the book is stale).
    pub fn complete(
        &self,
        index: &std::path::Path,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, String> {
        let book = {
            let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            match slot.as_ref() {
                Some((at, book)) if at.elapsed() < BOOK_FRESH => book.clone(),
                _ => {
                    let reader = crate::store::IndexReader::open(index)
                        .map_err(|e| format!("address book: {e}"))?;
                    let book = crate::compose::AddressBook::load(&reader.view(), None)
                        .map_err(|e| format!("address book: {e}"))?;
                    let book = std::sync::Arc::new(book);
                    *slot = Some((std::time::Instant::now(), book.clone()));
                    book
                }
            }
        };
        Ok(book
            .complete(prefix, limit)
            .into_iter()
            .map(|e| e.display())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news() -> AccountConfig {
        let text = "[accounts.news]\nfrom = \"Alice <alice@example.test>\"\n\
[accounts.news.nntp]\nhost = \"127.0.0.1\"\n";
        crate::config::parse_config(std::path::Path::new("t.toml"), text)
            .map(|c| c.accounts["news"].clone())
            .unwrap_or_else(|_| panic!("the test config parses"))
    }

    const ART: &[u8] = b"From: Zoe <zoe@example.org>\r\nNewsgroups: test.misc\r\n\
Subject: Plans\r\nMessage-ID: <z1@example.org>\r\n\r\nbody\r\n";

    #[test]
    fn on_a_news_account_r_follows_up_and_w_mails_the_author() {
        let cfg = news();
        let (d, note) = from_original(ComposeHow::Reply, "news", Some(&cfg), ART).unwrap();
        assert_eq!(d.extra_header("Newsgroups"), Some("test.misc"));
        assert!(d.to.is_empty() && note.is_none());
        let poster = [b"Followup-To: poster\r\n".as_slice(), ART].concat();
        let (d, note) = from_original(ComposeHow::Reply, "news", Some(&cfg), &poster).unwrap();
        assert_eq!(d.to, vec!["Zoe <zoe@example.org>"]);
        assert!(note.is_some_and(|n| n.contains("poster") && n.contains("no [smtp]")));
        let (d, note) = from_original(ComposeHow::ReplyAll, "news", Some(&cfg), ART).unwrap();
        assert_eq!(d.to, vec!["Zoe <zoe@example.org>"]);
        assert_eq!(d.extra_header("Newsgroups"), None);
        assert!(note.is_some_and(|n| n.starts_with("Replying by mail")));
        // Someone else's article cannot be cancelled.
        let e = from_original(ComposeHow::Cancel, "news", Some(&cfg), ART).unwrap_err();
        assert!(e.contains("only your own"), "{e}");
        // On a mail account r is a mail reply, as before.
        let mail = AccountConfig::maildir(std::path::PathBuf::new());
        let (d, _) = from_original(ComposeHow::Reply, "m", Some(&mail), ART).unwrap();
        assert_eq!(d.to, vec!["Zoe <zoe@example.org>"]);
    }

    /// The book is read once and then answers from memory (a tab must not query every
    /// envelope again); an index that cannot be read is an error that says so.
    #[test]
    fn completion_reads_the_book_once_and_says_why_it_cannot() {
        use crate::core::{AccountId, Flags, FolderPath};
        use crate::store::index::{FolderChanges, Index, NewEnvelope};
        let dir = tempfile::tempdir().unwrap_or_else(|_| panic!("a temp dir"));
        let path = dir.path().join("index.sqlite");
        {
            let (mut ix, _) = Index::open(&path).unwrap_or_else(|_| panic!("an index"));
            let fid = ix
                .folder_id(&AccountId("a".into()), &FolderPath::inbox())
                .unwrap_or_else(|_| panic!("a folder"));
            let changes = FolderChanges {
                added: vec![NewEnvelope {
                    uid: "1".into(),
                    file_name: None,
                    size: 1,
                    flags: Flags::empty(),
                    fields: crate::mime::header_fields(
                        b"From: Zoe Quill <zoe@example.org>\r\nSubject: x\r\n\r\n",
                    ),
                }],
                ..Default::default()
            };
            ix.apply(fid, &changes).unwrap_or_else(|_| panic!("a row"));
        }
        let book = BookCache::default();
        let first = book.complete(&path, "quill", 5);
        assert_eq!(first, Ok(vec!["Zoe Quill <zoe@example.org>".to_string()]));
        // Gone from disk: the book in memory still answers.
        drop(dir);
        assert_eq!(book.complete(&path, "zo", 5), first);
        let fresh = BookCache::default();
        let err = fresh.complete(&path, "zo", 5).unwrap_err();
        assert!(err.starts_with("address book:"), "{err}");
    }
}
