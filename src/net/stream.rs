//! `NetStream`: one type for every transport a protocol client runs over (plain TCP,
//! TLS over TCP, a tunnel), so the clients are written once.

use super::{NetError, TlsSettings, Tunnel, deadline};
use crate::core::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_native_tls::TlsStream;

/// A connection: plaintext TCP, TLS, or a tunnel command's stdio.
#[derive(Debug)]
pub struct NetStream(Inner);

#[derive(Debug)]
enum Inner {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Tunnel(Box<Tunnel>),
}

impl NetStream {
    pub(super) fn plain(tcp: TcpStream) -> Self {
        NetStream(Inner::Plain(tcp))
    }

    pub fn tunnel(t: Tunnel) -> Self {
        NetStream(Inner::Tunnel(Box::new(t)))
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.0, Inner::Tls(_))
    }

    pub fn is_tunnel(&self) -> bool {
        matches!(self.0, Inner::Tunnel(_))
    }

    /// Asks the kernel to acknowledge received data at once instead of delaying the
    /// ACK (Linux TCP_QUICKACK; it lapses after a while, so callers set it again after
    /// each read). A server that writes a reply in two pieces with Nagle on (INN writes
    /// an article's status line, then the article) otherwise waits up to 40 ms for our
    /// delayed ACK before sending the second piece. Best effort: errors are ignored.
    pub fn quickack(&self) {
        #[cfg(target_os = "linux")]
        {
            let tcp = match &self.0 {
                Inner::Plain(t) => Some(t),
                Inner::Tls(t) => Some(t.get_ref().get_ref().get_ref()),
                Inner::Tunnel(_) => None,
            };
            if let Some(t) = tcp {
                let _ = rustix::net::sockopt::set_tcp_quickack(t, true);
            }
        }
    }

    /// What a tunnel command said on stderr (empty for sockets).
    pub fn diagnostics(&self) -> String {
        match &self.0 {
            Inner::Tunnel(t) => t.stderr_text(),
            _ => String::new(),
        }
    }

    /// Secures a plaintext TCP connection (after the protocol's STARTTLS was accepted,
    /// or at once for implicit TLS). Host name and chain are verified; a failure is an
    /// error, never a fallback to plaintext.
    pub async fn start_tls(
        self,
        host: &str,
        settings: &TlsSettings,
        limit: Duration,
    ) -> Result<NetStream, NetError> {
        let Inner::Plain(tcp) = self.0 else {
            return Err(NetError::new(
                ErrorKind::Protocol,
                "TLS can only be started on a plain TCP connection",
            ));
        };
        let connector = settings.connector()?;
        let tls = deadline(limit, &format!("TLS handshake with {host}"), async {
            connector.connect(host, tcp).await.map_err(|e| {
                NetError::new(ErrorKind::Network, format!("TLS with {host} failed: {e}"))
            })
        })
        .await?;
        Ok(NetStream(Inner::Tls(Box::new(tls))))
    }
}

impl AsyncRead for NetStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match &mut self.0 {
            Inner::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Inner::Tunnel(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for NetStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.0 {
            Inner::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Inner::Tunnel(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.0 {
            Inner::Plain(s) => Pin::new(s).poll_flush(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Inner::Tunnel(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.0 {
            Inner::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Inner::Tunnel(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
