/*
 * minimal.c -- the least a FastCGI responder for GET /items/{id} can
 * do, written by hand: POOL_SIZE threads, each with one libpq
 * connection and one prepared statement (items' own item_get), no
 * routing, validation, logging or error mapping.  make bench measures
 * it beside fastpg, so the table shows what the library costs over
 * the minimum.  Not a pattern to copy: it trusts its input.
 * With "world" after THREADS it is the TechEmpower single query
 * instead (bench/tfb.sh): whatever the path, one random row of world
 * (sql/008_tfb.sql) as {"id":N,"randomNumber":N}.
 *
 *   minimal SOCKET_PATH CONNINFO THREADS [world]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

static int		 sock, world;
static const char	*conninfo;
static const char	 world_sql[] =
    "SELECT randomnumber FROM world WHERE id = $1";

static const char	 sql[] = "SELECT item_json(i), '\"' || i.version || "
    "'\"' FROM items i WHERE i.id = $1";

static void *
serve(void *arg)
{
	FCGX_Request	 r;
	PGconn		*c;
	PGresult	*res;
	const char	*uri, *id, *v[1];
	char		 head[256], wid[16];
	unsigned int	 seed = (unsigned int)(uintptr_t)&r;
	int		 n;

	(void)arg;
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "minimal: %s", PQerrorMessage(c));
		exit(1);
	}
	PQclear(PQprepare(c, "item_get", world ? world_sql : sql, 0, NULL));
	FCGX_InitRequest(&r, sock, 0);
	while (FCGX_Accept_r(&r) == 0) {
		if (world) {
			snprintf(wid, sizeof(wid), "%d", rand_r(&seed) % 10000 + 1);
			v[0] = wid;
			res = PQexecPrepared(c, "item_get", 1, v, NULL, NULL, 0);
			n = snprintf(head, sizeof(head), "Status: 200 OK\r\n"
			    "Content-Type: application/json\r\n\r\n"
			    "{\"id\":%s,\"randomNumber\":%s}", wid,
			    PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "0");
			FCGX_PutStr(head, n, r.out);
			PQclear(res);
			FCGX_Finish_r(&r);
			continue;
		}
		uri = FCGX_GetParam("REQUEST_URI", r.envp);
		id = uri ? strrchr(uri, '/') : NULL;
		v[0] = id ? id + 1 : "0";
		res = PQexecPrepared(c, "item_get", 1, v, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			n = snprintf(head, sizeof(head), "Status: 200 OK\r\n"
			    "Content-Type: application/json\r\nETag: %s\r\n\r\n",
			    PQgetvalue(res, 0, 1));
			FCGX_PutStr(head, n, r.out);
			FCGX_PutStr(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0),
			    r.out);
		} else
			FCGX_PutS("Status: 404 Not Found\r\n"
			    "Content-Type: application/json\r\n\r\n"
			    "{\"detail\":\"Not Found\"}", r.out);
		PQclear(res);
		FCGX_Finish_r(&r);
	}
	PQfinish(c);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	*t;
	int		 i, n;

	if (argc < 4 || argc > 5 || (n = atoi(argv[3])) < 1 || n > 256 ||
	    (argc == 5 && strcmp(argv[4], "world") != 0)) {
		fprintf(stderr, "usage: minimal SOCKET CONNINFO THREADS [world]\n");
		return 2;
	}
	world = argc == 5;
	conninfo = argv[2];
	FCGX_Init();
	if ((sock = FCGX_OpenSocket(argv[1], 1024)) < 0)
		return 1;
	chmod(argv[1], 0666);
	t = calloc((size_t)n, sizeof(*t));
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, serve, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
