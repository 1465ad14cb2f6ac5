//! Triage: flag changes and moves on the tagged messages (or the current one), applied
//! to the list at once, sent to the accounts as effects, and recorded for undo.

use super::count::messages as plural;
use super::event::{Effect, TriageOp};
use super::state::{AppState, Pending, UNDO_DEPTH, UndoEntry, UndoRun};
use super::view;
use crate::core::{AccountId, Envelope, FlagOp, Flags, FolderPath, FolderRole, MessageRef};
use std::collections::BTreeMap;

/// Where a move sends messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Dest {
    Folder(FolderPath),
    Trash,
    Archive,
    /// Out of Trash to where each came from.
    Restore,
    /// A folder of another account (or of the same one, named with its account).
    Account(AccountId, FolderPath),
}

/// The messages an action applies to: all tagged ones in the list, else the current
/// one (or the reader's, when `reader`).
pub(super) fn targets(state: &AppState, reader: bool) -> Vec<Envelope> {
    if reader {
        return state.reader.iter().map(|r| r.env.clone()).collect();
    }
    if !state.tagged.is_empty() {
        return state
            .envelopes
            .iter()
            .filter(|e| state.is_tagged(e))
            .cloned()
            .collect();
    }
    state.current().cloned().into_iter().collect()
}

type Groups = BTreeMap<(AccountId, FolderPath), Vec<MessageRef>>;

pub(super) fn group(envs: &[Envelope]) -> Groups {
    let mut g: Groups = BTreeMap::new();
    for e in envs {
        g.entry((e.account.clone(), e.folder.clone()))
            .or_default()
            .push(MessageRef::local(e.id.clone()));
    }
    g
}

/// What undoes `op` on `changed`: the inverse change, per account and folder.
pub(super) fn flags_undo(changed: &[Envelope], op: FlagOp) -> Vec<(AccountId, TriageOp)> {
    group(changed)
        .into_iter()
        .map(|((a, folder), ids)| {
            let op = op.inverse();
            (a, TriageOp::SetFlags { folder, ids, op })
        })
        .collect()
}

pub(super) fn push_undo(
    state: &mut AppState,
    description: String,
    inverse: Vec<(AccountId, TriageOp)>,
) {
    state.undo.push(UndoEntry {
        description,
        inverse,
    });
    if state.undo.len() > UNDO_DEPTH {
        state.undo.remove(0);
    }
}

/// Toggles a flag: set on all targets unless all already have it, then clear.
pub(super) fn toggle_flag(state: &mut AppState, flag: Flags, reader: bool, fx: &mut Vec<Effect>) {
    let envs = targets(state, reader);
    if envs.is_empty() {
        state.info("No message selected");
        return;
    }
    if let Some(why) = unavailable(state, &envs, Need::Flags) {
        state.info(why);
        return;
    }
    let set = !envs.iter().all(|e| e.flags.contains(flag));
    let op = if set {
        FlagOp::Add(flag)
    } else {
        FlagOp::Remove(flag)
    };
    let changed: Vec<Envelope> = envs
        .into_iter()
        .filter(|e| e.flags.apply(op) != e.flags)
        .collect();
    let what = match (flag, set) {
        (Flags::SEEN, true) => "Marked read",
        (Flags::SEEN, false) => "Marked unread",
        (Flags::FLAGGED, true) => "Flagged",
        _ => "Unflagged",
    };
    set_flags(state, &changed, op, fx);
    let inverse = flags_undo(&changed, op);
    let desc = format!("{what} {}", plural(changed.len()));
    state.info(desc.clone());
    push_undo(state, desc, inverse);
}

/// Marks messages deleted (or clears the mark) where there is no Trash to move them to:
/// they stay in the list, marked `D`, until `X` removes them for good. The mark is the
/// format's own (mbox `Status: D`, Babyl `deleted`), so mutt and Emacs agree.
fn mark_deleted(state: &mut AppState, envs: Vec<Envelope>, delete: bool, fx: &mut Vec<Effect>) {
    let op = if delete {
        FlagOp::Add(Flags::TRASHED)
    } else {
        FlagOp::Remove(Flags::TRASHED)
    };
    let changed: Vec<Envelope> = envs
        .into_iter()
        .filter(|e| e.flags.apply(op) != e.flags)
        .collect();
    if changed.is_empty() {
        state.info(if delete {
            "Already marked deleted (U clears the mark, X removes marked messages)"
        } else {
            "Not marked deleted"
        });
        return;
    }
    set_flags(state, &changed, op, fx);
    let inverse = flags_undo(&changed, op);
    let n = plural(changed.len());
    let desc = if delete {
        format!("Marked {n} deleted")
    } else {
        format!("Cleared the deleted mark of {n}")
    };
    state.info(if delete {
        format!("{desc} (X removes marked messages for good, u undoes)")
    } else {
        desc.clone()
    });
    push_undo(state, desc, inverse);
}

/// What an action needs from the accounts of its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Need {
    Flags,
    Folders,
}

/// Why the action cannot be done on these messages (an account's `Capabilities` rule
/// it out), or None when it can.
pub(super) fn unavailable(state: &AppState, envs: &[Envelope], need: Need) -> Option<String> {
    let e = envs.iter().find(|e| {
        let c = state.caps(&e.account);
        match need {
            Need::Flags => !c.server_flags,
            Need::Folders => !c.folders,
        }
    })?;
    Some(match need {
        Need::Flags => format!(
            "account {} does not keep flags (read, flagged) on its messages",
            e.account
        ),
        Need::Folders => format!("account {} has no folders to move to", e.account),
    })
}

/// Sends flag changes and applies them to the list (no undo entry). Messages of an
/// account that keeps no flags are left alone.
pub(super) fn set_flags(state: &mut AppState, envs: &[Envelope], op: FlagOp, fx: &mut Vec<Effect>) {
    let kept: Vec<Envelope> = envs
        .iter()
        .filter(|e| state.caps(&e.account).server_flags)
        .cloned()
        .collect();
    let envs = &kept[..];
    for ((account, folder), ids) in group(envs) {
        let req = state.request(Pending::Triage {
            reload: false,
            account: account.clone(),
            undo: None,
        });
        fx.push(Effect::Triage {
            req,
            account,
            op: TriageOp::SetFlags { folder, ids, op },
        });
    }
    for e in state.envelopes.iter_mut() {
        if envs.iter().any(|t| t.id == e.id && t.account == e.account) {
            e.flags = e.flags.apply(op);
        }
    }
    if let Some(r) = state.reader.as_mut()
        && envs
            .iter()
            .any(|t| t.id == r.env.id && t.account == r.env.account)
    {
        r.env.flags = r.env.flags.apply(op);
    }
    adjust_counts(state, envs, op);
}

fn adjust_counts(state: &mut AppState, envs: &[Envelope], op: FlagOp) {
    let delta: i64 = match op {
        FlagOp::Add(f) if f.contains(Flags::SEEN) => -1,
        FlagOp::Remove(f) if f.contains(Flags::SEEN) => 1,
        _ => return,
    };
    for e in envs {
        if let Some(f) = state
            .folders
            .iter_mut()
            .find(|f| f.account == e.account && f.path == e.folder)
        {
            f.unread = (f.unread as i64 + delta).clamp(0, f.total as i64) as u32;
        }
    }
}

/// Moves the targets (see `Dest`), removes them from the list, records the undo.
pub(super) fn move_targets(state: &mut AppState, dest: Dest, reader: bool, fx: &mut Vec<Effect>) {
    let envs = targets(state, reader);
    if envs.is_empty() {
        state.info("No message selected");
        return;
    }
    // One mbox, Babyl or MMDF file has no Trash: delete marks (X removes for good).
    if matches!(dest, Dest::Trash | Dest::Restore)
        && envs.iter().all(|e| {
            let c = state.caps(&e.account);
            !c.folders && c.server_flags
        })
    {
        mark_deleted(state, envs, dest == Dest::Trash, fx);
        return;
    }
    // Into another account, the source needs no folders of its own.
    let other_account = match &dest {
        Dest::Account(a, _) => envs.iter().any(|e| e.account != *a),
        _ => false,
    };
    if !other_account && let Some(why) = unavailable(state, &envs, Need::Folders) {
        state.info(why);
        return;
    }
    let trash = state.settings.trash.clone();
    let to = match &dest {
        Dest::Folder(p) | Dest::Account(_, p) => Some(p.clone()),
        Dest::Trash => Some(trash.clone()),
        Dest::Archive => Some(state.settings.archive.clone()),
        Dest::Restore => None,
    };
    let to_account = match &dest {
        Dest::Account(a, _) => Some(a.clone()),
        _ => None,
    };
    let in_trash = |e: &Envelope| {
        e.folder == trash || FolderRole::from_name(&e.folder.0) == Some(FolderRole::Trash)
    };
    let moving: Vec<Envelope> = envs
        .into_iter()
        .filter(|e| match &to {
            Some(t) => e.folder != *t || to_account.as_ref().is_some_and(|a| *a != e.account),
            None => in_trash(e),
        })
        .collect();
    if moving.is_empty() {
        state.info(match dest {
            Dest::Trash => "Already in Trash (U restores it)".to_string(),
            Dest::Restore => "Undelete works on messages in Trash".to_string(),
            _ => format!("Already in {}", to.map(|t| t.0).unwrap_or_default()),
        });
        return;
    }
    let mut inverse = Vec::new();
    for ((account, from), ids) in group(&moving) {
        let op = match (&to, &to_account) {
            (Some(t), Some(ta)) if *ta != account => {
                // Undo brings them back from the other account (their ids there are
                // filled in by `transferred` once it has them).
                inverse.push((
                    ta.clone(),
                    TriageOp::Transfer {
                        from: t.clone(),
                        ids: ids.clone(),
                        to_account: account.clone(),
                        to: from.clone(),
                    },
                ));
                TriageOp::Transfer {
                    from,
                    ids,
                    to_account: ta.clone(),
                    to: t.clone(),
                }
            }
            (Some(t), _) => {
                inverse.push((
                    account.clone(),
                    TriageOp::Move {
                        from: t.clone(),
                        ids: ids.clone(),
                        to: from.clone(),
                    },
                ));
                TriageOp::Move {
                    from,
                    ids,
                    to: t.clone(),
                }
            }
            (None, _) => TriageOp::Restore { from, ids },
        };
        // Into another account: the list may show the destination too (All inboxes).
        let reload = matches!(op, TriageOp::Transfer { .. });
        let req = state.request(Pending::Triage {
            reload,
            account: account.clone(),
            undo: None,
        });
        fx.push(Effect::Triage { req, account, op });
    }
    // Optimistic: the messages leave this list now; the cursor goes to the next message
    // that stays (or the previous one at the end).
    let moved = |e: &Envelope| {
        moving
            .iter()
            .any(|m| m.id == e.id && m.account == e.account)
    };
    let stays = |i: &usize| {
        state
            .envelopes
            .get(state.rows[*i].index)
            .is_some_and(|e| !moved(e))
    };
    let next = (state.cursor..state.rows.len())
        .find(stays)
        .or_else(|| (0..state.cursor).rev().find(stays));
    let keep = next.map(|i| {
        let e = &state.envelopes[state.rows[i].index];
        (e.account.clone(), e.id.clone())
    });
    state.envelopes.retain(|e| {
        !moving
            .iter()
            .any(|m| m.id == e.id && m.account == e.account)
    });
    for m in &moving {
        state.tagged.remove(&(m.account.clone(), m.id.clone()));
        let unread = m.is_unread();
        if let Some(f) = state
            .folders
            .iter_mut()
            .find(|f| f.account == m.account && f.path == m.folder)
        {
            f.total = f.total.saturating_sub(1);
            f.unread = f.unread.saturating_sub(u32::from(unread));
        }
    }
    view::rebuild_keeping(state, keep);
    let desc = match (&to, &to_account) {
        (Some(t), Some(a)) => format!("Moved {} to {a}:{t}", plural(moving.len())),
        (Some(t), None) => format!("Moved {} to {t}", plural(moving.len())),
        (None, _) => format!("Restored {} from Trash", plural(moving.len())),
    };
    if to.is_some() {
        state.info(format!("{desc} (u undoes)"));
        push_undo(state, desc, inverse);
    } else {
        state.info(desc);
    }
}

/// Messages moved to another account got new ids there: the undo steps that bring them
/// back name them by those.
pub(super) fn transferred(
    state: &mut AppState,
    ids: &[(crate::core::LocalId, crate::core::LocalId)],
) {
    for entry in &mut state.undo {
        for (_, op) in &mut entry.inverse {
            if let TriageOp::Transfer { ids: refs, .. } = op {
                for r in refs.iter_mut() {
                    if let Some((_, new)) = ids.iter().find(|(old, _)| *old == r.id) {
                        r.id = new.clone();
                    }
                }
            }
        }
    }
}

/// Undoes the most recent triage step. "Undone" is said when the accounts confirm it
/// (`undo_answered`), not before.
pub(super) fn undo(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(entry) = state.undo.pop() else {
        state.info("Nothing to undo");
        return;
    };
    if entry.inverse.is_empty() {
        let left = state.undo.len();
        state.info(format!(
            "Undone: {} ({left} more to undo)",
            entry.description
        ));
        return;
    }
    // The run is named by its first request number, which is never reused.
    let run = state.next_req;
    for (account, op) in entry.inverse {
        let req = state.request(Pending::Triage {
            reload: true,
            account: account.clone(),
            undo: Some(run),
        });
        fx.push(Effect::Triage { req, account, op });
    }
    state.info(format!("Undoing: {}…", entry.description));
    state.undoing.insert(
        run,
        UndoRun {
            description: entry.description,
            failed: false,
        },
    );
}

/// One operation of undo run `run` came back: say "Undone" once all of them did and
/// none failed; a failure is said once, when it arrives.
pub(super) fn undo_answered(state: &mut AppState, run: u64, failure: Option<String>) {
    let Some(r) = state.undoing.get_mut(&run) else {
        return;
    };
    if let Some(f) = failure {
        let first = !r.failed;
        r.failed = true;
        if first {
            let d = r.description.clone();
            state.error(format!("Undo failed: {d}: {f}"));
        }
    }
    let running = state
        .pending
        .values()
        .any(|p| matches!(p, Pending::Triage { undo: Some(u), .. } if *u == run));
    if running {
        return;
    }
    if let Some(r) = state.undoing.remove(&run)
        && !r.failed
    {
        let left = state.undo.len();
        state.info(format!("Undone: {} ({left} more to undo)", r.description));
    }
}

/// Tags or untags the current message (or its whole thread).
pub(super) fn toggle_tag(state: &mut AppState, thread: bool) {
    let Some(row) = state.rows.get(state.cursor) else {
        return;
    };
    let mut span = vec![state.cursor];
    if thread {
        // The thread: back to its root, then forward while deeper than the root.
        let mut start = state.cursor;
        while start > 0 && state.rows[start].depth > 0 {
            start -= 1;
        }
        let mut end = start + 1;
        while end < state.rows.len() && state.rows[end].depth > 0 {
            end += 1;
        }
        span = (start..end).collect();
    }
    let _ = row;
    let keys: Vec<_> = span
        .iter()
        .map(|&i| {
            let e = &state.envelopes[state.rows[i].index];
            (e.account.clone(), e.id.clone())
        })
        .collect();
    let untag = keys.iter().all(|k| state.tagged.contains(k));
    for k in keys {
        if untag {
            state.tagged.remove(&k);
        } else {
            state.tagged.insert(k);
        }
    }
    let n = state.tagged.len();
    state.info(if n == 0 {
        "No tagged messages".to_string()
    } else {
        format!("{} tagged; actions apply to all tagged", plural(n))
    });
}
