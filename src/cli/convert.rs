//! `posthorn convert SRC DST [--from FORMAT] [--to FORMAT] [--append] [--recursive]`:
//! converts between Maildir, mbox (mboxo, mboxrd, mboxcl, mboxcl2), MMDF, MH and Babyl
//! with the store's `formats::convert`. Needs no config. A progress line goes to stderr
//! when it is a terminal, the summary to stdout, problems in the source as warnings;
//! SRC is never modified.

use super::CliError;
use super::output::warn;
use crate::core::sanitize;
use crate::store::formats::{ConvertOptions, ConvertProgress, Format, convert as run};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

fn format_arg(name: Option<&str>, which: &str) -> Result<Option<Format>, CliError> {
    name.map(|n| {
        Format::parse(n).ok_or_else(|| {
            CliError(format!(
                "--{which} {n:?} is not a format (maildir, mbox, mboxo, mboxrd, mboxcl, mboxcl2, mmdf, mh, babyl)"
            ))
        })
    })
    .transpose()
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// `posthorn convert`.
pub fn convert(
    src: &Path,
    dst: &Path,
    from: Option<&str>,
    to: Option<&str>,
    append: bool,
    recursive: bool,
) -> Result<(), CliError> {
    let opts = ConvertOptions {
        from: format_arg(from, "from")?,
        to: format_arg(to, "to")?,
        append,
        recursive,
    };
    let tty = std::io::stderr().is_terminal();
    let t0 = Instant::now();
    let mut progress = |p: ConvertProgress| {
        if tty {
            eprint!("\rconverting: {} message(s), {}", p.messages, mb(p.bytes));
        }
    };
    let result = run(src, dst, &opts, &mut progress);
    if tty {
        eprintln!();
    }
    let report = result.map_err(|e| CliError(e.to_string()))?;
    for p in &report.problems {
        warn(&format!("{}: {p}", src.display()));
    }
    let name = |f: Option<Format>| f.map_or("?", Format::name);
    println!(
        "converted {} message(s) ({}) in {} folder(s) from {} {} to {} {} in {:.2} s",
        report.messages,
        mb(report.bytes),
        report.folders,
        name(report.from),
        sanitize::line(&src.display().to_string()),
        name(report.to),
        sanitize::line(&dst.display().to_string()),
        t0.elapsed().as_secs_f64()
    );
    if report.lost_flags > 0 {
        println!(
            "{} message(s) had flags {} cannot keep (e.g. draft or forwarded); the others were kept",
            report.lost_flags,
            name(report.to)
        );
    }
    if !report.problems.is_empty() {
        println!(
            "{} problem(s) in the source (see the warnings); every readable message was converted",
            report.problems.len()
        );
    }
    Ok(())
}
