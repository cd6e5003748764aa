/*
 * fuzz_conn's structure-aware mutator (mutator_conn.c) as an AFL++ custom
 * mutator library: AFL_CUSTOM_MUTATOR_LIBRARY=.../libmutator_conn_afl.so
 * (scripts/fuzz --engine afl sets it for fuzz_conn).  AFL++ keeps its own
 * mutations too (unless AFL_CUSTOM_MUTATOR_ONLY=1); the byte fallback of
 * the mutator is its own (there is no LLVMFuzzerMutate in afl-fuzz).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t ptcp_fuzz_conn_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
                             size_t (*byte_mutate)(uint8_t *, size_t, size_t));

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

struct state {
	unsigned int seed;
	uint8_t *buf;
	size_t cap;
};

void *afl_custom_init(void *afl, unsigned int seed)
{
	struct state *s = calloc(1, sizeof *s);
	(void)afl;
	if (s)
		s->seed = seed;
	return s;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct state *s = data;
	(void)add_buf;
	(void)add_buf_size;
	if (s->cap < max_size || !s->buf) {
		uint8_t *b = realloc(s->buf, max_size ? max_size : 1);
		if (!b) {
			*out_buf = buf;
			return buf_size;
		}
		s->buf = b;
		s->cap = max_size;
	}
	size_t n = buf_size < max_size ? buf_size : max_size;
	memcpy(s->buf, buf, n);
	s->seed = s->seed * 1103515245u + 12345u;
	n = ptcp_fuzz_conn_mutate(s->buf, n, max_size, s->seed, NULL);
	*out_buf = s->buf;
	return n;
}

void afl_custom_deinit(void *data)
{
	struct state *s = data;
	if (s)
		free(s->buf);
	free(s);
}
