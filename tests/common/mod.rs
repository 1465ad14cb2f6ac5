//! Helpers shared by the app and screen tests.
#![allow(dead_code)]

use posthorn::account::CacheView;
use posthorn::app::{AppEvent, AppState, Effect, Key, KeyCode, Keymap, Settings, update};
use posthorn::core::{AccountId, Envelope, Flags, FolderPath, LocalId, RequestId};
use posthorn::store::{Index, MaildirTree, scan_folder};

/// 2026-11-21 09:00 UTC: "now" for every screen test, so dates render the same.
pub const NOW: i64 = 1_795_251_600;

pub fn env(id: &str, subject: &str, from: &str, date: i64) -> Envelope {
    Envelope {
        account: AccountId("home".into()),
        folder: FolderPath::inbox(),
        id: LocalId(id.into()),
        date,
        from: from.into(),
        from_addr: format!("{}@example.org", from.to_lowercase().replace(' ', ".")),
        to: "Robin <robin@example.net>".into(),
        subject: subject.into(),
        message_id: format!("<{id}@t>"),
        in_reply_to: String::new(),
        references: String::new(),
        size: 1000,
        flags: Flags::SEEN,
        has_attachments: false,
    }
}

pub fn key(s: &str) -> AppEvent {
    AppEvent::Key(Key::parse(s).unwrap_or_else(|| panic!("bad key {s}")))
}

pub fn typed(state: &mut AppState, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(update(state, AppEvent::Key(Key::plain(KeyCode::Char(c)))));
    }
    fx
}

pub fn press(state: &mut AppState, keys: &[&str]) -> Vec<Effect> {
    keys.iter().flat_map(|k| update(state, key(k))).collect()
}

/// A state showing `envs` in home/INBOX (plus Archive and Trash folders).
pub fn state_with(envs: Vec<Envelope>, width: u16, height: u16) -> AppState {
    let mut s = AppState::new(Keymap::default(), Settings::default());
    s.width = width;
    s.height = height;
    s.now = NOW;
    let a = envs
        .first()
        .map_or_else(|| AccountId("home".into()), |e| e.account.clone());
    let folders = ["INBOX", "Archive", "Lists/rust", "Trash"]
        .iter()
        .map(|p| {
            let mut f = posthorn::core::Folder::mail(a.clone(), FolderPath(p.to_string()));
            f.total = if *p == "INBOX" { envs.len() as u32 } else { 0 };
            f.unread = if *p == "INBOX" {
                envs.iter().filter(|e| e.is_unread()).count() as u32
            } else {
                0
            };
            f
        })
        .collect();
    let fx = update(
        &mut s,
        AppEvent::Folders {
            account: a,
            folders,
        },
    );
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::LoadEnvelopes { req, .. } => Some(*req),
            _ => None,
        })
        .expect("opening the first folder loads its envelopes");
    update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: envs,
        },
    );
    s
}

/// The demo's personal INBOX, indexed, as envelopes (and the raw bytes by id).
pub fn demo_inbox() -> (tempfile::TempDir, Vec<Envelope>, CacheView) {
    let dir = tempfile::tempdir().unwrap();
    posthorn::run::demo::unpack(&dir.path().join("mail")).unwrap();
    let index_path = dir.path().join("index.sqlite");
    let (mut index, _) = Index::open(&index_path).unwrap();
    let a = AccountId("personal".into());
    let tree = MaildirTree::open(dir.path().join("mail/personal")).unwrap();
    let md = tree.folder(&FolderPath::inbox()).unwrap();
    scan_folder(
        &mut index,
        &a,
        &FolderPath::inbox(),
        &md,
        posthorn::mime::header_fields,
        &mut |_| {},
    )
    .unwrap();
    let envs = index.reader().envelopes(&a, &FolderPath::inbox()).unwrap();
    let acc = CacheView::new(a, Some(tree), &index_path);
    (dir, envs, acc)
}

pub fn req_of(fx: &[Effect]) -> Option<RequestId> {
    fx.iter().find_map(|e| match e {
        Effect::LoadEnvelopes { req, .. }
        | Effect::LoadMessage { req, .. }
        | Effect::Triage { req, .. }
        | Effect::BodySearch { req, .. }
        | Effect::SaveAttachment { req, .. } => Some(*req),
        _ => None,
    })
}

pub mod testbed;
