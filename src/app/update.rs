//! `update`: the only place `AppState` changes. Pure: an event in, effects out.

use super::action::{Action, Context};
use super::event::{AppEvent, Effect};
use super::key::Key;
use super::prompt;
use super::state::{AppState, Focus, Pending, PromptKind, ViewSource};
use super::triage::{self, Dest};
use super::view;
use crate::core::{AccountId, Flags, FolderPath};

pub fn update(state: &mut AppState, event: AppEvent) -> Vec<Effect> {
    let mut fx = Vec::new();
    on_event(state, event, &mut fx);
    clear_message_notice(state);
    // Whatever changes folder counts changes the saved searches' counts too.
    super::search::recount_with_folders(state, &mut fx);
    fx
}

/// A notice about one message (it is damaged) leaves the status line once another
/// message is open; the notices log keeps it.
fn clear_message_notice(state: &mut AppState) {
    let Some((req, notice)) = &state.message_notice else {
        return;
    };
    let other = state.reader.as_ref().is_some_and(|r| r.req != *req);
    if other || state.status.as_ref() != Some(notice) {
        if other && state.status.as_ref() == Some(notice) {
            state.status = None;
        }
        state.message_notice = None;
    }
}

fn on_event(state: &mut AppState, event: AppEvent, fx: &mut Vec<Effect>) {
    match event {
        AppEvent::Key(k) => on_key(state, k, fx),
        // The group browser covers the panes the mouse would act on.
        AppEvent::Mouse { .. } if state.news.browser.is_some() => {}
        AppEvent::Mouse { kind, column, row } => {
            super::mouse::on_mouse(state, kind, column, row, fx)
        }
        AppEvent::Resize(w, h) => {
            state.width = w;
            state.height = h;
            view::clamp(state);
            super::reader::relayout(state);
        }
        AppEvent::Folders {
            account,
            mut folders,
        } => {
            super::news::drop_gone(state, &mut folders);
            if !state.accounts.contains(&account) {
                state.accounts.push(account.clone());
            }
            if folders.is_empty() {
                state.error(format!(
                    "{account}: no mail folders found (a Maildir folder has cur/, new/ and tmp/)"
                ));
            }
            let order = |a: &AccountId| {
                state
                    .accounts
                    .iter()
                    .position(|x| x == a)
                    .unwrap_or(usize::MAX)
            };
            let shown_before = state.source.clone().map(|src| source_folders(state, &src));
            let mut all: Vec<_> = state
                .folders
                .drain(..)
                .filter(|f| f.account != account)
                .collect();
            all.extend(folders);
            all.sort_by_key(|f| order(&f.account));
            state.folders = all;
            // The unified inbox may have opened before this account's INBOX was known.
            if let (Some(src), Some(before)) = (state.source.clone(), shown_before)
                && source_folders(state, &src) != before
            {
                state.scan_after_load = true;
                reload(state, fx);
            }
            // At start the list opens the first folder (or all inboxes), never a
            // saved search, whose folders would then go unscanned.
            let first = state.first_folder_entry();
            if state.source.is_none()
                && let Some(src) = state.folder_entry_source(first)
            {
                open_source(state, src, fx);
                state.folder_cursor = first;
            }
            state.folder_cursor = state
                .folder_cursor
                .min(state.folder_entries().saturating_sub(1));
        }
        AppEvent::EnvelopesLoaded { req, envelopes } => {
            state.pending.remove(&req);
            if state.envelopes_req == Some(req) {
                state.envelopes_req = None;
                state.envelopes = envelopes;
                let live: std::collections::HashSet<_> = state
                    .envelopes
                    .iter()
                    .map(|e| (e.account.clone(), e.id.clone()))
                    .collect();
                state.tagged.retain(|k| live.contains(k));
                view::rebuild(state);
                super::news::after_load(state, fx);
                if state
                    .pending
                    .values()
                    .any(|p| matches!(p, Pending::Triage { .. }))
                {
                    state.stale_list = true;
                }
                if std::mem::take(&mut state.scan_after_load)
                    && let Some(src) = state.source.clone()
                {
                    for (account, folder) in source_folders(state, &src) {
                        fx.push(Effect::Scan { account, folder });
                    }
                }
            }
        }
        AppEvent::MessageLoaded { req, result } => {
            state.pending.remove(&req);
            if let Some(r) = state.reader.as_mut().filter(|r| r.req == req) {
                match result {
                    Ok(v) => {
                        if !v.problems.is_empty() {
                            let p = v.problems.join("; ");
                            r.view = Some(v);
                            state.error(format!("This message is damaged: {p}"));
                            state.message_notice = state.status.clone().map(|n| (req, n));
                        } else {
                            r.view = Some(v);
                        }
                        super::reader::view_arrived(state);
                    }
                    Err(e) => {
                        r.error = Some(e.message.clone());
                        let line = super::accounts::failure_line(&r.env.account, &e);
                        state.error(line);
                    }
                }
            }
        }
        AppEvent::ScanProgress {
            account,
            folder,
            done,
            total,
        } => {
            // A server account (one that reports its link state) fetches; a local
            // store is read from disk.
            let verb = if state.account_states.contains_key(&account) {
                "Syncing"
            } else {
                "Indexing"
            };
            let label = format!("{verb} {account}/{folder}");
            // A first sync: the list shows its first envelopes as soon as they are in,
            // not when the whole folder is, and grows while they arrive (reloaded each
            // time the sync has twice what is shown: a handful of reloads in all).
            let first =
                done > 0 && done >= 2 * state.envelopes.len() && shows(state, &account, &folder);
            state.progress.insert(
                (account, folder),
                super::state::Progress { label, done, total },
            );
            if first
                && !state
                    .pending
                    .values()
                    .any(|p| matches!(p, Pending::Envelopes))
            {
                reload(state, fx);
            }
        }
        AppEvent::ScanDone {
            account,
            folder,
            changed,
            result,
        } => {
            state.progress.remove(&(account.clone(), folder.clone()));
            if let Err(e) = result {
                state.error(format!(
                    "{account}: {}: scanning {folder} failed: {}",
                    e.kind.label(),
                    e.message
                ));
            }
            if changed {
                fx.push(Effect::LoadFolders {
                    account: account.clone(),
                });
                if shows(state, &account, &folder) {
                    reload(state, fx);
                }
            }
        }
        AppEvent::TriageDone { req, result }
            if matches!(state.pending.get(&req), Some(Pending::Folder(_))) =>
        {
            super::folder_ops::answered(state, req, result, fx)
        }
        AppEvent::FolderOpDone { req, result } => {
            super::news::folder_op_done(state, req, result.is_err());
            super::folder_ops::answered(state, req, result, fx)
        }
        AppEvent::Transferred { ids } => triage::transferred(state, &ids),
        AppEvent::TriageDone { req, result } => {
            let (reload_after, account, undo) = match state.pending.remove(&req) {
                Some(Pending::Triage {
                    reload,
                    account,
                    undo,
                }) => (reload, Some(account), undo),
                _ => (false, None, None),
            };
            let accounts = state.accounts.clone();
            let failure = result.err().map(|e| match &account {
                Some(a) => super::accounts::failure_line(a, &e),
                None => format!("{}: {}", e.kind.label(), e.message),
            });
            match (&failure, undo) {
                (_, Some(run)) => triage::undo_answered(state, run, failure.clone()),
                (Some(f), None) => state.error(format!("Could not change the message: {f}")),
                (None, None) => {}
            }
            let triage_left = state.pending_triage() > 0;
            let stale = !triage_left && std::mem::take(&mut state.stale_list);
            if failure.is_some() || stale || reload_after {
                reload(state, fx);
            }
            super::quit::after_triage(state, failure.is_some(), fx);
            fx.extend(
                accounts
                    .into_iter()
                    .map(|account| Effect::LoadFolders { account }),
            );
        }
        AppEvent::SearchResults {
            req,
            result,
            done,
            complete,
        } => super::search::results(state, req, result, done, complete),
        AppEvent::SearchCounts { counts } => super::search::counts(state, counts),
        AppEvent::ServerSearchDone { req, result } => {
            super::search::server_results(state, req, result)
        }
        AppEvent::BodySearchDone { req, matches } => {
            // Only the latest search may set the matches: an older one answered late
            // belongs to a limit that is no longer shown.
            state.pending.remove(&req);
            if state.body_search_req == Some(req) && state.limit.is_some() {
                state.body_search_req = None;
                state.body_matches = Some(matches);
                view::rebuild(state);
                let n = state.rows.len();
                state.info(format!("{} (esc shows all)", super::count::matching(n)));
            }
        }
        AppEvent::AttachmentSaved { req, result } => {
            state.pending.remove(&req);
            match result {
                Ok(p) => state.info(format!("Saved {}", p.display())),
                Err(e) => state.error(e),
            }
        }
        AppEvent::AccountState { account, state: s } => {
            super::accounts::on_state(state, account, s);
        }
        AppEvent::Capabilities { account, caps } => {
            state.capabilities.insert(account, caps);
        }
        AppEvent::FolderChanged { account, folder } => {
            fx.push(Effect::LoadFolders {
                account: account.clone(),
            });
            if shows(state, &account, &folder) {
                reload(state, fx);
            }
        }
        AppEvent::Conflict { account, message } => state.error(format!("{account}: {message}")),
        AppEvent::Rescan { account, folder } => fx.push(Effect::Scan { account, folder }),
        AppEvent::FetchNeeded { req, env } => {
            if state.pending.contains_key(&req) {
                fx.push(Effect::Fetch { req, env });
            }
        }
        AppEvent::TextIndexed {
            indexed,
            pending,
            stored,
        } => super::search::text_indexed(state, indexed, pending, stored, fx),
        AppEvent::Info(text) => state.info(text),
        AppEvent::Error(e) => state.error(e),
        AppEvent::Now(t) => state.now = t,
        AppEvent::Compose(e) => super::compose::on_event(state, e, fx),
        AppEvent::News(e) => super::news::on_event(state, e, fx),
    }
}

/// Whether the list currently shows this folder.
pub(super) fn shows(state: &AppState, account: &AccountId, folder: &FolderPath) -> bool {
    match &state.source {
        Some(ViewSource::Folder(a, f)) => a == account && f == folder,
        Some(ViewSource::UnifiedInbox) => folder.is_inbox(),
        // A search may match something in any folder.
        Some(ViewSource::Search { .. }) => true,
        None => false,
    }
}

pub(super) fn source_folders(state: &AppState, src: &ViewSource) -> Vec<(AccountId, FolderPath)> {
    match src {
        ViewSource::Folder(a, f) => vec![(a.clone(), f.clone())],
        ViewSource::UnifiedInbox => state
            .folders
            .iter()
            .filter(|f| f.path.is_inbox())
            .map(|f| (f.account.clone(), f.path.clone()))
            .collect(),
        // Searches read the index as it is; they never start a rescan.
        ViewSource::Search { .. } => Vec::new(),
    }
}

/// Re-reads the current folder's envelopes (or the search's matches) from the index.
pub(super) fn reload(state: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(src) = state.source.clone() else {
        return;
    };
    let req = state.request(Pending::Envelopes);
    state.envelopes_req = Some(req);
    fx.push(match &src {
        ViewSource::Search { query, .. } => super::search::effect(state, req, query.clone()),
        _ => Effect::LoadEnvelopes {
            req,
            folders: source_folders(state, &src),
        },
    });
}

pub(super) fn open_source(state: &mut AppState, src: ViewSource, fx: &mut Vec<Effect>) {
    let folders = source_folders(state, &src);
    state.source = Some(src.clone());
    state.envelopes.clear();
    state.rows.clear();
    state.tagged.clear();
    state.limit = None;
    state.body_matches = None;
    state.body_search_req = None;
    state.cursor = 0;
    state.scroll = 0;
    state.search_partial = false;
    let req = state.request(Pending::Envelopes);
    state.envelopes_req = Some(req);
    if let ViewSource::Search { query, .. } = &src {
        fx.push(super::search::effect(state, req, query.clone()));
        return;
    }
    // The rescan starts once this list is on screen, so it does not compete with it.
    state.scan_after_load = true;
    fx.push(Effect::LoadEnvelopes { req, folders });
}

fn on_key(state: &mut AppState, key: Key, fx: &mut Vec<Effect>) {
    if state.quitting {
        return super::quit::on_key(state);
    }
    // ctrl-c quits whatever the bindings say, so there is always a way out.
    if key == Key::ctrl('c') {
        state.prompt = None;
        return super::quit::request(state, fx);
    }
    if state.prompt.is_some() {
        return prompt::on_key(state, key, fx);
    }
    if state.news.browser.is_some() && !state.help && !state.show_notices {
        return super::news::browser_key(state, key, fx);
    }
    if state.help || state.show_notices {
        let close = matches!(
            state.keymap.lookup(Context::List, key),
            Some(Action::Help | Action::Quit | Action::Notices | Action::ClearLimit)
        );
        match state.keymap.lookup(Context::List, key) {
            _ if close => {
                state.help = false;
                state.show_notices = false;
            }
            Some(Action::Down) => state.help_scroll += 1,
            Some(Action::Up) => state.help_scroll = state.help_scroll.saturating_sub(1),
            Some(Action::PageDown) => state.help_scroll += 10,
            Some(Action::PageUp) => state.help_scroll = state.help_scroll.saturating_sub(10),
            _ => {}
        }
        return;
    }
    if let Some(ctx) = super::compose::context(state) {
        return super::compose::on_key(state, ctx, key, fx);
    }
    let ctx = if state.focus == Focus::Reader {
        Context::Reader
    } else {
        Context::List
    };
    match state.keymap.lookup(ctx, key) {
        Some(a) => act(state, a, fx),
        None => state.info(format!("{key} is not bound here (? shows the keys)")),
    }
}

fn act(state: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    let page = state.list_height().max(1) as isize;
    let in_folders = state.focus == Focus::Folders;
    match action {
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom
            if in_folders =>
        {
            let n = state.folder_entries() as isize;
            let c = state.folder_cursor as isize;
            let to = match action {
                Action::Down => c + 1,
                Action::Up => c - 1,
                Action::PageDown => c + page,
                Action::PageUp => c - page,
                Action::Top => 0,
                _ => n - 1,
            };
            state.folder_cursor = to.clamp(0, (n - 1).max(0)) as usize;
        }
        Action::Down => view::move_cursor(state, 1),
        Action::Up => view::move_cursor(state, -1),
        Action::PageDown => view::move_cursor(state, page),
        Action::PageUp => view::move_cursor(state, -page),
        Action::Top => view::move_cursor(state, isize::MIN / 2),
        Action::Bottom => view::move_cursor(state, isize::MAX / 2),
        Action::Open if in_folders => open_folder(state, state.folder_cursor, fx),
        Action::Open => super::reader::open_message(state, fx),
        Action::FocusSwitch => {
            state.focus = if in_folders {
                Focus::List
            } else {
                Focus::Folders
            };
        }
        Action::NextFolder | Action::PrevFolder => {
            let n = state.folder_entries();
            if n > 0 {
                let step = if action == Action::NextFolder {
                    1
                } else {
                    n - 1
                };
                let next = (state.folder_cursor + step) % n;
                open_folder(state, next, fx);
            }
        }
        Action::ToggleRead => triage::toggle_flag(state, Flags::SEEN, false, fx),
        Action::ToggleFlag => triage::toggle_flag(state, Flags::FLAGGED, false, fx),
        Action::Delete => triage::move_targets(state, Dest::Trash, false, fx),
        Action::Undelete => triage::move_targets(state, Dest::Restore, false, fx),
        Action::Archive => triage::move_targets(state, Dest::Archive, false, fx),
        Action::MoveTo => {
            let envs = triage::targets(state, state.reader.is_some());
            if envs.is_empty() {
                state.info("No message selected");
            } else if let Some(why) = triage::unavailable(state, &envs, triage::Need::Folders) {
                state.info(why);
            } else {
                prompt::open(state, PromptKind::MoveTo, String::new());
            }
        }
        Action::Tag => {
            triage::toggle_tag(state, false);
            view::move_cursor(state, 1);
        }
        Action::TagThread => triage::toggle_tag(state, true),
        Action::ClearTags => {
            state.tagged.clear();
            state.info("Tags cleared");
        }
        Action::Limit => {
            let current = state
                .limit
                .as_ref()
                .map(|q| q.source.clone())
                .unwrap_or_default();
            prompt::open(state, PromptKind::Limit, current);
        }
        Action::ServerSearch => super::search::ask_servers(state, fx),
        Action::Search => {
            let current = match &state.source {
                Some(ViewSource::Search { query, name: None }) => query.source.clone(),
                _ => String::new(),
            };
            prompt::open(state, PromptKind::Search, current);
        }
        Action::ClearLimit => {
            if state.limit.is_some() {
                state.limit = None;
                state.body_matches = None;
                state.body_search_req = None;
                view::rebuild(state);
                state.info("Showing all messages");
            } else if in_folders {
                state.focus = Focus::List;
            }
        }
        Action::Undo => triage::undo(state, fx),
        Action::Sort => {
            state.sort = state.sort.next();
            view::rebuild(state);
            state.info(format!("Sorted by {}", state.sort.name()));
        }
        Action::Reverse => {
            state.reverse = !state.reverse;
            view::rebuild(state);
            state.info(if state.reverse {
                "Newest / largest first"
            } else {
                "Oldest / smallest first"
            });
        }
        Action::ToggleThreads => {
            state.threaded = !state.threaded;
            view::rebuild(state);
            state.info(if state.threaded {
                "Threaded view"
            } else {
                "Flat view"
            });
        }
        Action::Refresh if matches!(state.source, Some(ViewSource::Search { .. })) => {
            reload(state, fx);
            state.info("Searching again…");
        }
        Action::Refresh => {
            if let Some(src) = state.source.clone() {
                for (account, folder) in source_folders(state, &src) {
                    fx.push(Effect::Scan { account, folder });
                }
                state.info("Rescanning…");
            }
        }
        Action::GetMail => {
            for account in state.accounts.clone() {
                fx.push(Effect::GetMail { account });
            }
            state.info("Getting new mail…");
        }
        Action::CancelSync => {
            let running: Vec<_> = state.progress.keys().cloned().collect();
            if running.is_empty() {
                state.info("Nothing is being indexed");
            }
            for (account, folder) in running {
                state.info(format!("Stopping the scan of {account}/{folder}…"));
                fx.push(Effect::CancelScan { account, folder });
            }
        }
        Action::Notices => {
            state.show_notices = true;
            state.help_scroll = 0;
        }
        Action::Help => {
            state.help = true;
            state.help_scroll = 0;
        }
        Action::Quit => super::quit::request(state, fx),
        Action::NewFolder
        | Action::RenameFolder
        | Action::DeleteFolder
        | Action::ToggleSubscribe
        | Action::EmptyTrash => super::folder_ops::act(state, action, fx),
        Action::GroupBrowser | Action::CatchUp | Action::MarkThreadRead | Action::NextUnread => {
            super::news::act(state, action, fx)
        }
        a if a.starts_compose() => super::compose::start(state, a, fx),
        _ => super::reader::reader_act(state, action, fx),
    }
}

pub(super) fn open_folder(state: &mut AppState, entry: usize, fx: &mut Vec<Effect>) {
    state.folder_cursor = entry;
    if let Some(src) = state.folder_entry_source(entry) {
        if state.source.as_ref() != Some(&src) || state.envelopes_req.is_none() {
            open_source(state, src, fx);
        }
        state.focus = Focus::List;
        state.reader = None;
    }
}
