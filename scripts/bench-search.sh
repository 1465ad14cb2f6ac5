#!/usr/bin/env bash
# Search benchmark for issue 12 (run as `scripts/bench.sh search`): a generated
# 100,000-message Maildir (benches/search.rs gen: Zipf vocabulary, threads with quotes,
# HTML, attachments, accents), posthorn side by side with notmuch on the same files:
#
# - the full-text index built from cold: posthorn (envelopes, then text) and
#   `notmuch new`; the size of each index next to the size of the mail;
# - five query kinds (a rare word, a common word, a phrase, from:+subject:, a date range
#   with a word), the median of $RUNS runs each: posthorn's first screen (from the Enter
#   at the search prompt to the drawn list: in process, and in the real TUI in tmux) and
#   its full count (in process, and as `posthorn search --cached --output count`, a
#   whole process like notmuch's);
#   notmuch's first screen (`notmuch search --limit=50`) and count (`notmuch count`);
# - the warm start of the 100,000-message folder with the full-text index in the file.
#
#   scripts/bench.sh search                    # N=100000, data in /tmp/phs (kept)
#   N=20000 RUNS=5 scripts/bench.sh search
#   SKIP_NOTMUCH_NEW=1 scripts/bench.sh search # reuse the notmuch database
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
RUNS=${RUNS:-20}
DATA=${DATA:-/tmp/phs}
OUT=${OUT:-$DATA/search-results.txt}

need=()
for p in notmuch bc tmux; do command -v "$p" >/dev/null || need+=("$p"); done
if ((${#need[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release -q
cargo bench --bench search --no-run -q 2>/dev/null
cargo bench --bench folder --no-run -q 2>/dev/null
SB=$(ls -t target/release/deps/search-* | grep -v '\.d$' | head -1)
FB=$(ls -t target/release/deps/folder-* | grep -v '\.d$' | head -1)
PH=$PWD/target/release/posthorn

mkdir -p "$DATA"
if [ ! -f "$DATA/mail/.generated-$N" ]; then
    rm -rf "$DATA/mail"
    "$SB" gen "$DATA/mail" "$N"
    touch "$DATA/mail/.generated-$N"
fi
cat > "$DATA/posthorn.toml" <<TOML
[general]
index = "$DATA/index.sqlite"
[accounts.bench.maildir]
path = "$DATA/mail"
TOML
export NOTMUCH_CONFIG="$DATA/notmuch-config"
cat > "$NOTMUCH_CONFIG" <<NM
[database]
path=$DATA/notmuch-db
mail_root=$DATA/mail
[user]
name=Robin Post
primary_email=robin@example.net
[new]
tags=
ignore=.generated-$N
[search]
exclude_tags=
[maildir]
synchronize_flags=false
NM

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# ms CMD...: the median wall time of $RUNS runs, in milliseconds (one decimal).
ms() {
    local t=()
    for _ in $(seq "$RUNS"); do
        local a b
        a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N)
        t+=("$(echo "($b - $a) / 1000000" | bc -l)")
    done
    printf '%s\n' "${t[@]}" | median | xargs printf '%.1f'
}
# Disk usage in MB (blocks, as `du` counts the issue's "398 MB" folder); du_app: bytes.
du_mb() { du -s --block-size=1 "$@" 2>/dev/null | awk '{s+=$1} END {printf "%.1f", s/1e6}'; }
du_app() { du -sb "$@" 2>/dev/null | awk '{s+=$1} END {printf "%.1f", s/1e6}'; }

echo "== posthorn: index from cold =="
ph_build=$("$SB" build "$DATA/mail" "$DATA/index.sqlite")
echo "$ph_build"
ph_total=$(echo "$ph_build" | sed -n 's/.*total \([0-9.]*\) s.*/\1/p')

if [ -z "${SKIP_NOTMUCH_NEW:-}" ] || [ ! -s "$DATA/notmuch-new-seconds" ]; then
    echo "== notmuch new from cold =="
    rm -rf "$DATA/notmuch-db"; mkdir -p "$DATA/notmuch-db"
    t0=$(now_ms); notmuch new --quiet; t1=$(now_ms)
    nm_total=$(echo "($t1 - $t0) / 1000" | bc -l | xargs printf '%.1f')
    echo "$nm_total" > "$DATA/notmuch-new-seconds"
else
    nm_total=$(cat "$DATA/notmuch-new-seconds" 2>/dev/null || echo "?")
fi
echo "notmuch new: $nm_total s"

# tui_first Q: ms from the Enter at the `\` prompt of the real TUI (in tmux, the folder
# already open) until the list's header shows Q's matches: the median of 5.
tui_first() {
    local q=$1 t=()
    for _ in 1 2 3 4 5; do
        tmux send-keys -t phs -l '\'; sleep 0.2
        tmux send-keys -t phs C-u; tmux send-keys -t phs -l "$q"; sleep 0.2
        local t0; t0=$(date +%s%N)
        tmux send-keys -t phs Enter
        until tmux capture-pane -p -t phs | head -1 | grep -F "Search “$q” — " | grep -q "— [0-9]"; do
            sleep 0.002
        done
        t+=("$(echo "($(date +%s%N) - $t0) / 1000000" | bc)")
        sleep 0.5
    done
    printf '%s\n' "${t[@]}" | median
}

echo "== queries: medians of $RUNS =="
ph_q=$("$SB" queries "$DATA/index.sqlite")
tmux kill-session -t phs 2>/dev/null || true
tmux new-session -d -s phs -x 160 -y 48 "$PH" --config "$DATA/posthorn.toml"
until tmux capture-pane -p -t phs 2>/dev/null | grep -qF "INBOX — $N messages"; do sleep 0.05; done
sleep 2
rows=()
while IFS=$'\t' read -r name q nmq; do
    line=$(printf '%s\n' "$ph_q" | awk -F'\t' -v n="$name" '$1 == n')
    drawn=$(echo "$line" | cut -f2); cnt=$(echo "$line" | cut -f4)
    matches=$(echo "$line" | cut -f5); all=$(echo "$line" | cut -f7)
    bin=$(ms "$PH" --config "$DATA/posthorn.toml" search --cached --output count "$q")
    tui=$(tui_first "$q")
    nm_first=$(ms notmuch search --limit=50 "$nmq")
    nm_count=$(ms notmuch count "$nmq")
    nm_matches=$(notmuch count "$nmq")
    rows+=("$(printf '  %-18s posthorn %5.1f ms %5s ms %8.2f ms %6.1f ms %7.1f ms   notmuch %6.1f ms %6.1f ms   %6s / %6s' \
        "$name" "$drawn" "$tui" "$cnt" "$bin" "$all" "$nm_first" "$nm_count" "$matches" "$nm_matches")")
    echo "${rows[-1]}"
done < <("$SB" list)
tmux send-keys -t phs q; sleep 0.3; tmux kill-session -t phs 2>/dev/null || true

echo "== warm start of the folder, full-text index in the file (median of 3) =="
warm_runs=()
for _ in 1 2 3; do
    warm_runs+=("$("$FB" warm "$DATA/index.sqlite" | sed -n 1p)")
done
printf '%s\n' "${warm_runs[@]}"
warm=$(printf '%s\n' "${warm_runs[@]}" | sort -t: -k2 -n | sed -n 2p)

mail=$(du_mb "$DATA/mail")
mail_bytes=$(du_app "$DATA/mail")
ph_size=$(du_mb "$DATA/index.sqlite" "$DATA/index.sqlite-wal")
nm_size=$(du_mb "$DATA/notmuch-db")
{
    echo "posthorn search benchmark: $N messages, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "index from cold: posthorn $ph_total s, notmuch new $nm_total s, ratio $(echo "$ph_total / $nm_total" | bc -l | xargs printf '%.2f') (target <= 0.25)"
    echo "  $(echo "$ph_build" | sed -n 2p | sed 's/^ *//')"
    echo "index size: posthorn $ph_size MB, notmuch $nm_size MB, mail $mail MB on disk ($mail_bytes MB of bytes): posthorn $(echo "100 * $ph_size / $mail" | bc -l | xargs printf '%.0f')% of the mail on disk, $(echo "100 * $ph_size / $mail_bytes" | bc -l | xargs printf '%.0f')% of its bytes (target <= 33%)"
    echo "queries, medians of $RUNS: posthorn first screen (in process; real TUI in tmux, median of 5), count (in process; posthorn search --cached --output count), every match loaded;"
    echo "  notmuch search --limit=50, notmuch count; matches posthorn / notmuch"
    printf '%s\n' "${rows[@]}"
    echo "  targets: first screen <= 50 ms; posthorn's count <= notmuch's"
    echo "warm start (median of 3): $warm (target <= 0.3 s)"
} | tee "$OUT"
