#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing (as on a
# fresh Debian machine), then runs the whole test suite, formatting and lint checks.
#
# The server tests run against a real Dovecot/Postfix/INN testbed (scripts/testbed.sh),
# installed here when missing, started on loopback before cargo test and stopped on exit.
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

# The real-server testbed: Debian packages (Dovecot, Postfix, INN2, OpenSSL) when missing,
# started before the tests, stopped on any exit (success, failure or Ctrl-C).
scripts/testbed.sh install
export POSTHORN_TESTBED_DIR=${POSTHORN_TESTBED_DIR:-/tmp/phtb}
trap 'scripts/testbed.sh stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "starting the testbed"
scripts/testbed.sh start
export POSTHORN_TESTBED=$POSTHORN_TESTBED_DIR/env

log "cargo test"
cargo test
log "cargo fmt --check"
cargo fmt --check
log "cargo clippy"
cargo clippy --all-targets -- -D warnings
log "all green"
