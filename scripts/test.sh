#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing (as on a
# fresh Debian machine), then runs the whole test suite, formatting and lint checks.
#
# This issue's tests need no mail servers; the IMAP, POP3, SMTP and NNTP issues add
# their real Dovecot/Postfix/INN testbed here, started on loopback and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1mtest.sh:\033[0m %s\n' "$*" >&2; }

missing=()
# native-tls links the system OpenSSL.
for pkg in libssl-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The MIME tests parse CPython's test_email corpus (Debian ships it separately).
if ! python3 -c 'import test.test_email' 2>/dev/null; then
    ver=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    log "installing libpython${ver}-testsuite for CPython's test_email corpus"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "libpython${ver}-testsuite" >/dev/null
fi
command -v cargo >/dev/null || { log "cargo is missing: install Rust 1.95 (rustup)"; exit 1; }

log "cargo test"
cargo test
log "cargo fmt --check"
cargo fmt --check
log "cargo clippy"
cargo clippy --all-targets -- -D warnings
log "all green"
