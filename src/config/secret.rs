//! Reading a password: the string written in the config, or the first line a command
//! prints (`pass show work`). The value is never put into an error, a log or Debug
//! output; a failing command is reported by its exit status and stderr only.

use super::Secret;
use std::process::{Command, Stdio};

impl Secret {
    /// The password. Runs the command (blocking; call it off the async runtime).
    pub fn reveal(&self) -> Result<String, String> {
        match self {
            Secret::Plain(s) => Ok(s.clone()),
            Secret::Command { command } => {
                let out = Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| format!("password command `{command}`: {e}"))?;
                if !out.status.success() {
                    let err = String::from_utf8_lossy(&out.stderr);
                    let err = crate::core::sanitize::line(err.trim());
                    return Err(format!(
                        "password command `{command}` failed ({}){}{}",
                        out.status,
                        if err.is_empty() { "" } else { ": " },
                        err
                    ));
                }
                let text = String::from_utf8(out.stdout).map_err(|_| {
                    format!("password command `{command}` printed something that is not UTF-8")
                })?;
                let line = text.lines().next().unwrap_or("").to_string();
                if line.is_empty() {
                    return Err(format!("password command `{command}` printed nothing"));
                }
                Ok(line)
            }
        }
    }
}
