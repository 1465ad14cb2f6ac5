//! The newsreader keys: the group browser (every group of a news server, filtered as
//! you type, subscribe / unsubscribe), catch-up of a newsgroup (asks first), mark the
//! current thread read (undoable) and next unread across folders (slrn's `n`).
//!
//! Pure like the rest of `app`: the group list comes in as a `NewsEvent` and leaves as
//! `NewsEffect`s; no tokio, no store, no account types (the runtime converts the
//! account's listing into `GroupInfo`).

use super::action::Action;
use super::event::Effect;
use super::folder_ops::{Confirmed, FolderJob};
use super::key::{Key, KeyCode};
use super::state::{AppState, Focus, Pending, ViewSource};
use super::{triage, update, view};
use crate::core::{AccountId, Envelope, Failure, FlagOp, Flags, FolderOp, FolderPath, RequestId};

/// One group as the browser shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: String,
    /// Sanitised by the account; empty when the server has none.
    pub description: String,
    /// Articles the server says the group holds (its high - low + 1 estimate).
    pub count: u64,
    pub subscribed: bool,
    /// Created since the browser was last opened.
    pub new: bool,
}

/// The group browser of one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupBrowser {
    pub account: AccountId,
    pub req: RequestId,
    /// None while the list is on its way.
    pub groups: Option<Vec<GroupInfo>>,
    /// Lower-cased "name description" of each group, for the filter.
    hay: Vec<String>,
    pub error: Option<String>,
    pub filter: String,
    /// Indexes into `groups` that match the filter, in display order.
    pub matches: Vec<usize>,
    /// Position in `matches`.
    pub cursor: usize,
    pub scroll: usize,
}

/// What the newsreader keys keep between events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewsModel {
    pub browser: Option<GroupBrowser>,
    /// Catch-ups on their way: request, account, group.
    pub catching_up: Vec<(RequestId, AccountId, FolderPath)>,
    /// Next-unread opened another folder: open its first unread article once loaded.
    pub open_unread: bool,
    /// Groups unsubscribed in the browser this session: gone from the folder pane
    /// (the cache still holds their directories, which the folder list reads).
    pub gone: std::collections::HashSet<(AccountId, FolderPath)>,
}

#[derive(Debug)]
pub enum NewsEvent {
    /// The answer to `NewsEffect::ListGroups`.
    Groups {
        req: RequestId,
        result: Result<Vec<GroupInfo>, Failure>,
    },
    /// The answer to `NewsEffect::CatchUp`.
    CaughtUp {
        req: RequestId,
        result: Result<(), Failure>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewsEffect {
    /// Every group of the account's server (answered by `NewsEvent::Groups`).
    ListGroups { req: RequestId, account: AccountId },
    /// Mark every article of the group read (answered by `NewsEvent::CaughtUp`).
    CatchUp {
        req: RequestId,
        account: AccountId,
        folder: FolderPath,
    },
}

/// Rows of groups the browser shows: the screen less its title, filter, heading and
/// footer lines and the status bar.
pub fn browser_rows(state: &AppState) -> usize {
    (state.height as usize).saturating_sub(5).max(1)
}

fn next_req(state: &mut AppState) -> RequestId {
    let r = RequestId(state.next_req);
    state.next_req += 1;
    r
}

/// The account and folder the folder keys act on: the folder-pane entry under the
/// cursor when the pane has the focus, else the open folder.
fn selected(state: &AppState) -> Option<(AccountId, FolderPath)> {
    let src = if state.focus == Focus::Folders {
        state.folder_entry_source(state.folder_cursor)
    } else {
        state.source.clone()
    };
    match src {
        Some(ViewSource::Folder(a, p)) => Some((a, p)),
        _ => None,
    }
}

pub(super) fn act(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::GroupBrowser => {
            let account = selected(state)
                .map(|(a, _)| a)
                .or_else(|| state.accounts.first().cloned());
            match account {
                Some(a) => open_browser(state, a, fx),
                None => state.info("No account to list groups of"),
            }
        }
        Action::CatchUp => {
            let Some((account, folder)) = selected(state) else {
                state.info("No newsgroup selected (catch-up works on a newsgroup)");
                return;
            };
            super::folder_ops::confirm(
                state,
                format!("Catch up {account}/{folder}: mark every article read?"),
                Confirmed::CatchUp { account, folder },
            );
        }
        Action::MarkThreadRead => mark_thread_read(state, fx),
        Action::NextUnread => next_unread(state, fx),
        _ => {}
    }
}

/// Opens the browser on `account` (again, for ctrl-r) and asks for its groups.
fn open_browser(state: &mut AppState, account: AccountId, fx: &mut Vec<Effect>) {
    let req = next_req(state);
    state.news.browser = Some(GroupBrowser {
        account: account.clone(),
        req,
        groups: None,
        hay: Vec::new(),
        error: None,
        filter: String::new(),
        matches: Vec::new(),
        cursor: 0,
        scroll: 0,
    });
    fx.push(Effect::News(NewsEffect::ListGroups { req, account }));
}

/// `y` to the catch-up question.
pub(super) fn catch_up(
    state: &mut AppState,
    account: AccountId,
    folder: FolderPath,
    fx: &mut Vec<Effect>,
) {
    let req = next_req(state);
    state.info(format!("Catching up {account}/{folder}…"));
    state
        .news
        .catching_up
        .push((req, account.clone(), folder.clone()));
    fx.push(Effect::News(NewsEffect::CatchUp {
        req,
        account,
        folder,
    }));
}

pub(super) fn on_event(state: &mut AppState, event: NewsEvent, fx: &mut Vec<Effect>) {
    match event {
        NewsEvent::Groups { req, result } => {
            let Some(b) = state.news.browser.as_mut().filter(|b| b.req == req) else {
                return; // closed, or opened again since
            };
            match result {
                Ok(mut groups) => {
                    // New groups first, then by name.
                    groups.sort_by(|a, b| b.new.cmp(&a.new).then_with(|| a.name.cmp(&b.name)));
                    b.hay = groups
                        .iter()
                        .map(|g| format!("{} {}", g.name, g.description).to_lowercase())
                        .collect();
                    b.groups = Some(groups);
                    refilter(b);
                }
                Err(e) => {
                    let line = super::accounts::failure_line(&b.account, &e);
                    b.error = Some(line.clone());
                    state.error(format!("Cannot list groups: {line}"));
                }
            }
        }
        NewsEvent::CaughtUp { req, result } => {
            let Some(i) = state.news.catching_up.iter().position(|c| c.0 == req) else {
                return;
            };
            let (_, account, folder) = state.news.catching_up.remove(i);
            match result {
                Ok(()) => state.info(format!("Caught up {account}/{folder}")),
                Err(e) => {
                    let line = super::accounts::failure_line(&account, &e);
                    state.error(format!("Could not catch up {folder}: {line}"));
                }
            }
            if update::shows(state, &account, &folder) {
                update::reload(state, fx);
            }
            fx.push(Effect::LoadFolders { account });
        }
    }
}

/// The matches of the filter (a case-insensitive substring of the name or the
/// description); the cursor stays on its group when it still matches.
fn refilter(b: &mut GroupBrowser) {
    let keep = b.matches.get(b.cursor).copied();
    let needle = b.filter.to_lowercase();
    b.matches = (0..b.hay.len())
        .filter(|&i| needle.is_empty() || b.hay[i].contains(&needle))
        .collect();
    b.cursor = keep
        .and_then(|k| b.matches.iter().position(|&i| i == k))
        .unwrap_or(0);
    b.scroll = b.scroll.min(b.cursor);
}

/// A key while the browser is open: typing filters, arrows move, enter subscribes or
/// unsubscribes, esc clears the filter and then closes.
pub(super) fn browser_key(state: &mut AppState, key: Key, fx: &mut Vec<Effect>) {
    let rows = browser_rows(state);
    let Some(b) = state.news.browser.as_mut() else {
        return;
    };
    let n = b.matches.len() as isize;
    let step = |delta: isize, b: &mut GroupBrowser| {
        b.cursor = (b.cursor as isize + delta).clamp(0, (n - 1).max(0)) as usize;
    };
    match (key.code, key.ctrl, key.alt) {
        (KeyCode::Esc, ..) if !b.filter.is_empty() => {
            b.filter.clear();
            refilter(b);
        }
        (KeyCode::Esc, ..) => {
            state.news.browser = None;
            return;
        }
        (KeyCode::Down, ..) | (KeyCode::Char('n'), true, _) => step(1, b),
        (KeyCode::Up, ..) | (KeyCode::Char('p'), true, _) => step(-1, b),
        (KeyCode::PageDown, ..) | (KeyCode::Char('d'), true, _) => step(rows as isize, b),
        (KeyCode::PageUp, ..) => step(-(rows as isize), b),
        (KeyCode::Home, ..) => step(-n, b),
        (KeyCode::End, ..) => step(n, b),
        (KeyCode::Char('u'), true, _) => {
            b.filter.clear();
            refilter(b);
        }
        (KeyCode::Char('r'), true, _) => {
            let account = b.account.clone();
            return open_browser(state, account, fx);
        }
        (KeyCode::Backspace, ..) => {
            b.filter.pop();
            refilter(b);
        }
        (KeyCode::Char(c), false, false) => {
            b.filter.push(c);
            refilter(b);
        }
        (KeyCode::Enter, ..) => return toggle_subscription(state, fx),
        _ => {}
    }
    if b.cursor < b.scroll {
        b.scroll = b.cursor;
    } else if b.cursor >= b.scroll + rows {
        b.scroll = b.cursor + 1 - rows;
    }
}

fn toggle_subscription(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(b) = state.news.browser.as_mut() else {
        return;
    };
    let Some(&i) = b.matches.get(b.cursor) else {
        return;
    };
    let Some(g) = b.groups.as_mut().and_then(|g| g.get_mut(i)) else {
        return;
    };
    // Shown at once; a failure flips it back (`folder_op_done`).
    g.subscribed = !g.subscribed;
    let (account, on, name) = (b.account.clone(), g.subscribed, g.name.clone());
    let op = FolderOp::Subscribe {
        folder: FolderPath(name.clone()),
        on,
    };
    let verb = if on {
        "Subscribing to"
    } else {
        "Unsubscribing from"
    };
    state.info(format!("{verb} {name}…"));
    let req = state.request(Pending::Folder(FolderJob::Op {
        account: account.clone(),
        op: op.clone(),
    }));
    fx.push(Effect::FolderOp { req, account, op });
}

/// A folder request was answered: a subscription from the browser that failed is
/// shown as it was again (the rest is `folder_ops::answered`'s).
pub(super) fn folder_op_done(state: &mut AppState, req: RequestId, failed: bool) {
    let Some(Pending::Folder(FolderJob::Op {
        account,
        op: FolderOp::Subscribe { folder, on },
    })) = state.pending.get(&req)
    else {
        return;
    };
    let (account, folder, on) = (account.clone(), folder.clone(), *on);
    let Some(b) = state.news.browser.as_mut().filter(|b| b.account == account) else {
        return;
    };
    if let Some(g) = b
        .groups
        .as_mut()
        .and_then(|gs| gs.iter_mut().find(|g| g.name == folder.0))
    {
        g.subscribed = if failed { !on } else { on };
    }
    if failed {
        return;
    }
    let key = (account, folder);
    if on {
        state.news.gone.remove(&key);
    } else {
        state
            .folders
            .retain(|f| f.account != key.0 || f.path != key.1);
        state.folder_cursor = state
            .folder_cursor
            .min(state.folder_entries().saturating_sub(1));
        state.news.gone.insert(key);
    }
}

/// A folder list arrived: groups unsubscribed in the browser stay out of it.
pub(super) fn drop_gone(state: &AppState, folders: &mut Vec<crate::core::Folder>) {
    if !state.news.gone.is_empty() {
        folders.retain(|f| {
            !state
                .news
                .gone
                .contains(&(f.account.clone(), f.path.clone()))
        });
    }
}

/// The rows (list positions) of the thread under the cursor: back to its root, then
/// on while deeper than it.
fn thread_span(state: &AppState) -> std::ops::Range<usize> {
    if state.rows.is_empty() {
        return 0..0;
    }
    let mut start = state.cursor.min(state.rows.len() - 1);
    while start > 0 && state.rows[start].depth > 0 {
        start -= 1;
    }
    let mut end = start + 1;
    while end < state.rows.len() && state.rows[end].depth > 0 {
        end += 1;
    }
    start..end
}

fn mark_thread_read(state: &mut AppState, fx: &mut Vec<Effect>) {
    let envs: Vec<Envelope> = thread_span(state)
        .map(|i| state.envelopes[state.rows[i].index].clone())
        .collect();
    if envs.is_empty() {
        state.info("No message selected");
        return;
    }
    if let Some(why) = triage::unavailable(state, &envs, triage::Need::Flags) {
        state.info(why);
        return;
    }
    let op = FlagOp::Add(Flags::SEEN);
    let changed: Vec<Envelope> = envs
        .into_iter()
        .filter(|e| !e.flags.contains(Flags::SEEN))
        .collect();
    if changed.is_empty() {
        state.info("The thread is read already");
        return;
    }
    triage::set_flags(state, &changed, op, fx);
    let inverse = triage::flags_undo(&changed, op);
    let desc = format!(
        "Marked the thread read ({})",
        super::count::messages(changed.len())
    );
    state.info(desc.clone());
    triage::push_undo(state, desc, inverse);
}

/// The first unread row at or after `from`.
fn unread_from(state: &AppState, from: usize) -> Option<usize> {
    (from..state.rows.len()).find(|&i| {
        state
            .envelopes
            .get(state.rows[i].index)
            .is_some_and(|e| !e.flags.contains(Flags::SEEN))
    })
}

fn open_row(state: &mut AppState, row: usize, fx: &mut Vec<Effect>) {
    state.cursor = row;
    view::clamp(state);
    state.focus = Focus::List;
    super::reader::open_message(state, fx);
}

/// slrn's `n`: the next unread article in this folder, else the first unread one of
/// the next folder (in folder-pane order, wrapping) that has any.
fn next_unread(state: &mut AppState, fx: &mut Vec<Effect>) {
    // From the open article (the list may have been reloaded under it), else the
    // cursor's.
    let reading = state
        .reader
        .as_ref()
        .filter(|_| state.focus == Focus::Reader);
    let from = match reading {
        Some(r) => {
            state
                .rows
                .iter()
                .position(|row| {
                    state
                        .envelopes
                        .get(row.index)
                        .is_some_and(|e| e.id == r.env.id && e.account == r.env.account)
                })
                .unwrap_or(state.cursor)
                + 1
        }
        None => state.cursor,
    };
    if let Some(row) = unread_from(state, from) {
        return open_row(state, row, fx);
    }
    let skip = usize::from(state.has_unified()) + state.saved.len();
    let here = match &state.source {
        Some(ViewSource::Folder(a, p)) => state
            .folders
            .iter()
            .position(|f| &f.account == a && &f.path == p),
        _ => None,
    };
    let n = state.folders.len();
    let start = here.map_or(0, |h| h + 1);
    let next = (0..n)
        .map(|k| (start + k) % n)
        .filter(|&i| Some(i) != here)
        .find(|&i| state.folders[i].unread > 0);
    match next {
        Some(i) => {
            let f = &state.folders[i];
            state.info(format!("Next unread: {}/{}", f.account, f.path));
            update::open_folder(state, skip + i, fx);
            state.news.open_unread = true;
        }
        None => state.info("No unread articles left"),
    }
}

/// The list got its envelopes: after next-unread moved to another folder, open the
/// first unread article there.
pub(super) fn after_load(state: &mut AppState, fx: &mut Vec<Effect>) {
    if !std::mem::take(&mut state.news.open_unread) {
        return;
    }
    match unread_from(state, 0) {
        Some(row) => open_row(state, row, fx),
        None => state.info("No unread articles here after all"),
    }
}
