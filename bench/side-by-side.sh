#!/usr/bin/env bash
# /account requests/s of two release binaries side by side in one run
# (issue 21: the session layer moved to actix-session; the figure must stay
# within 10 %). Each binary gets its own database, seeded the same way by
# its own command line (an account of 2,000 users, one contact), then they
# take turns: A B A B A B, `wrk -t2 -c32 -d5s` on /account with a signed-in
# cookie, on SQLite and on a fresh PostgreSQL database. Loopback only.
#
#   bench/side-by-side.sh OLD_BINARY NEW_BINARY
#
# LEDGER_ROWS=500 gives the new binary's account that many license ledger
# rows (issue 23), each one more license for 30 days: LEDGER_AHEAD of them
# (default 20) start in the coming weeks, one a week, so the overview lists
# their changes on every request; the rest ended in the years before.
#
# Build the old binary from an older commit, for example:
#   git worktree add /tmp/old 127f578 && (cd /tmp/old && cargo build --release)
set -euo pipefail
OLD=${1:?old binary}
NEW=${2:?new binary}
TURNS=${TURNS:-5}
# The server on one core and wrk on another (when there are two and
# taskset is here): wrk and the server taking turns on the same cores made
# the figures swing by a third from turn to turn.
PIN_SERVER=()
PIN_WRK=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0)
    PIN_WRK=(taskset -c 1)
fi
LEDGER_ROWS=${LEDGER_ROWS:-0}
LEDGER_AHEAD=${LEDGER_AHEAD:-20}
PGBASE=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
DIR=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT
# shellcheck source=bench/seed-lib.sh
source "$(dirname "$0")/seed-lib.sh"

# One turn: serve, sign in, wrk; prints requests/s.
turn() { # binary database
    local port jar token cookie rps pid
    port=$(free_port)
    PORTAL_MAIL_DIR="$DIR/mail" RUST_LOG=warn PORTAL_WORKERS=2 \
        "${PIN_SERVER[@]}" "$1" --database "$2" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    jar="$DIR/jar.$port"
    token=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')
    curl -s -b "$jar" -c "$jar" -o /dev/null \
        --data-urlencode "email=runner@example.com" --data-urlencode "password=$PASSWORD" \
        --data-urlencode "csrf_token=$token" "http://127.0.0.1:$port/login"
    cookie=$(awk '$6 ~ /portal_session/ { print $6 "=" $7 }' "$jar" | tail -n1)
    # A second of warm-up opens the pool's connections.
    "${PIN_WRK[@]}" wrk -t2 -c32 -d1s -H "Cookie: $cookie" "http://127.0.0.1:$port/account" >/dev/null 2>&1
    rps=$("${PIN_WRK[@]}" wrk -t2 -c32 -d5s -H "Cookie: $cookie" "http://127.0.0.1:$port/account" 2>/dev/null \
        | awk '/Non-2xx/ { bad = 1 } /^Requests\/sec:/ { r = $2 } END { if (bad) print "non-2xx"; else print r }')
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$rps"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

run_backend() { # name db_old db_new
    local name=$1 a=() b=() r
    seed "$OLD" "$2"
    seed "$NEW" "$3"
    ledger "$3"
    for i in $(seq 1 "$TURNS"); do
        r=$(turn "$OLD" "$2"); a+=("$r")
        r=$(turn "$NEW" "$3"); b+=("$r")
    done
    local ma mb
    ma=$(median "${a[@]}")
    mb=$(median "${b[@]}")
    printf '| %s | %s (%s) | %s (%s) | %s |\n' "$name" "$ma" "${a[*]}" "$mb" "${b[*]}" \
        "$(python3 -c "print(f'{float(\"$mb\") / float(\"$ma\"):.2f}')" 2>/dev/null || echo -)"
}

echo
echo "/account requests/s, wrk -t2 -c32 -d5s, median of $TURNS turns each (turns in brackets), taken in turn${PIN_SERVER:+, the server pinned to core 0 and wrk to core 1}; the new binary's account has $LEDGER_ROWS ledger rows, $LEDGER_AHEAD of them to come"
echo "| backend | old: $OLD | new: $NEW | new / old (target >= 0.90) |"
echo "|---|---|---|---|"
run_backend SQLite "$DIR/old.db" "$DIR/new.db"
ROOT=${PGBASE%/*}
if psql "$PGBASE" -qc 'select 1' >/dev/null 2>&1; then
    psql "$PGBASE" -qc "DROP DATABASE IF EXISTS side_old_$$" -c "CREATE DATABASE side_old_$$" >/dev/null
    psql "$PGBASE" -qc "DROP DATABASE IF EXISTS side_new_$$" -c "CREATE DATABASE side_new_$$" >/dev/null
    run_backend PostgreSQL "$ROOT/side_old_$$" "$ROOT/side_new_$$"
    psql "$PGBASE" -qc "DROP DATABASE IF EXISTS side_old_$$ WITH (FORCE)" -c "DROP DATABASE IF EXISTS side_new_$$ WITH (FORCE)" >/dev/null
else
    echo "PostgreSQL not reachable at $PGBASE: its figures are skipped" >&2
fi
