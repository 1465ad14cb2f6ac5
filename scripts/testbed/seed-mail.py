#!/usr/bin/env python3
"""Bulk-seeds a testbed user's Maildir with N generated, realistic messages, fast.

    seed-mail.py MAILDIR FOLDER N [SEED]      (usually via `scripts/testbed.sh seed`)

Writes straight into the Maildir Dovecot serves (no IMAP round trips): threads with
In-Reply-To/References, replies, non-ASCII senders and subjects (RFC 2047), some HTML
alternatives and attachments, about 3 KB on average. Each file goes to cur/ named
`<date>.M<usec>P<pid>Q<n>.testbed,S=<size>,W=<crlf size>:2,<flags>` with mtime = Date
(Dovecot's INTERNALDATE); Dovecot assigns UIDs in the order of the names, i.e. date order.
Files are created as the mailbox owner (uid/gid 8) through seteuid, saving a chown each.
FOLDER is the IMAP name: INBOX, Sent, a.b (Maildir++: .Sent, .a.b; non-ASCII names are
stored in modified UTF-7 as Dovecot does). The same SEED gives the same messages
(Message-IDs include the seed, so a second load with another seed does not collide).
"""
import base64
import encodings.utf_16_be  # noqa: F401 (imported before seteuid drops access to it)
import os
import random
import sys
import time

MAIL_UID = 8

FIRST = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Farid", "Grete", "Hiroshi", "Ines", "Jürgen",
         "Kai", "Lena", "Márta", "Noor", "Olu", "Priya", "Quinn", "Rosa", "Søren", "Tomás"]
LAST = ["Archer", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Huang",
        "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Müller", "Nakamura", "O'Brien"]
WORDS = ["budget", "release", "meeting", "draft", "invoice", "travel", "schedule", "review",
         "server", "backup", "report", "migration", "offsite", "roadmap", "café", "naïve",
         "deadline", "proposal", "minutes", "quarterly", "Übersicht", "résumé"]
LOREM = ("Thanks for the notes from yesterday. I went through the numbers again and I think "
         "we can keep the plan as it is, provided the vendor confirms the delivery date. "
         "Could you check with them before Thursday? If anything slips we should tell the "
         "others early rather than late.")


def mutf7(name):
    """RFC 3501 section 5.1.3 modified UTF-7, as Dovecot stores Maildir++ folder names."""
    out, run = [], []

    def flush():
        if run:
            raw = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def header_word(text):
    """An RFC 2047 encoded word when the text is not ASCII."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def folder_dir(maildir, folder):
    if folder.upper() == "INBOX":
        return maildir
    d = os.path.join(maildir, "." + mutf7(folder))
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    open(os.path.join(d, "maildirfolder"), "a").close()
    return d


def messages(n, seed):
    rng = random.Random(seed)
    base = int(time.time()) - n * 300 - 86400
    threads = []
    for i in range(n):
        date = base + i * 300 + rng.randrange(200)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        addr = f"{first}.{last}".lower().encode("ascii", "ignore").decode().replace("'", "")
        mid = f"<{i}.s{seed}.{rng.randrange(10**6)}@seed.example.test>"
        if threads and rng.random() < 0.55:
            t = threads[-1 - rng.randrange(min(len(threads), 400))]
            subject = "Re: " + t[0]
            refs = (t[2] + [t[1]])[-12:]
            t[1], t[2] = mid, refs
        else:
            subject = " ".join(rng.choice(WORDS) for _ in range(3))
            refs = []
            threads.append([subject, mid, []])
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(date))
        head = [
            f"Return-Path: <{addr}@example.org>",
            f"Received: from mx.example.org by mail.example.test with ESMTPS id {i}; {stamp}",
            f"From: {header_word(first + ' ' + last)} <{addr}@example.org>",
            "To: Robin Post <robin@example.test>",
            f"Subject: {header_word(subject)}",
            f"Date: {stamp}",
            f"Message-ID: {mid}",
            "MIME-Version: 1.0",
        ]
        if refs:
            head += [f"In-Reply-To: {refs[-1]}", "References: " + " ".join(refs)]
        body = "\n\n".join([LOREM] * (3 + rng.randrange(9)))
        kind = rng.random()
        if kind < 0.12:
            head.append('Content-Type: multipart/mixed; boundary="=-mixed"')
            text = ("\n--=-mixed\nContent-Type: text/plain; charset=utf-8\n\n" + body +
                    "\n--=-mixed\nContent-Type: application/pdf; name=\"report.pdf\"\n"
                    "Content-Disposition: attachment; filename=\"report.pdf\"\n"
                    "Content-Transfer-Encoding: base64\n\n" +
                    base64.encodebytes(rng.randbytes(600 + rng.randrange(3000))).decode() +
                    "--=-mixed--\n")
        elif kind < 0.25:
            head.append('Content-Type: multipart/alternative; boundary="=-alt"')
            html = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
            text = ("\n--=-alt\nContent-Type: text/plain; charset=utf-8\n\n" + body +
                    "\n--=-alt\nContent-Type: text/html; charset=utf-8\n\n<html><body>" + html +
                    "</body></html>\n--=-alt--\n")
        else:
            head += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
            text = "\n" + body + "\n"
        flags = ""
        if rng.random() < 0.1:
            flags += "F"
        if rng.random() < 0.15:
            flags += "R"
        if rng.random() < 0.7:
            flags += "S"
        yield date, ("\n".join(head) + "\n" + text).encode(), flags


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    maildir, folder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    if os.geteuid() == 0:
        os.setegid(MAIL_UID)
        os.seteuid(MAIL_UID)
    cur = os.path.join(folder_dir(maildir, folder), "cur")
    pid = os.getpid()
    started = time.time()
    total = 0
    for q, (date, raw, flags) in enumerate(messages(n, seed)):
        vsize = len(raw) + raw.count(b"\n")
        name = f"{date}.M{q % 1000000}P{pid}Q{q}.testbed,S={len(raw)},W={vsize}:2,{flags}"
        path = os.path.join(cur, name)
        with open(path, "wb") as f:
            f.write(raw)
        os.utime(path, (date, date))
        total += len(raw)
    took = time.time() - started
    print(f"seeded {n} messages ({total / 1e6:.1f} MB) into {cur} in {took:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
