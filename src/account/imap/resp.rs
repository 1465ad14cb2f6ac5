//! Owned IMAP responses: what the account needs out of async-imap's parsed
//! (`imap_proto`) responses, copied out at once so nothing borrows the connection's
//! buffer. Every kind the sync relies on is here; the rest is `Other`, never an error.

use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::imap_proto::{
    self, AttributeValue, MailboxDatum, NameAttribute, Response, ResponseCode, Status,
    StatusAttribute,
};
use std::ops::RangeInclusive;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImapStatus {
    Ok,
    No,
    Bad,
    PreAuth,
    Bye,
}

/// A response code (RFC 3501 §7.1 plus the extensions the sync uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    UidValidity(u32),
    UidNext(u32),
    HighestModSeq(u64),
    /// RFC 4315 §3: the uidvalidity and the new UIDs.
    AppendUid(u32, Vec<u32>),
    /// RFC 4315 §3: uidvalidity, source UIDs, destination UIDs.
    CopyUid(u32, Vec<u32>, Vec<u32>),
    Capabilities(Vec<String>),
    Alert,
    Other,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchData {
    pub seq: u32,
    pub uid: Option<u32>,
    pub flags: Option<Vec<String>>,
    pub size: Option<u32>,
    pub modseq: Option<u64>,
    pub internal_date: Option<String>,
    /// BODY[HEADER...] (or RFC822.HEADER).
    pub header: Option<Vec<u8>>,
    /// BODY[] (or RFC822).
    pub body: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    pub attributes: Vec<String>,
    pub delimiter: Option<String>,
    /// As sent: modified UTF-7.
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusData {
    pub mailbox: String,
    pub messages: Option<u32>,
    pub unseen: Option<u32>,
    pub uidnext: Option<u32>,
    pub uidvalidity: Option<u32>,
    pub highestmodseq: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resp {
    /// The tagged completion of a command.
    Done {
        tag: String,
        status: ImapStatus,
        code: Option<Code>,
        text: String,
    },
    /// An untagged status (`* OK [UIDVALIDITY 3]`, `* BYE`, the greeting).
    Untagged {
        status: ImapStatus,
        code: Option<Code>,
        text: String,
    },
    Continue(String),
    Capabilities(Vec<String>),
    Exists(u32),
    Expunge(u32),
    Vanished {
        earlier: bool,
        uids: Vec<RangeInclusive<u32>>,
    },
    Fetch(Box<FetchData>),
    List(ListEntry),
    Status(StatusData),
    Search(Vec<u32>),
    Other,
}

fn status(s: &Status) -> ImapStatus {
    match s {
        Status::Ok => ImapStatus::Ok,
        Status::No => ImapStatus::No,
        Status::Bad => ImapStatus::Bad,
        Status::PreAuth => ImapStatus::PreAuth,
        Status::Bye => ImapStatus::Bye,
    }
}

fn uid_set(set: &[UidSetMember]) -> Vec<u32> {
    let mut out = Vec::new();
    for m in set {
        match m {
            UidSetMember::Uid(u) => out.push(*u),
            UidSetMember::UidRange(r) => out.extend(r.clone()),
        }
    }
    out
}

fn caps(c: &[imap_proto::Capability<'_>]) -> Vec<String> {
    c.iter()
        .map(|c| match c {
            imap_proto::Capability::Imap4rev1 => "IMAP4REV1".to_string(),
            imap_proto::Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
            imap_proto::Capability::Atom(a) => a.to_ascii_uppercase(),
        })
        .collect()
}

fn code(c: &Option<ResponseCode<'_>>) -> Option<Code> {
    Some(match c.as_ref()? {
        ResponseCode::UidValidity(v) => Code::UidValidity(*v),
        ResponseCode::UidNext(v) => Code::UidNext(*v),
        ResponseCode::HighestModSeq(v) => Code::HighestModSeq(*v),
        ResponseCode::AppendUid(v, set) => Code::AppendUid(*v, uid_set(set)),
        ResponseCode::CopyUid(v, a, b) => Code::CopyUid(*v, uid_set(a), uid_set(b)),
        ResponseCode::Capabilities(c) => Code::Capabilities(caps(c)),
        ResponseCode::Alert => Code::Alert,
        _ => Code::Other,
    })
}

fn attribute(a: &NameAttribute<'_>) -> String {
    match a {
        NameAttribute::NoInferiors => "\\Noinferiors".into(),
        NameAttribute::NoSelect => "\\Noselect".into(),
        NameAttribute::Marked => "\\Marked".into(),
        NameAttribute::Unmarked => "\\Unmarked".into(),
        NameAttribute::All => "\\All".into(),
        NameAttribute::Archive => "\\Archive".into(),
        NameAttribute::Drafts => "\\Drafts".into(),
        NameAttribute::Flagged => "\\Flagged".into(),
        NameAttribute::Junk => "\\Junk".into(),
        NameAttribute::Sent => "\\Sent".into(),
        NameAttribute::Trash => "\\Trash".into(),
        NameAttribute::Extension(s) => s.to_string(),
        _ => String::new(),
    }
}

fn fetch(seq: u32, attrs: &[AttributeValue<'_>]) -> FetchData {
    use imap_proto::{MessageSection, SectionPath};
    let mut f = FetchData {
        seq,
        ..FetchData::default()
    };
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => f.uid = Some(*u),
            AttributeValue::Flags(fl) => f.flags = Some(fl.iter().map(|s| s.to_string()).collect()),
            AttributeValue::Rfc822Size(s) => f.size = Some(*s),
            AttributeValue::ModSeq(m) => f.modseq = Some(*m),
            AttributeValue::InternalDate(d) => f.internal_date = Some(d.to_string()),
            AttributeValue::Rfc822(d) => f.body = Some(d.as_deref().unwrap_or_default().to_vec()),
            AttributeValue::Rfc822Header(d) => {
                f.header = Some(d.as_deref().unwrap_or_default().to_vec())
            }
            AttributeValue::BodySection { section, data, .. } => {
                let bytes = data.as_deref().unwrap_or_default().to_vec();
                match section {
                    None => f.body = Some(bytes),
                    Some(SectionPath::Full(MessageSection::Header)) => f.header = Some(bytes),
                    // HEADER.FIELDS comes back as a header section too.
                    Some(_) => f.header = Some(bytes),
                }
            }
            _ => {}
        }
    }
    f
}

/// Copies what matters out of a parsed response.
pub fn own(r: &Response<'_>) -> Resp {
    match r {
        Response::Done {
            tag,
            status: s,
            outcome,
        } => Resp::Done {
            tag: tag.0.clone(),
            status: status(s),
            code: code(&outcome.code),
            text: outcome.information.as_deref().unwrap_or("").to_string(),
        },
        Response::Data { status: s, outcome } => Resp::Untagged {
            status: status(s),
            code: code(&outcome.code),
            text: outcome.information.as_deref().unwrap_or("").to_string(),
        },
        Response::Continue(o) => Resp::Continue(o.information.as_deref().unwrap_or("").into()),
        Response::Capabilities(c) => Resp::Capabilities(caps(c)),
        Response::Expunge(n) => Resp::Expunge(*n),
        Response::Vanished { earlier, uids } => Resp::Vanished {
            earlier: *earlier,
            uids: uids.clone(),
        },
        Response::Fetch(seq, attrs) => Resp::Fetch(Box::new(fetch(*seq, attrs))),
        Response::MailboxData(MailboxDatum::Exists(n)) => Resp::Exists(*n),
        Response::MailboxData(MailboxDatum::List(l)) => Resp::List(ListEntry {
            attributes: l.name_attributes.iter().map(attribute).collect(),
            delimiter: l.delimiter.as_ref().map(|d| d.to_string()),
            name: l.name.to_string(),
        }),
        Response::MailboxData(MailboxDatum::Status { mailbox, status }) => {
            let mut s = StatusData {
                mailbox: mailbox.to_string(),
                ..StatusData::default()
            };
            for a in status {
                match a {
                    StatusAttribute::Messages(n) => s.messages = Some(*n),
                    StatusAttribute::Unseen(n) => s.unseen = Some(*n),
                    StatusAttribute::UidNext(n) => s.uidnext = Some(*n),
                    StatusAttribute::UidValidity(n) => s.uidvalidity = Some(*n),
                    StatusAttribute::HighestModSeq(n) => s.highestmodseq = Some(*n),
                    _ => {}
                }
            }
            Resp::Status(s)
        }
        Response::MailboxData(MailboxDatum::Search(v)) => Resp::Search(v.clone()),
        _ => Resp::Other,
    }
}
