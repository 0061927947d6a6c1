#!/bin/sh
# new-resource.sh NAME -- writes a new fastpg resource that builds and
# serves CRUD as it is (`make new-resource NAME=widgets`):
#
#   apps/NAME/main.c             POST /NAME, GET /NAME (keyset pages),
#                                GET, PATCH, DELETE /NAME/{id}, ETags
#   apps/NAME/NAME_create.json   the request body of POST
#   apps/NAME/NAME_patch.json    the request body of PATCH (merge patch)
#   apps/NAME/NAME_id.json       the path parameter {id}
#   apps/NAME/NAME_list.json     the query of GET /NAME: limit, after
#   sql/NNN_NAME.sql             the table, NAME_json(), NAME_page() and
#                                the grants to fastpg_app (next number)
#
# Its rows have a name, a description and a free JSON object (data): a
# generic start; the comments in the files say where a field goes.
# Nothing else needs writing: the Makefile builds every apps/<name>/,
# sql/migrate.sh applies every sql/NNN_*.sql, and deploy/local.sh
# (`make run`, the tests) serves every resource at /<name>.
#
# NAME: [a-z][a-z0-9_]{0,30}; not an existing resource, SQL object or
# URL prefix, and not a word PostgreSQL reserves or uses for a type.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'new-resource: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: new-resource.sh NAME   (or: make new-resource NAME=widgets)" >&2; exit 2; }
name=$1

case $name in
''|[!a-z]*|*[!a-z0-9_]*)
	die "'$name': a name is a lowercase letter, then lowercase letters, digits or _";;
esac
[ ${#name} -le 31 ] || die "'$name': at most 31 characters"

# PostgreSQL's keywords other than the unreserved ones (pg_get_keywords(),
# 15, plus 16's and 17's): as a table or function name each needs
# quoting everywhere, forever.
keywords="all analyse analyze and any array as asc asymmetric authorization
between bigint binary bit boolean both case cast char character check
coalesce collate collation column concurrently constraint create cross
current_catalog current_date current_role current_schema current_time
current_timestamp current_user dec decimal default deferrable desc distinct
do else end except exists extract false fetch float for foreign freeze from
full grant greatest group grouping having ilike in initially inner inout
int integer intersect interval into is isnull join json json_array
json_arrayagg json_exists json_object json_objectagg json_query json_scalar
json_serialize json_table json_value lateral leading least left like limit
localtime localtimestamp merge_action national natural nchar none normalize
not notnull null nullif numeric offset on only or order out outer overlaps
overlay placing position precision primary real references returning right
row select session_user setof similar smallint some substring symmetric
system_user table tablesample then time timestamp to trailing treat trim
true union unique user using values varchar variadic verbose when where
window with xmlattributes xmlconcat xmlelement xmlexists xmlforest
xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable"
# pg_catalog's types: a table of that name would be shadowed by them
# (pg_catalog comes first in the search path), so NAME_json(r NAME)
# would take the built-in type.
types="aclitem any anyarray anycompatible anycompatiblearray
anycompatiblemultirange anycompatiblenonarray anycompatiblerange anyelement
anyenum anymultirange anynonarray anyrange bit bool box bpchar bytea char
cid cidr circle cstring date datemultirange daterange event_trigger
fdw_handler float4 float8 gtsvector index_am_handler inet int2 int2vector
int4 int4multirange int4range int8 int8multirange int8range internal
interval json jsonb jsonpath language_handler line lseg macaddr macaddr8
money name numeric nummultirange numrange oid oidvector path point polygon
record refcursor regclass regcollation regconfig regdictionary regnamespace
regoper regoperator regproc regprocedure regrole regtype table_am_handler
text tid time timestamp timestamptz timetz trigger tsm_handler tsmultirange
tsquery tsrange tstzmultirange tstzrange tsvector txid_snapshot unknown uuid
varbit varchar void xid xid8 xml"
# Names of our own, and those whose NAME_json would be a built-in
# function (row_to_json...).
reserved="fastpg schema_migrations array_to row_to to"

for w in $keywords; do
	[ "$w" = "$name" ] && die "'$name' is an SQL keyword: pick another name (e.g. ${name}s, my_$name)"
done
for w in $types; do
	[ "$w" = "$name" ] && die "'$name' is a PostgreSQL type: pick another name (e.g. ${name}s, my_$name)"
done
for w in $reserved; do
	[ "$w" = "$name" ] && die "'$name' is reserved: pick another name"
done
case $name in
pg_*)	die "'$name': pg_ names belong to PostgreSQL";;
*_pkey|*_seq)
	die "'$name': names ending in _pkey or _seq are PostgreSQL's own";;
esac

[ -e "$top/apps/$name" ] && die "apps/$name already exists"

# The URL prefixes the resources serve: /<name> or apps/<name>/prefixes.
for d in "$top"/apps/*/; do
	[ -d "$d" ] || continue
	n=${d%/}; n=${n##*/}
	if [ -f "$d/prefixes" ]; then
		ps=$(grep -vE '^[[:space:]]*(#|$)' "$d/prefixes" | sed -e 's/[[:space:]]//g' -e 's|/*$||')
	else
		ps=/$n
	fi
	for p in $ps; do
		case $p in
		"/$name"|"/$name"/*) die "/$name is already served by apps/$n ($p)";;
		esac
	done
done

# The names the migration creates must be new: the table (and its type),
# its sequence and primary key index, the two functions.
existing=$(cat "$top"/sql/[0-9]*.sql 2>/dev/null |
    sed -n -e 's/^.*\(TABLE\|FUNCTION\|INDEX\|VIEW\|SEQUENCE\|TYPE\)\( IF NOT EXISTS\)\{0,1\}[[:space:]]\{1,\}"\{0,1\}\([a-z_][a-z0-9_]*\).*$/\3/ip' |
    tr '[:upper:]' '[:lower:]' | sort -u)
for o in $existing; do
	for mine in "$name" "${name}_json" "${name}_page" "${name}_pkey" "${name}_id_seq"; do
		[ "$o" = "$mine" ] && die "'$name' clashes with $o in sql/: pick another name"
	done
	for theirs in "${o}_pkey" "${o}_id_seq"; do
		[ "$theirs" = "$name" ] && die "'$name' clashes with $theirs of sql/: pick another name"
	done
done

# The next migration number, zero-padded to 3 like the others.
last=0
for f in "$top"/sql/[0-9]*_*.sql; do
	[ -e "$f" ] || continue
	n=${f##*/}; n=${n%%_*}
	n=$(printf '%s' "$n" | sed 's/^0*//'); n=${n:-0}
	case $n in *[!0-9]*) continue;; esac
	[ "$n" -gt "$last" ] && last=$n
done
num=$(printf '%03d' $((last + 1)))
sqlf=sql/${num}_$name.sql
[ -e "$top/$sqlf" ] && die "$sqlf already exists"

# Everything is written in a temp folder first, then moved: a failure
# leaves nothing half done.
tmp=$(mktemp -d "$top/.new-resource.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/app"

# @NAME@ and @SQLFILE@ in the templates below.
fill() { sed -e "s|@NAME@|$name|g" -e "s|@SQLFILE@|$sqlf|g" >"$1"; }

fill "$tmp/app/main.c" <<'EOF'
/*
 * @NAME@ -- create, read, list, update and delete @NAME@, written by
 * deploy/new-resource.sh as a starting point (apps/items/ is the full
 * example).  The library has routed, parsed and validated every request
 * against the schemas beside this file before a handler runs; the
 * handlers only bind values to the statements below, and PostgreSQL
 * serialises the rows (@NAME@_json() and @NAME@_page() in
 * @SQLFILE@).
 *
 * To add a field (say "price"):
 *   1. its column: in @SQLFILE@ while that migration has not
 *      been applied anywhere yet, else in a new sql/NNN_*.sql
 *      (ALTER TABLE); and in @NAME@_json() so the API shows it;
 *   2. its schema: @NAME@_create.json (and "required" if it is) and
 *      @NAME@_patch.json;
 *   3. its value: in the @NAME@_create statement (the column list and
 *      the record definition x(...)) and a CASE line in @NAME@_patch.
 * A new query parameter goes in @NAME@_list.json and @NAME@_page().
 */
#include <string.h>

#include <fastpg.h>

#include "schemas.h"	/* SCHEMA_<name> for each <name>.json here */

/*
 * Prepared once per connection.  Each statement's first column is the
 * body; the others, named after headers (ETag, Location), are headers,
 * and a column "status" overrides the status.  The table name is
 * quoted, as it is in the migration.
 */
static const struct fpg_stmt stmts[] = {
	{ "@NAME@_create",
	  "INSERT INTO \"@NAME@\" AS t (name, description, data)"
	  " SELECT x.name, x.description, coalesce(x.data, '{}')"
	  " FROM jsonb_to_record($1::jsonb)"
	  "  AS x(name text, description text, data jsonb)"
	  " RETURNING @NAME@_json(t), '\"' || t.version || '\"' AS \"ETag\","
	  "  '/@NAME@/' || t.id AS \"Location\"" },
	{ "@NAME@_get",
	  "SELECT @NAME@_json(t), '\"' || t.version || '\"' AS \"ETag\""
	  " FROM \"@NAME@\" t WHERE t.id = $1" },
	{ "@NAME@_list", "SELECT * FROM @NAME@_page($1::jsonb)" },
	/*
	 * JSON merge patch: a field present replaces, absent keeps.  With
	 * If-Match ($3) only the version it names is updated, so of two
	 * clients that read the same version exactly one wins; the other
	 * gets 412.
	 */
	{ "@NAME@_patch",
	  "WITH p AS (SELECT $2::jsonb AS j), u AS (UPDATE \"@NAME@\" AS t SET"
	  " name = CASE WHEN j ? 'name' THEN j->>'name' ELSE t.name END,"
	  " description = CASE WHEN j ? 'description'"
	  "  THEN j->>'description' ELSE t.description END,"
	  " data = CASE WHEN j ? 'data' THEN j->'data' ELSE t.data END,"
	  " version = t.version + 1, updated_at = now()"
	  " FROM p WHERE t.id = $1 AND ($3::text IS NULL OR t.version::text = $3)"
	  " RETURNING @NAME@_json(t) AS body, '\"' || t.version || '\"' AS etag)"
	  " SELECT body, etag AS \"ETag\", NULL::int AS status FROM u"
	  " UNION ALL SELECT '{\"detail\":\"Precondition Failed\"}', NULL, 412"
	  " FROM \"@NAME@\" t WHERE t.id = $1 AND NOT EXISTS (SELECT FROM u)" },
	{ "@NAME@_delete", "DELETE FROM \"@NAME@\" WHERE id = $1 RETURNING id" },
	{ NULL, NULL }
};

static void
create(struct fpg_req *r)
{
	/* The body exactly as sent: PostgreSQL parses every number. */
	const char *p[] = { fpg_body_text(r, NULL) };

	fpg_send_row(r, 201, "@NAME@_create", 1, p);	/* + ETag, Location */
}

static void
get(struct fpg_req *r)
{
	const char *p[] = { fpg_arg(r, "id") };

	fpg_send_row(r, 200, "@NAME@_get", 1, p);	/* 404, 304 on If-None-Match */
}

static void
list(struct fpg_req *r)
{
	fpg_send_page(r, "@NAME@_list");	/* the page, and Link rel="next" */
}

static void
patch(struct fpg_req *r)
{
	const char *match = fpg_etag(r, "If-Match");
	const char *p[] = { fpg_arg(r, "id"), fpg_body_text(r, NULL),
	    match && strcmp(match, "*") ? match : NULL };

	fpg_send_row(r, 200, "@NAME@_patch", 3, p);
}

static void
delete(struct fpg_req *r)
{
	const char	*p[] = { fpg_arg(r, "id") };
	PGresult	*res = fpg_exec(r, "@NAME@_delete", 1, p);

	if (res == NULL)
		return;		/* the library answers: 409 if referenced */
	if (PQntuples(res) == 0)
		fpg_send_error(r, 404, "Not Found");
	else
		fpg_send_empty(r, 204);
	PQclear(res);
}

static const struct fpg_route routes[] = {
	/* method, path, handler, path schema, query schema, body schema */
	{ "POST", "/@NAME@", create, NULL, NULL, SCHEMA_@NAME@_create },
	{ "GET", "/@NAME@", list, NULL, SCHEMA_@NAME@_list, NULL },
	{ "GET", "/@NAME@/{id}", get, SCHEMA_@NAME@_id, NULL, NULL },
	{ "PATCH", "/@NAME@/{id}", patch, SCHEMA_@NAME@_id, NULL, SCHEMA_@NAME@_patch },
	{ "DELETE", "/@NAME@/{id}", delete, SCHEMA_@NAME@_id, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

static const struct fpg_resource resource = {
	.name = "@NAME@", .routes = routes, .stmts = stmts
};

int
main(int argc, char *argv[])
{
	return fpg_main(&resource, argc, argv);
}
EOF

fill "$tmp/app/${name}_create.json" <<'EOF'
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "@NAME@ create",
  "$comment": "The body of POST /@NAME@. A new field goes in properties (and in required if it must be given), in @NAME@_patch.json, and in the @NAME@_create statement of main.c; see main.c.",
  "type": "object",
  "properties": {
    "name": { "type": "string", "minLength": 1, "maxLength": 200 },
    "description": { "type": ["string", "null"], "maxLength": 4000 },
    "data": { "type": "object", "default": {}, "description": "any JSON object, stored as jsonb" }
  },
  "required": ["name"],
  "additionalProperties": false
}
EOF

fill "$tmp/app/${name}_patch.json" <<'EOF'
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "@NAME@ patch",
  "description": "JSON merge patch of one of @NAME@: the fields given replace the stored ones; description may be null.",
  "$comment": "The same fields as @NAME@_create.json, none required, no defaults; each also needs its CASE line in the @NAME@_patch statement of main.c.",
  "type": "object",
  "properties": {
    "name": { "type": "string", "minLength": 1, "maxLength": 200 },
    "description": { "type": ["string", "null"], "maxLength": 4000 },
    "data": { "type": "object" }
  },
  "minProperties": 1,
  "additionalProperties": false
}
EOF

fill "$tmp/app/${name}_id.json" <<'EOF'
{
  "$comment": "The path parameters of /@NAME@/{id}.",
  "type": "object",
  "properties": {
    "id": { "type": "integer", "minimum": 1, "maximum": 9223372036854775807 }
  },
  "required": ["id"]
}
EOF

fill "$tmp/app/${name}_list.json" <<'EOF'
{
  "title": "@NAME@ list query",
  "$comment": "The query of GET /@NAME@. A new parameter (a filter, a sort) goes here and in @NAME@_page() in @SQLFILE@; unknown parameters are refused.",
  "type": "object",
  "properties": {
    "limit": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 },
    "after": { "type": "string", "minLength": 1, "maxLength": 512, "description": "cursor from the Link header of the previous page" }
  },
  "additionalProperties": false
}
EOF

fill "$tmp/sql" <<'EOF'
-- @NUM@: @NAME@, written by deploy/new-resource.sh (apps/@NAME@/).
-- Edit this file freely until it has been applied to a database you
-- keep; after that, change the table in a new migration (ALTER TABLE).
-- A new field: a column here, the same field in @NAME@_json() below,
-- then the schemas and statements in apps/@NAME@/ (see its main.c).
-- The table's name is quoted wherever it appears.

CREATE TABLE "@NAME@" (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL,
	description	text,
	data		jsonb NOT NULL DEFAULT '{}',
	version		integer NOT NULL DEFAULT 1,	-- the ETag
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- The row as the API shows it: PostgreSQL serialises it, so numbers
-- stay exact, timestamps are ISO 8601 and jsonb is embedded as is.
-- version stays inside (it is the ETag header).
CREATE FUNCTION @NAME@_json(r "@NAME@") RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT row_to_json(x) FROM (SELECT r.id, r.name, r.description,
		r.data, r.created_at, r.updated_at) x
$$;

-- One page of GET /@NAME@, by id.  args is the validated query object
-- (limit, after).  Returns the page as a JSON array and the cursor of
-- the next page, NULL on the last one; the cursor is [id, id] like
-- item_page()'s [sort key, id], decoded by cursor_decode() (sql/002),
-- which answers 422 for one that does not decode.
CREATE FUNCTION @NAME@_page(args jsonb, OUT body json, OUT next text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	lim	int := coalesce((args->>'limit')::int, 20);
	aft	bigint := 0;
BEGIN
	IF args ? 'after' THEN
		aft := (cursor_decode(args->>'after')->>1)::bigint;
	END IF;
	SELECT coalesce(json_agg(@NAME@_json(p.t) ORDER BY p.n)
			FILTER (WHERE p.n <= lim), '[]'),
		max(cursor_encode(jsonb_build_array((p.t).id, (p.t).id)))
			FILTER (WHERE p.n = lim AND p.total > lim)
	INTO body, next
	FROM (SELECT s.t, row_number() OVER (ORDER BY (s.t).id) AS n,
		count(*) OVER () AS total
	      FROM (SELECT t FROM "@NAME@" t WHERE t.id > aft
		    ORDER BY t.id LIMIT lim + 1) s) p;
END
$$;

-- The responders connect as fastpg_app (sql/001): DML only.
GRANT SELECT, INSERT, UPDATE, DELETE ON "@NAME@" TO fastpg_app;
GRANT EXECUTE ON FUNCTION @NAME@_json("@NAME@"), @NAME@_page(jsonb)
	TO fastpg_app;
EOF
sed -i "s|@NUM@|$num|g" "$tmp/sql"

mv "$tmp/app" "$top/apps/$name"
mv "$tmp/sql" "$top/$sqlf"
say "wrote apps/$name/ (main.c, ${name}_create.json, ${name}_patch.json, ${name}_id.json, ${name}_list.json) and $sqlf"
cat >&2 <<EOF

Next: \`make run\` builds build/bin/$name, applies $sqlf and serves
http://127.0.0.1:8080/$name beside the other resources (deploy/local.sh
serves every apps/<name>/ at /<name>, or at the prefixes listed in
apps/$name/prefixes if you write one).  Then:
  curl -si http://127.0.0.1:8080/$name -H 'Content-Type: application/json' \\
      -d '{"name":"first","data":{"any":"json"}}'

On a server, after \`make install\` and sql/migrate.sh (MIGRATE_URL=...):
  deploy/spawn-fcgi/fastpg-spawn start $name     # settings: /etc/fastpg/$name.env
EOF
if [ -d "$top/deploy/systemd" ]; then
	echo "  or: systemctl enable --now fastpg@$name.socket   # deploy/systemd" >&2
fi
cat >&2 <<EOF
and its nginx upstream (http level) and location, in the server block
with fastpg's others (it uses the fastpg_write limit_req_zone of
deploy/nginx/nginx.conf.in):
  sed -e 's|@NAME@|$name|g' -e 's|@RUN@|/run/fastpg|g' deploy/nginx/upstream.conf.in
  sed -e 's|@NAME@|$name|g' -e 's|@PREFIX@|/$name|g' -e 's|@RUN@|/run/fastpg|g' \\
      -e 's|@WRITE_BURST@|2000|g' deploy/nginx/resource.conf.in
EOF
