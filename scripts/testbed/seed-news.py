#!/usr/bin/env python3
"""Bulk-loads N generated articles into one newsgroup of the testbed's INN, fast.

    seed-news.py NNTPIN GROUP N [SEED]        (usually via `scripts/testbed.sh seed-news`)

Feeds innd over its local Unix socket (pathrun/nntpin) with IHAVE (RFC 3977 section 6.3.2),
as a local peer: no incoming.conf entry, thousands of articles per second (POST through
nnrpd manages about 200/s). Articles form threads (References), some have non-ASCII
headers (RFC 2047) and dates spread over the past (artcutoff is 0). Message-IDs contain the
seed: innd refuses a Message-ID it has seen, so use another SEED for a second load.
"""
import base64
import random
import socket
import sys
import time

NAMES = ["Ann Archer", "Bob Bauer", "Chloé Dubois", "Dmitri Ivanov", "Grete Müller",
         "Hiroshi Nakamura", "Ines García", "Kai Jensen", "Søren Lindqvist", "Priya Huang"]
WORDS = ["kernel", "release", "patch", "question", "mailer", "threading", "résumé", "header",
         "encoding", "Übersicht", "spool", "overview", "newsreader", "archive", "digest"]
LOREM = ("I tried the suggestion from the earlier post and it works here as well, although "
         "the documentation could say more clearly which option is meant. Has anybody "
         "seen the same behaviour with an older version?")


def word(text):
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


class Feed:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.rfile = self.sock.makefile("rb")
        greeting = self.line()
        if not greeting.startswith("200"):
            sys.exit(f"innd at {path}: {greeting}")

    def line(self):
        raw = self.rfile.readline()
        if not raw:
            sys.exit("innd closed the feed connection")
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def ihave(self, mid, article):
        self.sock.sendall(f"IHAVE {mid}\r\n".encode())
        reply = self.line()
        if not reply.startswith("335"):
            return reply
        # Dot-stuffing (RFC 3977 section 3.1.1).
        lines = [b"." + l if l.startswith(b".") else l for l in article.split(b"\n")]
        self.sock.sendall(b"\r\n".join(lines) + b"\r\n.\r\n")
        return self.line()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, group, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = random.Random(seed)
    feed = Feed(path)
    base = int(time.time()) - n * 120 - 3600
    threads = []
    started, refused = time.time(), 0
    for i in range(n):
        date = base + i * 120 + rng.randrange(100)
        name = rng.choice(NAMES)
        addr = name.split()[0].lower().encode("ascii", "ignore").decode()
        mid = f"<{i}.s{seed}.{group}@seed.example.test>"
        if threads and rng.random() < 0.6:
            t = threads[-1 - rng.randrange(min(len(threads), 200))]
            subject, refs = "Re: " + t[0], (t[2] + [t[1]])[-10:]
            t[1], t[2] = mid, refs
        else:
            subject, refs = " ".join(rng.choice(WORDS) for _ in range(3)), []
            threads.append([subject, mid, []])
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(date))
        head = [f"Path: seed.example.test!not-for-mail", f"From: {word(name)} <{addr}@example.test>",
                f"Newsgroups: {group}", f"Subject: {word(subject)}", f"Message-ID: {mid}",
                f"Date: {stamp}", "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        if refs:
            head.append("References: " + " ".join(refs))
        body = "\n\n".join([LOREM] * (1 + rng.randrange(6)))
        reply = feed.ihave(mid, ("\n".join(head) + "\n\n" + body).encode())
        if not reply.startswith("235"):
            refused += 1
            if refused <= 3:
                print(f"innd refused {mid}: {reply}", file=sys.stderr)
    took = time.time() - started
    print(f"fed {n - refused} of {n} articles to {group} in {took:.2f} s", file=sys.stderr)
    sys.exit(1 if refused else 0)


if __name__ == "__main__":
    main()
