//! The editor hand-off: $VISUAL, else $EDITOR (a command line, run through `sh -c` with
//! the file appended), on the real terminal while the TUI is suspended; or, with neither
//! set, the built-in editor (ratatui-textarea) on the same file, saved as you type.
//!
//! Suspending stops the crossterm event stream first (its reader thread would otherwise
//! steal the editor's keys) and, on return, drains what was typed meanwhile and redraws
//! the whole screen. Lives in `run`: it owns the terminal and the file system; `app`
//! never sees any of it.

use crate::terminal::TerminalGuard;
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Which editor runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditorChoice {
    /// A command line from VISUAL or EDITOR.
    Command(String),
    BuiltIn,
}

/// VISUAL, then EDITOR; empty values count as unset.
pub fn choice() -> EditorChoice {
    for var in ["VISUAL", "EDITOR"] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return EditorChoice::Command(v);
        }
    }
    EditorChoice::BuiltIn
}

/// Runs the editor on `file`. Takes the event stream and gives back a fresh one (the
/// old one must be gone while another program reads the terminal).
pub async fn edit(
    guard: &mut TerminalGuard,
    events: EventStream,
    file: &Path,
) -> (EventStream, Result<(), String>) {
    match choice() {
        EditorChoice::Command(cmd) => {
            // Stop crossterm's reader thread before the editor reads the terminal; a
            // new stream is made only afterwards (making it takes the reader's lock,
            // which the old thread holds while it waits for input).
            drop(events);
            let result = external(guard, &cmd, file).await;
            drain();
            (EventStream::new(), result)
        }
        EditorChoice::BuiltIn => {
            let mut events = events;
            let result = builtin(guard, &mut events, file).await;
            (events, result)
        }
    }
}

/// Leaves the TUI, runs `cmd "$file"` through `sh -c`, and comes back.
async fn external(guard: &mut TerminalGuard, cmd: &str, file: &Path) -> Result<(), String> {
    crate::terminal::suspend().map_err(|e| format!("cannot leave the screen: {e}"))?;
    // `"$@"` appends the path as one word, whatever characters it holds.
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} \"$@\""))
        .arg("posthorn-editor")
        .arg(file)
        .kill_on_drop(true)
        .status()
        .await;
    let back = crate::terminal::resume(guard).map_err(|e| format!("cannot redraw: {e}"));
    let status = status.map_err(|e| format!("cannot run the editor {cmd:?}: {e}"))?;
    back?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the editor {cmd:?} failed ({status}); the text is kept in {}",
            file.display()
        ))
    }
}

/// Throws away whatever reached the terminal while the editor ran (or during the
/// switch back): it was meant for the editor, not for posthorn.
fn drain() {
    while crossterm::event::poll(Duration::ZERO).unwrap_or(false) {
        if crossterm::event::read().is_err() {
            break;
        }
    }
}

/// The built-in editor: the whole file (headers at the top) in a text area; every
/// change is written to the file at once, so a kill leaves the text. ctrl-s, ctrl-x or
/// esc finishes.
async fn builtin(
    guard: &mut TerminalGuard,
    events: &mut EventStream,
    file: &Path,
) -> Result<(), String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut area = ratatui_textarea::TextArea::new(if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    });
    // Start in the body (after the first blank line), or on To when it is empty.
    let start = area
        .lines()
        .iter()
        .position(|l| l.starts_with("To:") && l.trim_end() == "To:")
        .or_else(|| {
            area.lines()
                .iter()
                .position(|l| l.is_empty())
                .map(|i| i + 1)
        })
        .unwrap_or(0);
    area.move_cursor(ratatui_textarea::CursorMove::Jump(start as u16, u16::MAX));
    area.move_cursor(ratatui_textarea::CursorMove::End);
    let title = " posthorn editor — ctrl-s or esc: done".to_string();
    let mut error: Option<String> = None;
    loop {
        guard
            .terminal
            .draw(|f| draw_builtin(f, &area, &title, error.as_deref()))
            .map_err(|e| format!("cannot draw: {e}"))?;
        let Some(ev) = events.next().await else {
            return Err("the terminal closed".into());
        };
        let ev = ev.map_err(|e| format!("terminal: {e}"))?;
        let Event::Key(k) = ev else {
            continue;
        };
        if k.kind == KeyEventKind::Release {
            continue;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let done =
            matches!(k.code, KeyCode::Esc) || (ctrl && matches!(k.code, KeyCode::Char('s' | 'x')));
        if !done && !area.input(k) {
            continue;
        }
        let text = area.lines().join("\n") + "\n";
        // Every change reaches the file (a kill leaves it); the last write is synced.
        match write_file(file, &text, done) {
            Ok(()) => error = None,
            Err(e) => error = Some(e),
        }
        if done {
            crate::terminal::repaint(guard).map_err(|e| format!("cannot redraw: {e}"))?;
            return match error {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
    }
}

fn draw_builtin(
    f: &mut ratatui::Frame,
    area: &ratatui_textarea::TextArea,
    title: &str,
    error: Option<&str>,
) {
    use ratatui::layout::Rect;
    use ratatui::style::{Modifier, Style};
    use ratatui::text::Line;
    use ratatui::widgets::Paragraph;
    let full = f.area();
    let top = Rect { height: 1, ..full };
    let body = Rect {
        y: full.y + 1,
        height: full.height.saturating_sub(2),
        ..full
    };
    let foot = Rect {
        y: full.y + full.height.saturating_sub(1),
        height: 1,
        ..full
    };
    let reversed = Style::default().add_modifier(Modifier::REVERSED);
    f.render_widget(
        Paragraph::new(Line::styled(title.to_string(), reversed)),
        top,
    );
    f.render_widget(area, body);
    let note = match error {
        Some(e) => format!(" Not saved: {}", crate::core::sanitize::line(e)),
        None => " Saved as you type · headers on top, a blank line, then the text".to_string(),
    };
    f.render_widget(Paragraph::new(Line::raw(note)), foot);
}

/// Writes `text` to `path` through a temporary file and a rename, so the file is never
/// half written; `sync` also flushes it (and its directory) to the disk.
pub fn write_file(path: &Path, text: &str, sync: bool) -> Result<(), String> {
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no directory", path.display()))?;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} has no file name", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut f = std::fs::File::create(&tmp).map_err(fail)?;
    f.write_all(text.as_bytes()).map_err(fail)?;
    if sync {
        f.sync_all().map_err(fail)?;
    }
    drop(f);
    std::fs::rename(&tmp, path).map_err(fail)?;
    if sync && let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
