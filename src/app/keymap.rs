//! The keymap: defaults (vim keys and arrows), overrides from the config's `[keys]`
//! table, and the help listing generated from it.
//!
//! Config form: `"x" = "delete"` binds in the list; `"reader:x" = "toggle-html"` binds
//! in the reader. `"x" = "none"` removes a binding.

use super::action::{Action, Context};
use super::key::{Key, KeyCode};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<(Context, Key), Action>,
}

const DEFAULTS: &[(&str, Action)] = &[
    ("j", Action::Down),
    ("down", Action::Down),
    ("k", Action::Up),
    ("up", Action::Up),
    ("ctrl-d", Action::PageDown),
    ("pgdn", Action::PageDown),
    ("ctrl-u", Action::PageUp),
    ("pgup", Action::PageUp),
    ("g", Action::Top),
    ("home", Action::Top),
    ("G", Action::Bottom),
    ("end", Action::Bottom),
    ("enter", Action::Open),
    ("l", Action::Open),
    ("right", Action::Open),
    ("tab", Action::FocusSwitch),
    ("h", Action::FocusSwitch),
    ("left", Action::FocusSwitch),
    ("]", Action::NextFolder),
    ("[", Action::PrevFolder),
    ("N", Action::ToggleRead),
    ("F", Action::ToggleFlag),
    ("d", Action::Delete),
    ("del", Action::Delete),
    ("U", Action::Undelete),
    ("a", Action::Archive),
    ("m", Action::MoveTo),
    ("t", Action::Tag),
    ("ctrl-t", Action::TagThread),
    ("T", Action::ClearTags),
    ("/", Action::Limit),
    ("esc", Action::ClearLimit),
    ("\\", Action::Search),
    ("ctrl-s", Action::ServerSearch),
    ("u", Action::Undo),
    ("o", Action::Sort),
    ("O", Action::Reverse),
    ("z", Action::ToggleThreads),
    ("R", Action::Refresh),
    ("ctrl-g", Action::CancelSync),
    ("+", Action::NewFolder),
    ("ctrl-r", Action::RenameFolder),
    ("D", Action::DeleteFolder),
    ("S", Action::ToggleSubscribe),
    ("X", Action::EmptyTrash),
    ("I", Action::GetMail),
    ("L", Action::Notices),
    ("?", Action::Help),
    ("q", Action::Quit),
    ("ctrl-n", Action::GroupBrowser),
    ("C", Action::CatchUp),
    ("K", Action::MarkThreadRead),
    ("n", Action::NextUnread),
];

const READER_DEFAULTS: &[(&str, Action)] = &[
    ("j", Action::ScrollDown),
    ("down", Action::ScrollDown),
    ("k", Action::ScrollUp),
    ("up", Action::ScrollUp),
    ("space", Action::ReaderPageDown),
    ("pgdn", Action::ReaderPageDown),
    ("ctrl-d", Action::ReaderPageDown),
    ("b", Action::ReaderPageUp),
    ("pgup", Action::ReaderPageUp),
    ("ctrl-u", Action::ReaderPageUp),
    ("g", Action::ReaderTop),
    ("home", Action::ReaderTop),
    ("G", Action::ReaderBottom),
    ("end", Action::ReaderBottom),
    ("J", Action::NextMessage),
    ("K", Action::PrevMessage),
    ("H", Action::ToggleHeaders),
    ("v", Action::ToggleHtml),
    ("A", Action::Attachments),
    ("s", Action::SaveAttachment),
    ("N", Action::ReaderToggleRead),
    ("F", Action::ReaderToggleFlag),
    ("d", Action::ReaderDelete),
    ("a", Action::ReaderArchive),
    ("q", Action::Close),
    ("esc", Action::Close),
    ("h", Action::Close),
    ("left", Action::Close),
    ("u", Action::Undo),
    ("?", Action::Help),
    ("L", Action::Notices),
    ("r", Action::Reply),
    ("w", Action::ReplyAll),
    ("M", Action::ListReply),
    ("f", Action::Forward),
    ("ctrl-f", Action::ForwardAttached),
    ("E", Action::ResumeDraft),
    ("c", Action::Compose),
    ("ctrl-o", Action::Outbox),
    ("n", Action::NextUnread),
    ("ctrl-k", Action::MarkThreadRead),
    ("ctrl-x", Action::CancelArticle),
];

/// Composing from the list (the reader has the same keys).
const LIST_COMPOSE_DEFAULTS: &[(&str, Action)] = &[
    ("c", Action::Compose),
    ("r", Action::Reply),
    ("w", Action::ReplyAll),
    ("M", Action::ListReply),
    ("f", Action::Forward),
    ("ctrl-f", Action::ForwardAttached),
    ("E", Action::ResumeDraft),
    ("ctrl-o", Action::Outbox),
    ("ctrl-x", Action::CancelArticle),
];

const COMPOSE_DEFAULTS: &[(&str, Action)] = &[
    ("y", Action::Send),
    ("e", Action::EditAgain),
    ("a", Action::Attach),
    ("D", Action::Detach),
    ("i", Action::NextIdentity),
    ("P", Action::Postpone),
    ("q", Action::Abort),
    ("t", Action::EditTo),
    ("c", Action::EditCc),
    ("b", Action::EditBcc),
    ("s", Action::EditSubject),
    ("j", Action::NextAttachment),
    ("down", Action::NextAttachment),
    ("k", Action::PrevAttachment),
    ("up", Action::PrevAttachment),
    ("?", Action::Help),
    ("L", Action::Notices),
];

const OUTBOX_DEFAULTS: &[(&str, Action)] = &[
    ("j", Action::OutboxDown),
    ("down", Action::OutboxDown),
    ("k", Action::OutboxUp),
    ("up", Action::OutboxUp),
    ("r", Action::OutboxRetry),
    ("d", Action::OutboxDelete),
    ("q", Action::OutboxClose),
    ("esc", Action::OutboxClose),
    ("?", Action::Help),
    ("L", Action::Notices),
];

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = BTreeMap::new();
        for (ctx, table) in [
            (Context::List, DEFAULTS),
            (Context::Reader, READER_DEFAULTS),
            (Context::List, LIST_COMPOSE_DEFAULTS),
            (Context::Compose, COMPOSE_DEFAULTS),
            (Context::Outbox, OUTBOX_DEFAULTS),
        ] {
            for (k, a) in table {
                if let Some(key) = Key::parse(k) {
                    bindings.insert((ctx, key), *a);
                }
            }
        }
        Keymap { bindings }
    }
}

/// How a context is named in messages about the `[keys]` table.
fn context_name(ctx: Context) -> &'static str {
    match ctx {
        Context::List => "list",
        Context::Reader => "reader",
        Context::Compose => "compose",
        Context::Outbox => "outbox",
    }
}

/// The prefix that binds a key in a context (`reader:x`).
fn context_prefix(ctx: Context) -> &'static str {
    match ctx {
        Context::List => "",
        Context::Reader => "reader:",
        Context::Compose => "compose:",
        Context::Outbox => "outbox:",
    }
}

impl Keymap {
    /// The defaults with the config's overrides applied; problems are returned as
    /// (config key, reason) and the rest still applies.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> (Keymap, Vec<(String, String)>) {
        let mut map = Keymap::default();
        let mut problems = Vec::new();
        for (spec, action_name) in overrides {
            let (ctx, key_name) = match spec.strip_prefix("reader:") {
                Some(k) => (Context::Reader, k),
                None => match (spec.strip_prefix("compose:"), spec.strip_prefix("outbox:")) {
                    (Some(k), _) => (Context::Compose, k),
                    (_, Some(k)) => (Context::Outbox, k),
                    _ => (Context::List, spec.as_str()),
                },
            };
            let Some(key) = Key::parse(key_name) else {
                problems.push((
                    spec.clone(),
                    format!("{key_name:?} is not a key name (try j, G, ctrl-d, enter, space)"),
                ));
                continue;
            };
            if action_name == "none" {
                map.bindings.remove(&(ctx, key));
                continue;
            }
            match Action::from_name(action_name) {
                Some(a)
                    if a.context() == ctx
                        || a == Action::Undo
                        || a == Action::Help
                        || a == Action::Notices
                        || (a.starts_compose() && ctx == Context::Reader)
                        || (a.news_in_reader() && ctx == Context::Reader) =>
                {
                    map.bindings.insert((ctx, key), a);
                }
                Some(a) => problems.push((
                    spec.clone(),
                    format!(
                        "{:?} is a {} action; bind it as \"{}{key_name}\"",
                        a.name(),
                        context_name(a.context()),
                        context_prefix(a.context()),
                    ),
                )),
                None => problems.push((
                    spec.clone(),
                    format!("unknown action {action_name:?} (see `?` in posthorn for the list)"),
                )),
            }
        }
        (map, problems)
    }

    /// The keys bound to `action` in `ctx`, in key order.
    pub fn keys_for(&self, ctx: Context, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|((c, _), a)| *c == ctx && **a == action)
            .map(|((_, k), _)| *k)
            .collect()
    }

    pub fn lookup(&self, ctx: Context, key: Key) -> Option<Action> {
        self.bindings.get(&(ctx, key)).copied()
    }

    /// Help lines for a context: (keys, help text), in the order of `Action::ALL`.
    pub fn help(&self, ctx: Context) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for a in Action::ALL {
            let keys: Vec<String> = self
                .bindings
                .iter()
                .filter(|((c, _), act)| *c == ctx && **act == *a)
                .map(|((_, k), _)| k.to_string())
                .collect();
            if !keys.is_empty() {
                out.push((keys.join(" "), a.help()));
            }
        }
        out
    }

    /// Whether a key is a plain character with no binding (for prompts).
    pub fn is_text(key: Key) -> bool {
        matches!(key.code, KeyCode::Char(_)) && !key.ctrl && !key.alt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_and_bad_ones_are_reported() {
        let mut o = BTreeMap::new();
        o.insert("x".to_string(), "delete".to_string());
        o.insert("reader:x".to_string(), "toggle-html".to_string());
        o.insert("d".to_string(), "none".to_string());
        o.insert("y".to_string(), "explode".to_string());
        o.insert("w".to_string(), "toggle-html".to_string());
        let (map, problems) = Keymap::with_overrides(&o);
        assert_eq!(
            map.lookup(Context::List, Key::ch('x')),
            Some(Action::Delete)
        );
        assert_eq!(
            map.lookup(Context::Reader, Key::ch('x')),
            Some(Action::ToggleHtml)
        );
        assert_eq!(map.lookup(Context::List, Key::ch('d')), None);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|(k, r)| k == "y" && r.contains("unknown action"))
        );
        assert!(
            problems
                .iter()
                .any(|(k, r)| k == "w" && r.contains("reader:"))
        );
    }

    #[test]
    fn help_lists_every_bound_action() {
        let help = Keymap::default().help(Context::List);
        assert!(
            help.iter()
                .any(|(k, h)| k.contains('d') && h.contains("Trash"))
        );
    }
}
