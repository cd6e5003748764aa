/*
 * ptcp-bench memory: bytes per connection.
 *
 * IMPLEMENTATION NOTES
 * Only public types and functions are used (sizeof of the public structs,
 * ptcp_table_mem_size()), so that the core may reshape its private fields
 * without breaking the bench.  The table's per-entry sizes are differences
 * of ptcp_table_mem_size() between two configurations whose hash table has
 * the same number of slots, averaged over 4096 entries (so the 64-byte
 * alignment of each region does not show).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "ptcp/listener.h"

#define TINY_BUF 64u /* send and receive buffer of each table connection in the sweeps */

static size_t mem_for_areas(uint32_t conns, uint32_t reqs, uint32_t lsn, uint32_t buf,
                            uint32_t areas)
{
	ptcp_table_config cfg;
	ptcp_table_config_default(&cfg);
	cfg.loss_areas = areas;
	cfg.max_conns = conns;
	cfg.max_requests = reqs;
	cfg.max_listeners = lsn;
	cfg.sndbuf = cfg.rcvbuf = buf;
	return ptcp_table_mem_size(&cfg);
}

static size_t mem_for(uint32_t conns, uint32_t reqs, uint32_t lsn, uint32_t buf)
{
	return mem_for_areas(conns, reqs, lsn, buf, 0);
}

int bench_memory(const bench_opts *o)
{
	/* 100000 connections + 256 requests: 2 x 100256 hash slots round up to 262144, and
	 * stay there with 4096 more of either */
	const uint32_t base = 100000, more = 4096;
	size_t m0 = mem_for(base, 256, 8, TINY_BUF);
	double per_conn = (double)(mem_for(base + more, 256, 8, TINY_BUF) - m0) / more;
	double per_req = (double)(mem_for(base, 256 + more, 8, TINY_BUF) - m0) / more;
	double per_lsn = (double)(mem_for(base, 256, 8 + more, TINY_BUF) - m0) / more;
	size_t m1 = mem_for(1000000, 256, 8, TINY_BUF);
	/* a pool of loss areas for 1 in 16 connections */
	size_t m1p = mem_for_areas(1000000, 256, 8, TINY_BUF, 1000000 / 16);
	double per_conn_pooled =
	    (double)(mem_for_areas(base + more, 256, 8, TINY_BUF, (base + more) / 16) -
	             mem_for_areas(base, 256, 8, TINY_BUF, base / 16)) /
	    more;
	(void)o;
	printf("\n## Memory\n\n");
	printf("Connection state in bytes (x86-64). Timestamps need no extra memory; SACK "
	       "recovery, RACK and reassembly use a loss area (`ptcp_loss`), the connection's "
	       "own or lent from a pool while it has loss or reordering. Buffers excluded "
	       "unless said.\n\n");
	printf("| what | bytes |\n|---|---:|\n");
	printf("| `ptcp_conn`: the connection block (SACK + timestamps on) | %zu |\n",
	       sizeof(ptcp_conn));
	printf("| - its compact copy of the configuration (`ptcp_conn_cfg`; `ptcp_config` is %zu) "
	       "| %zu |\n",
	       sizeof(ptcp_config), sizeof(ptcp_conn_cfg));
	printf("| - its counters: none (a pointer to the caller's `ptcp_stats`, %zu bytes, "
	       "NULL = not counted; one may serve many connections) | 0 |\n",
	       sizeof(ptcp_stats));
	printf("| `ptcp_loss`: a loss area (`ptcp_conn_set_loss`, or a table's "
	       "`loss_areas`) | %zu |\n",
	       sizeof(ptcp_loss));
#ifdef PTCP_OOO_MAX
	printf("| - reassembly tree, the area's pool of PTCP_OOO_MAX = %d ranges "
	       "(`ptcp_conn_set_ooo_pool` gives a larger one in caller memory) | %zu |\n",
	       PTCP_OOO_MAX, PTCP_OOO_MAX * sizeof(ptcp_ooo_node));
#endif
#ifdef PTCP_RACK_LOG
	printf("| - RACK's send-time log, PTCP_RACK_LOG = %d ranges (RFC 8985 6.1) | %zu |\n",
	       PTCP_RACK_LOG, PTCP_RACK_LOG * sizeof(ptcp_rack_tx));
#endif
#ifdef PTCP_SB_MAX
	printf("| - SACK scoreboard, PTCP_SB_MAX = %d ranges | %zu |\n", PTCP_SB_MAX,
	       PTCP_SB_MAX * sizeof(ptcp_sack_block));
#endif
	printf("| `ptcp_action` (one entry of the action array) | %zu |\n", sizeof(ptcp_action));
	printf("| - its `ptcp_seg` (EMIT) | %zu |\n", sizeof(ptcp_seg));
	printf("| - of which `ptcp_tcp_opts` (with the round-trip option layout) | %zu |\n",
	       sizeof(ptcp_tcp_opts));
	printf("| `ptcp_input` | %zu |\n", sizeof(ptcp_input));
	printf("| `ptcp_table` (the table's own header) | %zu |\n", sizeof(ptcp_table));
	printf("| table: per connection (block + its loss area + bookkeeping + deadline-heap "
	       "entry), hash slots aside | %.1f |\n",
	       per_conn - 2.0 * TINY_BUF);
	printf("| table: the same with one loss area per 16 connections (`loss_areas`) | %.1f "
	       "|\n",
	       per_conn_pooled - 2.0 * TINY_BUF);
	printf("| table: per SYN-queue entry (request + heap entry), hash slots aside | %.1f |\n",
	       per_req);
	printf("| table: per listener | %.1f |\n", per_lsn);
	printf("| table: 4-tuple hash, per slot (2 to 4 slots per connection or request: load "
	       "<= 1/2) | 8 |\n");
	printf("| table: per connection at 1,000,000 connections, everything but buffers | %.1f "
	       "|\n",
	       (double)m1 / 1e6 - 2.0 * TINY_BUF);
	printf("| table: 1,000,000 connections with %u + %u byte buffers, total | %.1f MiB |\n",
	       TINY_BUF, TINY_BUF, (double)m1 / (1u << 20));
	printf("| the same with 62,500 loss areas (1 in 16) | %.1f MiB |\n",
	       (double)m1p / (1u << 20));
	printf("\nAim: connection block under 512 bytes with SACK and timestamps: %s (%zu "
	       "bytes).\n",
	       sizeof(ptcp_conn) < 512 ? "met" : "NOT met", sizeof(ptcp_conn));
	return 0;
}
