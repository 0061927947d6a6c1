/*
 * items -- a resource of the example shop: create, read, list, update
 * and delete items.  The library has parsed and validated everything
 * against the schemas beside this file before a handler runs; the
 * handlers only bind the values to their statements.  PostgreSQL
 * serialises the rows (item_json in sql/001_items.sql), so prices and
 * attributes come back exactly as they were stored.
 */
#include <fastpg.h>

#include "schemas.h"	/* SCHEMA_<name> for each <name>.json here */

static const struct fpg_stmt stmts[] = {
	{ "item_create",
	  "INSERT INTO items (sku, name, description, price, stock, attributes)"
	  " SELECT x.sku, x.name, x.description, x.price,"
	  "  coalesce(x.stock, 0), coalesce(x.attributes, '{}')"
	  " FROM jsonb_to_record($1::jsonb) AS x(sku text, name text,"
	  "  description text, price numeric, stock integer, attributes jsonb)"
	  " RETURNING item_json(items)" },
	{ "item_get", "SELECT item_json(i) FROM items i WHERE i.id = $1" },
	{ "item_list",
	  "SELECT coalesce(json_agg(item_json(i) ORDER BY i.id), '[]')"
	  " FROM (SELECT * FROM items ORDER BY id LIMIT $1 OFFSET $2) i" },
	/* JSON merge patch: a field present replaces, absent keeps. */
	{ "item_patch",
	  "UPDATE items SET"
	  " sku = CASE WHEN $2::jsonb ? 'sku' THEN $2::jsonb->>'sku' ELSE sku END,"
	  " name = CASE WHEN $2::jsonb ? 'name' THEN $2::jsonb->>'name' ELSE name END,"
	  " description = CASE WHEN $2::jsonb ? 'description'"
	  "  THEN $2::jsonb->>'description' ELSE description END,"
	  " price = CASE WHEN $2::jsonb ? 'price'"
	  "  THEN ($2::jsonb->>'price')::numeric ELSE price END,"
	  " stock = CASE WHEN $2::jsonb ? 'stock'"
	  "  THEN ($2::jsonb->>'stock')::integer ELSE stock END,"
	  " attributes = CASE WHEN $2::jsonb ? 'attributes'"
	  "  THEN $2::jsonb->'attributes' ELSE attributes END,"
	  " updated_at = now()"
	  " WHERE id = $1 RETURNING item_json(items)" },
	{ "item_delete", "DELETE FROM items WHERE id = $1 RETURNING id" },
	{ NULL, NULL }
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

	fpg_send_row(r, 200, "item_get", 1, p);
}

static void
list(struct fpg_req *r)
{
	const char *p[] = { fpg_arg(r, "limit"), fpg_arg(r, "offset") };

	fpg_send_row(r, 200, "item_list", 2, p);
}

static void
patch(struct fpg_req *r)
{
	const char *p[] = { fpg_arg(r, "id"), fpg_body_text(r, NULL) };

	fpg_send_row(r, 200, "item_patch", 2, p);
}

static void
delete(struct fpg_req *r)
{
	const char	*p[] = { fpg_arg(r, "id") };
	PGresult	*res = fpg_exec(r, "item_delete", 1, p);

	if (res == NULL)
		return;		/* the library answers the database error */
	if (PQntuples(res) == 0)
		fpg_send_error(r, 404, "Not Found");
	else
		fpg_send_empty(r, 204);
	PQclear(res);
}

static const struct fpg_route routes[] = {
	{ "POST", "/items", create, NULL, NULL, SCHEMA_item_create },
	{ "GET", "/items", list, NULL, SCHEMA_item_list, NULL },
	{ "GET", "/items/{id}", get, SCHEMA_item_id, NULL, NULL },
	{ "PATCH", "/items/{id}", patch, SCHEMA_item_id, NULL, SCHEMA_item_patch },
	{ "DELETE", "/items/{id}", delete, SCHEMA_item_id, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

static const struct fpg_resource items = { "items", routes, stmts };

int
main(int argc, char *argv[])
{
	return fpg_main(&items, argc, argv);
}
