#!/bin/sh
# check-bundle.sh BUILD -- tools/fastpg-bundle: a $ref to another schema
# file becomes a "#/$defs/" one with its target copied in (a whole file,
# a fragment, references inside the shared file, a cycle), every refusal
# names the file and the reference, and what comes out validates as
# the pieces did.  Then the example shop: BUILD/openapi.json (make
# openapi) has the shared Money schema once in components/schemas,
# referred to from items and from orders.
# Ends with "bundle: N passed, M failed"; exits 1 on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: check-bundle.sh BUILD}
CHECKS_NAME=bundle
CHECKS_QUIET=1
. "$top/tests/checks.sh"

bundle=$build/bin/fastpg-bundle validate=$build/bin/fastpg-validate
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/apps/common" "$tmp/apps/shop"

# jq-like: python3 prints expression E over the JSON in file F.
py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

cat >"$tmp/apps/common/money.json" <<'EOF'
{ "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Money",
  "type": "number", "minimum": 0, "maximum": 9999999999.99, "multipleOf": 0.01 }
EOF
cat >"$tmp/apps/common/common.json" <<'EOF'
{ "$defs": {
    "Email": { "type": "string", "format": "email", "maxLength": 254 },
    "Contact": { "type": "object", "required": ["email"],
      "properties": { "email": { "$ref": "#/$defs/Email" },
                      "credit": { "$ref": "money.json" } } } } }
EOF
cat >"$tmp/apps/shop/create.json" <<'EOF'
{ "title": "ShopCreate", "type": "object",
  "properties": {
    "price": { "$ref": "../common/money.json" },
    "email": { "$ref": "../common/common.json#/$defs/Email" },
    "contact": { "$ref": "../common/common.json#/%24defs/Contact" },
    "again": { "$ref": "#/properties/price" }
  },
  "additionalProperties": false }
EOF

# A file, a fragment, and the shared file's own references.
if "$bundle" -r "$tmp/apps" -o "$tmp/out.json" "$tmp/apps/shop/create.json" 2>"$tmp/err"; then
	ok "bundles create.json"
else
	fail "bundles create.json: $(cat "$tmp/err")"
fi
check "a file: by its title" "#/\$defs/Money" "$(py "$tmp/out.json" 'd["properties"]["price"]["$ref"]')"
check "the copy loses \$schema, keeps the rest" "[0, 0.01, False]" \
    "$(py "$tmp/out.json" '[d["$defs"]["Money"]["minimum"], d["$defs"]["Money"]["multipleOf"], "$schema" in d["$defs"]["Money"]]')"
check "a fragment: file_token" "#/\$defs/common_Email" "$(py "$tmp/out.json" 'd["properties"]["email"]["$ref"]')"
check "a percent-encoded fragment" "#/\$defs/common_Contact" "$(py "$tmp/out.json" 'd["properties"]["contact"]["$ref"]')"
check "refs in the shared file: to itself and to another file" "#/\$defs/common_Email #/\$defs/Money" \
    "$(py "$tmp/out.json" '" ".join(p["$ref"] for p in d["$defs"]["common_Contact"]["properties"].values())')"
check "a local ref stays" "#/properties/price" "$(py "$tmp/out.json" 'd["properties"]["again"]["$ref"]')"
check "each copied once" "Money common_Contact common_Email" "$(py "$tmp/out.json" '" ".join(sorted(d["$defs"]))')"
check "9999999999.99 stays as written" "1" "$(grep -c '9999999999.99,' "$tmp/out.json")"
# What comes out validates as the pieces say.
v() { echo "$1" | "$validate" "$tmp/out.json" >/dev/null 2>&1; echo $?; }
check "valid body" 0 "$(v '{"price": 19.99, "email": "a@b.example", "contact": {"email": "c@d.example", "credit": 5}}')"
check "price: multipleOf from money.json" 1 "$(v '{"price": 1.234}')"
check "contact.credit: minimum from money.json" 1 "$(v '{"contact": {"email": "c@d.example", "credit": -1}}')"
check "contact.email: format from common.json" 1 "$(v '{"contact": {"email": "nope"}}')"
check "the 422 names the place" '[{"type":"multiple_of","loc":["body","again"],"msg":"Input should be a multiple of 0.01","input":0.001,"ctx":{"multiple_of":0.01}}]' \
    "$(echo '{"again": 0.001}' | "$validate" "$tmp/out.json")"

# A file without references to others comes out byte for byte.
"$bundle" -o "$tmp/same.json" "$tmp/apps/common/money.json" &&
    cmp -s "$tmp/same.json" "$tmp/apps/common/money.json" && ok "no refs: the same bytes" ||
    fail "no refs: the file changed"

# A cycle: a.json and b.json refer to each other; a tree refers to itself.
printf '%s\n' '{ "title": "A", "type": "object", "properties": { "b": { "$ref": "b.json" } } }' >"$tmp/apps/common/a.json"
printf '%s\n' '{ "title": "B", "type": "object", "properties": { "a": { "$ref": "a.json" } } }' >"$tmp/apps/common/b.json"
printf '%s\n' '{ "title": "Tree", "type": "object", "properties": { "kids": { "type": "array", "items": { "$ref": "#" } } } }' >"$tmp/apps/common/tree.json"
printf '%s\n' '{ "type": "object", "properties": { "a": { "$ref": "../common/a.json" }, "t": { "$ref": "../common/tree.json" } } }' >"$tmp/apps/shop/cycle.json"
if "$bundle" -o "$tmp/cycle.out" "$tmp/apps/shop/cycle.json" 2>"$tmp/err"; then
	check "a cycle: two \$defs naming each other" "#/\$defs/B #/\$defs/A" \
	    "$(py "$tmp/cycle.out" 'd["$defs"]["A"]["properties"]["b"]["$ref"] + " " + d["$defs"]["B"]["properties"]["a"]["$ref"]')"
	check "a recursive schema refers to its copy" "#/\$defs/Tree" \
	    "$(py "$tmp/cycle.out" 'd["$defs"]["Tree"]["properties"]["kids"]["items"]["$ref"]')"
	check "a cycle validates" "0 1" "$(echo '{"a": {"b": {"a": {}}}, "t": {"kids": [{"kids": []}]}}' |
	    "$validate" "$tmp/cycle.out" >/dev/null 2>&1; echo $?) $(echo '{"t": {"kids": [{"kids": 1}]}}' |
	    "$validate" "$tmp/cycle.out" >/dev/null 2>&1; echo $?)"
else
	fail "a cycle: $(cat "$tmp/err")"
fi

# Refusals: exit 1, a message naming the file and the reference, no output.
refuse() {	# refuse WHAT REF EXPECTED-IN-MESSAGE [-r ROOT]
	what=$1 ref=$2 want=$3; shift 3
	printf '{ "properties": { "x": { "$ref": "%s" } } }\n' "$ref" >"$tmp/apps/shop/bad.json"
	rm -f "$tmp/bad.out"
	"$bundle" "$@" -o "$tmp/bad.out" "$tmp/apps/shop/bad.json" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -qF "apps/shop/bad.json: \$ref \"$ref\": " "$tmp/err" &&
	    grep -qF -- "$want" "$tmp/err" && [ ! -e "$tmp/bad.out" ]; then
		ok "$what"
	else
		fail "$what: exit $rc, $(cat "$tmp/err")"
	fi
}
refuse "a missing file" "../common/mony.json" "No such file or directory"
refuse "a bad pointer" "../common/common.json#/\$defs/Phone" "points nowhere"
refuse "an anchor" "../common/common.json#Email" "not a JSON pointer"
refuse "an absolute URI" "https://example.com/money.json" "nothing is fetched"
refuse "an absolute path" "$tmp/apps/common/money.json" "absolute path"
printf '{}\n' >"$tmp/outside.json"
refuse "a file outside -r ROOT" "../../outside.json" "is outside" -r "$tmp/apps"
printf '%s\n' '{ "title": "Money", "type": "integer" }' >"$tmp/apps/common/cents.json"
printf '%s\n' '{ "properties": { "a": { "$ref": "../common/money.json" }, "b": { "$ref": "../common/cents.json" } } }' >"$tmp/apps/shop/twice.json"
if "$bundle" "$tmp/apps/shop/twice.json" >/dev/null 2>"$tmp/err"; then
	fail "two different schemas titled Money: bundled"
else
	grep -q 'cents.json.*\$defs/Money is already' "$tmp/err" && ok "two different schemas, one name: refused" ||
	    fail "two different schemas, one name: $(cat "$tmp/err")"
fi
# A chain deeper than the bound stops, rather than recursing on.
i=0
while [ $i -lt 20 ]; do
	printf '{ "title": "C%d", "items": { "$ref": "c%d.json" } }\n' $i $((i + 1)) >"$tmp/apps/common/c$i.json"
	i=$((i + 1))
done
printf '{}\n' >"$tmp/apps/common/c20.json"
"$bundle" "$tmp/apps/common/c0.json" >/dev/null 2>"$tmp/err"
check "a chain of 20 files: refused" "1 1" "$? $(grep -c 'nested more than' "$tmp/err")"

# -c: an OpenAPI fragment's copies go to components/schemas.
printf '%s\n' '{ "components": { "schemas": { "Line": { "properties": { "p": { "$ref": "../common/money.json" } } } } } }' >"$tmp/apps/shop/openapi.json"
"$bundle" -c -o "$tmp/frag.json" "$tmp/apps/shop/openapi.json" 2>"$tmp/err" || fail "-c: $(cat "$tmp/err")"
check "-c: the copy in components/schemas" "#/components/schemas/Money number" \
    "$(py "$tmp/frag.json" 'd["components"]["schemas"]["Line"]["properties"]["p"]["$ref"] + " " + d["components"]["schemas"]["Money"]["type"]')"

# The shop: Money once in the merged document, used by both resources.
doc=$build/openapi.json
if [ -f "$doc" ]; then
	check "openapi.json: Money in components/schemas" "number 0.01" \
	    "$(py "$doc" 'd["components"]["schemas"]["Money"]["type"] + " " + str(d["components"]["schemas"]["Money"]["multipleOf"])')"
	check "openapi.json: ItemCreate.price, ItemPatch.price, Item.price refer to it" "#/components/schemas/Money" \
	    "$(py "$doc" '" ".join(sorted(set(d["components"]["schemas"][k]["properties"]["price"]["$ref"] for k in ("ItemCreate", "ItemPatch", "Item"))))')"
	check "openapi.json: orders' lines refer to it" "#/components/schemas/Money" \
	    "$(py "$doc" 'd["components"]["schemas"]["Order"]["properties"]["lines"]["items"]["properties"]["unit_price"]["$ref"]')"
	check "openapi.json: no \$defs left" "0" "$(grep -c '\$defs' "$doc")"
else
	fail "$doc missing (make openapi)"
fi
finish
