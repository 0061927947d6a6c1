/*
 * items -- a resource of the example shop: create, read, list, update
 * and delete items.  The library has parsed and validated everything
 * against the schemas beside this file before a handler runs; the
 * handlers only bind the values to their statements.  PostgreSQL
 * serialises the rows (item_json in sql/), so prices and attributes
 * come back exactly as they were stored; the list is declared, and
 * the library builds each page with its keyset cursor.  Anyone reads; only shop_admin
 * writes (the routes' .auth, and the grants in sql/005_users.sql).
 */
#include <fastpg.h>

#include "schemas.h"	/* SCHEMA_<name> for each <name>.json here */

/* Each statement's first column is the body; the others are headers. */
static const struct fpg_stmt stmts[] = {
	{ .name = "item_create", .sql =
	  "INSERT INTO items (sku, name, description, price, stock, attributes)"
	  " SELECT x.sku, x.name, x.description, x.price,"
	  "  coalesce(x.stock::integer, 0), coalesce(x.attributes, '{}')"
	  " FROM jsonb_to_record($1::jsonb) AS x(sku text, name text,"
	  "  description text, price numeric, stock numeric, attributes jsonb)"
	  " RETURNING item_json(items), '\"' || version || '\"' AS \"ETag\","
	  "  '/items/' || id AS \"Location\"" },
	{ .name = "item_get", .sql =
	  "SELECT item_json(i), '\"' || i.version || '\"' AS \"ETag\""
	  " FROM items i WHERE i.id = $1" },
	/*
	 * JSON merge patch: a field present replaces, absent keeps.  With
	 * If-Match ($3: its strong tags) only a version it names is
	 * updated; a concurrent
	 * update re-checks the version, so of two clients that read the
	 * same version exactly one wins.  The other gets 412.
	 */
	{ .name = "item_patch", .sql =
	  "WITH p AS (SELECT $2::jsonb AS j), u AS (UPDATE items SET"
	  " sku = CASE WHEN j ? 'sku' THEN j->>'sku' ELSE sku END,"
	  " name = CASE WHEN j ? 'name' THEN j->>'name' ELSE name END,"
	  " description = CASE WHEN j ? 'description'"
	  "  THEN j->>'description' ELSE description END,"
	  " price = CASE WHEN j ? 'price' THEN (j->>'price')::numeric ELSE price END,"
	  " stock = CASE WHEN j ? 'stock' THEN (j->>'stock')::numeric::integer"
	  "  ELSE stock END,"
	  " attributes = CASE WHEN j ? 'attributes' THEN j->'attributes'"
	  "  ELSE attributes END,"
	  " version = version + 1, updated_at = now()"
	  " FROM p WHERE id = $1"
	  "  AND ($3::text[] IS NULL OR version::text = ANY ($3::text[]))"
	  " RETURNING item_json(items) AS body,"
	  "  '\"' || version || '\"' AS etag)"
	  " SELECT body, etag AS \"ETag\", NULL::int AS status FROM u"
	  " UNION ALL SELECT '{\"detail\":\"Precondition Failed\"}', NULL, 412"
	  " FROM items i WHERE i.id = $1 AND NOT EXISTS (SELECT FROM u)" },
	{ .name = "item_delete",
	  .sql = "DELETE FROM items WHERE id = $1 RETURNING id" },
	{ .name = NULL }
};

static void
create(struct fpg_req *r)
{
	const char *p[] = { fpg_body_text(r, NULL) };

	fpg_send_row(r, 201, "item_create", 1, p);
}

static void
get(struct fpg_req *r)
{
	const char *p[] = { fpg_arg(r, "id") };

	fpg_send_row(r, 200, "item_get", 1, p);	/* 304 on If-None-Match */
}

static void
patch(struct fpg_req *r)
{
	const char *p[] = { fpg_arg(r, "id"), fpg_body_text(r, NULL),
	    fpg_if_match(r) };	/* 412 unless it names the version */

	fpg_send_row(r, 200, "item_patch", 3, p);
}

static void
delete(struct fpg_req *r)
{
	const char	*p[] = { fpg_arg(r, "id") };
	PGresult	*res = fpg_exec(r, "item_delete", 1, p);

	if (res == NULL)
		return;		/* the library answers: 409 if referenced */
	if (PQntuples(res) == 0)
		fpg_send_error(r, 404, "Not Found");
	else
		fpg_send_empty(r, 204);
	PQclear(res);
}

/*
 * GET /items, declared: the library writes and prepares the SQL of
 * each combination of filters and sort, binds the values, pages by
 * keyset (Link rel="next") and sorts by rank while q is given.
 */
static const struct fpg_filter filters[] = {
	{ "min_price", FPG_GE, "i.price", "numeric", NULL },
	{ "max_price", FPG_LE, "i.price", "numeric", NULL },
	{ "in_stock", FPG_BOOL, "i.stock > 0", NULL, NULL },
	{ "sku", FPG_EQ, "i.sku", "text", NULL },
	{ "q", FPG_SEARCH, "i.search", "english", NULL },
	{ "attr.", FPG_CONTAINS, "i.attributes", NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL }
};

static const struct fpg_sort sorts[] = {
	{ "name", "i.name", "text" },
	{ "price", "i.price", "numeric" },
	{ "created_at", "i.created_at", "timestamptz" },
	{ NULL, NULL, NULL }
};

static const struct fpg_list list = {
	.from = "items i", .row = "item_json(i)", .id = "i.id",
	.filters = filters, .sorts = sorts, .sort = "id"
};

static const struct fpg_route routes[] = {
	{ .method = "POST", .path = "/items", .handler = create,
	  .body_schema = SCHEMA_item_create, .auth = "shop_admin" },
	{ .method = "GET", .path = "/items", .list = &list,
	  .query_schema = SCHEMA_item_list },
	{ .method = "GET", .path = "/items/{id}", .handler = get,
	  .path_schema = SCHEMA_item_id },
	{ .method = "PATCH", .path = "/items/{id}", .handler = patch,
	  .path_schema = SCHEMA_item_id, .body_schema = SCHEMA_item_patch,
	  .auth = "shop_admin" },
	{ .method = "DELETE", .path = "/items/{id}", .handler = delete,
	  .path_schema = SCHEMA_item_id, .auth = "shop_admin" },
	{ .method = NULL }
};

static const struct fpg_resource items = {
	.name = "items", .routes = routes, .stmts = stmts,
	.openapi = SCHEMA_openapi
};

int
main(int argc, char *argv[])
{
	return fpg_main(&items, argc, argv);
}
