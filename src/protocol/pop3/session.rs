//! `Pop3Session`: the client side of one POP3 session as a sans-IO state machine.
//! Commands go in (`send`) and come out as bytes (`take_output`); received bytes go in
//! (`feed`) and come out as events (`poll`): the greeting, each reply's status line, the
//! lines of a listing, the decoded bytes of a message, a SASL challenge.
//!
//! Replies are matched to commands in the order they were sent, so any number of
//! commands may be in flight (RFC 2449 §6.6 PIPELINING). The RFC 1939 §3 states are
//! tracked (AUTHORIZATION, TRANSACTION, UPDATE) and a command the current state does
//! not allow is refused before it is sent. A message body is decoded as it arrives
//! (dot-unstuffed, lines ended with LF) with a size limit, never buffered whole here.

use super::Pop3Error;
use super::command::Pop3Command;
use super::reply::{Pop3Status, preview};
use crate::protocol::lines::{DotDecoder, Eol, LineBuffer};
use std::collections::VecDeque;

/// Longest status or listing line accepted (RFC 2449 §4 says 512 octets; servers
/// exceed that in greetings and IMPLEMENTATION lines, but not by this much).
pub const LINE_LIMIT: usize = 16 * 1024;

/// Default body limit when the caller gives none.
pub const DEFAULT_BODY_LIMIT: u64 = 1 << 30;

/// RFC 1939 §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pop3State {
    /// Waiting for the server's greeting.
    Greeting,
    Authorization,
    Transaction,
    /// QUIT was accepted: the server commits its deletions and closes.
    Update,
}

/// Something the server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pop3Event {
    Greeting(Pop3Status),
    /// The status line of the reply to `cmd`. For a multi-line command with +OK, `Line`
    /// (listings) or `Data` (RETR, TOP) events follow, then `End`.
    Status {
        cmd: Pop3Command,
        status: Pop3Status,
    },
    /// One line of a CAPA, LIST or UIDL listing, unstuffed, without its line ending.
    Line(Vec<u8>),
    /// More of a RETR or TOP body was appended to the caller's buffer.
    Data,
    /// The multi-line reply to `cmd` is complete (its last bytes, if any, were appended
    /// to the caller's buffer by the same `poll`).
    End {
        cmd: Pop3Command,
    },
    /// A SASL challenge (RFC 5034 §4), still base64.
    Challenge(Vec<u8>),
}

#[derive(Debug)]
struct Pending {
    cmd: Pop3Command,
    limit: u64,
}

#[derive(Debug)]
enum Reading {
    Status,
    Lines,
    Body(DotDecoder),
}

#[derive(Debug)]
pub struct Pop3Session {
    input: LineBuffer,
    out: Vec<u8>,
    pending: VecDeque<Pending>,
    state: Pop3State,
    reading: Reading,
}

impl Default for Pop3Session {
    fn default() -> Self {
        Pop3Session::new()
    }
}

impl Pop3Session {
    pub fn new() -> Self {
        Pop3Session {
            input: LineBuffer::new(),
            out: Vec::new(),
            pending: VecDeque::new(),
            state: Pop3State::Greeting,
            reading: Reading::Status,
        }
    }

    pub fn state(&self) -> Pop3State {
        self.state
    }

    /// Replies still expected.
    pub fn awaiting(&self) -> usize {
        self.pending.len()
    }

    /// Received bytes not consumed yet. After STLS's +OK this must be 0: anything the
    /// server sent before the handshake was not protected (RFC 2595 §4; a man in the
    /// middle could have injected it) and must not be read as a reply.
    pub fn buffered(&self) -> usize {
        self.input.pending().len()
    }

    /// Queues a command (body limit: `DEFAULT_BODY_LIMIT`).
    pub fn send(&mut self, cmd: Pop3Command) -> Result<(), Pop3Error> {
        self.send_limited(cmd, DEFAULT_BODY_LIMIT)
    }

    /// Queues a command whose multi-line body may be at most `limit` bytes once
    /// decoded; more is an error (the session cannot go on after it).
    pub fn send_limited(&mut self, cmd: Pop3Command, limit: u64) -> Result<(), Pop3Error> {
        self.check_allowed(&cmd)?;
        cmd.encode(&mut self.out)?;
        if !matches!(cmd, Pop3Command::SaslResponse(_)) {
            self.pending.push_back(Pending { cmd, limit });
        }
        Ok(())
    }

    fn check_allowed(&self, cmd: &Pop3Command) -> Result<(), Pop3Error> {
        use Pop3Command as C;
        let ok = match (self.state, cmd) {
            (Pop3State::Greeting | Pop3State::Update, _) => false,
            (_, C::Capa | C::Quit) => true,
            // A SASL response answers the AUTH in flight, and nothing else.
            (Pop3State::Authorization, C::SaslResponse(_)) => matches!(
                self.pending.front(),
                Some(Pending {
                    cmd: C::Auth(..),
                    ..
                })
            ),
            (
                Pop3State::Authorization,
                C::Stls | C::Utf8 | C::User(_) | C::Pass(_) | C::Apop(..) | C::Auth(..),
            ) => true,
            (
                Pop3State::Transaction,
                C::Stat
                | C::List(_)
                | C::Uidl(_)
                | C::Retr(_)
                | C::Top(..)
                | C::Dele(_)
                | C::Rset
                | C::Noop,
            ) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(Pop3Error::WrongState(format!(
                "{} is not allowed in the {:?} state",
                cmd.name(),
                self.state
            )))
        }
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

    /// The next event, or None when more bytes are needed. Decoded message bytes are
    /// appended to `data`. After an error the session is unusable: drop the
    /// connection (without QUIT, so nothing is deleted).
    pub fn poll(&mut self, data: &mut Vec<u8>) -> Result<Option<Pop3Event>, Pop3Error> {
        match &mut self.reading {
            Reading::Status => self.poll_status(),
            Reading::Lines => {
                let Some(line) = self.input.take_line(LINE_LIMIT)? else {
                    return Ok(None);
                };
                if line == b"." {
                    return Ok(Some(self.finish_multiline()));
                }
                // RFC 1939 §3: a line starting with "." has one more in front.
                let line = match line.strip_prefix(b".") {
                    Some(rest) => rest.to_vec(),
                    None => line,
                };
                Ok(Some(Pop3Event::Line(line)))
            }
            Reading::Body(dec) => {
                if self.input.is_empty() {
                    return Ok(None);
                }
                let before = data.len();
                let done = self.input.take_block(dec, data);
                let limit = self.pending.front().map_or(DEFAULT_BODY_LIMIT, |p| p.limit);
                if dec.written() > limit {
                    let what = self
                        .pending
                        .front()
                        .map_or_else(|| "a reply".into(), |p| p.cmd.name());
                    return Err(Pop3Error::TooLarge { what, limit });
                }
                if done {
                    Ok(Some(self.finish_multiline()))
                } else if data.len() > before {
                    Ok(Some(Pop3Event::Data))
                } else {
                    Ok(None)
                }
            }
        }
    }

    fn finish_multiline(&mut self) -> Pop3Event {
        self.reading = Reading::Status;
        match self.pending.pop_front() {
            Some(p) => Pop3Event::End { cmd: p.cmd },
            // Unreachable: a multi-line reply is only read for a pending command.
            None => Pop3Event::End {
                cmd: Pop3Command::Noop,
            },
        }
    }

    fn poll_status(&mut self) -> Result<Option<Pop3Event>, Pop3Error> {
        let Some(line) = self.input.take_line(LINE_LIMIT)? else {
            return Ok(None);
        };
        if self.state == Pop3State::Greeting {
            let status = Pop3Status::parse(&line)?;
            if status.ok {
                self.state = Pop3State::Authorization;
            }
            return Ok(Some(Pop3Event::Greeting(status)));
        }
        let Some(front) = self.pending.front() else {
            return Err(Pop3Error::Unexpected(preview(&line)));
        };
        // RFC 5034 §4: "+ " and base64 (or a bare "+") is a challenge, not a reply.
        if matches!(front.cmd, Pop3Command::Auth(..)) && (line == b"+" || line.starts_with(b"+ ")) {
            let payload = line.get(2..).unwrap_or_default().to_vec();
            return Ok(Some(Pop3Event::Challenge(payload)));
        }
        let status = Pop3Status::parse(&line)?;
        if status.ok && front.cmd.is_multiline() {
            let cmd = front.cmd.clone();
            self.reading = match cmd {
                Pop3Command::Retr(_) | Pop3Command::Top(..) => {
                    Reading::Body(DotDecoder::new(Eol::Lf))
                }
                _ => Reading::Lines,
            };
            return Ok(Some(Pop3Event::Status { cmd, status }));
        }
        let Some(Pending { cmd, .. }) = self.pending.pop_front() else {
            return Err(Pop3Error::Unexpected(preview(&line)));
        };
        if status.ok {
            match cmd {
                Pop3Command::Pass(_) | Pop3Command::Apop(..) | Pop3Command::Auth(..) => {
                    self.state = Pop3State::Transaction
                }
                Pop3Command::Quit => self.state = Pop3State::Update,
                _ => {}
            }
        }
        Ok(Some(Pop3Event::Status { cmd, status }))
    }
}
