#!/usr/bin/env bash
# Instructions per /account request of two release binaries, counted by
# valgrind's callgrind: the same seed as bench/side-by-side.sh (an account
# of 2,000 users; LEDGER_ROWS ledger rows on the new binary's account, 20
# of them to come), one sign-in, 50 requests to warm up, then REQUESTS
# (default 400) requests on one keep-alive connection with callgrind
# counting. Unlike requests/s it does not swing with what else the machine
# runs, so it shows a change of a few per cent. SQLite only (with
# PostgreSQL the database's share would be in another process).
#
#   LEDGER_ROWS=500 bench/instructions.sh OLD_BINARY NEW_BINARY
#
# KEEP=DIR keeps each binary's callgrind file there (callgrind_annotate).
# Needs valgrind (apt-get install valgrind).
set -euo pipefail
OLD=${1:?old binary}
NEW=${2:?new binary}
LEDGER_ROWS=${LEDGER_ROWS:-0}
LEDGER_AHEAD=${LEDGER_AHEAD:-20}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
DIR=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT
# shellcheck source=bench/seed-lib.sh
source "$(dirname "$0")/seed-lib.sh"

# One binary under callgrind: instructions per /account request.
count() { # binary database
    local port jar token cookie pid out
    port=$(free_port)
    out="$DIR/cg.$(basename $1).$$"
    PORTAL_MAIL_DIR="$DIR/mail" RUST_LOG=warn PORTAL_WORKERS=1 \
        valgrind --tool=callgrind --callgrind-out-file="$out" --instr-atstart=no \
        "$1" --database "$2" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
    jar="$DIR/jar.$port"
    token=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')
    curl -s -b "$jar" -c "$jar" -o /dev/null \
        --data-urlencode "email=runner@example.com" --data-urlencode "password=$PASSWORD" \
        --data-urlencode "csrf_token=$token" "http://127.0.0.1:$port/login"
    cookie=$(awk '$6 ~ /portal_session/ { print $6 "=" $7 }' "$jar" | tail -n1)
    python3 "$DIR/hit.py" "$port" "$cookie" 50
    callgrind_control -i on "$pid" >/dev/null
    python3 "$DIR/hit.py" "$port" "$cookie" "$REQUESTS"
    callgrind_control -i off "$pid" >/dev/null
    callgrind_control -d "$pid" >/dev/null
    sleep 1
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local ir
    [ -z "${KEEP:-}" ] || cp "$out".1 "$KEEP/$(basename "$1").callgrind"
    ir=$(cat "$out"* 2>/dev/null | awk '/^summary:/ { s += $2 } /^totals:/ { t += $2 } END { print (s > 0 ? s : t) }')
    python3 -c "print(round($ir / $REQUESTS))"
}

REQUESTS=${REQUESTS:-400}
cat > "$DIR/hit.py" <<'PY'
import http.client, sys
port, cookie, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("GET", "/account", headers={"Cookie": cookie})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
seed "$OLD" "$DIR/old.db"
seed "$NEW" "$DIR/new.db"
ledger "$DIR/new.db"
a=$(count "$OLD" "$DIR/old.db")
b=$(count "$NEW" "$DIR/new.db")
echo
echo "/account, instructions per request (callgrind), $REQUESTS requests each; the new binary's account has $LEDGER_ROWS ledger rows, $LEDGER_AHEAD of them to come"
echo "| backend | old: $OLD | new: $NEW | old / new (target >= 0.90) |"
echo "|---|---|---|---|"
echo "| SQLite | $a | $b | $(python3 -c "print(f'{$a / $b:.2f}')") |"
