/*
 * buf.c -- the per-request arena and the capped output buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "extern.h"

/*
 * Arena chunks are at least CHUNK bytes; a larger request gets a chunk
 * of its own.  Allocations are 16-byte aligned.
 */
#define CHUNK	4096

struct fpg_chunk {
	struct fpg_chunk	*next;
	size_t			 used;
	size_t			 size;
	size_t			 pad;	/* keeps data 16-byte aligned on LP64 */
	char			 data[];
};

/*
 * Gives the arena len bytes of the caller's memory (16-byte aligned,
 * such as a request's own array) to use before it mallocs: most
 * requests then allocate nothing for their strings.
 */
void
fpg_arena_init(struct fpg_arena *a, void *mem, size_t len)
{
	a->head = a->first = NULL;
	if (len <= sizeof(struct fpg_chunk) + 16 ||
	    (uintptr_t)mem % 16 != 0)
		return;
	a->first = mem;
	a->first->next = NULL;
	a->first->used = 0;
	a->first->size = len - sizeof(struct fpg_chunk);
	a->head = a->first;
}

/*
 * Returns len bytes (zeroed) that live until fpg_arena_free(), or NULL
 * when memory is exhausted.
 */
void *
fpg_arena_alloc(struct fpg_arena *a, size_t len)
{
	struct fpg_chunk	*c = a->head;
	size_t			 need = (len + 15) & ~(size_t)15;

	if (need < len)
		return NULL;
	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > CHUNK ? need : CHUNK;

		if (sz > SIZE_MAX - sizeof(*c) ||
		    (c = malloc(sizeof(*c) + sz)) == NULL)
			return NULL;
		c->used = 0;
		c->size = sz;
		c->next = a->head;
		a->head = c;
	}
	c->used += need;
	return memset(c->data + c->used - need, 0, need);
}

/* A NUL-terminated copy of the first len bytes of s, in the arena. */
char *
fpg_arena_strndup(struct fpg_arena *a, const char *s, size_t len)
{
	char	*p;

	if (len == SIZE_MAX || (p = fpg_arena_alloc(a, len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
fpg_arena_free(struct fpg_arena *a)
{
	struct fpg_chunk	*c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (c != a->first)
			free(c);
	}
	a->head = a->first;
	if (a->first != NULL)
		a->first->used = 0;
}

/*
 * Appends len bytes.  Past b->max (0: no cap) or on allocation failure
 * the buffer keeps what it had and oom is set; callers check oom once,
 * at the end.
 */
void
fpg_buf_put(struct fpg_buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if ((b->max && len > b->max - b->len) || len >= SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		size_t	 cap = b->cap ? b->cap : 256;
		char	*p;

		while (cap < b->len + len + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
fpg_buf_puts(struct fpg_buf *b, const char *s)
{
	fpg_buf_put(b, s, strlen(s));
}

void
fpg_buf_printf(struct fpg_buf *b, const char *fmt, ...)
{
	char	 tmp[512], *big;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(tmp)) {
		fpg_buf_put(b, tmp, (size_t)n);
		return;
	}
	/* Longer than the stack buffer: format again into the heap. */
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fpg_buf_put(b, big, (size_t)n);
	free(big);
}

void
fpg_buf_free(struct fpg_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
