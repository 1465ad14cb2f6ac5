//! Interleaving benchmark (issue 5): during a cold index build of a large folder, toggle
//! a flag through the account's actor and open a message through its cache, and report
//! how long each took to land. Before the account core was reworked, both waited for
//! the whole scan.
//!
//!   cargo bench --bench interleave -- DIR INDEX     (DIR: a Maildir, e.g. from `folder gen`)

use posthorn::account::{
    AccountCommand, AccountManager, AccountNotice, AccountOp, CacheView, LocalAccount,
};
use posthorn::core::{AccountId, FlagOp, Flags, FolderPath, MessageRef, RequestId, TriageOp};
use posthorn::store::{Maildir, MaildirTree};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const SAMPLES: usize = 9;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    if v.is_empty() {
        println!("{name}: no samples (the scan ended first)");
        return;
    }
    println!(
        "{name}: median {:.1} ms, max {:.1} ms ({} samples during the scan)",
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1]),
        v.len()
    );
}

async fn run(dir: &Path, index: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", index.display()));
    }
    let home = AccountId("bench".into());
    let tree = MaildirTree::open(dir).expect("maildir");
    let mut ids: Vec<_> = Maildir::open(dir)
        .list()
        .expect("list")
        .into_iter()
        .map(|e| e.id)
        .collect();
    ids.sort();
    let acc = LocalAccount::open(home.clone(), tree.clone(), index).expect("account");
    let cache = CacheView::new(home.clone(), Some(tree), index);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut m = AccountManager::new(tx);
    m.spawn(acc);
    let t0 = Instant::now();
    let send = |req: u64, op| {
        m.send(
            &home,
            AccountCommand {
                req: RequestId(req),
                op,
            },
        )
        .expect("send")
    };
    send(1, AccountOp::SyncFolder(FolderPath::inbox()));
    let (mut flags, mut opens) = (Vec::new(), Vec::new());
    let mut next_req = 10;
    let mut asked: Option<(u64, Instant)> = None;
    let mut total = 0;
    loop {
        let Some(n) = rx.recv().await else { break };
        match n {
            AccountNotice::Progress { done, total: t, .. } => {
                total = t;
                let due = (flags.len() + 1) * t / (SAMPLES + 1);
                if asked.is_none() && flags.len() < SAMPLES && done >= due {
                    // Open a message the list already shows (indexed: the scan goes in
                    // id order), from the cache, never through the actor.
                    let id = ids[(done * 7919) % done.max(1)].clone();
                    let c = cache.clone();
                    let t = Instant::now();
                    let raw = tokio::task::spawn_blocking(move || {
                        c.read(&FolderPath::inbox(), &id).expect("read")
                    })
                    .await
                    .expect("join")
                    .expect("cached");
                    let _ = posthorn::mime::parse_message(&raw);
                    opens.push(t.elapsed());
                    // Toggle a flag through the actor (twice per sample: on, then off).
                    let id = ids[(done * 104_729) % ids.len()].clone();
                    let op = if flags.len() % 2 == 0 {
                        FlagOp::Add(Flags::FLAGGED)
                    } else {
                        FlagOp::Remove(Flags::FLAGGED)
                    };
                    next_req += 1;
                    asked = Some((next_req, Instant::now()));
                    send(
                        next_req,
                        AccountOp::Triage(TriageOp::SetFlags {
                            folder: FolderPath::inbox(),
                            ids: vec![MessageRef::local(id)],
                            op,
                        }),
                    );
                }
            }
            AccountNotice::Reply { req, result, .. } => {
                if let Err(e) = result {
                    eprintln!("request {req:?} failed: {e}");
                }
                if req == RequestId(1) {
                    break;
                }
                if let Some((r, t)) = asked
                    && RequestId(r) == req
                {
                    flags.push(t.elapsed());
                    asked = None;
                }
            }
            _ => {}
        }
    }
    println!(
        "cold index build of {total} messages: {:.2} s (before this change, a flag toggle and an open waited for all of it)",
        t0.elapsed().as_secs_f64()
    );
    summary("flag toggle during the build", flags);
    summary("open a message during the build", opens);
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    match args.as_slice() {
        [dir, index] => rt.block_on(run(Path::new(dir), Path::new(index))),
        _ => {
            eprintln!("usage: interleave MAILDIR INDEX");
            std::process::exit(2);
        }
    }
}
