#!/usr/bin/env bash
# Local-format benchmark for issue 11 (run as `scripts/bench.sh formats`): a 1 GB mbox
#  - indexed from nothing (the account's stepwise scan; in-process, with peak RSS),
#  - opened in the real binary in tmux: launch until its list is on screen, with an
#    empty index (cold) and with the index (warm),
#  - converted to Maildir by `posthorn convert`, side by side with Python's mailbox
#    doing the same conversion, and with `grep -c '^From '` on the file as the I/O floor.
# Prints the figures and ratios (medians of $RUNS; Python once, it is slow); writes
# them to $OUT.
#
#   scripts/bench.sh formats            # MB=1024, data in /tmp/phf (kept for re-runs)
#   MB=256 RUNS=5 scripts/bench.sh formats
set -euo pipefail
cd "$(dirname "$0")/../.."
MB=${MB:-1024}
RUNS=${RUNS:-3}
DATA=${DATA:-/tmp/phf}
OUT=${OUT:-$DATA/results.txt}
COLS=160 ROWS=48

need=()
for p in tmux bc python3; do command -v "$p" >/dev/null || need+=("$p"); done
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release -q
cargo bench --bench formats --no-run -q 2>/dev/null
BENCH=$(ls -t target/release/deps/formats-* | grep -v '\.d$' | head -1)
PH=$PWD/target/release/posthorn
mkdir -p "$DATA"
BOX=$DATA/big.mbox
if [ ! -f "$DATA/.generated-$MB" ]; then
    rm -f "$DATA"/.generated-*
    "$BENCH" gen "$BOX" "$MB"
    touch "$DATA/.generated-$MB"
fi
N=$(grep -c '^From ' "$BOX")
SIZE=$(du -h "$BOX" | cut -f1)
cat > "$DATA/posthorn.toml" <<TOML
[general]
index = "$DATA/index.sqlite"
[accounts.bench.mbox]
path = "$BOX"
TOML

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
settle() { sync; sleep 1; }
# Before each conversion: the file system settled (written back, the page cache dropped
# when we may, the mbox read back in as for grep), so a run does not pay for the
# previous run's 67,000 files (their writeback and journal checkpoints took a later
# run from 1.9 s to 3.5 s).
settle_fs() {
    sync
    if [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches; fi
    cat "$BOX" > /dev/null
    sleep 3
}
# Wall seconds and peak RSS (MB) of a command: "S MB".
timed() { /usr/bin/time -f "%e %M" -o "$DATA/time.txt" "$@" >"$DATA/out.txt" 2>"$DATA/err.txt" || { cat "$DATA/err.txt" >&2; return 1; }; awk '{printf "%s %.1f\n", $1, $2/1024}' "$DATA/time.txt"; }

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

echo "== $N messages, $SIZE =="
cat "$BOX" > /dev/null   # into the page cache, as for every tool below

echo "== grep -c '^From ' (the I/O floor) =="
g=(); for i in $(seq "$RUNS"); do g+=("$(timed grep -c '^From ' "$BOX" | cut -d' ' -f1)"); done
echo "runs (s): ${g[*]}"

echo "== index from nothing (in-process) =="
ix=(); for i in $(seq "$RUNS"); do ix+=("$("$BENCH" index "$BOX" "$DATA/bench-ix.sqlite")"); done
printf '%s\n' "${ix[@]}"

echo "== a flag change on the 1 GB file (a copy): a full rewrite =="
cp "$BOX" "$DATA/flag.mbox"; settle
fl=$("$BENCH" flag "$DATA/flag.mbox"); echo "$fl"; rm -f "$DATA/flag.mbox"

echo "== posthorn on screen: cold (empty index) and warm =="
marker="INBOX — $N messages"
pc=(); pw=()
for i in $(seq "$RUNS"); do
    rm -f "$DATA"/index.sqlite*
    pc+=("$(tmux_time phf "$marker" "$PH" --config "$DATA/posthorn.toml")"); stop phf
    pw+=("$(tmux_time phf "$marker" "$PH" --config "$DATA/posthorn.toml")")
    sleep 1
    pid=$(pgrep -n -f "target/release/posthorn --config $DATA/posthorn.toml" || true)
    [ -n "$pid" ] && rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
    stop phf
done
echo "cold runs (ms): ${pc[*]}; warm runs (ms): ${pw[*]}; peak RSS ${rss:-?} MB"

echo "== posthorn convert to Maildir =="
# Each run into a fresh directory; they are removed at the end (removing 67,000 files
# right before a run leaves the file system busy for seconds and skews the timing).
rm -rf "$DATA"/ph-md-* "$DATA/py-md"; settle
pcv=(); prss=()
for i in $(seq "$RUNS"); do
    settle_fs
    read -r s m < <(timed "$PH" convert "$BOX" "$DATA/ph-md-$i" --to maildir)
    pcv+=("$s"); prss+=("$m")
done
echo "runs (s): ${pcv[*]}; peak RSS (MB): ${prss[*]}"
got=$(find "$DATA/ph-md-1/new" "$DATA/ph-md-1/cur" -type f | wc -l)
[ "$got" = "$N" ] || { echo "posthorn wrote $got messages, expected $N" >&2; exit 1; }

echo "== Python mailbox: mbox -> Maildir =="
cat > "$DATA/py_convert.py" <<'PY'
import mailbox, sys
src = mailbox.mbox(sys.argv[1], create=False)
dst = mailbox.Maildir(sys.argv[2], create=True)
for m in src:
    dst.add(m)
PY
settle_fs
read -r py pyrss < <(timed python3 "$DATA/py_convert.py" "$BOX" "$DATA/py-md")
echo "run (s): $py; peak RSS $pyrss MB"
rm -rf "$DATA/py-md" "$DATA"/ph-md-*

G=$(printf '%s\n' "${g[@]}" | median); P=$(printf '%s\n' "${pcv[@]}" | median)
PC=$(printf '%s\n' "${pc[@]}" | median); PW=$(printf '%s\n' "${pw[@]}" | median)
IX=$(printf '%s\n' "${ix[@]}" | sed -n 's/.* messages in \([0-9.]*\) s .*/\1/p' | median)
{
    echo "posthorn formats benchmark: $N messages in a $SIZE mbox, medians of $RUNS, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "index from nothing (median): ${IX} s; first run: ${ix[0]}"
    echo "$fl"
    echo "on screen (launch to list, ${COLS}x${ROWS} tmux): cold ${PC} ms, warm ${PW} ms; TUI peak RSS ${rss:-?} MB"
    printf 'convert to Maildir: posthorn %.2f s (peak RSS %s MB)   python mailbox %.2f s (peak RSS %s MB)   grep floor %.2f s\n' "$P" "$(printf '%s\n' "${prss[@]}" | median)" "$py" "$pyrss" "$G"
    printf '  posthorn vs python: %.1fx faster (target >= 10)   posthorn / grep floor: %.2f (target <= 3)\n' "$(echo "$py/$P" | bc -l)" "$(echo "$P/$G" | bc -l)"
} | tee "$OUT"
