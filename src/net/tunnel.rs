//! A tunnel: a command (`ssh host /usr/lib/dovecot/imap`) run by `sh -c`, whose stdout
//! we read and whose stdin we write, as one duplex byte stream. Its stderr is kept (the
//! last few KiB) so a failing ssh can say why. The child is killed when the stream is
//! dropped.

use super::NetError;
use crate::core::ErrorKind;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const STDERR_KEEP: usize = 4096;

/// A spawned command used as a connection.
#[derive(Debug)]
pub struct Tunnel {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Tunnel {
    pub fn spawn(command: &str) -> Result<Tunnel, NetError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| NetError::new(ErrorKind::Network, format!("tunnel `{command}`: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(NetError::new(
                ErrorKind::Network,
                format!("tunnel `{command}`: no pipes"),
            ));
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut err) = child.stderr.take() {
            let keep = stderr.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = err.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut k) = keep.lock() {
                        k.extend_from_slice(&buf[..n]);
                        let over = k.len().saturating_sub(STDERR_KEEP);
                        k.drain(..over);
                    }
                }
            });
        }
        Ok(Tunnel {
            child,
            stdin,
            stdout,
            stderr,
        })
    }

    /// What the command printed on stderr (the last few KiB), lossily decoded.
    pub fn stderr_text(&self) -> String {
        self.stderr
            .lock()
            .map(|k| String::from_utf8_lossy(&k).trim().to_string())
            .unwrap_or_default()
    }

    /// Whether the command has exited (and with what status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl AsyncRead for Tunnel {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stdout).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tunnel {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}
