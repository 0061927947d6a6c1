/*
 * shape.c -- a connection's cache of statements built at run time
 * (the shapes of declared lists, list.c): each prepared on first use
 * under a name of its own, at most FPG_DB_SHAPES_MAX per connection,
 * the least recently used one deallocated to make room.  A key is an
 * opaque byte string (a struct fpg_shape); nothing of a value is in
 * it.  The cache belongs to its connection: fpg_db_close() empties
 * it, since a new connection has nothing prepared.  No I/O here but
 * through the two callers in stmt.c; the bookkeeping is pure, so that
 * a unit test can drive it.
 */
#include <stdio.h>
#include <string.h>

#include "extern.h"

/*
 * The slot for key: a hit (*hit set), a free slot, or the least
 * recently used one, which the caller deallocates first if it is
 * live.  Marks the slot used now.  Returns its index.
 */
int
fpg_shapes_slot(struct fpg_shapes *c, const void *key, size_t len, int *hit)
{
	int	 i, pick = -1;

	*hit = 0;
	c->clock++;
	for (i = 0; i < FPG_DB_SHAPES_MAX; i++) {
		struct fpg_shape_slot *s = &c->slot[i];

		if (s->live && s->keylen == len && memcmp(s->key, key,
		    len) == 0) {
			s->used = c->clock;
			*hit = 1;
			return i;
		}
		if (pick == -1 || (!s->live && c->slot[pick].live) ||
		    (s->live == c->slot[pick].live &&
		    s->used < c->slot[pick].used))
			pick = i;
	}
	c->slot[pick].used = c->clock;
	return pick;
}

/* Slot i now holds key, prepared under a new name (written to name). */
void
fpg_shapes_fill(struct fpg_shapes *c, int i, const void *key, size_t len)
{
	struct fpg_shape_slot *s = &c->slot[i];

	memcpy(s->key, key, len);
	s->keylen = len;
	s->seq = ++c->seq;
	s->live = 1;
}

/* The name slot i's statement is prepared under. */
void
fpg_shapes_name(const struct fpg_shapes *c, int i, char *name, size_t sz)
{
	snprintf(name, sz, "fastpg:shape:%u", c->slot[i].seq);
}

/* Forgets every statement (the connection that held them is gone). */
void
fpg_shapes_clear(struct fpg_shapes *c)
{
	int	 i;

	for (i = 0; i < FPG_DB_SHAPES_MAX; i++)
		c->slot[i].live = 0;
}

/* How many statements are prepared (for tests and the log). */
int
fpg_shapes_count(const struct fpg_shapes *c)
{
	int	 i, n = 0;

	for (i = 0; i < FPG_DB_SHAPES_MAX; i++)
		n += c->slot[i].live;
	return n;
}
