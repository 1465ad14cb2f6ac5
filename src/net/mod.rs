//! Network transport for every protocol client: TCP with a connect timeout, TLS
//! (implicit, or an upgrade after STARTTLS/STLS) verified against the system roots plus
//! an optional private CA, and tunnels (a spawned command's stdin/stdout, like mutt's
//! `$tunnel` or Python's `IMAP4_stream`).
//!
//! Bytes only: nothing here knows IMAP, POP3 or NNTP. Depends on `core` alone (never on
//! `config`, `store` or the UI). Certificate verification cannot be turned off: there is
//! no switch for it, on purpose.

mod stream;
mod tls;
mod tunnel;

pub use stream::NetStream;
pub use tls::TlsSettings;
pub use tunnel::Tunnel;

use crate::core::ErrorKind;
use std::time::Duration;

/// How a connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS 993, POP3S 995, NNTPS 563, SMTPS 465).
    Implicit,
    /// Plain first, then the protocol's STARTTLS; refusing to go on without it.
    Starttls,
    /// Plaintext, only when the user wrote `tls = "none"`.
    None,
}

/// Where to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsSettings,
}

/// A transport failure: its kind (network, timeout...) and what happened where.
/// Never carries a password: nothing here ever sees one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NetError {
    pub kind: ErrorKind,
    pub message: String,
}

impl NetError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        NetError {
            kind,
            message: message.into(),
        }
    }

    pub fn io(what: &str, e: &std::io::Error) -> Self {
        let kind = if e.kind() == std::io::ErrorKind::TimedOut {
            ErrorKind::Timeout
        } else {
            ErrorKind::Network
        };
        NetError::new(kind, format!("{what}: {e}"))
    }
}

/// Runs `fut` with a deadline; `what` names the step in the error ("LOGIN", "connect").
pub async fn deadline<T, E, F>(limit: Duration, what: &str, fut: F) -> Result<T, E>
where
    F: std::future::Future<Output = Result<T, E>>,
    E: From<NetError>,
{
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(NetError::new(
            ErrorKind::Timeout,
            format!("{what}: no answer within {} s", limit.as_secs_f32()),
        )
        .into()),
    }
}

/// Opens a TCP connection (plaintext; call `NetStream::start_tls` to secure it).
pub async fn connect_plain(host: &str, port: u16, limit: Duration) -> Result<NetStream, NetError> {
    let addr = format!("{host}:{port}");
    let tcp = deadline(limit, &format!("connect to {addr}"), async {
        tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| NetError::io(&format!("connect to {addr}"), &e))
    })
    .await?;
    let _ = tcp.set_nodelay(true);
    Ok(NetStream::plain(tcp))
}

/// Opens a connection secured from the first byte (implicit TLS).
pub async fn connect_tls(endpoint: &Endpoint, limit: Duration) -> Result<NetStream, NetError> {
    let plain = connect_plain(&endpoint.host, endpoint.port, limit).await?;
    plain.start_tls(&endpoint.host, &endpoint.tls, limit).await
}
