//! The posthorn binary: parses the command line and calls into the library.

use anyhow::Result;

/// mimalloc: loading a 100,000-message folder makes about a million small strings; the
/// system allocator spent a fifth of the warm start in malloc/free and page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use posthorn::cli;
use posthorn::run::{Setup, SetupError, run_tui};
use std::path::PathBuf;
use std::process::ExitCode;

/// A terminal mail and news client.
#[derive(Parser)]
#[command(name = "posthorn", version, about)]
struct Args {
    /// Config file (default: $XDG_CONFIG_HOME/posthorn/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Open a private copy of the bundled sample mailbox.
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the config file and print every problem.
    CheckConfig,
    /// Bring accounts up to date with their servers (every account and folder by default).
    Sync {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        folder: Option<String>,
    },
    /// List the messages of a folder, newest first.
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value = "INBOX")]
        folder: String,
        #[arg(long)]
        json: bool,
    },
    /// Print one message (ID as printed by `list`).
    Read {
        id: String,
        /// Print the message exactly as stored.
        #[arg(long)]
        raw: bool,
    },
    /// Search every folder of every account: words, "phrases", from: to: cc: subject:
    /// body: attachment: is:unread|flagged|replied tag: has:attachment date:2026-01..2026-03
    /// date:7d.. folder: account:, AND OR NOT ( ), -word, word*.
    Search {
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        folder: Option<String>,
        #[arg(long)]
        json: bool,
        /// summary (one line per message), files (cached file paths) or count.
        #[arg(long, value_enum, default_value_t = OutputArg::Summary)]
        output: OutputArg,
        /// Answer from the index as it is, without rescanning or indexing first.
        #[arg(long)]
        cached: bool,
        /// Also ask IMAP servers to search (UID SEARCH), for bodies not cached.
        #[arg(long)]
        server: bool,
    },
    /// Convert a mailbox between maildir, mbox (mboxo, mboxrd, mboxcl, mboxcl2), mmdf, mh
    /// and babyl; SRC is never changed.
    Convert {
        src: PathBuf,
        dst: PathBuf,
        /// The source format (detected when not given).
        #[arg(long, value_name = "FORMAT")]
        from: Option<String>,
        /// The destination format (detected when DST exists).
        #[arg(long, value_name = "FORMAT")]
        to: Option<String>,
        /// Add to a destination that already holds mail.
        #[arg(long)]
        append: bool,
        /// Convert a whole tree of folders.
        #[arg(long)]
        recursive: bool,
    },
    /// Send the message on stdin (like `sendmail -t`: envelope from the headers). It is
    /// queued in the outbox first and stays there if the server refuses it.
    Send {
        #[arg(long)]
        account: Option<String>,
    },
    /// List the messages waiting in the outbox.
    Outbox {
        /// Try to send every queued message now.
        #[arg(long)]
        flush: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputArg {
    Summary,
    Files,
    Count,
}

fn setup(args: &Args) -> Result<Setup, SetupError> {
    if args.demo {
        Setup::demo()
    } else {
        Setup::find(args.config.as_deref())
    }
}

fn main() -> ExitCode {
    // No transparent huge pages: mimalloc asks for them, and every fresh 2 MiB page is
    // zeroed whole, again after each purge. A fifth of an NNTP overview sync and of a
    // 1 GB conversion went to that; without them both are faster (benches/nntp.rs).
    // Inherited by the programs we start (editor, sendmail, password commands): harmless.
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let args = Args::parse();
    match real_main(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("posthorn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(args: Args) -> Result<ExitCode> {
    if let Some(Command::CheckConfig) = &args.command {
        let path = args
            .config
            .clone()
            .or_else(posthorn::config::default_config_path)
            .ok_or_else(|| anyhow::anyhow!("no config path (use --config PATH)"))?;
        let ok = cli::check_config(&path)?;
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    if let Some(Command::Convert {
        src,
        dst,
        from,
        to,
        append,
        recursive,
    }) = &args.command
    {
        cli::convert(
            src,
            dst,
            from.as_deref(),
            to.as_deref(),
            *append,
            *recursive,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut setup = match setup(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    match args.command {
        None => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(run_tui(setup))?;
        }
        Some(Command::List {
            account,
            folder,
            json,
        }) => cli::list(&mut setup, account.as_deref(), Some(&folder), json)?,
        Some(Command::Read { id, raw }) => cli::read(&mut setup, &id, raw)?,
        Some(Command::Search {
            query,
            account,
            folder,
            json,
            output,
            cached,
            server,
        }) => {
            let output = match output {
                OutputArg::Summary => cli::SearchOutput::Summary,
                OutputArg::Files => cli::SearchOutput::Files,
                OutputArg::Count => cli::SearchOutput::Count,
            };
            let opts = cli::SearchOptions {
                account: account.as_deref(),
                folder: folder.as_deref(),
                json,
                output,
                cached,
                server,
            };
            cli::search(&mut setup, &query.join(" "), &opts)?
        }
        Some(Command::Sync { account, folder }) => {
            if !cli::sync(&mut setup, account.as_deref(), folder.as_deref())? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Some(Command::Send { account }) => {
            if !cli::send(&mut setup, account.as_deref())? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Some(Command::Outbox { flush }) => {
            if !cli::outbox(&mut setup, flush)? {
                return Ok(ExitCode::FAILURE);
            }
        }
        // Answered before the accounts were opened.
        Some(Command::CheckConfig) | Some(Command::Convert { .. }) => {}
    }
    Ok(ExitCode::SUCCESS)
}
