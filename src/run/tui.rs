//! The UI event loop: terminal events, app events and account notices in one
//! `select!`; redraw only after something changed; never await an account.

use super::effects::Executor;
use super::setup::Setup;
use crate::account::AccountManager;
use crate::app::{AppEvent, AppState, Key, KeyCode, Keymap, MouseKind, Settings, update};
use crate::core::FolderPath;
use crate::core::sort::SortKey;
use crate::terminal::TerminalGuard;
use crossterm::event::{Event, EventStream, KeyEventKind, KeyModifiers, MouseEventKind};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Builds the initial state from the config.
pub fn initial_state(setup: &Setup) -> AppState {
    let g = &setup.config.general;
    let (keymap, problems) = Keymap::with_overrides(&setup.config.keys);
    let settings = Settings {
        trash: FolderPath(g.trash.clone()),
        archive: FolderPath(g.archive.clone()),
        mark_read_on_open: g.mark_read_on_open,
    };
    let mut state = AppState::new(keymap, settings);
    state.sort = SortKey::parse(&g.sort).unwrap_or_default();
    state.reverse = g.reverse;
    state.threaded = g.threaded;
    state.accounts = setup.caches.iter().map(|c| c.account.clone()).collect();
    for (name, q) in &setup.config.searches {
        match crate::core::query::Query::parse(q) {
            Ok(query) => state.saved.push(crate::app::SavedSearch {
                name: name.clone(),
                query,
                total: 0,
                unread: 0,
            }),
            Err(e) => state.error(format!("config searches.{name}: {e}")),
        }
    }
    state.compose.identities = super::compose::identities(&setup.config);
    for n in &setup.notes {
        state.info(n.clone());
    }
    for (key, reason) in problems {
        state.error(format!("config keys.{key}: {reason}"));
    }
    state
}

fn convert(ev: Event) -> Option<AppEvent> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            use crossterm::event::KeyCode as C;
            let code = match k.code {
                C::Char(c) => KeyCode::Char(c),
                C::Enter => KeyCode::Enter,
                C::Esc => KeyCode::Esc,
                C::Tab => KeyCode::Tab,
                C::BackTab => KeyCode::BackTab,
                C::Backspace => KeyCode::Backspace,
                C::Delete => KeyCode::Delete,
                C::Up => KeyCode::Up,
                C::Down => KeyCode::Down,
                C::Left => KeyCode::Left,
                C::Right => KeyCode::Right,
                C::PageUp => KeyCode::PageUp,
                C::PageDown => KeyCode::PageDown,
                C::Home => KeyCode::Home,
                C::End => KeyCode::End,
                _ => return None,
            };
            let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
            let alt = k.modifiers.contains(KeyModifiers::ALT);
            Some(AppEvent::Key(Key { code, ctrl, alt }))
        }
        Event::Mouse(m) => {
            let kind = match m.kind {
                MouseEventKind::ScrollDown => MouseKind::ScrollDown,
                MouseEventKind::ScrollUp => MouseKind::ScrollUp,
                MouseEventKind::Down(crossterm::event::MouseButton::Left) => MouseKind::Click,
                _ => return None,
            };
            Some(AppEvent::Mouse {
                kind,
                column: m.column,
                row: m.row,
            })
        }
        Event::Resize(w, h) => Some(AppEvent::Resize(w, h)),
        _ => None,
    }
}

/// The outbox sender's next report (never, without a sender).
async fn next_sent(rx: &mut super::compose::SenderEvents) -> Option<super::outbox::OutboxEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs the TUI until the user quits.
pub async fn run_tui(setup: Setup) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<AppEvent>();
    let (ntx, mut nrx) = mpsc::unbounded_channel();
    let mut manager = AccountManager::new(ntx);
    let mut state = initial_state(&setup);
    let (mut composer, mut sender_events) = super::compose::ComposeRunner::new(
        tx.clone(),
        &setup.index_path,
        &setup.config,
        &setup.caches,
    );
    let Setup {
        accounts,
        caches,
        index_path,
        ..
    } = setup;
    for acc in accounts {
        manager.spawn(acc);
    }
    let size = guard.terminal.size()?;
    state.width = size.width;
    state.height = size.height;
    state.now = now();
    state.tz_offset = chrono::Local::now().offset().local_minus_utc();
    // The full-text indexer works through the index's queue on its own thread.
    let indexer = super::indexer::spawn(&index_path, &caches, tx.clone());
    let mut exec = Executor::new(tx.clone(), index_path, caches, manager);
    exec.set_indexer(indexer);
    for account in state.accounts.clone() {
        exec.load_folders(account, true);
    }
    if !state.saved.is_empty() {
        exec.run(crate::app::Effect::CountSearches {
            queries: state.saved.iter().map(|s| s.query.clone()).collect(),
        });
    }

    // Messages being written when an earlier session ended are offered again.
    let leftovers = composer.leftovers();
    if !leftovers.is_empty() {
        let _ = tx.send(AppEvent::Compose(
            crate::app::compose::ComposeEvent::Leftovers(leftovers),
        ));
    }

    let mut events = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(30));
    let mut dirty = true;
    loop {
        if dirty {
            guard.terminal.draw(|f| crate::ui::render(f, &state))?;
            dirty = false;
        }
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(e)) => convert(e),
                Some(Err(e)) => Some(AppEvent::Error(format!("terminal: {e}"))),
                None => break,
            },
            Some(e) = rx.recv() => Some(e),
            Some(n) = nrx.recv() => exec.on_notice(n),
            Some(o) = next_sent(&mut sender_events) => {
                composer.on_sender(o);
                None
            }
            _ = clock.tick() => Some(AppEvent::Now(now())),
        };
        // Handle everything already queued before drawing again.
        let mut batch: Vec<AppEvent> = first.into_iter().collect();
        while let Ok(e) = rx.try_recv() {
            batch.push(e);
        }
        while let Ok(n) = nrx.try_recv() {
            batch.extend(exec.on_notice(n));
        }
        for ev in batch {
            for effect in update(&mut state, ev) {
                match effect {
                    // Composing may hand the terminal to the editor.
                    crate::app::Effect::Compose(c) => {
                        events = composer.run(c, &mut exec, &mut guard, events).await;
                        // The terminal may have been resized while the editor ran.
                        if let Ok(s) = guard.terminal.size()
                            && (s.width, s.height) != (state.width, state.height)
                        {
                            let _ = tx.send(AppEvent::Resize(s.width, s.height));
                        }
                    }
                    e => exec.run(e),
                }
            }
            dirty = true;
        }
        if state.quit {
            break;
        }
    }
    Ok(())
}
