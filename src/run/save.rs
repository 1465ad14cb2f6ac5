//! Saving an attachment as the user asked: a directory gets the attachment's own name
//! made safe (no `../`, no control characters); an existing file is never overwritten;
//! the file is private (0600) and written by streaming the decoded attachment, so a
//! 200 MB attachment is never held decoded in memory.

use crate::account::CacheView;
use crate::core::Envelope;
use crate::mime::{attachment_info, safe_file_name, write_attachment};
use std::io::Write;
use std::path::PathBuf;

pub fn save_attachment(
    acc: &CacheView,
    env: &Envelope,
    index: usize,
    dest: PathBuf,
) -> Result<PathBuf, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let raw = acc
        .read(&env.folder, &env.id)
        .map_err(|e| e.to_string())?
        .ok_or("the message is not downloaded yet; open it first")?;
    let info = attachment_info(&raw, index).ok_or("the attachment is gone from the message")?;
    let mut dest = crate::config::expand_tilde(&dest);
    if dest.is_dir() {
        dest = dest.join(safe_file_name(&info.name));
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&dest)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!("{} already exists; choose another name", dest.display())
            }
            _ => format!("cannot save to {}: {e}", dest.display()),
        })?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, f);
    let written = write_attachment(&raw, index, &mut out)
        .map_err(|e| e.to_string())
        .and_then(|n| out.flush().map(|_| n).map_err(|e| e.to_string()))
        .and_then(|n| {
            out.get_ref()
                .sync_all()
                .map(|_| n)
                .map_err(|e| e.to_string())
        });
    if let Err(e) = written {
        // Never leave a half-written file that looks like the attachment.
        let _ = std::fs::remove_file(&dest);
        return Err(format!("writing {}: {e}", dest.display()));
    }
    // Say where it went, not just the name typed.
    Ok(std::fs::canonicalize(&dest).unwrap_or(dest))
}
