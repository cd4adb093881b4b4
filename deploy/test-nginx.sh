#!/usr/bin/env bash
# The deployment test of .ci/run (issue 13): Debian's nginx, unprivileged on
# loopback, from the shipped site (deploy/nginx-license-portal.conf, its
# ports and paths filled in here), in front of two instances on one
# PostgreSQL database. A client on another loopback address signs in,
# orders and approves through it; the portal must log that client's
# address, never nginx's.
#
# usage: deploy/test-nginx.sh BINARY POSTGRES_URL   (an empty database)
set -euo pipefail
BIN=$(realpath "$1")
PG=$2
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d)
chmod 755 "$DIR"
CLIENT=127.0.0.9
PASS='a harbour full of boats'
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP

fail() { echo "FAIL (nginx test): $*" >&2; exit 1; }
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P1=$(port); P2=$(port); TLS=$(port); PLAIN=$(port)
PIDS=()
stop() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop EXIT

# The data: an account, its contact, a staff login with two-step on.
"$BIN" --database "$PG" migrate 2>/dev/null
ACCOUNT=$("$BIN" --database "$PG" account create --name "Proxy AB" --licenses 10)
printf '%s\n' "$PASS" | "$BIN" --database "$PG" login create --email contact@proxy.example --role contact --account "$ACCOUNT" 2>/dev/null
printf '%s\n' "$PASS" | "$BIN" --database "$PG" login create --email staff@proxy.example --role staff 2>/dev/null
psql -q "$PG" -c "UPDATE logins SET totp_secret = '$SECRET' WHERE email = 'staff@proxy.example'"

# Two instances on the one database, trusting nginx on 127.0.0.1.
for p in "$P1" "$P2"; do
    "$BIN" --database "$PG" --log-format json serve --bind "127.0.0.1:$p" \
        --trusted-proxy 127.0.0.1/32 --public-url "https://127.0.0.1:$TLS" \
        --mail-dir "$DIR/mail" >"$DIR/out-$p" 2>"$DIR/log-$p" &
    PIDS+=($!)
done

# nginx from the shipped site: ports, certificate and paths filled in.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null
sed -e "s/127.0.0.1:8081/127.0.0.1:$P1/; s/127.0.0.1:8082/127.0.0.1:$P2/" \
    -e "s/listen 443 ssl http2;/listen 127.0.0.1:$TLS ssl http2;/; s/listen 80;/listen 127.0.0.1:$PLAIN;/" \
    -e '/listen \[::\]/d' \
    -e "s#/etc/ssl/certs/licenses.example.com.pem#$DIR/cert.pem#; s#/etc/ssl/private/licenses.example.com.key#$DIR/key.pem#" \
    -e "s/licenses.example.com/127.0.0.1/" \
    "$HERE/nginx-license-portal.conf" >"$DIR/site.conf"
grep -q "127.0.0.1:$P1" "$DIR/site.conf" || fail "the site's upstream was not filled in"
cat >"$DIR/nginx.conf" <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log;
events { worker_connections 64; }
http {
    access_log $DIR/nginx-access.log;
    client_body_temp_path $DIR/body;
    proxy_temp_path $DIR/proxy;
    fastcgi_temp_path $DIR/fastcgi;
    uwsgi_temp_path $DIR/uwsgi;
    scgi_temp_path $DIR/scgi;
    include $DIR/site.conf;
}
CONF
chmod 644 "$DIR"/*.conf "$DIR"/*.pem
AS=()
if [ "$(id -u)" = 0 ]; then
    chown -R nobody "$DIR"
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
"${AS[@]}" nginx -t -p "$DIR" -c "$DIR/nginx.conf" -g 'daemon off;' 2>"$DIR/nginx-test.log" \
    || { cat "$DIR/nginx-test.log" >&2; fail "nginx refused the shipped site"; }
"${AS[@]}" nginx -p "$DIR" -c "$DIR/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

BASE="https://127.0.0.1:$TLS"
for _ in $(seq 1 60); do
    curl -sk --interface "$CLIENT" "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -skf --interface "$CLIENT" "$BASE/healthz" >/dev/null || fail "no answer through nginx"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PLAIN/login")" = 301 ] || fail "plain http is not sent to https"

# A browser of its own, on 127.0.0.9.
web() { local jar=$1; shift; curl -sk --interface "$CLIENT" -b "$DIR/$jar" -c "$DIR/$jar" "$@"; }
csrf() { grep -o 'name="csrf_token" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//'; }
status_of() { web "$1" -o /dev/null -w '%{http_code} %{redirect_url}' "${@:2}"; }
code_now() {
    python3 - "$SECRET" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1])
digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = digest[-1] & 15
print("%06d" % ((struct.unpack(">I", digest[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}
sign_in() {
    local jar=$1 email=$2 token answer
    token=$(web "$jar" "$BASE/login" | csrf)
    answer=$(status_of "$jar" --data-urlencode "email=$email" --data-urlencode "password=$PASS" \
        --data-urlencode "csrf_token=$token" "$BASE/login")
    echo "$answer"
}

# The contact signs in and orders 5.
answer=$(sign_in contact contact@proxy.example)
[[ "$answer" == "303 $BASE/" ]] || fail "the contact's sign-in answered $answer"
form=$(web contact "$BASE/account/order-licenses")
token=$(echo "$form" | csrf)
form_token=$(echo "$form" | grep -o 'name="form_token" value="[^"]*"' | sed 's/.*value="//; s/"$//')
answer=$(status_of contact --data-urlencode "quantity=5" --data-urlencode "reference=PO-PROXY" \
    --data-urlencode "form_token=$form_token" --data-urlencode "csrf_token=$token" "$BASE/account/order-licenses")
[[ "$answer" == "303 $BASE/account/orders/"* ]] || fail "ordering answered $answer"
ORDER=${answer##*/}

# Staff sign in with the second step and approve it.
answer=$(sign_in staff staff@proxy.example)
[[ "$answer" == "303 $BASE/login/two-step" ]] || fail "the staff password step answered $answer"
token=$(web staff "$BASE/login/two-step" | csrf)
answer=$(status_of staff --data-urlencode "code=$(code_now)" --data-urlencode "csrf_token=$token" "$BASE/login/two-step")
[[ "$answer" == "303 $BASE/" ]] || fail "the code answered $answer"
token=$(web staff "$BASE/staff/orders" | csrf)
answer=$(status_of staff --data-urlencode "note=approved through nginx" --data-urlencode "csrf_token=$token" \
    "$BASE/staff/orders/$ORDER/approve")
[[ "$answer" == 303* ]] || fail "approving answered $answer"
LICENSES=$(psql -tA "$PG" -c "SELECT licenses FROM accounts WHERE id = $ACCOUNT")
[ "$LICENSES" = 15 ] || fail "the account owns $LICENSES licenses, not 15"

# Both instances answered, every line of their logs is JSON, and the
# request lines name the client (127.0.0.9), not nginx (127.0.0.1).
for p in "$P1" "$P2"; do
    grep -q '"route"' "$DIR/log-$p" || fail "instance $p answered no request"
    python3 - "$DIR/log-$p" "$CLIENT" <<'PY' || fail "the log of instance $p"
import json, sys
path, client = sys.argv[1], sys.argv[2]
seen = 0
for n, line in enumerate(open(path), 1):
    entry = json.loads(line)  # every line is one JSON object
    span = entry.get("span") or {}
    if "client" in span:
        seen += 1
        assert span["client"] == client, f"line {n} names {span['client']}, not {client}"
        assert span.get("request_id"), f"line {n} has no request id"
    peer = entry.get("fields", {}).get("peer")
    if peer is not None:
        assert peer == client, f"line {n}: the sign-in log names {peer}, not {client}"
assert seen > 0, "no line about a request"
PY
done
grep -q "sign-in succeeded" "$DIR/log-$P1" "$DIR/log-$P2" || fail "no sign-in was logged"
echo "nginx test: signed in, ordered #$ORDER and approved it through nginx on :$TLS in front of :$P1 and :$P2; the logs name $CLIENT"
