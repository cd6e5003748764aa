/*
 * Conversation helpers for the connection table's tests: inject segments
 * from a peer (address 10.0.0.2) to the table (10.0.0.1), then expect the
 * segments the table emitted, in order.
 */
#ifndef PTCP_TEST_TCONV_H
#define PTCP_TEST_TCONV_H

#include <stddef.h>
#include <stdint.h>

#include "ptcp/listener.h"
#include "ptcp/ptcp.h"

#define TCONV_ACTS 256
#define SPORT      80    /* the listener's port */
#define CPORT      40000 /* the peer's */

typedef struct tconv {
	ptcp_table t;
	void *mem;
	ptcp_action act[TCONV_ACTS];
	ptcp_table_tag tag[TCONV_ACTS];
	ptcp_table_actions out;
	ptcp_time_t now;
	size_t cursor;
	int ret;
	ptcp_addr server, client;
	uint16_t cport; /* the peer's port for tconv_seg */
	/* segments through ptcp_table_step_hashed: 0 no (ptcp_table_step), 1 with
	 * the tuple's hash, 2 a wrong hash, 3 the hash of the next port's tuple,
	 * 4 each segment the next of 0-3 in turn */
	int hint_mode;
	unsigned hint_turn;
} tconv;

/* A table for cfg (NULL: defaults with secret 1..16). */
void tconv_init(tconv *c, const ptcp_table_config *cfg);
void tconv_fini(tconv *c);
void tconv_cfg(ptcp_table_config *cfg);
int tconv_listen(tconv *c, uint32_t backlog);
int tconv_step(tconv *c, ptcp_handle h, const ptcp_input *in);
int tconv_seg(tconv *c, const char *flags, uint32_t seq, uint32_t ack, uint16_t wnd,
              const ptcp_tcp_opts *o, const void *data, size_t len);
int tconv_segp(tconv *c, const ptcp_seg *s); /* from the peer's address */
int tconv_time(tconv *c, ptcp_time_t at);    /* a TIME input at `at` */
int tconv_to_deadline(tconv *c);
/* The next EMIT action must match; returns it. */
const ptcp_seg *texpect(tconv *c, const char *flags, uint32_t seq, uint32_t ack, size_t len);
/* The next EMIT, whatever it is (fails if none). */
const ptcp_seg *tnext(tconv *c);
void texpect_nothing(tconv *c);
uint64_t tdrops(const tconv *c, ptcp_table_drop d);
ptcp_table_stats tstats(const tconv *c);
ptcp_table_usage tusage(const tconv *c);
/* The handle tagged on an EV_CONNECTED action of the last step, or PTCP_NO_HANDLE. */
ptcp_handle tconnected(const tconv *c);
int tsaw_event(const tconv *c, ptcp_handle h, ptcp_event ev);
/* App calls on a handle. */
int tsend(tconv *c, ptcp_handle h, const void *data, size_t len);
int tread(tconv *c, ptcp_handle h, void *buf, size_t len);
int tclose(tconv *c, ptcp_handle h);

/* A real client core talking to the table through the wire codec. */
typedef struct tclient {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	uint8_t *sb, *rb;
	ptcp_action act[64];
	ptcp_actions out;
	ptcp_addr addr;
	uint16_t port;
} tclient;

void tclient_init(tclient *k, const ptcp_config *cfg, uint8_t octet, uint16_t port);
void tclient_fini(tclient *k);
int tclient_step(tclient *k, const ptcp_input *in, ptcp_time_t now);
int tclient_connect(tclient *k, tconv *c, uint32_t iss);
/* Move segments both ways (the client's last output first, and the table's
 * last output when take_table) until both are quiet.  Returns segments moved. */
int tshuttle(tclient *k, tconv *c, int take_table);

#endif
