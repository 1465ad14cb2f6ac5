//! `posthorn send [--account A] < message.eml` and `posthorn outbox [--flush]`.
//!
//! `send` works like `sendmail -t`: the envelope comes from the headers (From, else
//! Sender; To, Cc and Bcc), Date and Message-ID are added when missing, and the message
//! is queued in the durable outbox (`compose::outbox`) before it is sent at once. Exit 0
//! when the server accepted it (a copy then goes to the account's Sent folder; a failed
//! copy is only a warning); otherwise the server's reply on stderr, a non-zero status,
//! and the message stays in the outbox for `posthorn outbox --flush`.
//!
//! Without `--account`, the account whose `from` or `identities` address is the
//! message's From sends it, else the first account that can send.

use super::{CliError, pick_account, runtime};
use crate::account::{Account, Submitter};
use crate::compose::outbox::{EntryId, NewEntry, Outbox, sent_folder};
use crate::core::sanitize::line;
use crate::core::{AccountId, Flags};
use crate::run::Setup;
use crate::run::outbox::{Attempt, send_entry};
use crate::store::formats::Mail;
use std::collections::BTreeMap;
use std::io::Read;

/// Ok(true) when the message was accepted.
pub fn send(setup: &mut Setup, account: Option<&str>) -> Result<bool, CliError> {
    let mut raw = Vec::new();
    std::io::stdin()
        .read_to_end(&mut raw)
        .map_err(|e| CliError(format!("cannot read the message from stdin: {e}")))?;
    let built = crate::compose::prepare_raw(&raw).map_err(|e| CliError(e.to_string()))?;
    let news = crate::account::nntp::newsgroups(&built.sent).is_some();
    let i = match account {
        Some(_) => pick_account(setup, account)?,
        None => account_for(setup, &built.envelope_from, news)?,
    };
    let name = setup.caches[i].account.clone();
    let submitters = submitters(setup);
    if !submitters.contains_key(&name) {
        return Err(CliError(format!(
            "account {name} cannot send: give it an [accounts.{name}.smtp] or [accounts.{name}.sendmail] table"
        )));
    }
    if news && let Some(why) = crate::account::nntp::missing_headers(&built.sent) {
        return Err(CliError(why));
    }
    let outbox = open_outbox(setup)?;
    let id = outbox
        .enqueue(&NewEntry::from_built(&name.0, &built))
        .map_err(|e| CliError(format!("the outbox could not store the message: {e}")))?;
    let rt = runtime()?;
    let ok = attempt(&rt, setup, &outbox, &submitters, &id);
    if !ok {
        eprintln!(
            "posthorn: the message stays in the outbox ({}); `posthorn outbox --flush` retries it",
            line(&id.0)
        );
    }
    Ok(ok)
}

/// `posthorn outbox`: lists the entries; with `flush`, retries each. Ok(false) when
/// something is still queued after a flush (or broken).
pub fn outbox(setup: &mut Setup, flush: bool) -> Result<bool, CliError> {
    let outbox = open_outbox(setup)?;
    let list = outbox.list().map_err(|e| CliError(e.to_string()))?;
    if !flush {
        if list.is_empty() {
            println!("the outbox is empty");
        }
        for l in &list {
            match &l.meta {
                Ok(m) => {
                    let mut row = format!(
                        "{}  {}  to {}  {:?}  attempts {}",
                        l.id,
                        m.account,
                        m.recipients.join(", "),
                        m.subject,
                        m.attempts
                    );
                    if m.started.is_some() {
                        row.push_str(
                            "  an attempt has not ended (being sent now, or cut off: the server may have it)",
                        );
                    }
                    if !m.delivered.is_empty() {
                        row.push_str(&format!("  already sent to {}", m.delivered.len()));
                    }
                    if let Some(e) = &m.last_error {
                        row.push_str(&format!("  last error: {e}"));
                    }
                    println!("{}", line(&row));
                }
                Err(why) => println!("{}  broken: {}", line(&l.id.0), line(why)),
            }
        }
        return Ok(true);
    }
    let rt = runtime()?;
    let submitters = submitters(setup);
    let mut ok = true;
    for l in list {
        if let Err(why) = &l.meta {
            eprintln!("{}: broken, not sent: {}", line(&l.id.0), line(why));
            ok = false;
            continue;
        }
        ok &= attempt(&rt, setup, &outbox, &submitters, &l.id);
    }
    Ok(ok)
}

/// One try at one entry, with what it says on stdout/stderr.
fn attempt(
    rt: &tokio::runtime::Runtime,
    setup: &mut Setup,
    outbox: &Outbox,
    submitters: &BTreeMap<AccountId, Submitter>,
    id: &EntryId,
) -> bool {
    match rt.block_on(send_entry(outbox, submitters, id)) {
        Attempt::Sent { meta, kept } => {
            let groups = crate::account::nntp::newsgroups(&kept);
            let to = groups
                .iter()
                .cloned()
                .chain(meta.recipients.iter().cloned());
            println!(
                "{}: {} {}",
                line(&id.0),
                if groups.is_some() {
                    "posted to"
                } else {
                    "sent to"
                },
                line(&to.collect::<Vec<_>>().join(", "))
            );
            if meta.started.is_some() {
                eprintln!(
                    "posthorn: warning: {}: an earlier attempt was cut off mid-send; if the server had already taken it, the recipients got it twice",
                    line(&id.0)
                );
            }
            let account = AccountId(meta.account);
            let nntp = setup
                .config
                .accounts
                .get(&account.0)
                .is_some_and(|c| matches!(c.source, crate::config::Source::Nntp(_)));
            if nntp {
                // A news account has no Sent folder: the article is on the server.
                return true;
            }
            if let Err(e) = file_sent_copy(rt, setup, &account, kept) {
                eprintln!(
                    "posthorn: warning: sent, but the copy in Sent failed: {}",
                    line(&e)
                );
            }
            true
        }
        Attempt::Busy => {
            println!("{}: being sent by another posthorn", line(&id.0));
            true
        }
        Attempt::Failed { error, .. } => {
            eprintln!("{}: {}", line(&id.0), line(&error.to_string()));
            false
        }
    }
}

/// The kept bytes into the account's Sent folder (APPEND on IMAP, a delivery on a
/// local store). Never a reason to send again.
fn file_sent_copy(
    rt: &tokio::runtime::Runtime,
    setup: &mut Setup,
    account: &AccountId,
    kept: Vec<u8>,
) -> Result<(), String> {
    let i = setup
        .position(account)
        .ok_or_else(|| format!("no account named {account}"))?;
    let acc = &mut setup.accounts[i];
    rt.block_on(acc.connect()).map_err(|e| e.message)?;
    let folders = match rt.block_on(acc.list_folders()) {
        Ok(f) => f,
        Err(_) => setup.caches[i].folder_names().map_err(|e| e.to_string())?,
    };
    let folder = sent_folder(&folders);
    let acc = &mut setup.accounts[i];
    let mail = Mail {
        bytes: kept,
        flags: Flags::SEEN,
        from_line: None,
    };
    let r = rt.block_on(acc.import(&folder, vec![mail]));
    for n in acc.take_notes() {
        eprintln!("posthorn: {}", line(&n));
    }
    r.map(|_| ())
        .map_err(|e| format!("{folder}: {}", e.message))
}

fn open_outbox(setup: &Setup) -> Result<Outbox, CliError> {
    Outbox::open(&Outbox::beside_index(&setup.index_path)).map_err(|e| CliError(e.to_string()))
}

fn submitters(setup: &Setup) -> BTreeMap<AccountId, Submitter> {
    Submitter::all(&setup.config.accounts)
}

/// The account whose From (or an identity) is `from`, else the first that can send;
/// for an article (`news`), only NNTP accounts count.
fn account_for(setup: &Setup, from: &str, news: bool) -> Result<usize, CliError> {
    let nntp =
        |c: &crate::config::AccountConfig| matches!(c.source, crate::config::Source::Nntp(_));
    let can = |c: &crate::config::AccountConfig| if news { nntp(c) } else { c.sending.is_some() };
    let mine = |addr: &Option<String>| {
        addr.as_deref()
            .and_then(|a| bare_addresses(a).into_iter().next())
            .is_some_and(|a| a.eq_ignore_ascii_case(from))
    };
    let accounts = &setup.config.accounts;
    let by_from = accounts.iter().find(|(_, c)| {
        can(c)
            && (mine(&c.from)
                || c.identities.iter().any(|i| mine(&Some(i.clone())))
                || (nntp(c) && news && mine(&nntp_from(c))))
    });
    let chosen = by_from.or_else(|| accounts.iter().find(|(_, c)| can(c)));
    match chosen {
        Some((name, _)) => pick_account(setup, Some(name)),
        None if news => Err(CliError(
            "the message has Newsgroups, and no NNTP account can post it".into(),
        )),
        None => Err(CliError(
            "no account can send: add an [accounts.NAME.smtp] or [accounts.NAME.sendmail] table"
                .into(),
        )),
    }
}

/// An NNTP account's `from` key (the From of its articles).
fn nntp_from(c: &crate::config::AccountConfig) -> Option<String> {
    match &c.source {
        crate::config::Source::Nntp(s) => s.from.clone(),
        _ => None,
    }
}

/// The bare addresses of an address-list header value.
fn bare_addresses(value: &str) -> Vec<String> {
    let Ok(list) = mailparse::addrparse(value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in list.iter() {
        match a {
            mailparse::MailAddr::Single(s) => out.push(s.addr.clone()),
            mailparse::MailAddr::Group(g) => out.extend(g.addrs.iter().map(|s| s.addr.clone())),
        }
    }
    out
}
