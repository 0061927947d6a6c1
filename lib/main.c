/*
 * main.c -- a resource's process from its command line: the options,
 * the configuration, the compiled routes and OpenAPI document, then
 * FastCGI on a socket (serve.c) or one CGI request.  The only place of
 * the library that decides an exit status.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

/* The running resource: set up here, read-only once serving. */
static struct fpg_app	app;

/*
 * Opens the socket for --listen: a unix socket path (mode 0660; a live
 * socket is not stolen, a stale one replaced) or HOST:PORT over TCP
 * (":PORT" means 127.0.0.1, never every address).  Returns the fd or -1.
 */
static int
open_listen(const char *spec)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *ai = NULL;
	char			 host[256];
	const char		*colon;
	int			 fd, one = 1;

	if (strchr(spec, '/') != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(spec) >= sizeof(sun.sun_path)) {
			fprintf(stderr, "--listen: socket path too long\n");
			return -1;
		}
		memcpy(sun.sun_path, spec, strlen(spec) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			goto err;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			fprintf(stderr, "--listen: %s is in use\n", spec);
			close(fd);
			return -1;
		}
		unlink(spec);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    chmod(spec, 0660) == -1 || listen(fd, 1024) == -1)
			goto err;
		return fd;
	}
	if ((colon = strrchr(spec, ':')) == NULL ||
	    (size_t)(colon - spec) >= sizeof(host)) {
		fprintf(stderr, "--listen: expected PATH or HOST:PORT\n");
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints,
	    &ai) != 0 || ai == NULL) {
		fprintf(stderr, "--listen: cannot resolve %s\n", spec);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		freeaddrinfo(ai);
		goto err;
	}
	freeaddrinfo(ai);
	return fd;
err:
	fprintf(stderr, "--listen %s: %s\n", spec, strerror(errno));
	return -1;
}

static void
usage(FILE *f, const char *name)
{
	fprintf(f, "usage: %s [--listen PATH|HOST:PORT] [--check] [--openapi]\n"
	    "Serves the %s resource over FastCGI: on the socket given on\n"
	    "fd 0 (spawn-fcgi, web servers), by systemd (LISTEN_FDS), or\n"
	    "on --listen; as CGI when a web server runs it so.  --check\n"
	    "reads the configuration and schemas, then exits; --openapi\n"
	    "prints the OpenAPI 3.1 document (also at /%s/openapi.json).\n",
	    name, name, name);
	fpg_conf_usage(f);
}

/* Serves exactly one request as CGI (RFC 3875) on stdin/stdout. */
static int
serve_cgi(void)
{
	struct fpg_db	db, rdb;
	struct fpg_req	r;

	fpg_db_init(&db, &app.dbconf, app.res->stmts, app.res->name, 1);
	memset(&r, 0, sizeof(r));
	r.app = &app;
	r.db = r.primary = &db;
	if (app.nread > 0) {
		/* one request: its replica connected on first use */
		fpg_replica_init(&rdb, &app, 0, 0);
		r.replica = &rdb;
	}
	fpg_req_handle(&r);
	fflush(stdout);
	fpg_db_close(&db);
	if (r.replica != NULL)
		fpg_db_close(&rdb);
	return 0;
}

/*
 * Runs a resource: see fastpg.h.  The only place of the library that
 * decides an exit status: 0 after a clean stop, 1 when the start is
 * refused (bad configuration or schema), 2 on a usage error.
 */
int
fpg_main(const struct fpg_resource *res, int argc, char *argv[])
{
	const char		*listen_on = NULL, *lf, *lp;
	char			 err[512];
	int			 i, check = 0, openapi = 0, fd = 0, rc;

	app.res = res;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_on = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check = 1;
		else if (strcmp(argv[i], "--openapi") == 0)
			openapi = 1;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout, res->name);
			return 0;
		} else {
			usage(stderr, res->name);
			return 2;
		}
	}
	json_object_seed(0);
	if (fpg_conf_load(&app.conf, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: configuration: %s\n", res->name, err);
		fpg_conf_free(&app.conf);
		return 1;
	}
	fpg_log_init(res->name, app.conf.log_level, app.conf.log_json);
	app.dbconf.conninfo = app.conf.conninfo;
	app.dbconf.statement_timeout = app.conf.statement_timeout;
	snprintf(app.dbconf.timeout_text, sizeof(app.dbconf.timeout_text),
	    "%ld", app.conf.statement_timeout);
	app.dbconf.prepare = app.conf.prepare;
	if (fpg_replica_conf(&app) == -1) {
		fprintf(stderr, "%s: out of memory\n", res->name);
		rc = 1;
		goto out;
	}
	/* Tokens and CORS: a key that cannot be read, a secret too
	 * short, "*" with credentials stop the start. */
	if ((app.jwt = fpg_jwt_new(&app.conf, err, sizeof(err))) == NULL ||
	    fpg_cors_check(&app.conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: configuration: %s\n", res->name, err);
		rc = 1;
		goto out;
	}
	if (fpg_router_init(&app.router, res->routes, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", res->name, err);
		rc = 1;
		goto out;
	}
	if ((app.openapi = fpg_openapi_build(res, &app.router,
	    app.conf.root_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", res->name, err);
		rc = 1;
		goto out;
	}
	snprintf(app.openapi_path, sizeof(app.openapi_path),
	    "/%s/openapi.json", res->name);
	snprintf(app.ops_path, sizeof(app.ops_path), "/_fastpg/%s",
	    res->name);
	if (openapi) {
		puts(app.openapi);
		rc = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	if (check) {
		printf("%s: configuration and schemas are valid\n", res->name);
		rc = 0;
		goto out;
	}
	/* Counting must never stop a resource from serving. */
	if (fpg_metrics_init(app.conf.metrics_dir, res->name, &app.router,
	    err, sizeof(err)) == -1) {
		fpg_log(FPG_LOG_WARN, "%s: this process counts alone", err);
		fpg_metrics_init(NULL, res->name, &app.router, err,
		    sizeof(err));
	}

	fpg_serve_signals();
	fpg_log_crash_guard();

	lf = getenv("LISTEN_FDS");
	lp = getenv("LISTEN_PID");
	if (listen_on != NULL) {
		if ((fd = open_listen(listen_on)) == -1) {
			rc = 1;
			goto out;
		}
	} else if (lf != NULL && strcmp(lf, "1") == 0 && lp != NULL &&
	    atol(lp) == (long)getpid())
		fd = 3;
	else if (!fpg_fd_listening(0)) {
		if (getenv("GATEWAY_INTERFACE") == NULL &&
		    getenv("REQUEST_METHOD") == NULL) {
			usage(stderr, res->name);
			fprintf(stderr, "%s: no socket on fd 0 and not run as "
			    "CGI: use --listen\n", res->name);
			rc = 2;
			goto out;
		}
		rc = serve_cgi();
		goto out;
	}
	rc = fpg_serve_fcgi(&app, fd);
out:
	free(app.readurls);
	app.readurls = NULL;
	free(app.openapi);
	app.openapi = NULL;
	fpg_router_free(&app.router);
	fpg_jwt_free(app.jwt);
	app.jwt = NULL;
	fpg_conf_free(&app.conf);
	return rc;
}

