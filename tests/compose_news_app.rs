//! News in the app, without a terminal: `c` in a newsgroup starts an article to that
//! group (in a mail folder, a mail); ctrl-x on an article in a newsgroup asks y/n and
//! then starts a cancel (n does nothing; in a mail folder it only says what it is for);
//! the compose screen sends a draft with Newsgroups and no mail recipient.

mod common;

use common::*;
use posthorn::app::compose::{ComposeEffect, ComposeEvent, ComposeHow};
use posthorn::app::state::PromptKind;
use posthorn::app::{AppEvent, AppState, Effect, Keymap, Settings, update};
use posthorn::compose::Draft;
use posthorn::core::{AccountId, Envelope, Folder, FolderPath};
use std::path::PathBuf;

fn compose_fx(fx: &[Effect]) -> Vec<ComposeEffect> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Compose(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn article(id: &str) -> Envelope {
    let mut e = env(id, "An article", "Robin", NOW - 10);
    e.account = AccountId("news".into());
    e.folder = FolderPath("comp.mail.archive".into());
    e
}

/// The list showing the newsgroup comp.mail.archive of the NNTP account `news`.
fn news_state() -> AppState {
    let mut s = AppState::new(Keymap::default(), Settings::default());
    s.width = 80;
    s.height = 24;
    s.now = NOW;
    let a = AccountId("news".into());
    let folders = vec![
        Folder::newsgroup(a.clone(), FolderPath("comp.mail.archive".into())),
        Folder::newsgroup(a.clone(), FolderPath("test.misc".into())),
    ];
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
        .expect("opening the first group loads its envelopes");
    update(
        &mut s,
        AppEvent::EnvelopesLoaded {
            req,
            envelopes: vec![article("n1")],
        },
    );
    s
}

fn status(s: &AppState) -> String {
    s.status
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn c_in_a_newsgroup_starts_an_article_to_it() {
    let mut s = news_state();
    let fx = compose_fx(&press(&mut s, &["c"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::StartArticle {
            account: AccountId("news".into()),
            group: FolderPath("comp.mail.archive".into()),
        }]
    );
    // In a mail folder it is still a mail.
    let mut m = state_with(vec![env("1", "Lunch?", "Ann", NOW)], 80, 24);
    let fx = compose_fx(&press(&mut m, &["c"]));
    assert!(
        matches!(
            &fx[..],
            [ComposeEffect::Start {
                how: ComposeHow::New,
                ..
            }]
        ),
        "{fx:?}"
    );
}

#[test]
fn ctrl_x_asks_then_cancels_the_article() {
    let mut s = news_state();
    let fx = compose_fx(&press(&mut s, &["ctrl-x"]));
    assert!(fx.is_empty(), "{fx:?}");
    let p = s.prompt.as_ref().expect("a question");
    assert!(matches!(p.kind, PromptKind::Compose(_)));
    let fx = compose_fx(&press(&mut s, &["n"]));
    assert!(fx.is_empty());
    assert_eq!(status(&s), "Cancelled");
    press(&mut s, &["ctrl-x"]);
    let fx = compose_fx(&press(&mut s, &["y"]));
    assert_eq!(
        fx,
        vec![ComposeEffect::Start {
            how: ComposeHow::Cancel,
            account: AccountId("news".into()),
            original: Some(Box::new(article("n1"))),
        }]
    );
    // A refusal from the runtime (not one's own article) is shown.
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Failed(
            "only your own articles can be cancelled".into(),
        )),
    );
    assert!(status(&s).contains("only your own"), "{}", status(&s));
}

#[test]
fn ctrl_x_in_a_mail_folder_only_explains() {
    let mut s = state_with(vec![env("1", "Lunch?", "Ann", NOW)], 80, 24);
    let fx = compose_fx(&press(&mut s, &["ctrl-x"]));
    assert!(fx.is_empty());
    assert!(s.prompt.is_none());
    assert!(status(&s).contains("newsgroup"), "{}", status(&s));
}

#[test]
fn an_article_without_mail_recipients_can_be_sent() {
    let mut s = news_state();
    let d = Draft {
        account: "news".into(),
        from: "Robin <robin@example.net>".into(),
        subject: "Hi group".into(),
        extra: vec![("Newsgroups".into(), "comp.mail.archive".into())],
        body: "Hello\n".into(),
        ..Draft::default()
    };
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Ready {
            file: PathBuf::from("/data/compose/news/1.eml"),
            draft: Box::new(d.clone()),
            sizes: Vec::new(),
            replaces: None,
            error: None,
        }),
    );
    let fx = compose_fx(&press(&mut s, &["y"]));
    assert!(
        matches!(&fx[..], [ComposeEffect::Send { draft, .. }] if *draft == d),
        "{fx:?} {}",
        status(&s)
    );
    // A note from the runtime (a follow-up that became a mail reply) is shown.
    update(
        &mut s,
        AppEvent::Compose(ComposeEvent::Note("replying by mail".into())),
    );
    assert_eq!(status(&s), "replying by mail");
}
