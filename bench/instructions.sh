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
