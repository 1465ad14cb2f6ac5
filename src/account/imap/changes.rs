//! Changes both ways: opening an uncached message fetches its body (and caches it);
//! flag changes, deletes and moves are applied to the cache at once, queued durably in
//! the index (`pending_changes`), and replayed to the server in order, now when online
//! or after the next reconnect. A change the server can no longer apply (the message is
//! gone there) is reported as a conflict, never dropped silently.
//!
//! Queued ops: `flags` (arg `+S` / `-F`: Maildir letters), `move` (arg
//! `UIDVALIDITY UID DEST`, the message's server name in the source folder) and
//! `append` (the message is already in the cache; its bytes go up from there).

use super::conn::quoted;
use super::flags::{to_imap, uid_set};
use super::resp::{Code, Resp};
use super::sync::fetch_bodies;
use super::{Disk, ImapAccount};
use crate::account::{AccountError, AccountErrorKind, RawMessage};
use crate::core::{FlagOp, Flags, FolderPath, FolderRole, LocalId, MessageRef};
use crate::store::StoreError;
use crate::store::index::{Mirrored, PendingChange};
use std::collections::HashMap;

fn gone(acc: &ImapAccount, msg: String) -> AccountError {
    acc.error(AccountErrorKind::Gone, msg)
}

pub async fn fetch(
    acc: &mut ImapAccount,
    folder: &FolderPath,
    r: &MessageRef,
) -> Result<RawMessage, AccountError> {
    let (f, id) = (folder.clone(), r.id.clone());
    let (row, cached) = acc
        .disk(move |d| {
            let row = d.index().row(&d.id, &f, &id)?;
            let cached = match row.as_ref().and_then(|r| r.file_name.clone()) {
                Some(name) => {
                    let md = d.tree.folder(&f)?;
                    md.locate(&id, Some(&name)).and_then(|e| md.read(&e)).ok()
                }
                None => None,
            };
            Ok((row, cached))
        })
        .await?;
    if let Some(bytes) = cached {
        return Ok(RawMessage(bytes));
    }
    let Some(row) = row else {
        return Err(gone(
            acc,
            format!("{folder}: message {} is not in the index", r.id.0),
        ));
    };
    let Some((v, uid)) = row.imap else {
        return Err(gone(
            acc,
            format!("{folder}: message {} has no copy on the server", r.id.0),
        ));
    };
    let now = acc.ensure_selected(folder).await?;
    if now != v {
        return Err(gone(
            acc,
            format!("{folder} was renumbered on the server; sync it to see its messages again"),
        ));
    }
    let m = Mirrored {
        uid,
        id: r.id.clone(),
        flags: row.flags,
        file_name: None,
        date: row.date,
        size: row.size,
    };
    fetch_bodies(acc, folder, std::slice::from_ref(&m)).await?;
    let (f, id) = (folder.clone(), r.id.clone());
    let bytes = acc
        .disk(move |d| {
            let md = d.tree.folder(&f)?;
            let name = d.index().row(&d.id, &f, &id)?.and_then(|r| r.file_name);
            md.locate(&id, name.as_deref())
                .and_then(|e| md.read(&e))
                .map(Some)
        })
        .await
        .ok()
        .flatten();
    bytes.map(RawMessage).ok_or_else(|| {
        gone(
            acc,
            format!("{folder}: message {} is no longer on the server", r.id.0),
        )
    })
}

/// A message stored here first (durably, in the folder's cache), then APPENDed.
pub async fn append(
    acc: &mut ImapAccount,
    folder: &FolderPath,
    bytes: &[u8],
    flags: Flags,
) -> Result<LocalId, AccountError> {
    let (f, bytes) = (folder.clone(), bytes.to_vec());
    let id = acc
        .disk(move |d| {
            let md = d.tree.ensure_folder(&f)?;
            let e = md.deliver(&bytes, flags)?;
            let mut ix = d.index();
            let fid = ix.folder_id(&d.id, &f)?;
            let changes = crate::store::index::FolderChanges {
                added: vec![crate::store::index::NewEnvelope {
                    uid: e.id.0.clone(),
                    file_name: Some(e.file_name.clone()),
                    size: bytes.len() as u64,
                    flags,
                    fields: crate::mime::header_fields(&bytes),
                }],
                ..Default::default()
            };
            ix.apply(fid, &changes)?;
            ix.enqueue(&d.id, &f, &e.id, "append", "")?;
            Ok(e.id)
        })
        .await?;
    replay(acc).await;
    Ok(id)
}

fn flag_arg(op: FlagOp) -> String {
    match op {
        FlagOp::Add(f) => format!("+{}", f.to_maildir()),
        FlagOp::Remove(f) => format!("-{}", f.to_maildir()),
    }
}

pub async fn set_flags(
    acc: &mut ImapAccount,
    folder: &FolderPath,
    ids: &[MessageRef],
    op: FlagOp,
) -> Result<(), AccountError> {
    let (f, ids) = (folder.clone(), ids.to_vec());
    acc.disk(move |d| {
        let arg = flag_arg(op);
        for r in &ids {
            let Some(row) = d.index().row(&d.id, &f, &r.id)? else {
                return Err(StoreError::NotFound {
                    path: d.tree.folder_dir(&f),
                    id: r.id.0.clone(),
                });
            };
            let new = row.flags.apply(op);
            if new == row.flags {
                continue;
            }
            // Queued first: a crash after this still gets the change to the server,
            // and the next sync brings it back into the cache.
            if row.imap.is_some() {
                d.index().enqueue(&d.id, &f, &r.id, "flags", &arg)?;
            }
            let name = match &row.file_name {
                Some(name) => {
                    let md = d.tree.folder(&f)?;
                    let e = md.locate(&r.id, Some(name))?;
                    Some(md.set_flags(&e, new)?.file_name)
                }
                None => None,
            };
            d.index()
                .set_files(&d.id, &f, &[(r.id.clone(), name, new)])?;
        }
        Ok(())
    })
    .await?;
    replay(acc).await;
    Ok(())
}

pub async fn move_to(
    acc: &mut ImapAccount,
    from: &FolderPath,
    ids: &[MessageRef],
    to: &FolderPath,
) -> Result<(), AccountError> {
    // "Trash" / "Archive" from the app mean the account's folders with those roles.
    let to = match FolderRole::from_name(&to.0) {
        Some(role) if acc.folders.get(to).is_none() => {
            acc.folders.with_role(role).unwrap_or_else(|| to.clone())
        }
        _ => to.clone(),
    };
    let to_trash = acc.folders.role(&to) == Some(FolderRole::Trash);
    let (f, t, ids) = (from.clone(), to.clone(), ids.to_vec());
    acc.disk(move |d| {
        for r in &ids {
            move_one(d, &f, &t, &r.id, to_trash)?;
        }
        Ok(())
    })
    .await?;
    replay(acc).await;
    Ok(())
}

fn move_one(
    d: &Disk,
    from: &FolderPath,
    to: &FolderPath,
    id: &LocalId,
    to_trash: bool,
) -> Result<(), StoreError> {
    let Some(row) = d.index().row(&d.id, from, id)? else {
        return Err(StoreError::NotFound {
            path: d.tree.folder_dir(from),
            id: id.0.clone(),
        });
    };
    let seq = match row.imap {
        Some((v, uid)) => {
            Some(
                d.index()
                    .enqueue(&d.id, from, id, "move", &format!("{v} {uid} {}", to.0))?,
            )
        }
        None => None,
    };
    // A message leaving Trash loses its deleted mark.
    let flags = if row.flags.contains(Flags::TRASHED) && !to_trash {
        row.flags.apply(FlagOp::Remove(Flags::TRASHED))
    } else {
        row.flags
    };
    let (new_id, name) = match &row.file_name {
        Some(name) => {
            let src = d.tree.folder(from)?;
            let mut e = src.locate(id, Some(name))?;
            if e.flags != flags {
                e = src.set_flags(&e, flags)?;
            }
            let moved = d.tree.move_messages(from, std::slice::from_ref(&e), to)?;
            match moved.into_iter().next() {
                Some(m) => (m.id, Some(m.file_name)),
                None => (id.clone(), None),
            }
        }
        None => (id.clone(), None),
    };
    d.tree.ensure_folder(to)?;
    let mut ix = d.index();
    ix.move_row(&d.id, from, to, id, (&new_id, name.as_deref(), flags))?;
    if let Some(seq) = seq
        && new_id != *id
    {
        ix.retarget_pending(seq, &new_id)?;
    }
    ix.set_trash_origin(&d.id, &new_id, to_trash.then_some(from))
}

/// A run of queued changes that go out as one command.
struct Group {
    folder: FolderPath,
    op: String,
    key: String,
    items: Vec<PendingChange>,
}

fn group_key(p: &PendingChange) -> String {
    match p.op.as_str() {
        // "V UID DEST": grouped by validity and destination.
        "move" => {
            let mut it = p.arg.splitn(3, ' ');
            let v = it.next().unwrap_or("");
            let _uid = it.next();
            format!("{v} {}", it.next().unwrap_or(""))
        }
        // Each message its own APPEND.
        "append" => p.seq.to_string(),
        _ => p.arg.clone(),
    }
}

/// Sends every queued change to the server, oldest first. Stops at the first network
/// failure (the rest stays queued for the next connection).
pub async fn replay(acc: &mut ImapAccount) {
    if acc.conn.as_ref().is_none_or(|c| c.broken) {
        return;
    }
    acc.replay_due = false;
    let Ok(pending) = acc.disk(|d| d.index().pending_changes(&d.id)).await else {
        return;
    };
    let mut groups: Vec<Group> = Vec::new();
    for p in pending {
        let key = group_key(&p);
        match groups.last_mut() {
            Some(g)
                if g.folder == p.folder && g.op == p.op && g.key == key && g.items.len() < 500 =>
            {
                g.items.push(p)
            }
            _ => groups.push(Group {
                folder: p.folder.clone(),
                op: p.op.clone(),
                key,
                items: vec![p],
            }),
        }
    }
    for g in groups {
        let r = match g.op.as_str() {
            "flags" => replay_flags(acc, &g).await,
            "move" => replay_move(acc, &g).await,
            "append" => replay_append(acc, &g).await,
            other => {
                let other = other.to_string();
                acc.disk.note(format!(
                    "a queued change of an unknown kind ({other}) was dropped"
                ));
                Ok(())
            }
        };
        match r {
            Ok(()) => {
                let seqs: Vec<i64> = g.items.iter().map(|p| p.seq).collect();
                let _ = acc
                    .disk(move |d| {
                        let ix = d.index();
                        seqs.iter().try_for_each(|s| ix.clear_pending(*s))
                    })
                    .await;
            }
            Err(e)
                if matches!(
                    e.kind,
                    AccountErrorKind::Network | AccountErrorKind::Timeout
                ) =>
            {
                return;
            }
            Err(e) => {
                // The server refused: say so, and keep the queue moving.
                acc.disk.note(format!(
                    "{}: a change made here could not be applied on the server: {}",
                    g.folder, e.message
                ));
                let seqs: Vec<i64> = g.items.iter().map(|p| p.seq).collect();
                let _ = acc
                    .disk(move |d| {
                        let ix = d.index();
                        seqs.iter().try_for_each(|s| ix.clear_pending(*s))
                    })
                    .await;
            }
        }
    }
}

async fn replay_flags(acc: &mut ImapAccount, g: &Group) -> Result<(), AccountError> {
    let v = acc.ensure_selected(&g.folder).await?;
    let (f, items) = (g.folder.clone(), g.items.clone());
    let refs: Vec<(LocalId, Option<(u32, u32)>)> = acc
        .disk(move |d| {
            let ix = d.index();
            items
                .iter()
                .map(|p| {
                    Ok((
                        p.uid.clone(),
                        ix.row(&d.id, &f, &p.uid)?.and_then(|r| r.imap),
                    ))
                })
                .collect()
        })
        .await?;
    let mut uids = Vec::new();
    for (id, r) in &refs {
        match r {
            Some((rv, uid)) if *rv == v => uids.push(*uid),
            _ => acc.disk.note(format!(
                "{}: message {} is no longer on the server; its flag change stays here only",
                g.folder, id.0
            )),
        }
    }
    if uids.is_empty() {
        return Ok(());
    }
    let (sign, letters) = g.key.split_at(1.min(g.key.len()));
    let flags = Flags::from_maildir(letters);
    let cmd = format!(
        "UID STORE {} {sign}FLAGS {}",
        uid_set(&uids),
        to_imap(flags)
    );
    let conn = acc.conn().await?;
    let mut seen = std::collections::HashSet::new();
    let r = conn
        .run(&cmd, |r| {
            if let Resp::Fetch(f) = r
                && let Some(u) = f.uid
            {
                seen.insert(u);
            }
        })
        .await;
    if let Err(e) = r {
        return Err(acc.failed(e));
    }
    // RFC 3501 §6.4.6: STORE answers with the flags of every message it changed; a UID
    // that does not answer is gone.
    for (id, r) in &refs {
        if let Some((_, uid)) = r
            && !seen.contains(uid)
        {
            acc.disk.note(format!(
                "{}: message {} was removed on the server; its flag change stays here only",
                g.folder, id.0
            ));
        }
    }
    Ok(())
}

async fn replay_move(acc: &mut ImapAccount, g: &Group) -> Result<(), AccountError> {
    let mut parts = g.key.splitn(2, ' ');
    let v: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let to = FolderPath(parts.next().unwrap_or("").to_string());
    let now = acc.ensure_selected(&g.folder).await?;
    let mut uid_of: HashMap<u32, LocalId> = HashMap::new();
    for p in &g.items {
        let uid = p.arg.split(' ').nth(1).and_then(|s| s.parse::<u32>().ok());
        match uid {
            Some(u) if now == v => {
                uid_of.insert(u, p.uid.clone());
            }
            _ => acc.disk.note(format!(
                "{}: message {} was renumbered on the server; it was moved to {to} here only",
                g.folder, p.uid.0
            )),
        }
    }
    if uid_of.is_empty() {
        return Ok(());
    }
    let uids: Vec<u32> = uid_of.keys().copied().collect();
    let set = uid_set(&uids);
    let dest = quoted(&acc.folders.server_name(&to));
    let conn = acc.conn().await?;
    let has_move = conn.has("MOVE");
    let uidplus = conn.has("UIDPLUS");
    let mut map: Option<(u32, Vec<u32>, Vec<u32>)> = None;
    let mut grab = |r: Resp| {
        if let Resp::Untagged {
            code: Some(Code::CopyUid(dv, a, b)),
            ..
        } = r
        {
            map = Some((dv, a, b));
        }
    };
    let r = if has_move {
        // RFC 6851 §3.3: the COPYUID comes in an untagged OK.
        conn.run(&format!("UID MOVE {set} {dest}"), &mut grab).await
    } else {
        conn.run(&format!("UID COPY {set} {dest}"), &mut grab).await
    };
    let done = match r {
        Ok(d) => d,
        Err(e) => return Err(acc.failed(e)),
    };
    if let Some(Code::CopyUid(dv, a, b)) = done.code {
        map = Some((dv, a, b));
    }
    if !has_move {
        let conn = acc.conn().await?;
        let r = conn
            .run(
                &format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)"),
                |_| {},
            )
            .await;
        if let Err(e) = r {
            return Err(acc.failed(e));
        }
        if uidplus {
            // RFC 4315 §2.1: expunges only these, never other deleted messages.
            let conn = acc.conn().await?;
            if let Err(e) = conn.run(&format!("UID EXPUNGE {set}"), |_| {}).await {
                return Err(acc.failed(e));
            }
        }
    }
    let mut bind: Vec<(LocalId, Option<(u32, u32)>)> = Vec::new();
    match map {
        Some((dv, src, dst)) => {
            let pairs: HashMap<u32, u32> = src.into_iter().zip(dst).collect();
            for (uid, id) in &uid_of {
                match pairs.get(uid) {
                    Some(d) => bind.push((id.clone(), Some((dv, *d)))),
                    None => {
                        acc.disk.note(format!(
                            "{}: message {} was already gone on the server; the copy in {to} is kept here only",
                            g.folder, id.0
                        ));
                    }
                }
            }
        }
        None => {
            // No COPYUID (no UIDPLUS): the moved copies come back with the next sync
            // of the destination; the local ones would be duplicates then.
            for id in uid_of.values() {
                bind.push((id.clone(), None));
            }
        }
    }
    let (from, t) = (g.folder.clone(), to.clone());
    acc.disk(move |d| {
        let mut drop_local = Vec::new();
        for (id, new) in &bind {
            match new {
                Some(n) => d.index().rebind(&d.id, &from, &t, id, Some(*n))?,
                None => drop_local.push(id.clone()),
            }
        }
        if !drop_local.is_empty() {
            let rows: Vec<(LocalId, Option<String>)> = drop_local
                .iter()
                .map(|id| {
                    let name = d
                        .index()
                        .row(&d.id, &t, id)
                        .ok()
                        .flatten()
                        .and_then(|r| r.file_name);
                    (id.clone(), name)
                })
                .collect();
            super::sync::drop_rows(d, &t, &rows)?;
        }
        Ok(())
    })
    .await?;
    if acc.selected.as_ref().is_some_and(|s| s.path == to) {
        acc.selected = None;
    }
    Ok(())
}

async fn replay_append(acc: &mut ImapAccount, g: &Group) -> Result<(), AccountError> {
    for p in &g.items {
        let (f, id) = (g.folder.clone(), p.uid.clone());
        let found = acc
            .disk(move |d| {
                let Some(row) = d.index().row(&d.id, &f, &id)? else {
                    return Ok(None);
                };
                let md = d.tree.folder(&f)?;
                let e = md.locate(&id, row.file_name.as_deref())?;
                Ok(Some((md.read(&e)?, row.flags)))
            })
            .await;
        let (bytes, flags) = match found {
            Ok(Some(x)) => x,
            Ok(None) | Err(_) => {
                acc.disk.note(format!(
                    "{}: message {} was removed here before it reached the server",
                    g.folder, p.uid.0
                ));
                continue;
            }
        };
        // RFC 3501 §6.3.11: the server stores CRLF lines.
        let bytes = crlf(&bytes);
        let name = quoted(&acc.folders.server_name(&g.folder));
        let flag_list = to_imap(flags.apply(FlagOp::Remove(Flags::TRASHED)));
        let head = format!("APPEND {name} {flag_list} ");
        let conn = acc.conn().await?;
        let r = conn
            .run_parts(
                &[
                    super::conn::Part::text(&head),
                    super::conn::Part::Literal(&bytes),
                ],
                |_| {},
            )
            .await;
        let done = match r {
            Ok(d) => d,
            Err(e) => return Err(acc.failed(e)),
        };
        let (f, id) = (g.folder.clone(), p.uid.clone());
        match done.code {
            // RFC 4315 §3: APPENDUID names the copy on the server: this row is it.
            Some(Code::AppendUid(v, uids)) if uids.len() == 1 => {
                let uid = uids[0];
                acc.disk(move |d| d.index().rebind(&d.id, &f, &f, &id, Some((v, uid))))
                    .await?;
            }
            // No UIDPLUS: the next sync brings the server's copy; this one would be a twin.
            _ => {
                acc.disk(move |d| {
                    let name = d.index().row(&d.id, &f, &id)?.and_then(|r| r.file_name);
                    super::sync::drop_rows(d, &f, &[(id.clone(), name)])
                })
                .await?;
            }
        }
    }
    Ok(())
}

/// Bare LF line ends as CRLF (lines that already end in CRLF stay as they are).
fn crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 40);
    let mut prev = 0u8;
    for &c in b {
        if c == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(c);
        prev = c;
    }
    out
}
