#!/usr/bin/env bash
# The real-server testbed: private Dovecot (IMAP, POP3), Postfix (SMTP) and INN (NNTP)
# instances on 127.0.0.1, with a private CA, for the integration tests and benchmarks.
#
#   scripts/testbed.sh start     # idempotent; creates fresh state when there is none
#   scripts/testbed.sh stop      # stops everything, also after a partial start
#   scripts/testbed.sh status    # exit 0 when every daemon runs
#   scripts/testbed.sh install   # the Debian packages (as scripts/test.sh does)
#   scripts/testbed.sh seed USER FOLDER N [SEED]   # N generated messages into a Maildir
#   scripts/testbed.sh reset     # stop and delete the state directory
#
# State: ${POSTHORN_TESTBED_DIR:-/tmp/phtb} (keep it short: Unix socket paths). After start,
# $STATE/env holds KEY=VALUE lines (ports, CA file, mail root) and can be sourced by bash.
# Ports are overridable with POSTHORN_TESTBED_<KEY>, e.g. POSTHORN_TESTBED_IMAP_PORT=24143.
# Needs root (daemons drop to their own users). Never edits /etc.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${POSTHORN_TESTBED_DIR:-/tmp/phtb}
# shellcheck source=testbed/config.sh
. "$HERE/testbed/config.sh"

PORT_KEYS=(IMAP IMAPS POP3 POP3S SMTP SUBMISSION SUBMISSIONS NNTP NNTPS NNTP_AUTH)
declare -A DEFAULT_PORT=([IMAP]=14143 [IMAPS]=14993 [POP3]=14110 [POP3S]=14995 [SMTP]=14025
    [SUBMISSION]=14587 [SUBMISSIONS]=14465 [NNTP]=14119 [NNTPS]=14563 [NNTP_AUTH]=14120)
INN=/usr/lib/news/bin

log() { printf '\033[1mtestbed:\033[0m %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# alive PID: the process exists and is no zombie (PID 1 here reaps orphans late).
alive() {
    local st
    [ -n "${1:-}" ] || return 1
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ $st != Z* ]]
}
pid_in() { [ -s "$1" ] && tr -dc '0-9' <"$1"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# spawn LOG CMD...: CMD with stdin from /dev/null, output appended to LOG and every fd
# above 2 closed, so daemons keep no pipe of the caller (tee, CI capture) open.
spawn() {
    local log=$1 fd
    shift
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec "$@"
    ) </dev/null >>"$log" 2>&1
}

# Ports: from the env file of a running testbed, else defaults and overrides.
load_ports() {
    local k v
    for k in "${PORT_KEYS[@]}"; do
        v=POSTHORN_TESTBED_${k}_PORT
        printf -v "${k}_PORT" '%s' "${!v:-${DEFAULT_PORT[$k]}}"
    done
    if any_running && [ -s "$STATE/env" ]; then
        while IFS='=' read -r k v; do
            if [[ $k == *_PORT ]]; then printf -v "$k" '%s' "$v"; fi
        done <"$STATE/env"
    fi
}

# daemon_pid FILE COMM: the pid in FILE if that process still is COMM (a stale pid file
# from an earlier boot may name an unrelated process, which we must never signal).
daemon_pid() {
    local pid
    pid=$(pid_in "$1") || return 0
    [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$2" ] && echo "$pid"
    return 0
}
dovecot_pid() { daemon_pid "$STATE/dovecot/run/master.pid" dovecot; }
postfix_pid() { daemon_pid "$STATE/postfix/queue/pid/master.pid" master; }
innd_pid() { daemon_pid "$STATE/inn/run/innd.pid" innd; }
nnrpd_pid() { daemon_pid "$STATE/inn/run/nnrpd-$1.pid" nnrpd; }
# Every INN process of this state dir (innd, nnrpd and the nnrpd children serving readers).
inn_pids() {
    grep -lsxz "INNCONF=$STATE/inn/inn.conf" /proc/[0-9]*/environ 2>/dev/null |
        cut -d/ -f3 | grep -vx "$$" || true
}
any_running() {
    alive "$(dovecot_pid)" || alive "$(postfix_pid)" || [ -n "$(inn_pids)" ]
}

# need_free NAME PORT...: refuse to start NAME on a port somebody else holds.
need_free() {
    local name=$1 p
    shift
    for p in "$@"; do
        ! port_open "$p" || die "cannot start $name: port $p on 127.0.0.1 is already in use" \
            "(set POSTHORN_TESTBED_*_PORT or stop what holds it: ss -ltnp 'sport = :$p')"
    done
}

# fail NAME LOG: the daemon did not come up; show why.
fail() {
    log "$1 failed to start; last lines of $2:"
    tail -n 25 "$2" >&2 2>/dev/null || true
    exit 1
}

# runuser runs programs, not shell functions: INN processes get their environment via env(1).
INN_ENV=(env INNCONF="$STATE/inn/inn.conf" SASL_CONF_PATH="$STATE/inn/sasl")

start_dovecot() {
    alive "$(dovecot_pid)" && return 0
    need_free dovecot "$IMAP_PORT" "$IMAPS_PORT" "$POP3_PORT" "$POP3S_PORT"
    local logf=$STATE/dovecot/dovecot.log
    spawn "$logf" dovecot -c "$STATE/dovecot/dovecot.conf" || fail dovecot "$logf"
    # Removes anvil's per-IP login penalty (2..15 s per failure, no setting): the auth
    # process, started on first use, then gets ENOENT and disables it.
    rm -f "$STATE/dovecot/run/anvil-auth-penalty"
    alive "$(dovecot_pid)" || fail dovecot "$logf"
}

start_postfix() {
    alive "$(postfix_pid)" && return 0
    need_free postfix "$SMTP_PORT" "$SUBMISSION_PORT" "$SUBMISSIONS_PORT"
    local d=$STATE/postfix
    if ! spawn "$d/start.log" postfix -c "$d" start; then
        # Postfix prints its startup errors only to a terminal.
        script -qec "postfix -c $d check" /dev/null >>"$d/start.log" 2>&1 || true
        fail postfix "$d/start.log"
    fi
}

start_inn() {
    local i=$STATE/inn
    if ! alive "$(innd_pid)"; then
        # innd daemonizes before it binds: a taken port would go unnoticed.
        need_free innd "$NNTP_PORT"
        rm -f "$i/run/innd.pid" "$i/run/control" "$i/run/nntpin"
        spawn "$i/log/innd.start.log" runuser -u news -- "${INN_ENV[@]}" "$INN/innd" ||
            fail innd "$i/log/innd.start.log"
    fi
    # Standalone nnrpd listeners: implicit TLS, and a variant that requires AUTHINFO.
    if ! alive "$(nnrpd_pid "$NNTPS_PORT")"; then
        need_free nnrpd "$NNTPS_PORT"
        spawn "$i/log/nnrpd-tls.log" runuser -u news -- "${INN_ENV[@]}" \
            "$INN/nnrpd" -D -b 127.0.0.1 -p "$NNTPS_PORT" -S || fail nnrpd "$i/log/nnrpd-tls.log"
    fi
    if ! alive "$(nnrpd_pid "$NNTP_AUTH_PORT")"; then
        need_free nnrpd "$NNTP_AUTH_PORT"
        spawn "$i/log/nnrpd-auth.log" runuser -u news -- "${INN_ENV[@]}" \
            "$INN/nnrpd" -D -b 127.0.0.1 -p "$NNTP_AUTH_PORT" -c "$i/etc/readers-auth.conf" ||
            fail nnrpd "$i/log/nnrpd-auth.log"
    fi
}

write_env() {
    local k
    {
        echo "STATE=$STATE"
        echo "CA_FILE=$STATE/ca.pem"
        echo "MAIL_ROOT=$STATE/mail"
        echo "HOST=127.0.0.1"
        echo "DOMAIN=example.test"
        for k in "${PORT_KEYS[@]}"; do
            local v=${k}_PORT
            echo "${k}_PORT=${!v}"
        done
        echo "INNCONF=$STATE/inn/inn.conf"
        echo "NNTPIN=$STATE/inn/run/nntpin"
    } | put "$STATE/env"
}

# wait_ports: every port accepts, or name the ones that do not, with the logs to read.
wait_ports() {
    local k v p deadline=$((SECONDS + 20)) missing
    while :; do
        missing=()
        for k in "${PORT_KEYS[@]}"; do
            v=${k}_PORT
            p=${!v}
            port_open "$p" || missing+=("$k:$p")
        done
        ((${#missing[@]} == 0)) && return 0
        ((SECONDS < deadline)) || break
        sleep 0.05
    done
    log "not accepting connections after 20 s: ${missing[*]}"
    for f in dovecot/dovecot.log postfix/postfix.log postfix/start.log inn/log/news.err \
        inn/log/innd.start.log inn/log/nnrpd-tls.log inn/log/nnrpd-auth.log; do
        [ -s "$STATE/$f" ] || continue
        log "--- $STATE/$f"
        tail -n 15 "$STATE/$f" >&2
    done
    exit 1
}

need_tools() {
    local t
    for t in dovecot postfix openssl runuser "$INN/innd"; do
        command -v "$t" >/dev/null ||
            die "$t is missing: run 'scripts/testbed.sh install' (Debian: dovecot-imapd dovecot-pop3d postfix inn2 openssl)"
    done
    [ "$(id -u)" = 0 ] || die "the testbed needs root (daemons switch to their own users)"
}

cmd_start() {
    need_tools
    ((${#STATE} <= 70)) || die "state dir $STATE is too long for Unix socket paths (max 70 chars)"
    mkdir -p "$STATE"
    chmod 0755 "$STATE"
    # One start at a time (tests in parallel processes may all call start).
    exec 9>"$STATE/.lock"
    flock 9
    load_ports
    if any_running && [ -s "$STATE/env" ] && status_quiet; then
        log "already running ($STATE/env)"
        return 0
    fi
    mkdir -p "$STATE/claims"
    init_tls
    init_mail
    write_dovecot
    write_postfix
    write_inn
    init_inn_db
    write_env
    start_dovecot
    start_postfix
    start_inn
    wait_ports
    log "running: $STATE/env"
}

cmd_stop() {
    local pids=() p deadline
    p=$(dovecot_pid) && alive "$p" && pids+=("$p")
    p=$(postfix_pid) && alive "$p" && pids+=("$p")
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # innd wakes up for SIGTERM only on its next event; ctlinnd asks it directly.
    if alive "$(innd_pid)"; then
        runuser -u news -- "${INN_ENV[@]}" timeout 5 "$INN/ctlinnd" -s shutdown testbed-stop \
            </dev/null >/dev/null 2>&1 &
    fi
    # nnrpd listeners and the children serving open connections outlive innd.
    for p in $(inn_pids); do
        [ "$p" = "$(innd_pid)" ] || kill -TERM "$p" 2>/dev/null || true
    done
    deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        local left=()
        for p in "${pids[@]}" $(inn_pids); do alive "$p" && left+=("$p"); done
        ((${#left[@]} == 0)) && break
        sleep 0.05
    done
    for p in "${pids[@]}" $(inn_pids); do
        if alive "$p"; then
            log "pid $p did not stop: SIGKILL"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
    log "stopped"
}

status_quiet() {
    alive "$(dovecot_pid)" && alive "$(postfix_pid)" && alive "$(innd_pid)" &&
        alive "$(nnrpd_pid "$NNTPS_PORT")" && alive "$(nnrpd_pid "$NNTP_AUTH_PORT")"
}

cmd_status() {
    load_ports
    local ok=0 k v
    show() { if alive "$2"; then echo "$1: running (pid $2)"; else echo "$1: stopped"; ok=1; fi; }
    show dovecot "$(dovecot_pid)"
    show postfix "$(postfix_pid)"
    show innd "$(innd_pid)"
    show "nnrpd nntps" "$(nnrpd_pid "$NNTPS_PORT")"
    show "nnrpd auth" "$(nnrpd_pid "$NNTP_AUTH_PORT")"
    for k in "${PORT_KEYS[@]}"; do
        v=${k}_PORT
        if port_open "${!v}"; then echo "  $k ${!v}: accepting"; else echo "  $k ${!v}: closed"; ok=1; fi
    done
    [ -s "$STATE/env" ] && echo "env: $STATE/env"
    return $ok
}

cmd_seed() {
    (($# >= 3)) || die "usage: testbed.sh seed USER FOLDER N [SEED]"
    [ -d "$STATE/mail/$1/Maildir" ] || die "no such testbed user: $1 (start the testbed first)"
    exec python3 "$HERE/testbed/seed-mail.py" "$STATE/mail/$1/Maildir" "$2" "$3" "${4:-1}"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
install) exec "$HERE/testbed/install.sh" ;;
seed) shift && cmd_seed "$@" ;;
reset) cmd_stop && rm -rf "$STATE" ;;
*) die "usage: testbed.sh start|stop|status|install|seed USER FOLDER N [SEED]|reset" ;;
esac
