/*
 * validate.c -- a request's path, query and body against its route's
 * compiled schemas: every error at once, in FastAPI's 422 shape, at
 * most FPG_ERRORS_MAX of them; nothing reaches the handler (or the
 * database) until all three pass.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "extern.h"

/*
 * Drops the errors from index from on that point at a key whose
 * conversion already failed (loc [where, key, ...] among the earlier
 * errors): "?limit=ten" is one int_parsing, not also a missing limit.
 */
static void
drop_shadowed(json_t *errs, size_t from)
{
	size_t	 i, j;

	for (i = from; i < json_array_size(errs); ) {
		json_t		*loc = json_object_get(json_array_get(errs, i),
		    "loc");
		const char	*key = json_string_value(json_array_get(loc, 1));
		int		 shadowed = 0;

		for (j = 0; key != NULL && j < from && !shadowed; j++) {
			json_t *l2 = json_object_get(json_array_get(errs, j),
			    "loc");

			shadowed = json_equal(json_array_get(l2, 0),
			    json_array_get(loc, 0)) && json_equal(
			    json_array_get(l2, 1), json_array_get(loc, 1));
		}
		if (shadowed)
			json_array_remove(errs, i);
		else
			i++;
	}
}

static json_t	*part_locs[3];

static void
make_locs(void)
{
	part_locs[0] = json_pack("[s]", "path");
	part_locs[1] = json_pack("[s]", "query");
	part_locs[2] = json_pack("[s]", "body");
}

/*
 * The loc prefix of a part, ["path"], ["query"] or ["body"]: made once
 * and shared by every thread (jansson's reference counts are atomic,
 * and the validator only reads it).
 */
static json_t *
part_loc(const char *where)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;

	pthread_once(&once, make_locs);
	return part_locs[where[0] == 'p' ? 0 : where[0] == 'q' ? 1 : 2];
}

/* Runs one part's schema with loc [where] into errs; -1 if the
 * validator could not run (out of memory): nothing passes then. */
static int
check_part(const struct fpg_schema *s, json_t *inst, const char *where,
    json_t *errs)
{
	json_t	*loc;
	size_t	 from = json_array_size(errs), n;

	if (s == NULL || inst == NULL || from >= FPG_ERRORS_MAX)
		return 0;
	if ((loc = part_loc(where)) == NULL)
		return -1;
	n = fpg_schema_validate(s, inst, loc, errs, FPG_ERRORS_MAX);
	if (n == SIZE_MAX)
		return -1;
	drop_shadowed(errs, from);
	return 0;
}
/* Validates path, query and body: FPG_OK, or FPG_EANSWERED once the
 * 422 with every error (or a 500) has been sent. */
enum fpg_err
fpg_validate(struct fpg_req *r)
{
	const struct fpg_croute	*cr = r->route;
	struct fpg_kv		 pargs[FPG_SEGMENTS_MAX];
	size_t			 i, np = 0;
	json_t			*errs;

	/* GET /items/{id}: a plain integer checked in place, no JSON. */
	r->path_fast = fpg_args_fast(&cr->path_plan, r->segs);
	if (r->path_fast && cr->query_schema == NULL &&
	    cr->body_schema == NULL)
		return FPG_OK;
	if ((errs = json_array()) == NULL) {
		fpg_send_error(r, 500, "Internal Server Error");
		return FPG_EANSWERED;
	}
	for (i = 0; i < cr->nsegs && !r->path_fast; i++)
		if (cr->segs[i][0] == '{') {
			size_t l = strlen(cr->segs[i]);

			pargs[np].key = fpg_arena_strndup(&r->arena,
			    cr->segs[i] + 1, l > 2 ? l - 2 : 0);
			pargs[np++].val = r->segs[i];
		}
	/* Without a path schema the {params} are plain strings. */
	if (r->path_fast)
		;	/* passed: the segments are the arguments */
	else if (cr->path_schema == NULL && np > 0) {
		if ((r->path_args = json_object()) == NULL)
			goto oom;
		for (i = 0; i < np; i++) {
			json_t *v = json_string(pargs[i].val);

			if (v == NULL) {	/* not UTF-8 */
				json_array_append_new(errs, json_pack(
				    "{s:s, s:[s, s], s:s, s:s}", "type",
				    "string_unicode", "loc", "path",
				    pargs[i].key, "msg", "Input should be a "
				    "valid string, unable to parse raw data "
				    "as a unicode string", "input", ""));
				continue;
			}
			json_object_set_new(r->path_args, pargs[i].key, v);
		}
	} else if (fpg_args_coerce(r, cr->path_schema, "path", pargs, np,
	    &r->path_args, errs) == -1)
		goto oom;
	if (check_part(cr->path_schema, r->path_args, "path", errs) == -1 ||
	    fpg_args_coerce(r, cr->query_schema, "query", r->query, r->nquery,
	    &r->query_args, errs) == -1 ||
	    check_part(cr->query_schema, r->query_args, "query", errs) == -1 ||
	    check_part(cr->body_schema, r->body_json, "body", errs) == -1)
		goto oom;
	if (json_array_size(errs) > 0) {
		while (json_array_size(errs) > FPG_ERRORS_MAX)
			json_array_remove(errs, json_array_size(errs) - 1);
		fpg_send_validation(r, errs);
		return FPG_EANSWERED;
	}
	json_decref(errs);
	return FPG_OK;
oom:
	json_decref(errs);
	fpg_send_error(r, 500, "Internal Server Error");
	return FPG_EANSWERED;
}
