#!/usr/bin/env bash
# POP3 benchmark for issue 9 (`scripts/bench.sh pop3`): download N realistic messages
# (default 10,000, ~3 KB each) from the testbed's Dovecot into an empty Maildir, deleting
# them on the server (every message durable before its DELE), side by side with
# fetchmail + procmail and getmail6, runs alternating; the server's INBOX is seeded
# again before every run. Also the raw floor: every RETR reply read and decoded with
# no disk. Prints the figures and the ratios; writes them to $OUT.
#
#   scripts/bench.sh pop3              # N=10000, RUNS=3, data in /tmp/phpop3
#   N=2000 RUNS=5 GETMAIL=0 scripts/bench.sh pop3
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
RUNS=${RUNS:-3}
DATA=${DATA:-/tmp/phpop3}
OUT=${OUT:-$DATA/results.txt}
GETMAIL=${GETMAIL:-1}
ENV_FILE=${POSTHORN_TESTBED:-/tmp/phtb/env}

need=()
command -v fetchmail >/dev/null || need+=(fetchmail)
command -v procmail >/dev/null || need+=(procmail)
command -v getmail >/dev/null || need+=(getmail6)
command -v bc >/dev/null || need+=(bc)
if ((${#need[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -x scripts/testbed.sh ]; then
    scripts/testbed.sh start >/dev/null
fi
[ -f "$ENV_FILE" ] || { echo "no testbed env file at $ENV_FILE (run scripts/testbed.sh start)" >&2; exit 1; }
# shellcheck disable=SC1090
source "$ENV_FILE"

# A spare testbed user of our own, held (flock, as tests/common/testbed.rs does) for
# the whole run so no test process gets it meanwhile.
USER_NAME=""
mkdir -p "$STATE/claims"
for n in $(seq 60 -1 41); do
    lock="$STATE/claims/t$n.lock"
    exec 9>>"$lock"
    if flock -n 9; then USER_NAME="t$n"; break; fi
    exec 9>&-
done
[ -n "$USER_NAME" ] || { echo "no spare testbed user free (t41..t60)" >&2; exit 1; }
PASS="${USER_NAME}pw"
HOME_DIR="$MAIL_ROOT/$USER_NAME"

cargo build --release -q
cargo bench --bench folder --no-run -q 2>/dev/null
cargo bench --bench pop3 --no-run -q 2>/dev/null
GEN=$(ls -t target/release/deps/folder-* | grep -v '\.d$' | head -1)
RAW=$(ls -t target/release/deps/pop3-* | grep -v '\.d$' | head -1)
PH=$PWD/target/release/posthorn

mkdir -p "$DATA"
if [ ! -f "$DATA/template/.generated-$N" ]; then
    rm -rf "$DATA/template"
    "$GEN" gen "$DATA/template" "$N" >/dev/null
    touch "$DATA/template/.generated-$N"
fi

# The server's INBOX: the N messages, fresh (Dovecot's own index files go too).
reseed() {
    rm -rf "$HOME_DIR"
    mkdir -p "$HOME_DIR/Maildir/cur" "$HOME_DIR/Maildir/tmp"
    cp -r "$DATA/template/cur" "$HOME_DIR/Maildir/new"
    chown -R 8:8 "$HOME_DIR"
    chmod 700 "$HOME_DIR"
}
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
check() { # check NAME MAILDIR: N local, none left on the server
    local got left
    got=$(count "$2"); left=$(count "$HOME_DIR/Maildir")
    if [ "$got" != "$N" ] || [ "$left" != 0 ]; then
        echo "$1: $got of $N messages stored, $left left on the server" >&2
        exit 1
    fi
}

# fetchmail + procmail, plaintext on the POP3 port, deleting after delivery.
cat > "$DATA/procmailrc" <<EOF
MAILDIR=$DATA/fm/Maildir/
DEFAULT=$DATA/fm/Maildir/
EOF
cat > "$DATA/fetchmailrc" <<EOF
set no syslog
poll $HOST protocol pop3 port $POP3_PORT auth password:
  user "$USER_NAME" password "$PASS" is root here
  sslproto ''
  nokeep fetchall
  mda "/usr/bin/procmail -m $DATA/procmailrc"
EOF
chmod 600 "$DATA/fetchmailrc"
run_fetchmail() {
    rm -rf "$DATA/fm"; mkdir -p "$DATA/fm/Maildir/cur" "$DATA/fm/Maildir/new" "$DATA/fm/Maildir/tmp"
    local t0; t0=$(now_ms)
    FETCHMAILHOME="$DATA/fm" fetchmail -f "$DATA/fetchmailrc" -s 2>/dev/null || true
    echo $(( $(now_ms) - t0 ))
    check fetchmail "$DATA/fm/Maildir"
}

# getmail6 refuses to deliver as root: it runs as the mail user. Pinned to one CPU: on
# two it loses the wake-up of its SIGCHLD handler now and then and stalls for minutes.
cat > "$DATA/getmailrc" <<EOF
[retriever]
type = SimplePOP3Retriever
server = $HOST
port = $POP3_PORT
username = $USER_NAME
password = $PASS

[destination]
type = Maildir
path = $DATA/gm/Maildir/

[options]
read_all = true
delete = true
verbose = 0
message_log_syslog = false
EOF
run_getmail() {
    rm -rf "$DATA/gm"; mkdir -p "$DATA/gm/Maildir/cur" "$DATA/gm/Maildir/new" "$DATA/gm/Maildir/tmp" "$DATA/gm/state"
    cp "$DATA/getmailrc" "$DATA/gm/getmailrc"; chown -R 8:8 "$DATA/gm"
    local t0; t0=$(now_ms)
    taskset -c 0 setpriv --reuid=8 --regid=8 --clear-groups env HOME="$DATA/gm" \
        getmail --getmaildir "$DATA/gm/state" --rcfile "$DATA/gm/getmailrc" >/dev/null 2>&1 || true
    echo $(( $(now_ms) - t0 ))
    check getmail6 "$DATA/gm/Maildir"
}

# posthorn: `posthorn sync`, the same plaintext port, delete mode, a fresh cache and index
# (it also indexes every envelope, which the others do not).
cat > "$DATA/posthorn.toml" <<EOF
[general]
index = "$DATA/ph/index.sqlite"
[accounts.bench.pop3]
host = "$HOST"
port = $POP3_PORT
user = "$USER_NAME"
password = "$PASS"
tls = "none"
auth = "user"
cache = "$DATA/ph/cache"
leave-on-server = false
EOF
run_posthorn() {
    rm -rf "$DATA/ph"
    local t0; t0=$(now_ms)
    "$PH" --config "$DATA/posthorn.toml" sync --account bench >/dev/null 2>&1
    echo $(( $(now_ms) - t0 ))
    check posthorn "$DATA/ph/cache"
}

fm=(); gm=(); ph=()
for i in $(seq "$RUNS"); do
    reseed; fm+=("$(run_fetchmail)")
    if [ "$GETMAIL" = 1 ]; then reseed; gm+=("$(run_getmail)"); fi
    reseed; ph+=("$(run_posthorn)")
    echo "run $i: fetchmail ${fm[-1]} ms${gm:+, getmail6 ${gm[-1]} ms}, posthorn ${ph[-1]} ms" >&2
done
reseed
"$RAW" raw "$HOST" "$POP3_PORT" "$USER_NAME" "$PASS" >/dev/null   # Dovecot indexes the new mail
raw=$("$RAW" raw "$HOST" "$POP3_PORT" "$USER_NAME" "$PASS")

FM=$(printf '%s\n' "${fm[@]}" | median); PH_MS=$(printf '%s\n' "${ph[@]}" | median)
{
    echo "posthorn POP3 benchmark: $N messages ($(du -sh "$DATA/template" | cut -f1)) from Dovecot on 127.0.0.1, delete mode, medians of $RUNS alternating runs, $(nproc) cores"
    echo "  $raw"
    printf '  fetchmail + procmail: %7d ms\n' "$FM"
    if [ "$GETMAIL" = 1 ]; then
        GM=$(printf '%s\n' "${gm[@]}" | median)
        printf '  getmail6 (1 CPU):     %7d ms\n' "$GM"
    fi
    printf '  posthorn sync:        %7d ms   ratio to fetchmail %.3f (target <= 0.25)\n' "$PH_MS" "$(echo "$PH_MS/$FM" | bc -l)"
    echo "  runs (ms): fetchmail ${fm[*]}; ${gm:+getmail6 ${gm[*]}; }posthorn ${ph[*]}"
} | tee "$OUT"
