# Shared by bench/side-by-side.sh and bench/instructions.sh (sourced, with
# DIR, LEDGER_ROWS and LEDGER_AHEAD set): the users file of 2,000 users,
# a free port, one account seeded by a binary's own command line, and that
# account's ledger rows.
# shellcheck shell=bash
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

