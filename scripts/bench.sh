#!/usr/bin/env bash
# Folder benchmark for issue 2 (`scripts/bench.sh search`: the search benchmark of
# issue 12, in scripts/bench-search.sh): a 100,000-message Maildir, posthorn side by side with
# NeoMutt (header cache), both driven in tmux and timed until their message list is on
# screen. Prints the figures and the ratios; writes them to $OUT.
#
#   scripts/bench.sh            # N=100000, data in /tmp/phb (kept for re-runs)
#   scripts/bench.sh pop3       # POP3 against fetchmail and getmail6 (scripts/bench/pop3.sh)
#   N=20000 RUNS=5 scripts/bench.sh
#   scripts/bench.sh imap       # IMAP first sync / resync vs mbsync (scripts/bench/imap.sh)
#   scripts/bench.sh formats    # 1 GB mbox: index, open, convert vs Python (scripts/bench/formats.sh)
#   scripts/bench.sh nntp       # 100k-article group: overview + threads vs nntplib (scripts/bench/nntp.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-folder}" in
    folder) ;;
    search) exec scripts/bench-search.sh ;;
    *)
        [ -x "scripts/bench/$1.sh" ] || { echo "usage: scripts/bench.sh [folder|imap|pop3|search|formats|nntp]" >&2; exit 2; }
        name=$1; shift
        exec "scripts/bench/$name.sh" "$@"
        ;;
esac
N=${N:-100000}
RUNS=${RUNS:-3}
DATA=${DATA:-/tmp/phb}
OUT=${OUT:-$DATA/results.txt}
COLS=160 ROWS=48

need=()
for p in neomutt tmux bc; do command -v "$p" >/dev/null || need+=("$p"); done
if ((${#need[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release -q
cargo bench --bench folder --no-run -q 2>/dev/null
cargo bench --bench interleave --no-run -q 2>/dev/null
BENCH=$(ls -t target/release/deps/folder-* | grep -v '\.d$' | head -1)
INTERLEAVE=$(ls -t target/release/deps/interleave-* | grep -v '\.d$' | head -1)
PH=$PWD/target/release/posthorn

mkdir -p "$DATA"
if [ ! -f "$DATA/mail/.generated-$N" ]; then
    rm -rf "$DATA/mail"
    "$BENCH" gen "$DATA/mail" "$N"
    touch "$DATA/mail/.generated-$N"
fi
cat > "$DATA/posthorn.toml" <<TOML
[general]
index = "$DATA/index.sqlite"
[accounts.bench.maildir]
path = "$DATA/mail"
TOML
cat > "$DATA/muttrc" <<MUTT
set folder = "$DATA"
set spoolfile = "$DATA/mail"
set header_cache = "$DATA/hcache"
set mbox_type = Maildir
set sort = threads
set sort_aux = last-date-received
set mail_check_stats = no
set read_inc = 1000
set beep = no
MUTT

now_ms() { date +%s%3N; }

# tmux_time NAME MARKER CMD...: ms from launch until MARKER is on the screen.
tmux_time() {
    local name=$1 marker=$2; shift 2
    tmux kill-session -t "$name" 2>/dev/null || true
    local t0; t0=$(now_ms)
    tmux new-session -d -s "$name" -x $COLS -y $ROWS "$@"
    while ! tmux capture-pane -p -t "$name" 2>/dev/null | grep -qF -- "$marker"; do
        sleep 0.005
        if (( $(now_ms) - t0 > 600000 )); then echo "timeout waiting for $marker" >&2; return 1; fi
    done
    echo $(( $(now_ms) - t0 ))
}

stop() { tmux send-keys -t "$1" q 2>/dev/null || true; sleep 0.3; tmux kill-session -t "$1" 2>/dev/null || true; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ph_marker="INBOX — $N messages"
mutt_marker="Msgs:$N"

echo "== in-process (cargo bench --bench folder) =="
rm -f "$DATA"/index.sqlite*
inproc_cold=$("$BENCH" cold "$DATA/mail" "$DATA/index.sqlite" 2>/dev/null)
inproc_warm=$("$BENCH" warm "$DATA/index.sqlite")
echo "$inproc_cold"; echo "$inproc_warm"
echo "== during a cold index build: a flag toggle (actor) and an open (cache) =="
interleave=$("$INTERLEAVE" "$DATA/mail" "$DATA/interleave.sqlite" 2>/dev/null)
echo "$interleave"

echo "== posthorn cold: empty index, until all $N envelopes are listed =="
pc=()
for i in $(seq "$RUNS"); do
    rm -f "$DATA"/index.sqlite*
    pc+=("$(tmux_time ph "$ph_marker" "$PH" --config "$DATA/posthorn.toml")"); stop ph
done
echo "runs (ms): ${pc[*]}"
echo "== posthorn warm: index present, until the list is drawn =="
pw=()
rss=""
for i in $(seq "$RUNS"); do
    pw+=("$(tmux_time ph "$ph_marker" "$PH" --config "$DATA/posthorn.toml")")
    sleep 1.5   # let the background rescan finish, then read the peak RSS
    pid=$(pgrep -n -f "target/release/posthorn --config $DATA/posthorn.toml" || true)
    [ -n "$pid" ] && rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
    stop ph
done
echo "runs (ms): ${pw[*]}; peak RSS ${rss} MB"

echo "== neomutt cold: empty header cache =="
mc=()
for i in $(seq "$RUNS"); do
    rm -rf "$DATA/hcache"
    mc+=("$(tmux_time mutt "$mutt_marker" neomutt -n -F "$DATA/muttrc" -f "$DATA/mail")"); stop mutt
done
echo "runs (ms): ${mc[*]}"
echo "== neomutt warm: header cache filled =="
mw=()
for i in $(seq "$RUNS"); do
    mw+=("$(tmux_time mutt "$mutt_marker" neomutt -n -F "$DATA/muttrc" -f "$DATA/mail")"); stop mutt
done
echo "runs (ms): ${mw[*]}"

PC=$(printf '%s\n' "${pc[@]}" | median); PW=$(printf '%s\n' "${pw[@]}" | median)
MC=$(printf '%s\n' "${mc[@]}" | median); MW=$(printf '%s\n' "${mw[@]}" | median)
{
    echo "posthorn folder benchmark: $N messages ($(du -sh "$DATA/mail" | cut -f1)), ${COLS}x${ROWS} tmux, medians of $RUNS, $(nproc) cores"
    echo "$inproc_cold"
    echo "$inproc_warm"
    echo "$interleave (target: under 50 ms each)"
    echo "real binary, launch to list on screen:"
    printf '  cold (no index / empty header cache): posthorn %6d ms   neomutt %6d ms   ratio %.2f (target <= 0.50)\n' "$PC" "$MC" "$(echo "$PC/$MC" | bc -l)"
    printf '  warm (index / header cache):          posthorn %6d ms   neomutt %6d ms   ratio %.2f (target <= 0.20, posthorn <= 300 ms)\n' "$PW" "$MW" "$(echo "$PW/$MW" | bc -l)"
    echo "  posthorn peak RSS: ${rss} MB (target < 200 MB)"
} | tee "$OUT"
