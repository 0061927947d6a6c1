/*
 * orders -- the example shop's orders.  An order takes stock from its
 * items in one transaction: one call of order_create() in
 * sql/003_orders.sql, which the library retries on a serialization
 * failure or deadlock.  Its answer (body, status, Location) comes from
 * SQL, so an Idempotency-Key replay returns exactly the first answer.
 * Every route needs a token: an order belongs to the token's user
 * (order_create() takes it from request.jwt.claims, never the body),
 * and row-level security (sql/006_orders_owner.sql) shows a customer
 * only their own orders, shop_admin all of them.
 */
#include <fastpg.h>

#include "schemas.h"	/* SCHEMA_<name> for each <name>.json here */

static const struct fpg_stmt stmts[] = {
	{ .name = "order_create",
	  .sql = "SELECT * FROM order_create($1::jsonb, $2)" },
	{ .name = "order_get", .sql = "SELECT order_json($1)" },
	{ .name = "order_cancel", .sql = "SELECT * FROM order_cancel($1)" },
	{ .name = NULL }
};

static void
create(struct fpg_req *r)
{
	const char *p[] = { fpg_body_text(r, NULL),
	    fpg_header(r, "Idempotency-Key") };

	fpg_send_row(r, 201, "order_create", 2, p);
}

static void
get(struct fpg_req *r)
{
	const char *p[] = { fpg_arg(r, "id") };

	fpg_send_row(r, 200, "order_get", 1, p);
}

static void
cancel(struct fpg_req *r)
{
	const char *p[] = { fpg_arg(r, "id") };

	fpg_send_row(r, 200, "order_cancel", 1, p);
}

/*
 * GET /orders, declared: newest first, keyset-paginated.  Row-level
 * security picks the orders the caller may see (their own; all for an
 * admin); customer_email narrows them (emails are stored lower-case).
 */
static const struct fpg_filter filters[] = {
	{ "customer_email", FPG_EQ, "o.customer_email", "text", "lower" },
	{ NULL, 0, NULL, NULL, NULL }
};

static const struct fpg_sort sorts[] = {
	{ "created_at", "o.created_at", "timestamptz" },
	{ NULL, NULL, NULL }
};

static const struct fpg_list list = {
	.from = "orders o", .row = "order_json(o.id)", .id = "o.id",
	.filters = filters, .sorts = sorts, .sort = "-created_at"
};

static const struct fpg_route routes[] = {
	{ .method = "POST", .path = "/orders", .handler = create,
	  .body_schema = SCHEMA_order_create, .auth = "" },
	{ .method = "GET", .path = "/orders", .list = &list,
	  .query_schema = SCHEMA_order_list, .auth = "" },
	/* On the primary even with read replicas: a customer reads the
	 * order just placed. */
	{ .method = "GET", .path = "/orders/{id}", .handler = get,
	  .path_schema = SCHEMA_order_id, .auth = "", .primary = 1 },
	{ .method = "POST", .path = "/orders/{id}/cancel", .handler = cancel,
	  .path_schema = SCHEMA_order_id, .auth = "" },
	{ .method = NULL }
};

static const struct fpg_resource orders = {
	.name = "orders", .routes = routes, .stmts = stmts,
	.openapi = SCHEMA_openapi
};

int
main(int argc, char *argv[])
{
	return fpg_main(&orders, argc, argv);
}
