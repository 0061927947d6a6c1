#!/bin/bash
# rollout.sh -- puts a new build of ONE resource into service with no
# failed request, while the other resources keep running untouched.
#
#   deploy/rollout.sh NAME [DIR]     a stack of local.sh (make run: var/;
#                                    the tests: their temp folder)
#   deploy/rollout.sh --systemd NAME systemd (deploy/systemd): restarts
#                                    fastpg@NAME.service; the socket unit
#                                    holds the socket meanwhile
#
# On a server with deploy/spawn-fcgi: install the new binary (install(1)
# writes a new file, so running processes keep the old one), then
#     fastpg-spawn rollout NAME
# which is what this script runs for a local.sh stack.  The new
# generation starts beside the old on NAME.sock.new with the old one's
# environment; rename(2) swaps the socket path; the old generation gets
# SIGTERM once the connections queued on it are taken, and finishes the
# requests in flight.  A binary that fails --check or does not stay up
# never gets the socket: the old one keeps serving.  Exit 0 when the
# new generation serves.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = --systemd ]; then
	[ $# -eq 2 ] || { echo "usage: rollout.sh --systemd NAME" >&2; exit 2; }
	# Connections arriving during the restart wait in the socket's
	# backlog (the socket unit keeps it open); in-flight requests end
	# first (KillSignal=SIGTERM, passed on by multiwatch as SIGUSR1).
	exec systemctl restart "fastpg@$2.service"
fi
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: rollout.sh NAME [DIR] | --systemd NAME" >&2; exit 2; }
name=$1
dir=$(cd "${2:-$top/var}" && pwd)
[ -f "$dir/run/spawn.env" ] || { echo "rollout: no local.sh stack with spawn-fcgi in $dir" >&2; exit 1; }
set -a
. "$dir/run/spawn.env"
set +a
exec bash "$top/deploy/spawn-fcgi/fastpg-spawn" rollout "$name"
