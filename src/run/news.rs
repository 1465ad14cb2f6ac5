//! Carries out the newsreader effects (`app::news`): the group browser's list and
//! catch-up go to the account's actor (`AccountOp::ListGroups`, `AccountOp::CatchUp`)
//! and their answers come back as `AppEvent::News`. The account's listing becomes the
//! app's `GroupInfo` here, so the app never sees account types.

use super::effects::Executor;
use crate::account::nntp::GroupListing;
use crate::account::{AccountOp, AccountReply};
use crate::app::AppEvent;
use crate::app::news::{GroupInfo, NewsEffect, NewsEvent};
use crate::core::{ErrorKind, Failure};
use std::collections::HashSet;

pub(super) fn run(ex: &mut Executor, effect: NewsEffect) {
    match effect {
        NewsEffect::ListGroups { req, account } => ex.command(
            &account,
            AccountOp::ListGroups,
            Box::new(move |result| {
                let result = match result {
                    Ok(AccountReply::Groups { all, new }) => Ok(infos(all, new)),
                    Ok(_) => Err(Failure::new(ErrorKind::Protocol, "no group list came back")),
                    Err(e) => Err(e.into()),
                };
                Some(AppEvent::News(NewsEvent::Groups { req, result }))
            }),
        ),
        NewsEffect::CatchUp {
            req,
            account,
            folder,
        } => ex.command(
            &account,
            AccountOp::CatchUp(folder),
            Box::new(move |result| {
                let result = result.map(|_| ()).map_err(Into::into);
                Some(AppEvent::News(NewsEvent::CaughtUp { req, result }))
            }),
        ),
    }
}

/// The browser's rows: counts from the water marks, new groups marked.
pub fn infos(all: Vec<GroupListing>, new: Vec<String>) -> Vec<GroupInfo> {
    let new: HashSet<String> = new.into_iter().collect();
    all.into_iter()
        .map(|g| GroupInfo {
            count: if g.high >= g.low && g.high > 0 {
                g.high - g.low + 1
            } else {
                0
            },
            new: new.contains(&g.name),
            subscribed: g.subscribed,
            description: g.description,
            name: g.name,
        })
        .collect()
}
