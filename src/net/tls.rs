//! TLS settings and the handshake: the system's roots plus, optionally, a private CA
//! read from a PEM file (every certificate in it). Verification of the chain and the
//! host name is always on.

use super::NetError;
use crate::core::ErrorKind;
use std::path::PathBuf;

/// What a TLS client trusts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// A PEM file of extra trusted CA certificates (`ca-file`).
    pub ca_file: Option<PathBuf>,
}

impl TlsSettings {
    /// A connector that verifies against the system roots and `ca_file`.
    pub(super) fn connector(&self) -> Result<tokio_native_tls::TlsConnector, NetError> {
        let mut b = native_tls::TlsConnector::builder();
        if let Some(path) = &self.ca_file {
            for cert in read_pem_certs(path)? {
                b.add_root_certificate(cert);
            }
        }
        let c = b
            .build()
            .map_err(|e| NetError::new(ErrorKind::Network, format!("cannot set up TLS: {e}")))?;
        Ok(tokio_native_tls::TlsConnector::from(c))
    }
}

/// Every `CERTIFICATE` block of a PEM file (native-tls reads only the first of a bundle).
fn read_pem_certs(path: &PathBuf) -> Result<Vec<native_tls::Certificate>, NetError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| NetError::new(ErrorKind::Network, format!("ca-file {shown}: {e}")))?;
    let mut certs = Vec::new();
    let mut rest = text.as_str();
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let block = &rest[start..start + len + END.len()];
        let cert = native_tls::Certificate::from_pem(block.as_bytes())
            .map_err(|e| NetError::new(ErrorKind::Network, format!("ca-file {shown}: {e}")))?;
        certs.push(cert);
        rest = &rest[start + len + END.len()..];
    }
    if certs.is_empty() {
        return Err(NetError::new(
            ErrorKind::Network,
            format!("ca-file {shown}: no PEM certificate in it"),
        ));
    }
    Ok(certs)
}
