#!/usr/bin/env bash
# IMAP benchmark for issue 7: a first full sync of 10,000 and of 100,000 messages from
# the testbed's Dovecot (implicit TLS, private CA) into a fresh cache, posthorn side by
# side with mbsync (isync) into a Maildir, runs alternating; a resync of the unchanged
# 100,000-message folder; the time until the first envelopes of the 100,000-message
# first sync are on screen; posthorn's peak RSS during that sync. Prints medians and
# ratios; writes them to $OUT. Both tools fsync every message before it counts.
#
#   scripts/bench.sh imap                 # RUNS=5 for 10k, RUNS_BIG=3 for 100k
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
RUNS_BIG=${RUNS_BIG:-3}
DATA=${DATA:-/tmp/phb-imap}
OUT=${OUT:-$DATA/results.txt}

need=()
for p in mbsync tmux bc; do command -v "$p" >/dev/null || need+=("$p"); done
if ((${#need[@]})); then
    pkgs=("${need[@]/mbsync/isync}")
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
scripts/testbed.sh start >/dev/null
# shellcheck disable=SC1090
. "${POSTHORN_TESTBED_DIR:-/tmp/phtb}/env"
cargo build --release -q
PH=$PWD/target/release/posthorn
USER_NAME=bench PASS=benchpw
BOX=$MAIL_ROOT/$USER_NAME/Maildir
mkdir -p "$DATA"

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

seed() { # N: a fresh INBOX of N generated messages, indexed once by Dovecot
    rm -rf "${MAIL_ROOT:?}/$USER_NAME"
    mkdir -p "$BOX"/{cur,new,tmp}
    chown -R 8:8 "$MAIL_ROOT/$USER_NAME"
    chmod 700 "$MAIL_ROOT/$USER_NAME"
    python3 scripts/testbed/seed-mail.py "$BOX" INBOX "$1" 42 >/dev/null
    python3 - "$IMAP_PORT" <<PY
import imaplib, sys
M = imaplib.IMAP4('127.0.0.1', int(sys.argv[1])); M.login('$USER_NAME', '$PASS')
M.select('INBOX'); M.uid('FETCH', '1:*', '(UID FLAGS)'); M.logout()
PY
}

ph_config() { # DIR
    cat > "$1/posthorn.toml" <<TOML
[general]
index = "$1/index.sqlite"
[accounts.bench.imap]
host = "localhost"
port = $IMAPS_PORT
user = "$USER_NAME"
password = "$PASS"
ca-file = "$CA_FILE"
cache = "$1/cache"
TOML
}

mbsync_config() { # DIR
    mkdir -p "$1/mail"
    cat > "$1/mbsyncrc" <<RC
IMAPAccount bench
Host localhost
Port $IMAPS_PORT
User $USER_NAME
Pass $PASS
SSLType IMAPS
CertificateFile $CA_FILE

IMAPStore remote
Account bench

MaildirStore local
Path $1/mail/
Inbox $1/mail/INBOX

Channel inbox
Far :remote:INBOX
Near :local:
Sync Pull
Create Near
Expunge None
RC
}

ph_sync() { # DIR -> ms
    local t0; t0=$(now_ms)
    "$PH" --config "$1/posthorn.toml" sync --folder INBOX >/dev/null
    echo $(( $(now_ms) - t0 ))
}
mb_sync() { # DIR -> ms
    local t0; t0=$(now_ms)
    mbsync -q -c "$1/mbsyncrc" inbox >/dev/null
    echo $(( $(now_ms) - t0 ))
}
count_files() { find "$1" -path '*/cur/*' -o -path '*/new/*' -type f | grep -c . || true; }

first_sync() { # N RUNS -> "ph-median mb-median"
    local n=$1 runs=$2 ph=() mb=()
    for i in $(seq "$runs"); do
        local d=$DATA/ph; rm -rf "$d"; mkdir -p "$d"; ph_config "$d"
        ph+=("$(ph_sync "$d")")
        local got; got=$(count_files "$d/cache")
        [ "$got" = "$n" ] || { echo "posthorn cached $got of $n" >&2; exit 1; }
        local m=$DATA/mb; rm -rf "$m"; mkdir -p "$m"; mbsync_config "$m"
        mb+=("$(mb_sync "$m")")
        got=$(count_files "$m/mail")
        [ "$got" = "$n" ] || { echo "mbsync stored $got of $n" >&2; exit 1; }
    done
    echo "  posthorn runs (ms): ${ph[*]}" >&2
    echo "  mbsync   runs (ms): ${mb[*]}" >&2
    echo "$(printf '%s\n' "${ph[@]}" | median) $(printf '%s\n' "${mb[@]}" | median)"
}

echo "== 10,000 messages: first sync =="
seed 10000
read -r PH10 MB10 < <(first_sync 10000 "$RUNS")

echo "== 100,000 messages: first sync =="
seed 100000
read -r PH100 MB100 < <(first_sync 100000 "$RUNS_BIG")

echo "== 100,000 messages: peak RSS of a first sync =="
d=$DATA/ph; rm -rf "$d"; mkdir -p "$d"; ph_config "$d"
RSS=$(/usr/bin/time -f %M "$PH" --config "$d/posthorn.toml" sync --folder INBOX 2>&1 >/dev/null | tail -1)

echo "== 100,000 messages: resync, nothing changed =="
# posthorn's own figure for the folder (connect and login excluded, like the floor).
ph_resync() {
    "$PH" --config "$1/posthorn.toml" sync --folder INBOX | awk '{printf "%d", $(NF-1)*1000}'
}
rs=(); for i in $(seq 5); do rs+=("$(ph_resync "$d")"); done
mr=(); for i in $(seq 5); do mr+=("$(mb_sync "$DATA/mb")"); done
echo "  posthorn runs (ms): ${rs[*]}"; echo "  mbsync   runs (ms): ${mr[*]}"
RS=$(printf '%s\n' "${rs[@]}" | median); MR=$(printf '%s\n' "${mr[@]}" | median)
# The protocol floor: one QRESYNC SELECT that reports nothing changed.
FLOOR=$(python3 - "$IMAPS_PORT" "$CA_FILE" <<'PY'
import imaplib, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
M = imaplib.IMAP4_SSL('localhost', int(sys.argv[1]), ssl_context=ctx)
M.login('bench', 'benchpw'); M._simple_command('ENABLE', 'QRESYNC')
M.select('INBOX'); v = M.response('UIDVALIDITY')[1][0].decode(); m = M.response('HIGHESTMODSEQ')[1][0].decode(); M.close()
t = time.time(); M._simple_command('SELECT', 'INBOX (QRESYNC (%s %s))' % (v, m)); print(int((time.time() - t) * 1000)); M.logout()
PY
)

echo "== 100,000 messages: first envelopes on screen (TUI, fresh cache) =="
on=()
for i in $(seq "$RUNS_BIG"); do
    d=$DATA/tui; rm -rf "$d"; mkdir -p "$d"; ph_config "$d"
    tmux kill-session -t phimap 2>/dev/null || true
    t0=$(now_ms)
    tmux new-session -d -s phimap -x 160 -y 48 "$PH" --config "$d/posthorn.toml"
    until tmux capture-pane -p -t phimap 2>/dev/null | grep -qE 'INBOX — [1-9][0-9]* messages'; do
        sleep 0.005
        (( $(now_ms) - t0 > 120000 )) && { echo "timeout" >&2; break; }
    done
    on+=("$(( $(now_ms) - t0 ))")
    tmux send-keys -t phimap q; sleep 0.5; tmux kill-session -t phimap 2>/dev/null || true
done
echo "  runs (ms): ${on[*]}"
ON=$(printf '%s\n' "${on[@]}" | median)

{
    echo "posthorn IMAP benchmark: Dovecot on loopback over implicit TLS, $(nproc) cores; medians"
    printf '  first sync  10,000: posthorn %6d ms   mbsync %6d ms   ratio %.2f (target <= 0.50)\n' "$PH10" "$MB10" "$(echo "$PH10/$MB10" | bc -l)"
    printf '  first sync 100,000: posthorn %6d ms   mbsync %6d ms   ratio %.2f (target <= 0.50)\n' "$PH100" "$MB100" "$(echo "$PH100/$MB100" | bc -l)"
    printf '  resync 100,000, nothing changed: posthorn %d ms (the folder, after login)   mbsync %d ms (whole run)   QRESYNC round trip %d ms (target <= 50 ms)\n' "$RS" "$MR" "$FLOOR"
    printf '  first envelopes on screen, 100,000 first sync: %d ms (target <= 1000 ms)\n' "$ON"
    printf '  peak RSS, 100,000 first sync: %.1f MB (target < 200 MB)\n' "$(echo "$RSS/1024" | bc -l)"
} | tee "$OUT"
