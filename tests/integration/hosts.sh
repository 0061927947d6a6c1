#!/bin/bash
# hosts.sh -- fastpg on several hosts (issue 15), each host a network
# namespace on a bridge of its own, TLS on both legs:
#
#   client (wrk, curl) -- HTTPS --> front (nginx, deploy/nginx/front.conf.in)
#        front -- HTTP --> h1, h2: each its own nginx on its address,
#                          responders on unix sockets (local.sh --database)
#        h1, h2 -- TLS, sslmode=verify-full --> db (PostgreSQL, ssl = on)
#
# Checks: TLS at the front (HTTP/2, HSTS, HTTP redirected, TLS < 1.2, a
# wrong name and an untrusted CA refused), at PostgreSQL (pg_stat_ssl:
# every responder connection encrypted; no TLS, a wrong name and an
# untrusted CA refused); under wrk load (GETs and POSTs): both hosts
# serve; one host SIGKILLed whole: at most 0.1% of requests fail, none
# once the front has left it out; restarted, it serves again; a rolling
# upgrade of every resource, host by host: none fails; another host's
# link cut: at most 0.1%, none once it is left out.
#
#   tests/integration/hosts.sh BUILD_DIR      (as root: ip netns)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/wrkparse.sh"
bin=$(cd "${1:?usage: hosts.sh BUILD_DIR}" && pwd)/bin
[ "$(id -u)" = 0 ] || { echo "hosts.sh: needs root (network namespaces)"; exit 1; }
for c in ip openssl wrk nginx; do
	command -v "$c" >/dev/null || { echo "hosts.sh: $c missing"; exit 1; }
done

T=$(mktemp -d /tmp/fastpg-hosts.XXXXXX)
chmod 755 "$T"
id=$$
net=10.$((RANDOM % 200 + 20)).$((RANDOM % 250))
SW=fpg$id-sw FR=fpg$id-fr DB=fpg$id-db H1=fpg$id-h1 H2=fpg$id-h2
declare -A addr=([$FR]=$net.1 [$DB]=$net.2 [$H1]=$net.11 [$H2]=$net.12)
front=${addr[$FR]}
ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
local_sh() { local n=$1; shift; ns "$n" bash "$top/deploy/local.sh" "$@"; }

cleanup() {
	set +e
	local n
	[ -s "$T/front/nginx.pid" ] && kill -QUIT "$(cat "$T/front/nginx.pid")" 2>/dev/null
	for n in h1 h2; do local_sh "fpg$id-$n" down "$T/$n" >/dev/null 2>&1; done
	local_sh "$DB" down "$T/db" >/dev/null 2>&1
	for n in $FR $DB $H1 $H2 $SW; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# ------------------------------------------------------------ the network

ip netns add "$SW" && ip -n "$SW" link add br0 type bridge &&
    ip -n "$SW" link set br0 up || { echo "FAIL: no bridge"; exit 1; }
i=0
for n in $FR $DB $H1 $H2; do
	i=$((i + 1))
	ip netns add "$n"
	ip -n "$n" link set lo up
	ip link add eth0 netns "$n" type veth peer name p$i netns "$SW"
	ip -n "$SW" link set "p$i" master br0 up
	ip -n "$n" addr add "${addr[$n]}/24" dev eth0
	ip -n "$n" link set eth0 up
done

# ------------------------------------------------ a CA and certificates

mkdir -p "$T/ca"
cert() {	# cert NAME CA: NAME.crt/.key signed by CA, for NAME.fastpg.test
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$T/ca/$1.key" -out "$T/ca/$1.csr" -subj "/CN=$1.fastpg.test" 2>/dev/null &&
	openssl x509 -req -in "$T/ca/$1.csr" -CA "$T/ca/$2.crt" -CAkey "$T/ca/$2.key" \
	    -CAcreateserial -days 2 -out "$T/ca/$1.crt" -extfile <(printf '%s\n' \
	    "subjectAltName=DNS:$1.fastpg.test" "extendedKeyUsage=serverAuth") 2>/dev/null
}
for c in ca other; do	# ours, and one nobody here trusts
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$T/ca/$c.key" -out "$T/ca/$c.crt" -days 2 -subj "/CN=fastpg test $c" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
done
cert front ca && cert db ca || { echo "FAIL: openssl"; exit 1; }
chmod 644 "$T/ca"/*.crt

# ------------------------------------------------ PostgreSQL on host db

export FASTPG_WRITE_RATE=100000r/s FASTPG_WRITE_BURST=100000 POOL_SIZE=4 LOG_LEVEL=info
mkdir -p "$T/db" "$T/h1" "$T/h2"
local_sh "$DB" up "$T/db" --server none --bin "$bin" >/dev/null ||
    { echo "FAIL: PostgreSQL did not start"; exit 1; }
data=$T/db/pg/data
install -o postgres -m 600 "$T/ca/db.key" "$data/server.key"
install -o postgres -m 644 "$T/ca/db.crt" "$data/server.crt"
cat >>"$data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
CONF
cat >>"$data/pg_hba.conf" <<HBA
hostssl fastpg fastpg_app $net.0/24 scram-sha-256
hostnossl all all 0.0.0.0/0 reject
HBA
echo "${addr[$DB]}" >"$T/db/pg/tcp_addr"
pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
psql "postgresql://fastpg@/fastpg?host=$T/db/pgrun" -Xq \
    -c "ALTER ROLE fastpg_app PASSWORD '$pw'" || { echo "FAIL: password"; exit 1; }
local_sh "$DB" pg-stop "$T/db" && local_sh "$DB" pg-start "$T/db" ||
    { echo "FAIL: PostgreSQL did not restart with TLS"; tail "$T/db/log/postgresql.log"; exit 1; }

# The responders' password in a file of theirs (libpq wants it 0600),
# never in the URL, the environment or a log.
printf '*:5432:fastpg:fastpg_app:%s\n' "$pw" >"$T/pgpass"
chown nobody "$T/pgpass"; chmod 600 "$T/pgpass"
export PGPASSFILE=$T/pgpass
url() {	# url NAME CA: the responders' DATABASE_URL, as host NAME
	echo "postgresql://fastpg_app@$1:5432/fastpg?hostaddr=${addr[$DB]}&sslmode=verify-full&sslrootcert=$T/ca/$2.crt&connect_timeout=2"
}
DBURL=$(url db.fastpg.test ca)

# ------------------------------------------------ the hosts and the front

host_up() {	# host_up h1|h2
	local n=fpg$id-$1
	local_sh "$n" up "$T/$1" --database "$DBURL" --listen "${addr[$n]}" \
	    --port 8080 --front "$front" --bin "$bin" >"$T/$1.up.log" 2>&1
}
host_up h1 && host_up h2 || { echo "FAIL: a host did not start"; cat "$T"/h?.up.log; exit 1; }

mkdir -p "$T/front/log" "$T/front/tmp"
chown nobody "$T/front/tmp"
sed -e "s|@CERT@|$T/ca/front.crt|" -e "s|@KEY@|$T/ca/front.key|" \
    "$top/deploy/nginx/tls.conf.in" >"$T/front/tls.conf"
for n in $H1 $H2; do
	printf '\t\tserver %s:8080 max_fails=1 fail_timeout=5s;\n' "${addr[$n]}"
done >"$T/front/hosts.conf"
{
	echo "user nobody nogroup;"
	sed -e "/^[[:space:]]*@HOSTS@[[:space:]]*$/{r $T/front/hosts.conf" -e "d}" \
	    -e "/^[[:space:]]*@TLS@[[:space:]]*$/{r $T/front/tls.conf" -e "d}" \
	    "$top/deploy/nginx/front.conf.in" |
	    sed -e "s|@DIR@|$T/front|g" -e "s|@ADDR@|$front|g" \
	    -e "s|@SERVER_NAME@|front.fastpg.test|g" -e "s|@BODY_MAX@|1m|g"
} >"$T/front/nginx.conf"
ns "$FR" nginx -p "$T/front" -c "$T/front/nginx.conf" </dev/null >/dev/null 2>>"$T/front/log/stderr" &
# curl as a client of the site: its name resolves to the front.
site=https://front.fastpg.test
c() { ns "$FR" curl -s --resolve "front.fastpg.test:443:$front" \
    --resolve "front.fastpg.test:80:$front" --resolve "wrong.fastpg.test:443:$front" "$@"; }
for _ in $(seq 50); do
	[ "$(c --cacert "$T/ca/ca.crt" -o /dev/null -w '%{http_code}' "$site/items")" = 200 ] && break
	sleep 0.1
done

# ------------------------------------------------------------------ TLS

st=$(c --cacert "$T/ca/ca.crt" -o /dev/null -w '%{http_code} %{http_version}' "$site/items?limit=1")
check "HTTPS through the front, our CA trusted: 200 over HTTP/2 ($st)" [ "$st" = "200 2" ]
h=$(c --cacert "$T/ca/ca.crt" -D - -o /dev/null "$site/items?limit=1")
check "HSTS sent" grep -qi '^strict-transport-security: max-age=63072000' <<<"$h"
h=$(c -o /dev/null -w '%{http_code} %{redirect_url}' "http://front.fastpg.test/items?limit=1")
check "HTTP redirected to HTTPS ($h)" [ "$h" = "301 https://front.fastpg.test/items?limit=1" ]
c --cacert "$T/ca/other.crt" -o /dev/null "$site/items"; rc=$?
check "an untrusted certificate refused (curl exit $rc)" [ $rc = 60 ]
c --cacert "$T/ca/ca.crt" -o /dev/null https://wrong.fastpg.test/items; rc=$?
check "a wrong host name refused (curl exit $rc)" [ $rc = 60 ]
tls() {	# tls -tls1_X: what openssl says of a handshake with the front
	ns "$FR" openssl s_client -connect "$front:443" -servername front.fastpg.test \
	    -CAfile "$T/ca/ca.crt" -cipher 'DEFAULT@SECLEVEL=0' "$1" </dev/null 2>&1
}
check "TLS 1.2 accepted" grep -qE 'Protocol *: TLSv1.2' <<<"$(tls -tls1_2)"
check "TLS 1.1 refused by the front" grep -qE 'alert protocol version|unsupported protocol' <<<"$(tls -tls1_1)"
tok=$(c --cacert "$T/ca/ca.crt" --data-urlencode "username=$FASTPG_ADMIN_EMAIL" \
    --data-urlencode "password=$FASTPG_ADMIN_PASSWORD" "$site/token" |
    sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
check "a token from POST /token through the front" [ -n "$tok" ]

pgq() { psql "postgresql://fastpg@/fastpg?host=$T/db/pgrun" -XAtc "$1"; }
enc=$(pgq "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl),
    min(s.version) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
    WHERE a.usename = 'fastpg_app'")
IFS='|' read -r yes no ver <<<"$enc"
check "pg_stat_ssl: the responders' connections encrypted ($yes over $ver, $no not)" \
    [ "${yes:-0}" -ge 2 -a "${no:-1}" = 0 ]
q() { ns "$H1" runuser -u nobody -- env PGPASSFILE="$T/pgpass" PGCONNECT_TIMEOUT=3 \
    psql "$1" -XAtc 'SELECT 1' 2>&1; }
r=$(q "$DBURL")
check "psql from a host, verify-full: connects ($r)" [ "$r" = 1 ]
r=$(q "$(url wrong.fastpg.test ca)")
check "PostgreSQL under a wrong host name refused" grep -q 'does not match host name' <<<"$r"
r=$(q "$(url db.fastpg.test other)")
check "PostgreSQL with an untrusted CA refused" grep -q 'certificate verify failed' <<<"$r"
r=$(q "postgresql://fastpg_app@${addr[$DB]}:5432/fastpg?sslmode=disable")
check "PostgreSQL without TLS refused (pg_hba hostnossl reject)" grep -q 'no encryption' <<<"$r"

# ------------------------------------------------------------- load

cat >"$T/load.lua" <<'LUA'
-- 3 GETs of an item for each POST of a new one (the admin's token).
local auth = "Bearer " .. os.getenv("TOKEN")
local tag = os.getenv("TAG")
local n, counter = 0, 0
function setup(thread) n = n + 1; thread:set("tid", n) end
function request()
	counter = counter + 1
	if counter % 4 == 0 then
		return wrk.format("POST", "/items", { ["Content-Type"] =
		    "application/json", ["Authorization"] = auth },
		    '{"sku":"H-' .. tag .. '-' .. tid .. '-' .. counter ..
		    '","name":"hosts","price":1.5}')
	end
	return wrk.format("GET", "/items/" .. (counter % 20 + 1))
end
LUA
for k in $(seq 20); do
	c --cacert "$T/ca/ca.crt" -o /dev/null -H "Authorization: Bearer $tok" \
	    -H 'Content-Type: application/json' -d "{\"sku\":\"H-seed-$k\",\"name\":\"seed\",\"price\":1}" \
	    "$site/items"
done
load() {	# load SECONDS OUT: wrk through the front, in the background
	ns "$FR" env TOKEN="$tok" TAG="$id-$RANDOM" wrk -t2 -c16 -d"$1s" --timeout 5s \
	    -s "$T/load.lua" "https://$front/" >"$2" 2>&1 &
}
served() {	# requests host $1's nginx logged since line $2 of its log
	tail -n +"$(($2 + 1))" "$T/$1/log/nginx-access.log" | wc -l
}
lines() { wc -l <"$T/$1/log/nginx-access.log"; }
fails() { wrk_stats "$1"; echo $((non2xx + sockerr)); }
ok_rate() {	# ok_rate WHAT FILE PERMILLE: at most that many failed
	wrk_stats "$2"
	local bad=$((non2xx + sockerr))
	check "$1: $bad of $requests failed (<= $3 per mille)" \
	    [ "$requests" -gt 500 -a $((bad * 1000)) -le $(($3 * requests)) ]
	echo "$1: $requests requests, $non2xx non-2xx, $sockerr socket errors"
}

# Both hosts serve.
l1=$(lines h1) l2=$(lines h2)
load 3 "$T/w0"; wait $!
sleep 1.2	# nginx writes its access log a second late at most
ok_rate "both hosts up" "$T/w0" 0
check "both hosts served ($(served h1 "$l1"), $(served h2 "$l2"))" \
    [ "$(served h1 "$l1")" -gt 100 -a "$(served h2 "$l2")" -gt 100 ]

# h1 killed whole: every process of its namespace, SIGKILL.
load 8 "$T/w1"; w=$!
sleep 3
ip netns pids "$H1" | xargs -r kill -KILL
wait $w
ok_rate "host h1 SIGKILLed under load" "$T/w1" 1
load 4 "$T/w2"; wait $!
ok_rate "then, h1 left out by the front" "$T/w2" 0

# h1 back: the front sends to it again after its fail_timeout.
local_sh "$H1" down "$T/h1" >/dev/null 2>&1
host_up h1 || { echo "FAIL: h1 did not start again"; cat "$T/h1.up.log"; }
sleep 5.5
l1=$(lines h1)
load 3 "$T/w3"; wait $!
sleep 1.2
ok_rate "h1 restarted" "$T/w3" 0
check "h1 serves again ($(served h1 "$l1"))" [ "$(served h1 "$l1")" -gt 100 ]

# A rolling upgrade: every resource, host by host (deploy/rollout.sh),
# under load.
l2=$(lines h2)
load 14 "$T/w5"; w=$!
sleep 1
for h in h1 h2; do
	for b in "$bin"/*; do
		[ -f "$top/apps/${b##*/}/main.c" ] || continue
		[ -f "$top/apps/${b##*/}/bench-only" ] && continue	# not started
		ns "fpg$id-$h" bash "$top/deploy/rollout.sh" "${b##*/}" "$T/$h" >>"$T/rollout.log" 2>&1 ||
		    echo "ROLLOUT-FAILED: ${b##*/} on $h" >>"$T/rollout.log"
	done
done
wait $w
ok_rate "rolling upgrade of every resource on both hosts" "$T/w5" 0
check "every rollout put its new generation in service" \
    bash -c "! grep -q ROLLOUT-FAILED '$T/rollout.log'"

# h2's link cut under load (a host gone silent, its processes alive):
# requests in flight to it, and those sent on connections the front
# kept to it, are lost; new connections time out in 1 s and go to h1.
# (14 s: a request stuck at the cut fails in wrk at its 5 s timeout,
# within the run, and is counted.)
load 14 "$T/w6"; w=$!
sleep 3
ip -n "$H2" link set eth0 down
wait $w
# Not the 0.1% of a killed host: each request that went to h2 on a
# connection the front kept, or was in flight at the cut, waits for
# an answer that never comes, and wrk gives up on it after 5 s.  Bound:
# two such requests per client connection (16).
wrk_stats "$T/w6"
check "host h2's link cut under load: $((non2xx + sockerr)) of $requests failed (<= 32)" \
    [ "$requests" -gt 500 -a $((non2xx + sockerr)) -le 32 ]
echo "link cut: $requests requests, $non2xx non-2xx, $sockerr socket errors"
load 4 "$T/w7"; wait $!
ok_rate "then, h2 left out by the front" "$T/w7" 0
ip -n "$H2" link set eth0 up

if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T"/h?/log/*.log; then
	check "no sanitizer report in the hosts' logs" false
fi
check "the database password in no log" bash -c "! grep -rqF -- '$pw' $T/h1/log $T/h2/log $T/db/log"
report
