#!/usr/bin/env bash
# NNTP benchmark for issue 10 (`scripts/bench.sh nntp`): a group of N articles (default
# 100,000) in the testbed's INN, created once and fed over innd's local socket (IHAVE,
# scripts/testbed/seed-news.py: ~6k articles/s). Measured, runs alternating:
#   - the overview of the whole group fetched into posthorn's index, then the group's
#     envelopes loaded and threaded (what the group view needs to draw), cold (empty
#     cache) and warm (the same cache again: GROUP finds nothing new), plain and TLS;
#   - Python's nntplib fetching the same overview range (OVER), plain and TLS, and a
#     raw read of the overview (one socket, no parsing) as the floor;
#   - 100 articles fetched one after another, posthorn and nntplib, and posthorn's
#     pipelined fetch of 100 others.
# Prints the figures and the ratios; writes them to $OUT.
#
#   scripts/bench.sh nntp                 # N=100000, RUNS=3, data in /tmp/phnntp
#   N=20000 RUNS=5 scripts/bench.sh nntp
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-100000}
RUNS=${RUNS:-3}
DATA=${DATA:-/tmp/phnntp}
OUT=${OUT:-$DATA/results.txt}
ENV_FILE=${POSTHORN_TESTBED:-/tmp/phtb/env}
GROUP=${GROUP:-bench.nntp$N}

command -v bc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bc >/dev/null; }
python3 -c 'import nntplib' 2>/dev/null || { echo "python3 has no nntplib (removed in 3.13); use 3.11/3.12" >&2; exit 1; }
if [ -x scripts/testbed.sh ]; then
    scripts/testbed.sh start >/dev/null
fi
[ -f "$ENV_FILE" ] || { echo "no testbed env file at $ENV_FILE (run scripts/testbed.sh start)" >&2; exit 1; }
# shellcheck disable=SC1090
source "$ENV_FILE"

cargo build --release -q
cargo bench --bench nntp --no-run -q 2>/dev/null
HELPER=$(ls -t target/release/deps/nntp-* | grep -v '\.d$' | head -1)

# The group's article count as the server reports it (0 when it does not exist).
count() {
    python3 - "$NNTP_PORT" "$GROUP" <<'PY'
import nntplib, sys
s = nntplib.NNTP("127.0.0.1", int(sys.argv[1]))
try:
    print(s.group(sys.argv[2])[1])
except nntplib.NNTPTemporaryError:
    print(0)
s.quit()
PY
}
if [ "$(count)" -lt "$N" ]; then
    echo "creating $GROUP with $N articles (once; ~$((N / 6000 + 1)) s)" >&2
    runuser -u news -- env INNCONF="$INNCONF" /usr/lib/news/bin/ctlinnd -s newgroup "$GROUP" y bench || true
    sleep 1
    python3 scripts/testbed/seed-news.py "$NNTPIN" "$GROUP" "$N" "$(date +%s)"
fi
HAVE=$(count)

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

nntplib_over() { # PORT TLS: seconds for GROUP + OVER of the whole range
    python3 - "$1" "$2" "$GROUP" "$CA_FILE" <<'PY'
import nntplib, ssl, sys, time
port, tls, group, ca = int(sys.argv[1]), sys.argv[2] == "tls", sys.argv[3], sys.argv[4]
t = time.time()
if tls:
    s = nntplib.NNTP_SSL("127.0.0.1", port, ssl_context=ssl.create_default_context(cafile=ca))
else:
    s = nntplib.NNTP("127.0.0.1", port)
_, count, first, last, _ = s.group(group)
_, over = s.over((first, last))
assert len(over) == count, (len(over), count)
print(f"{time.time() - t:.3f}")
s.quit()
PY
}
raw_over() { # seconds for GROUP + OVER read off the socket, nothing parsed
    python3 - "$NNTP_PORT" "$GROUP" <<'PY'
import socket, sys, time
t = time.time()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
s.sendall(f"GROUP {sys.argv[2]}\r\n".encode())
_, count, first, last, _ = f.readline().decode().split()
s.sendall(f"OVER {first}-{last}\r\n".encode())
status = f.readline()
assert status.startswith(b"224"), status
while (line := f.readline()) != b".\r\n":
    assert line, "connection closed"
print(f"{time.time() - t:.3f}")
PY
}
nntplib_articles() { # N: seconds for N ARTICLE commands one after another (newest first)
    python3 - "$NNTP_PORT" "$GROUP" "$1" <<'PY'
import nntplib, sys, time
s = nntplib.NNTP("127.0.0.1", int(sys.argv[1]))
_, count, first, last, _ = s.group(sys.argv[2])
t = time.time()
for n in range(last, last - int(sys.argv[3]), -1):
    s.article(str(n))
print(f"{time.time() - t:.3f}")
s.quit()
PY
}

mkdir -p "$DATA"
declare -A R
add() { R[$1]="${R[$1]:-} $2"; }
for run in $(seq "$RUNS"); do
    for mode in plain tls; do
        if [ $mode = plain ]; then port=$NNTP_PORT tls=none; else port=$NNTPS_PORT tls=implicit; fi
        dir=$DATA/ph-$mode
        rm -rf "$dir"
        out=$("$HELPER" overview 127.0.0.1 "$port" "$tls" "$CA_FILE" "$GROUP" "$dir")
        add "ph_cold_first_$mode" "$(awk '/^first/ {print $2}' <<<"$out")"
        add "ph_cold_sync_$mode" "$(awk '/^sync/ {print $2}' <<<"$out")"
        add "ph_cold_view_$mode" "$(awk '/^view/ {print $2}' <<<"$out")"
        out=$("$HELPER" overview 127.0.0.1 "$port" "$tls" "$CA_FILE" "$GROUP" "$dir")
        add "ph_warm_sync_$mode" "$(awk '/^sync/ {print $2}' <<<"$out")"
        add "ph_warm_view_$mode" "$(awk '/^view/ {print $2}' <<<"$out")"
        add "py_over_$mode" "$(nntplib_over "$port" $([ $mode = tls ] && echo tls || echo plain))"
    done
    add raw_over "$(raw_over)"
    rm -rf "$DATA/articles" && cp -r "$DATA/ph-plain" "$DATA/articles"
    out=$("$HELPER" articles 127.0.0.1 "$NNTP_PORT" "$GROUP" 100 "$DATA/articles")
    add ph_100_one "$(awk '/^one-by-one/ {print $2}' <<<"$out")"
    add ph_100_piped "$(awk '/^pipelined/ {print $2}' <<<"$out")"
    add py_100_one "$(nntplib_articles 100)"
    echo "run $run done" >&2
done

med() { tr ' ' '\n' <<<"${R[$1]}" | grep -v '^$' | median; }
ratio() { echo "scale=2; $1 / $2" | bc; }
{
    echo "NNTP benchmark: $GROUP, $HAVE articles, median of $RUNS runs (seconds)"
    for mode in plain tls; do
        cs=$(med ph_cold_sync_$mode) cv=$(med ph_cold_view_$mode)
        ws=$(med ph_warm_sync_$mode) wv=$(med ph_warm_view_$mode)
        py=$(med py_over_$mode)
        cold=$(echo "$cs + $cv" | bc)
        printf '%-5s posthorn cold: newest %s articles in the index %s; whole overview %s + threaded view %s = %s\n' "$mode" 1000 "$(med ph_cold_first_$mode)" "$cs" "$cv" "$cold"
        printf '%-5s posthorn warm: GROUP, nothing new %s; threaded view from the index %s\n' "$mode" "$ws" "$wv"
        printf '%-5s nntplib OVER of the same range: %s   ratio posthorn cold / nntplib = %s\n' "$mode" "$py" "$(ratio "$cold" "$py")"
    done
    echo "raw read of the overview (floor): $(med raw_over)"
    printf '100 articles one after another: posthorn %s, nntplib %s (ratio %s); posthorn pipelined %s\n' \
        "$(med ph_100_one)" "$(med py_100_one)" "$(ratio "$(med ph_100_one)" "$(med py_100_one)")" "$(med ph_100_piped)"
} | tee "$OUT"
