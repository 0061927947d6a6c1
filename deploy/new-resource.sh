#!/bin/sh
# new-resource.sh NAME -- writes a new fastpg resource that builds and
# serves CRUD as it is (`make new-resource NAME=widgets`):
#
#   apps/NAME/main.c             POST /NAME, GET /NAME (keyset pages),
#                                GET, PATCH, DELETE /NAME/{id}, ETags
#   apps/NAME/NAME_create.json   the request body of POST
#   apps/NAME/NAME_patch.json    the request body of PATCH (merge patch)
#   apps/NAME/NAME_id.json       the path parameter {id}
#   apps/NAME/NAME_list.json     the query of GET /NAME: limit, after,
#                                sort, name (the list is declared in main.c)
#   sql/NNN_NAME.sql             the table, NAME_json() and
#                                the grants to fastpg_app (next number)
#
# The files are deploy/new-resource/*.in with @NAME@, @NUM@ (the
# migration's number), @SQLFILE@ (its path), @NAME_PASCAL@ and @MODEL@
# (NAME in PascalCase, and its singular: the OpenAPI names) filled in.  Their rows
# have a name, a description and a free JSON object (data): a generic
# start; the comments in the files say where a field goes.
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
	[ -f "$d/main.c" ] || continue	# apps/common/: shared schemas
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
# its sequence and primary key index, its function.
existing=$(cat "$top"/sql/[0-9]*.sql 2>/dev/null |
    sed -n -e 's/^.*\(TABLE\|FUNCTION\|INDEX\|VIEW\|SEQUENCE\|TYPE\)\( IF NOT EXISTS\)\{0,1\}[[:space:]]\{1,\}"\{0,1\}\([a-z_][a-z0-9_]*\).*$/\3/ip' |
    tr '[:upper:]' '[:lower:]' | sort -u)
for o in $existing; do
	for mine in "$name" "${name}_json" "${name}_pkey" "${name}_id_seq"; do
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

# The templates in deploy/new-resource/, with @NAME@, @SQLFILE@ and
# @NUM@ filled in (none of them needs quoting in sed: see the checks of
# NAME above).
tpl=$top/deploy/new-resource
# @NAME_PASCAL@ is NAME in PascalCase (order_lines OrderLines), @MODEL@
# its singular (OrderLine), as the OpenAPI document names the operations
# and the schemas' titles name the bodies (lib/openapi_shape.c).
pascal=$(printf '%s' "$name" | awk -F_ '{ for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($i, 1, 1)), substr($i, 2) }')
model=$(printf '%s' "$pascal" | sed -E -e 's/ies$/y/;t' -e 's/(ss|ch|sh|x|z)es$/\1/;t' -e 's/([^sui])s$/\1/')
fill() { sed -e "s|@NAME_PASCAL@|$pascal|g" -e "s|@MODEL@|$model|g" -e "s|@NAME@|$name|g" \
    -e "s|@SQLFILE@|$sqlf|g" -e "s|@NUM@|$num|g" "$tpl/$1" >"$2"; }

fill main.c.in "$tmp/app/main.c"
for t in create patch id list; do
	fill "$t.json.in" "$tmp/app/${name}_$t.json"
done
fill migration.sql.in "$tmp/sql"

mv "$tmp/app" "$top/apps/$name"
mv "$tmp/sql" "$top/$sqlf"
say "wrote apps/$name/ (main.c, ${name}_create.json, ${name}_patch.json, ${name}_id.json, ${name}_list.json) and $sqlf"
say "OpenAPI: operations create$model, list$pascal, read$model, update$model, delete$model; bodies ${model}Create, ${model}Patch (a route's .name or a schema's \"title\" renames them; names are unique across resources; a schema may refer to a shared one, \"\$ref\": \"../common/money.json\", copied in at build time)"
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
