//! News in composing: `c` in a newsgroup starts an article to that group, ctrl-x asks
//! whether to cancel the selected article and then has the runtime post the cancel
//! (which refuses an article that is not the user's), and the compose screen sends a
//! draft with Newsgroups and no mail recipient. Follow-up, `poster` and mail replies
//! are decided by the runtime, where the account's config is (`run::compose_glue`).
//!
//! Pure, like the rest of `app`: state in, effects out.

use super::compose::{ComposeEffect, ComposeHow, ComposePrompt, emit};
use super::compose_prompt::open_prompt;
use super::event::Effect;
use super::state::{AppState, ViewSource};
use crate::compose::Draft;
use crate::core::{AccountId, Envelope, FolderKind, FolderPath};

/// Whether `folder` of `account` is a newsgroup.
fn is_newsgroup(state: &AppState, account: &AccountId, folder: &FolderPath) -> bool {
    state
        .folders
        .iter()
        .any(|f| f.account == *account && f.path == *folder && f.kind == FolderKind::Newsgroup)
}

/// The newsgroup the list shows, if it shows one.
pub(super) fn group_in_view(state: &AppState) -> Option<(AccountId, FolderPath)> {
    match &state.source {
        Some(ViewSource::Folder(a, f)) if is_newsgroup(state, a, f) => Some((a.clone(), f.clone())),
        _ => None,
    }
}

/// A draft that goes to newsgroups (it needs no mail recipient).
pub(super) fn is_article(d: &Draft) -> bool {
    d.extra_header("Newsgroups")
        .is_some_and(|g| !g.trim().is_empty())
}

/// ctrl-x: asks before cancelling `env` (only an article in a newsgroup).
pub(super) fn ask_cancel(state: &mut AppState, env: Envelope) {
    if !is_newsgroup(state, &env.account, &env.folder) {
        state.info("ctrl-x cancels one of your own articles in a newsgroup");
        return;
    }
    open_prompt(
        state,
        ComposePrompt::ConfirmCancel { env: Box::new(env) },
        String::new(),
    );
}

/// Yes to the question: the runtime builds the cancel (refusing someone else's
/// article) and posts it through the outbox.
pub(super) fn cancel(state: &mut AppState, env: Box<Envelope>, fx: &mut Vec<Effect>) {
    state.info(format!(
        "Cancelling {}…",
        super::compose_outbox::what(&env.subject)
    ));
    emit(
        fx,
        ComposeEffect::Start {
            how: ComposeHow::Cancel,
            account: env.account.clone(),
            original: Some(env),
        },
    );
}
