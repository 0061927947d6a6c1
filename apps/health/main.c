/*
 * health -- GET /healthz for load balancers: 200 when the database
 * answers a trivial query, 503 otherwise.  Cheap: one prepared SELECT
 * on a kept connection; while the database is down the library fails
 * it at once (no connect attempt during the backoff).
 */
#include <fastpg.h>

#include "schemas.h"	/* SCHEMA_openapi: the answers' shape */

static const struct fpg_stmt stmts[] = {
	{ .name = "ping",
	  .sql = "SELECT '{\"status\":\"ok\",\"database\":\"ok\"}'" },
	{ .name = NULL }
};

static void
healthz(struct fpg_req *r)
{
	static const char down[] =
	    "{\"status\":\"unavailable\",\"database\":\"unreachable\"}";

	if (fpg_send_row(r, 200, "ping", 0, NULL) == FPG_EDB) {
		fpg_set_header(r, "Retry-After", "1");
		fpg_send(r, 503, down, sizeof(down) - 1);
	}
}

static const struct fpg_route routes[] = {
	{ .method = "GET", .path = "/healthz", .handler = healthz,
	  .name = "readHealth" },
	{ .method = NULL }
};

static const struct fpg_resource health = {
	.name = "health", .routes = routes, .stmts = stmts,
	.openapi = SCHEMA_openapi
};

int
main(int argc, char *argv[])
{
	return fpg_main(&health, argc, argv);
}
