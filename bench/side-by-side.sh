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
PASSWORD="tortoise and hare at night"

python3 - "$DIR/users.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("employee_number,name,status,start_date,end_date\n")
    for i in range(2000):
        status = "passive" if i % 10 == 0 else "active"
        end = "2031-06-30" if i % 7 == 0 else ""
        f.write(f"E{i:06},User {i},{status},2024-01-01,{end}\n")
PY

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

seed() { # binary database
    "$1" --database "$2" migrate >/dev/null 2>&1
    local acct
    acct=$("$1" --database "$2" account create --name "Bench AB" --licenses 3000 2>/dev/null)
    echo "$PASSWORD" | "$1" --database "$2" login create --email runner@example.com --role contact --account "$acct" >/dev/null 2>&1
    "$1" --database "$2" users import --account "$acct" "$DIR/users.csv" >/dev/null 2>&1
}

# LEDGER_ROWS rows on the seeded account, and today's figure with them.
ledger() { # database
    [ "$LEDGER_ROWS" -gt 0 ] || return 0
    local sql
    sql=$(python3 - "$LEDGER_ROWS" "$LEDGER_AHEAD" <<'PY'
import sys, datetime
n, ahead = int(sys.argv[1]), int(sys.argv[2]); today = datetime.date.today()
day = datetime.timedelta(days=1)
starts = [today - (n - ahead) * 4 * day + i * 4 * day for i in range(n - ahead)]
starts += [today + (1 + 7 * i) * day for i in range(ahead)]
rows = [f"(1, 1, '{s}', '{s + 29 * day}', 'adjustment', 'benchmark', '{today} 00:00:00')" for s in starts]
covering = sum(1 for s in starts if s <= today <= s + 29 * day)
print("INSERT INTO license_ledger (account_id, change, starts_on, ends_on, kind, reason, created_at) VALUES "
      + ", ".join(rows) + ";")
# Stale since yesterday: the server's first round writes today's figure,
# the last day it holds and the rows ahead, as a day turning would.
print(f"UPDATE accounts SET licenses = licenses + {covering}, licenses_until = '{today - day}' WHERE id = 1;")
PY
)
    case "$1" in
        postgres*) psql -q "$1" -c "$sql" >/dev/null ;;
        *) python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$1" "$sql" ;;
    esac
}

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
