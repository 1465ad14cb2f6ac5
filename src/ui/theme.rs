//! Colours and styles in one place.

use ratatui::style::{Color, Modifier, Style};

pub fn header() -> Style {
    Style::default().fg(Color::Black).bg(Color::Cyan)
}
pub fn cursor() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}
pub fn dim_cursor() -> Style {
    Style::default().add_modifier(Modifier::UNDERLINED)
}
pub fn unread() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}
pub fn flagged() -> Style {
    Style::default().fg(Color::Red)
}
pub fn tagged() -> Style {
    Style::default().fg(Color::Magenta)
}
pub fn status() -> Style {
    Style::default().fg(Color::White).bg(Color::Blue)
}
pub fn error() -> Style {
    Style::default()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD)
}
pub fn label() -> Style {
    Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}
pub fn quote() -> Style {
    Style::default().fg(Color::Green)
}
pub fn border() -> Style {
    Style::default().fg(Color::DarkGray)
}
pub fn tree() -> Style {
    Style::default().fg(Color::DarkGray)
}
/// A word the search or limit matched.
pub fn matched() -> Style {
    Style::default()
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}
