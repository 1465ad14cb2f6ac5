//! The terminal: raw mode, the alternate screen and mouse capture, restored on drop and
//! on panic so a crash never leaves the user's shell unusable; suspended (left, as on
//! exit) while $EDITOR runs and resumed with a full redraw.

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};

pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        LeaveAlternateScreen,
        DisableMouseCapture,
        crossterm::cursor::Show
    );
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode()?;
        execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
        let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
        terminal.hide_cursor()?;
        terminal.clear()?;
        Ok(TerminalGuard { terminal })
    }
}

/// Hands the terminal back to the shell's state (cooked mode, the main screen, the
/// cursor shown) so another program can use it.
pub fn suspend() -> std::io::Result<()> {
    execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    )?;
    disable_raw_mode()
}

/// Takes the terminal back after `suspend` and repaints from scratch.
pub fn resume(guard: &mut TerminalGuard) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    repaint(guard)
}

/// Clears the screen and forgets what ratatui thinks is on it, so the next draw paints
/// every cell. (`Terminal::clear` would ask the terminal for the cursor position, and
/// the answer can be taken by the event stream's reader.)
pub fn repaint(guard: &mut TerminalGuard) -> std::io::Result<()> {
    execute!(
        stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    guard.terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    guard.terminal.hide_cursor()
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
