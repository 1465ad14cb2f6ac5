#!/usr/bin/env python3
"""Generates the bundled sample mailbox in assets/demo (deterministic: same output
every run). Two accounts: `personal` in the Maildir++ layout and `work` in the nested
layout, with real-looking threads, HTML mail, attachments, non-ASCII headers, a
forwarded message, format=flowed text and a few deliberately broken or hostile
messages that the client must show safely.

Seeded, so the messages and flags are the same each run (MIME boundaries differ).
The output is committed; rerun only to change the sample."""

import os
import random
import shutil
import sys
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

random.seed(7)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "demo")
BASE = datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc)
COUNTER = [0]

PEOPLE = [
    ("Zoë Müller", "zoe@example.org"), ("Jürgen Weiß", "juergen@example.de"),
    ("山田 太郎", "yamada@example.jp"), ("Amélie Dubois", "amelie@example.fr"),
    ("Ravi Iyer", "ravi@example.in"), ("Ana Souza", "ana@example.br"),
    ("Tom Baker", "tom@example.com"), ("Lena Nowak", "lena@example.pl"),
    ("Olu Adeyemi", "olu@example.ng"), ("Sven Lindqvist", "sven@example.se"),
]
ME = ("Robin Post", "robin@example.net")
WORK_ME = ("Robin Post", "r.post@corp.example")

TOPICS = [
    ("Weekend hike to the lakes", "Shall we take the early train? The forecast says sun until three."),
    ("Réunion du club de lecture", "On se retrouve jeudi à 19h. Apportez vos notes sur le chapitre 4."),
    ("Grillabend am Samstag", "Wir grillen ab 18 Uhr im Garten. Bringt gern Salate mit!"),
    ("Photos from the wedding", "I finally sorted the photos. The good ones are in the shared album."),
    ("Book recommendation", "You should read 'The Dispossessed' next; it fits the discussion we had."),
    ("Flat viewing on Tuesday", "The agent confirmed 17:30. I can meet you at the corner café."),
    ("Recipe: lentil soup", "Two onions, a carrot, red lentils, cumin, lemon at the end. That's it."),
    ("お花見の計画", "来週の土曜日に公園でお花見をしましょう。お弁当は各自でお願いします。"),
    ("Bike repair", "The rear derailleur needs a new cable. I can do it on Sunday."),
    ("Concert tickets", "I got two tickets for the quartet in March. Interested?"),
]

WORK_TOPICS = [
    ("Q4 planning: roadmap draft", "Attached is the first draft. Please comment by Friday."),
    ("Incident review: login outage", "Timeline, root cause and follow-ups are in the doc below."),
    ("Onboarding checklist for new hires", "I merged both lists; please check the IT section."),
    ("Budget 2027 — numbers", "Finance needs our figures by the 28th. Spreadsheet attached."),
    ("Release 4.2 go/no-go", "All blockers are closed except the migration test. Decision at 15:00."),
    ("Office move logistics", "Crates arrive Monday; label everything with your desk number."),
]

LIST_TOPICS = [
    "Borrow checker complains about a closure", "Async traits in 2026?", "Best crate for CSV parsing",
    "Why is my release build slower?", "Pattern matching on nested enums", "Lifetimes in struct fields",
    "Tokio select! and cancellation", "Error handling: anyhow vs thiserror",
]

MSGIDS = [0]

def msgid(domain):
    MSGIDS[0] += 1
    return f"<demo.{MSGIDS[0]:05d}@{domain}>"

def maildir(path):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    for sub in ("cur", "new", "tmp"):  # git keeps no empty directories
        open(os.path.join(path, sub, ".keep"), "w").close()
    return path

def deliver(folder, msg, when, flags):
    COUNTER[0] += 1
    ts = int(when.timestamp())
    data = msg if isinstance(msg, bytes) else msg.as_bytes(policy=default.clone(linesep="\n"))
    name = f"{ts}.M{COUNTER[0]:06d}P4242Q{COUNTER[0]}.demo,S={len(data)}"
    if flags is None:
        path = os.path.join(folder, "new", name)
    else:
        path = os.path.join(folder, "cur", name + ":2," + flags)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (ts, ts))

def person(p):
    return f'"{p[0]}" <{p[1]}>' if any(ord(c) > 127 for c in p[0]) else f"{p[0]} <{p[1]}>"

def make(sender, to, subject, body, when, domain, parent=None, cc=None):
    m = EmailMessage()
    m["From"] = person(sender)
    m["To"] = person(to)
    if cc:
        m["Cc"] = ", ".join(person(c) for c in cc)
    m["Subject"] = subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = msgid(domain)
    if parent is not None:
        m["In-Reply-To"] = parent["Message-ID"]
        refs = (parent.get("References", "") + " " + parent["Message-ID"]).strip()
        m["References"] = refs
    m.set_content(body)
    return m

def flags_for(when, rng):
    age = (BASE - when).days
    if age < 2 and rng.random() < 0.7:
        return None  # unread, in new/
    f = "S"
    if rng.random() < 0.12:
        f = "F" + f
    if rng.random() < 0.2:
        f = "RS" if "F" not in f else "FRS"
    return f

def quote(m):
    body = m.get_body(("plain",)).get_content()
    who = str(m["From"]).split("<")[0].strip().strip('"')
    return f"\n\nOn {m['Date']}, {who} wrote:\n" + "\n".join("> " + l for l in body.strip().splitlines())

def threads(folder, topics, me, domain, count, rng, reply_folder=None):
    made = 0
    for i in range(count):
        subject, body = topics[i % len(topics)]
        if i >= len(topics):
            subject = f"{subject} ({i // len(topics) + 1})"
        start = BASE - timedelta(days=rng.randint(0, 55), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
        a = rng.choice(PEOPLE)
        root = make(a, me, subject, body + "\n\nCheers,\n" + a[0].split()[0], start, domain)
        deliver(folder, root, start, flags_for(start, rng))
        made += 1
        parent, when = root, start
        for _ in range(rng.randint(0, 4)):
            when = when + timedelta(hours=rng.randint(1, 30))
            if when > BASE:
                break
            sender = rng.choice(PEOPLE + [me])
            reply = make(sender, a, "Re: " + subject, rng.choice(REPLIES) + quote(parent), when, domain, parent)
            target = reply_folder if (sender == me and reply_folder) else folder
            deliver(target, reply, when, "S" if sender == me else flags_for(when, rng))
            made += 1
            parent = reply if rng.random() < 0.7 else parent
    return made

REPLIES = [
    "Sounds good to me.", "I can't make it, sorry — next time!", "Count me in.",
    "Could we move it an hour later?", "Great, thanks for organising.",
    "I'll bring the usual.", "Let me check and get back to you tonight.",
]

def html_mail(sender, to, subject, when, domain):
    m = make(sender, to, subject, "This newsletter is best read in HTML.\n\nTop story: the river festival returns.\nRead more: https://news.example.org/festival\n", when, domain)
    m.add_alternative(f"""<html><head><style>p{{color:#333}}</style><script>alert('x')</script></head>
<body><h1>{subject}</h1><p>The <b>river festival</b> returns on the first weekend of June.
See the <a href="https://news.example.org/festival">programme</a> and
<a href="https://news.example.org/tickets">buy tickets</a>.</p>
<table><tr><th>Day</th><th>Event</th></tr><tr><td>Sat</td><td>Boat parade</td></tr>
<tr><td>Sun</td><td>Fireworks</td></tr></table>
<p>Unsubscribe: <a href="https://news.example.org/u">here</a></p></body></html>""", subtype="html")
    return m

def with_attachments(m, files):
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

def special(inbox, domain, rng):
    """Messages that exercise MIME, charsets and hostile input."""
    n = 0
    w = BASE - timedelta(hours=3)
    deliver(inbox, html_mail(("Riverside News", "news@news.example.org"), ME, "Festival newsletter — June edition", w, domain), w, None); n += 1
    w = BASE - timedelta(days=1, hours=2)
    m = make(PEOPLE[3], ME, "Photos et facture ci-jointes", "Voici les photos et la facture.\n\nBises,\nAmélie", w, domain)
    with_attachments(m, [("plage été.png", "image/png", PNG), ("facture-2026-11.pdf", "application/pdf", PDF),
                         ("../../.bashrc", "text/plain", b"echo pwned\n")])
    deliver(inbox, m, w, None); n += 1
    w = BASE - timedelta(days=2)
    m = EmailMessage()
    m["From"] = person(PEOPLE[6]); m["To"] = person(ME); m["Subject"] = "Flowed text example"
    m["Date"] = format_datetime(w); m["Message-ID"] = msgid(domain)
    m.set_content("This paragraph was sent as format=flowed, so the soft line breaks \nthat the sender's client inserted are joined again when \nposthorn shows it.\n\n> And quoted flowed text \n> joins too.\n")
    m.set_param("format", "flowed")
    deliver(inbox, m, w, "S"); n += 1
    w = BASE - timedelta(days=3)
    inner = make(PEOPLE[1], PEOPLE[6], "Angebot Gartenmöbel", "Anbei das Angebot, gültig bis Ende des Monats.\n\nGrüße\nJürgen", w - timedelta(days=1), domain)
    m = make(PEOPLE[6], ME, "Fwd: Angebot Gartenmöbel", "Forwarding this — what do you think?\n\nTom", w, domain)
    m.add_attachment(inner, filename="Angebot.eml")
    deliver(inbox, m, w, "S"); n += 1
    w = BASE - timedelta(days=4)
    hostile = ("Hostile subject \x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[31mRED\u202eTXT.exe").encode("utf-8")
    raw = (b"From: Mallory <mallory@evil.example>\nTo: robin@example.net\nSubject: " + hostile +
           b"\nDate: " + format_datetime(w).encode() + b"\nMessage-ID: <hostile@evil.example>\n\n"
           b"Body with an escape \x1b[5mblink\x1b[0m and a bell \x07 and a C1 \xc2\x9b control.\n")
    deliver(inbox, raw, w, None); n += 1
    w = BASE - timedelta(days=5)
    raw = (b"From: Broken Mailer <broken@example.com>\nTo: robin@example.net\nSubject: Broken MIME: missing boundary\n"
           b"Date: not a real date at all\nMessage-ID: <broken@example.com>\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed\n\nThis multipart has no boundary parameter, so it cannot be split.\n"
           b"posthorn still shows it and lists the problem.\n")
    deliver(inbox, raw, w, "S"); n += 1
    w = BASE - timedelta(days=6)
    raw = (b"From: MAILER-DAEMON <>\nTo: robin@example.net\nSubject: Undelivered Mail Returned to Sender\n"
           b"Date: " + format_datetime(w).encode() + b"\nMessage-ID: <bounce1@example.net>\n"
           b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
           b"Die Nachricht konnte nicht zugestellt werden: Empf=E4nger unbekannt.\n")
    deliver(inbox, raw, w, "S"); n += 1
    w = BASE - timedelta(days=7)
    m = make(PEOPLE[2], ME, "=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= charset test", "", w, domain)
    del m["Subject"]
    m["Subject"] = "日本語の件名とShift_JISの本文"
    m.set_content("これはShift_JISでエンコードされた本文です。\n", charset="shift_jis")
    deliver(inbox, m, w, "S"); n += 1
    return n

def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    rng = random.Random(7)
    # personal: Maildir++ (the root is INBOX)
    p = maildir(os.path.join(ROOT, "personal"))
    sub = {}
    for name in ("Sent", "Archive", "Trash", "Lists.rust-users", "Drafts"):
        sub[name] = maildir(os.path.join(p, "." + name))
        open(os.path.join(sub[name], "maildirfolder"), "w").close()
    total = threads(p, TOPICS, ME, "example.net", 34, rng, reply_folder=sub["Sent"])
    total += special(p, "example.net", rng)
    total += threads(sub["Archive"], TOPICS[3:], ME, "example.net", 12, rng)
    # the mailing list: long threads, one folder
    for i, t in enumerate(LIST_TOPICS):
        start = BASE - timedelta(days=rng.randint(0, 40), hours=i)
        a = rng.choice(PEOPLE)
        root = make(a, ("rust-users", "rust-users@lists.example.org"), "[rust-users] " + t,
                    "Hi all,\n\n" + t + " — any advice? Minimal example below.\n\n    fn main() { todo!() }\n", start, "lists.example.org")
        root["List-Id"] = "<rust-users.lists.example.org>"
        deliver(sub["Lists.rust-users"], root, start, flags_for(start, rng)); total += 1
        parent, when = root, start
        for _ in range(rng.randint(2, 7)):
            when += timedelta(hours=rng.randint(1, 12))
            if when > BASE:
                break
            r = make(rng.choice(PEOPLE), ("rust-users", "rust-users@lists.example.org"), "Re: [rust-users] " + t,
                     rng.choice(["Have you tried cloning the Arc first?", "Use a scoped thread here.",
                                 "This is documented in the reference, see the chapter on lifetimes.",
                                 "Works for me on 1.95."]) + quote(parent), when, "lists.example.org", parent)
            deliver(sub["Lists.rust-users"], r, when, flags_for(when, rng)); total += 1
            parent = r if rng.random() < 0.6 else root
    w = BASE - timedelta(days=9)
    deliver(sub["Trash"], make(PEOPLE[8], ME, "Old newsletter you deleted", "Nothing important.", w, "example.net"), w, "ST"); total += 1
    # work: nested layout (INBOX/, Projects/…, Sent/)
    wroot = os.path.join(ROOT, "work")
    winbox = maildir(os.path.join(wroot, "INBOX"))
    wsent = maildir(os.path.join(wroot, "Sent"))
    wproj = maildir(os.path.join(wroot, "Projects", "Migration"))
    maildir(os.path.join(wroot, "Archive"))
    total += threads(winbox, WORK_TOPICS, WORK_ME, "corp.example", 18, rng, reply_folder=wsent)
    w = BASE - timedelta(days=1)
    m = make(("Priya Raman", "priya@corp.example"), WORK_ME, "Budget 2027 — spreadsheet and slides",
             "Here are the figures and the deck for Thursday.\n\nPriya", w, "corp.example")
    with_attachments(m, [("budget-2027.csv", "text/csv", b"team,q1,q2,q3,q4\nplatform,120,130,125,140\nmail,80,85,90,95\n"),
                         ("deck.pdf", "application/pdf", PDF)])
    deliver(winbox, m, w, None); total += 1
    total += threads(wproj, WORK_TOPICS[4:], WORK_ME, "corp.example", 6, rng)
    print(f"wrote {total} messages under {os.path.normpath(ROOT)}", file=sys.stderr)

if __name__ == "__main__":
    main()
