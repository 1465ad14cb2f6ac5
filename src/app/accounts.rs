//! Account state on screen: what the folder pane says about each account (connecting,
//! online, offline with the time to the next retry, syncing with a percentage, an error
//! with its kind), and the notices an account's state change produces.
//!
//! Pure: reads `AppState`, depends on `core` only.

use super::state::AppState;
use crate::core::{AccountId, AccountState, Failure};

/// One account's lines in the folder pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub account: AccountId,
    /// A word or two after the name: "online", "offline", "syncing", "error".
    pub state: String,
    /// A second line with the detail ("retry in 30s", "INBOX 41%", "login failed").
    pub detail: Option<String>,
    /// Drawn as a problem (offline or error).
    pub problem: bool,
}

/// The rows for every account that has reported a state, in account order.
pub fn rows(state: &AppState) -> Vec<AccountRow> {
    state
        .accounts
        .iter()
        .filter_map(|a| {
            let s = state.account_states.get(a)?;
            Some(row(a, s, state.now))
        })
        .collect()
}

/// How many lines the account rows take in the folder pane (with their heading), at
/// most half of a pane `pane_h` lines high.
pub fn pane_lines(state: &AppState, pane_h: usize) -> usize {
    let rows = rows(state);
    if rows.is_empty() {
        return 0;
    }
    let n = 1 + rows
        .iter()
        .map(|r| 1 + usize::from(r.detail.is_some()))
        .sum::<usize>();
    n.min(pane_h / 2)
}

fn row(account: &AccountId, s: &AccountState, now: i64) -> AccountRow {
    let (word, detail, problem) = match s {
        AccountState::Connecting => ("connecting…", None, false),
        AccountState::Online => ("online", None, false),
        AccountState::Offline { retry_at, reason } => {
            let detail = match retry_at {
                Some(t) if *t > now => format!("retry in {}s", t - now),
                Some(_) => "retrying…".to_string(),
                None if reason.is_empty() => "no retry planned".to_string(),
                None => reason.clone(),
            };
            ("offline", Some(detail), true)
        }
        AccountState::Syncing {
            folder,
            done,
            total,
            bytes,
        } => {
            let detail = if *total == 0 {
                format!("{folder}…")
            } else {
                let pct = (*done).min(*total) * 100 / total;
                // A bar of 5 cells and the counts: what a first sync has left.
                let filled = pct * 5 / 100;
                let got = if *bytes > 0 {
                    format!(" {}", compact_bytes(*bytes))
                } else {
                    String::new()
                };
                format!(
                    "{folder} {}{} {}/{}{got}",
                    "█".repeat(filled),
                    "░".repeat(5 - filled),
                    compact(*done),
                    compact(*total)
                )
            };
            ("syncing", Some(detail), false)
        }
        AccountState::Error(f) => ("error", Some(f.kind.label().to_string()), true),
    };
    AccountRow {
        account: account.clone(),
        state: word.to_string(),
        detail,
        problem,
    }
}

/// 950, 41k, 1.2M: counts that fit the folder pane.
fn compact(n: usize) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..1_000_000 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// 800B, 12K, 310M, 1.2G: bytes fetched, in the folder pane.
fn compact_bytes(b: u64) -> String {
    match b {
        0..1_000 => format!("{b}B"),
        1_000..1_000_000 => format!("{}K", b / 1_000),
        1_000_000..1_000_000_000 => format!("{}M", b / 1_000_000),
        _ => format!("{:.1}G", b as f64 / 1e9),
    }
}

/// "work: login failed: the server said …": a failure with its account and kind.
pub fn failure_line(account: &AccountId, f: &Failure) -> String {
    format!("{account}: {}: {}", f.kind.label(), f.message)
}

/// An account reported its state: remember it; an error (a new one) is also a notice.
pub(super) fn on_state(state: &mut AppState, account: AccountId, s: AccountState) {
    if let AccountState::Error(f) = &s
        && state.account_states.get(&account) != Some(&s)
    {
        state.error(failure_line(&account, f));
    }
    // Progress lines live only while their account is syncing (a sync that push
    // started has no reply of its own to clear them).
    if !matches!(s, AccountState::Syncing { .. }) {
        state.progress.retain(|(a, _), _| *a != account);
    }
    state.account_states.insert(account, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ErrorKind, FolderPath};

    #[test]
    fn offline_counts_down_to_the_retry_and_syncing_shows_a_percentage() {
        let a = AccountId("work".into());
        let off = AccountState::Offline {
            retry_at: Some(130),
            reason: "refused".into(),
        };
        assert_eq!(row(&a, &off, 100).detail.as_deref(), Some("retry in 30s"));
        assert_eq!(row(&a, &off, 130).detail.as_deref(), Some("retrying…"));
        let sync = AccountState::Syncing {
            folder: FolderPath::inbox(),
            done: 41,
            total: 100,
            bytes: 0,
        };
        assert_eq!(
            row(&a, &sync, 0).detail.as_deref(),
            Some("INBOX ██░░░ 41/100")
        );
        let big = AccountState::Syncing {
            folder: FolderPath::inbox(),
            done: 41_000,
            total: 100_000,
            bytes: 12_500_000,
        };
        assert_eq!(
            row(&a, &big, 0).detail.as_deref(),
            Some("INBOX ██░░░ 41k/100k 12M")
        );
        let err = AccountState::Error(Failure::new(ErrorKind::Auth, "bad password"));
        let r = row(&a, &err, 0);
        assert_eq!(
            (r.state.as_str(), r.detail.as_deref()),
            ("error", Some("login failed"))
        );
    }
}
