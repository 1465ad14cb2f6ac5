//! `NntpSession`: the client side of one NNTP session as a sans-IO state machine.
//! Commands go in (`send`) and come out as bytes (`take_output`); received bytes go in
//! (`feed`) and come out as events (`poll`): the greeting, each reply's status line, the
//! lines of a multi-line list, the decoded bytes of an article, a SASL challenge.
//!
//! Replies are matched to commands in the order they were sent, so any number may be in
//! flight (RFC 3977 §3.5 allows pipelining; the caller keeps STARTTLS, AUTHINFO, MODE
//! READER and QUIT out of a pipeline, as that section asks). Whether a reply is
//! multi-line depends on the command and the code (§3.4.1): 211 is one line after GROUP
//! but a list after LISTGROUP. Articles are decoded as they arrive (dot-unstuffed,
//! lines ended with LF) with a size limit, never buffered whole here.

use super::NntpError;
use super::command::{NntpBody, NntpCommand};
use super::reply::{NntpStatus, preview};
use crate::protocol::lines::{DotDecoder, DotEncoder, Eol, LineBuffer};
use std::collections::VecDeque;

/// Longest status or list line accepted. RFC 3977 §3.1.1 allows 512 octets for
/// status lines but none for overview data, whose References can be long.
pub const LINE_LIMIT: usize = 256 * 1024;

/// Default article size limit when the caller gives none.
pub const DEFAULT_ARTICLE_LIMIT: u64 = 1 << 30;

/// Something the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NntpEvent {
    /// The initial 200/201 (or a refusal: 400, 502).
    Greeting(NntpStatus),
    /// The status line of the reply to `cmd`. For a multi-line reply, `Line` (lists) or
    /// `Data` (articles) events follow, then `End`.
    Status {
        cmd: NntpCommand,
        status: NntpStatus,
    },
    /// One line of a list, unstuffed, without its line ending.
    Line(Vec<u8>),
    /// More of an article was appended to the caller's buffer.
    Data,
    /// The multi-line reply to `cmd` is complete (its last bytes, if any, were appended
    /// to the caller's buffer by the same `poll`).
    End { cmd: NntpCommand },
    /// RFC 4643 §2.4.1: a 383 SASL challenge, still base64.
    Challenge(Vec<u8>),
}

#[derive(Debug)]
struct Pending {
    cmd: NntpCommand,
    limit: u64,
}

#[derive(Debug)]
enum Reading {
    Greeting,
    Status,
    Lines,
    Article(DotDecoder),
}

#[derive(Debug)]
pub struct NntpSession {
    input: LineBuffer,
    out: Vec<u8>,
    pending: VecDeque<Pending>,
    reading: Reading,
    /// A POST got its 340 and the article has not been sent yet (RFC 3977 §6.3.1).
    post_ready: bool,
}

impl Default for NntpSession {
    fn default() -> Self {
        NntpSession::new()
    }
}

impl NntpSession {
    pub fn new() -> Self {
        NntpSession {
            input: LineBuffer::new(),
            out: Vec::new(),
            pending: VecDeque::new(),
            reading: Reading::Greeting,
            post_ready: false,
        }
    }

    /// A session whose greeting is behind it: after STARTTLS (RFC 4642 §2.2.2: no
    /// new greeting comes over TLS).
    pub fn after_greeting() -> Self {
        NntpSession {
            reading: Reading::Status,
            ..NntpSession::new()
        }
    }

    /// Replies still expected.
    pub fn awaiting(&self) -> usize {
        self.pending.len()
    }

    /// Received bytes not consumed yet. After STARTTLS's 382 this must be 0: anything
    /// the server sent before the handshake was not protected (RFC 4642 §2.2.2; an
    /// attacker could have injected it) and must not be read as a reply.
    pub fn buffered(&self) -> usize {
        self.input.pending().len()
    }

    /// Queues a command (article limit: `DEFAULT_ARTICLE_LIMIT`).
    pub fn send(&mut self, cmd: NntpCommand) -> Result<(), NntpError> {
        self.send_limited(cmd, DEFAULT_ARTICLE_LIMIT)
    }

    /// Queues a command whose article may be at most `limit` bytes once decoded; more
    /// is an error (the session cannot go on after it).
    pub fn send_limited(&mut self, cmd: NntpCommand, limit: u64) -> Result<(), NntpError> {
        if let NntpCommand::SaslResponse(_) = cmd {
            // A SASL response answers the AUTHINFO SASL in flight, and nothing else.
            let in_sasl = matches!(
                self.pending.front(),
                Some(Pending {
                    cmd: NntpCommand::AuthSasl(..),
                    ..
                })
            );
            if !in_sasl {
                return Err(NntpError::WrongState(
                    "a SASL response without AUTHINFO SASL in flight".into(),
                ));
            }
            return cmd.encode(&mut self.out);
        }
        cmd.encode(&mut self.out)?;
        self.pending.push_back(Pending { cmd, limit });
        Ok(())
    }

    /// Sends the article a POST's 340 asked for (RFC 3977 §6.3.1): line endings become
    /// CRLF, lines starting with "." are dot-stuffed (§3.1.1) and a "." line ends it.
    /// Its reply (240 posted, 441 refused) comes back as a second `Status` for `Post`.
    /// Only valid right after that 340; anything else is `WrongState` and queues nothing.
    pub fn send_article(&mut self, article: &[u8]) -> Result<(), NntpError> {
        if !self.post_ready {
            return Err(NntpError::WrongState(
                "an article without a 340 reply to POST".into(),
            ));
        }
        self.post_ready = false;
        let mut enc = DotEncoder::new();
        enc.encode(article, &mut self.out);
        enc.finish(&mut self.out);
        self.pending.push_back(Pending {
            cmd: NntpCommand::Post,
            limit: DEFAULT_ARTICLE_LIMIT,
        });
        Ok(())
    }

    /// The bytes to send; the caller writes all of them.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.push(bytes);
    }

    /// The next event, or None when more bytes are needed. Article bytes are appended
    /// to `data`. After an error the session is unusable: drop the connection.
    pub fn poll(&mut self, data: &mut Vec<u8>) -> Result<Option<NntpEvent>, NntpError> {
        match &mut self.reading {
            Reading::Greeting => {
                let Some(line) = self.input.take_line(LINE_LIMIT)? else {
                    return Ok(None);
                };
                let status = NntpStatus::parse(&line)?;
                self.reading = Reading::Status;
                Ok(Some(NntpEvent::Greeting(status)))
            }
            Reading::Status => self.poll_status(),
            Reading::Lines => {
                let Some(line) = self.input.take_line(LINE_LIMIT)? else {
                    return Ok(None);
                };
                if line == b"." {
                    return Ok(Some(self.finish_multiline()));
                }
                // RFC 3977 §3.1.1: a line starting with "." has one more in front.
                let line = match line.strip_prefix(b".") {
                    Some(rest) => rest.to_vec(),
                    None => line,
                };
                Ok(Some(NntpEvent::Line(line)))
            }
            Reading::Article(dec) => {
                if self.input.is_empty() {
                    return Ok(None);
                }
                let before = data.len();
                let done = self.input.take_block(dec, data);
                let limit = self
                    .pending
                    .front()
                    .map_or(DEFAULT_ARTICLE_LIMIT, |p| p.limit);
                if dec.written() > limit {
                    let what = self
                        .pending
                        .front()
                        .map_or_else(|| "a reply".into(), |p| p.cmd.name());
                    return Err(NntpError::TooLarge { what, limit });
                }
                if done {
                    Ok(Some(self.finish_multiline()))
                } else if data.len() > before {
                    Ok(Some(NntpEvent::Data))
                } else {
                    Ok(None)
                }
            }
        }
    }

    fn finish_multiline(&mut self) -> NntpEvent {
        self.reading = Reading::Status;
        match self.pending.pop_front() {
            Some(p) => NntpEvent::End { cmd: p.cmd },
            // Unreachable: a multi-line reply is only read for a pending command.
            None => NntpEvent::End {
                cmd: NntpCommand::Date,
            },
        }
    }

    fn poll_status(&mut self) -> Result<Option<NntpEvent>, NntpError> {
        let Some(line) = self.input.take_line(LINE_LIMIT)? else {
            return Ok(None);
        };
        let Some(front) = self.pending.front() else {
            return Err(NntpError::Unexpected(preview(&line)));
        };
        let status = NntpStatus::parse(&line)?;
        if status.code == 383 && matches!(front.cmd, NntpCommand::AuthSasl(..)) {
            return Ok(Some(NntpEvent::Challenge(status.text)));
        }
        match front.cmd.body_for(status.code) {
            NntpBody::None => {}
            body => {
                let cmd = front.cmd.clone();
                self.reading = match body {
                    NntpBody::Article => Reading::Article(DotDecoder::new(Eol::Lf)),
                    _ => Reading::Lines,
                };
                return Ok(Some(NntpEvent::Status { cmd, status }));
            }
        }
        let Some(Pending { cmd, .. }) = self.pending.pop_front() else {
            return Err(NntpError::Unexpected(preview(&line)));
        };
        // RFC 3977 §6.3.1: 340 to POST means "send the article"; nothing may be
        // pipelined behind a POST, as the server reads the next lines as the article.
        self.post_ready = cmd == NntpCommand::Post && status.code == 340;
        Ok(Some(NntpEvent::Status { cmd, status }))
    }
}
