#!/bin/sh
# deps.sh -- installs, with apt-get, what fastpg needs to build, run and
# test on Debian 12 that is not there yet.  A no-op when all is there.
# Extra packages may be named as arguments (bench adds its own).
set -eu
pkgs="gcc make pkg-config libc6-dev libfcgi-dev libpq-dev libjansson-dev
libpcre2-dev libssl-dev check libcurl4-openssl-dev curl postgresql nginx spawn-fcgi
multiwatch apache2 libapache2-mod-fcgid lighttpd wrk python3 procps systemd
prometheus pgbouncer openssl iproute2 $*"
# apache2, libapache2-mod-fcgid, lighttpd: the tests serve through every
# supported server (deploy/); wrk: the load tests (rollout, SIGKILL);
# python3: the echo responder of the routing tests; procps: pgrep;
# systemd: systemd-socket-activate, for the socket activation test (it
# needs no running systemd); prometheus: promtool, which lints the
# metrics the tests scrape (its server is not started); pgbouncer: the
# tests' pass through PgBouncer (local.sh up --pgbouncer starts its own);
# openssl, iproute2: the hosts test (a throw-away CA, network namespaces);
# libfcgi-dev: only bench/peers/minimal.c, the hand-written responder
# `make bench` measures against (libfastpg does not link libfcgi).
missing=
for p in $pkgs; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $s in *" installed") ;; *) missing="$missing $p";; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The packages' own services (a default PostgreSQL cluster, nginx,
# Apache and lighttpd on port 80) are not wanted: fastpg starts its own under var/.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.fastpg
if [ ! -e /usr/sbin/policy-rc.d ]; then
	cp /usr/sbin/policy-rc.d.fastpg /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
rm -f /usr/sbin/policy-rc.d.fastpg
apt-get install -y -qq --no-install-recommends $missing >/dev/null
