//! `posthorn sync [--account A] [--folder F]`: brings accounts up to date with their
//! servers (or a local store with the disk), every folder by default, with progress on
//! a terminal and a summary line per folder. Any failure makes the exit status non-zero;
//! the other folders and accounts still sync.

use super::{CliError, pick_account, runtime};
use crate::account::Account;
use crate::core::sanitize::line;
use crate::core::{AccountState, FolderPath};
use crate::run::Setup;
use crate::store::ScanProgress;
use std::io::IsTerminal;
use std::time::Instant;

/// Ok(true) when everything synced.
pub fn sync(
    setup: &mut Setup,
    account: Option<&str>,
    folder: Option<&str>,
) -> Result<bool, CliError> {
    let rt = runtime()?;
    let which: Vec<usize> = match account {
        Some(_) => vec![pick_account(setup, account)?],
        None => (0..setup.accounts.len()).collect(),
    };
    if which.is_empty() {
        return Err(CliError("no accounts configured".into()));
    }
    let tty = std::io::stderr().is_terminal();
    let mut ok = true;
    for i in which {
        let acc = &mut setup.accounts[i];
        let name = acc.id().0.clone();
        let connected = rt.block_on(acc.connect());
        let state = acc.take_state();
        for n in acc.take_notes() {
            eprintln!("posthorn: {}", line(&n));
        }
        if let Err(e) = connected {
            eprintln!("{}: {}", line(&name), line(&e.message));
            ok = false;
            continue;
        }
        if let Some(AccountState::Offline { reason, .. }) = state {
            eprintln!("{}: offline: {}", line(&name), line(&reason));
            ok = false;
            continue;
        }
        let folders: Vec<FolderPath> = match folder {
            Some(f) => vec![FolderPath(f.to_string())],
            None => match rt.block_on(acc.list_folders()) {
                Ok(fs) => fs.into_iter().map(|f| f.path).collect(),
                Err(e) => {
                    eprintln!("{}: {}", line(&name), line(&e.message));
                    ok = false;
                    continue;
                }
            },
        };
        for f in folders {
            let label = line(&format!("{name}/{f}")).into_owned();
            let start = Instant::now();
            let mut progress = |p: ScanProgress| {
                if tty {
                    eprint!("\r\x1b[Ksyncing {label}: {}/{}", p.done, p.total);
                }
            };
            let result = rt.block_on(acc.sync_folder(&f, &mut progress));
            if tty {
                eprint!("\r\x1b[K");
            }
            for n in acc.take_notes() {
                eprintln!("posthorn: {}", line(&n));
            }
            let secs = start.elapsed().as_secs_f64();
            match result {
                Ok(r) => println!(
                    "{label}: {} new, {} changed, {} removed, {}, {secs:.3} s",
                    r.added,
                    r.changed,
                    r.removed,
                    human_bytes(r.bytes)
                ),
                Err(e) => {
                    ok = false;
                    println!("{label}: failed after {secs:.2} s: {}", line(&e.message));
                }
            }
        }
    }
    Ok(ok)
}

fn human_bytes(b: u64) -> String {
    match b {
        0..1_000 => format!("{b} B"),
        1_000..1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        _ => format!("{:.1} MB", b as f64 / 1e6),
    }
}
