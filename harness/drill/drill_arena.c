/*
 * drill_arena.c - the memory of a parsed packetdrill script: a chain of malloc'd blocks freed
 * at once, so that an error anywhere in the parser leaks nothing.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "drill_internal.h"

#define BLOCK_SIZE 16384u

struct ptcp_drill_arena {
	struct ptcp_drill_arena *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

static size_t align_up(size_t n)
{
	const size_t a = alignof(max_align_t);
	return (n + a - 1) / a * a;
}

void *ptcp_drill_arena_alloc(struct ptcp_drill_arena **arena, size_t size)
{
	struct ptcp_drill_arena *b = *arena;
	size_t need = align_up(size ? size : 1);

	if (need < size)
		return NULL;
	if (b == NULL || b->size - b->used < need) {
		size_t cap = need > BLOCK_SIZE / 4 ? need : BLOCK_SIZE;
		if (cap > (size_t)-1 - sizeof(*b))
			return NULL;
		struct ptcp_drill_arena *nb = malloc(sizeof(*nb) + cap);
		if (nb == NULL)
			return NULL;
		nb->size = cap;
		nb->used = 0;
		if (cap == need && b != NULL) {
			/* A big allocation gets its own block behind the current one, which may
			 * still have room for small ones. */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			*arena = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += need;
	memset(p, 0, need);
	return p;
}

char *ptcp_drill_arena_strndup(struct ptcp_drill_arena **arena, const char *s, size_t n)
{
	char *d = ptcp_drill_arena_alloc(arena, n + 1);
	if (d == NULL)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void ptcp_drill_arena_free(struct ptcp_drill_arena *arena)
{
	while (arena != NULL) {
		struct ptcp_drill_arena *next = arena->next;
		free(arena);
		arena = next;
	}
}
