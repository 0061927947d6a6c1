#!/bin/sh
# migrate.sh -- applies sql/NNN_*.sql once each, in order, each inside a
# transaction with its record in schema_migrations.  An advisory lock
# keeps two migrators from racing.  Connects with MIGRATE_URL (the
# database owner), else DATABASE_URL; psql's own variables work too.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
url=${MIGRATE_URL:-${DATABASE_URL:-}}
url=$(printf '%s' "$url" | sed 's|^postgres\(ql\)\{0,1\}+[a-z0-9]*://|postgresql://|')
psql_() { psql ${url:+"$url"} -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_ -c "CREATE TABLE IF NOT EXISTS schema_migrations (
	version text PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now())" 2>&1 | grep -v 'already exists, skipping' >&2 || true
applied=0
for f in "$dir"/[0-9]*.sql; do
	[ -e "$f" ] || continue
	v=$(basename "$f" .sql)
	case $v in *[!A-Za-z0-9_-]*) echo "migrate: bad file name $f" >&2; exit 1;; esac
	done_=$(psql_ -At -c "SELECT 1 FROM schema_migrations WHERE version = '$v'")
	[ -n "$done_" ] && continue
	{
		echo "SELECT pg_advisory_xact_lock(727274);"
		echo "\\set ON_ERROR_STOP 1"
		echo "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM schema_migrations WHERE version = '$v') THEN RAISE EXCEPTION 'already applied'; END IF; END \$\$;"
		cat "$f"
		echo
		echo "INSERT INTO schema_migrations (version) VALUES ('$v');"
	} | psql_ -1 >/dev/null || { echo "migrate: $v failed" >&2; exit 1; }
	echo "migrate: applied $v"
	applied=$((applied + 1))
done
echo "migrate: $applied applied, database up to date"
