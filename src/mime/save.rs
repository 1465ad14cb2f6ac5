//! Saving attachments: streaming one attachment's decoded bytes into a writer, and
//! safe file names. Where the file goes (never overwrite, mode 0600) is the caller's.

use super::parse::stream_attachment;
use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("the attachment is gone from the message")]
    NotFound,
    #[error("could not write the attachment: {0}")]
    Io(#[from] std::io::Error),
}

/// Decodes the `index`th attachment (as listed in the view) of `raw` into `out` in
/// chunks (base64 and quoted-printable are decoded on the way, nothing is held whole);
/// returns the number of bytes written. Body text is not rendered while looking.
pub fn write_attachment(raw: &[u8], index: usize, out: &mut impl Write) -> Result<u64, SaveError> {
    let (_, written) = stream_attachment(raw, index, out).ok_or(SaveError::NotFound)?;
    Ok(written?)
}

/// The listing (name, type, decoded size) of the `index`th attachment, without keeping
/// its bytes.
pub fn attachment_info(raw: &[u8], index: usize) -> Option<super::Attachment> {
    stream_attachment(raw, index, &mut std::io::sink()).map(|(a, _)| a)
}

/// The decoded bytes and display name of the `index`th attachment, in memory (small
/// attachments and tests; saving should use `write_attachment`).
pub fn attachment_bytes(raw: &[u8], index: usize) -> Option<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    let (a, written) = stream_attachment(raw, index, &mut bytes)?;
    written.ok()?;
    Some((a.name, bytes))
}

/// Turns a sender-chosen attachment name into a safe file name: no path separators,
/// no `..`, no leading dot, no control characters, not empty, at most 200 bytes.
pub fn safe_file_name(name: &str) -> String {
    // Only the last path component is the sender's file name.
    let base = name
        .rsplit(['/', '\\'])
        .find(|c| !c.trim().is_empty())
        .unwrap_or("");
    let mut out: String = base
        .chars()
        .map(|c| match c {
            '/' | '\\' | '\0' | ':' => '_',
            c if c.is_control() => '_',
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '_',
            c => c,
        })
        .collect();
    while out.contains("..") {
        out = out.replace("..", "_");
    }
    let trimmed = out.trim_start_matches(['.', ' ', '-']).trim_end();
    let mut out = trimmed.to_string();
    if out.is_empty() {
        out = "attachment".into();
    }
    if out.len() > 200 {
        let mut cut = 200;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_neutralised() {
        let p = safe_file_name("../../etc/passwd");
        assert_eq!(p, "passwd");
        assert_eq!(safe_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_file_name("dir/"), "dir");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("a\u{1b}[31mb.txt"), "a_[31mb.txt");
        assert_eq!(safe_file_name(""), "attachment");
        assert_eq!(safe_file_name("..."), "_.");
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert!(!safe_file_name("x\u{202e}fdp.exe").contains('\u{202e}'));
    }
}
