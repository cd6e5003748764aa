/*
 * Internals shared by the property runner's files.
 */
#ifndef PTCP_PROP_INT_H
#define PTCP_PROP_INT_H

#include "prop.h"

/*
 * The generator's own copy of the core, stepped with the runner's timer
 * semantics (run.h): before an input at time t, every deadline before t
 * (or already due at the time of the last step) fires as PTCP_IN_TIME at
 * max(deadline, last step).
 */
#define SHADOW_QMAX 256

typedef struct shadow_seg {
	uint8_t flags;
	uint8_t ecn;
	uint16_t wnd;
	uint32_t seq, ack; /* absolute */
	uint32_t len;
	uint32_t present; /* PTCP_OPT_* */
	uint16_t mss;
	uint8_t wscale;
	uint32_t tsval, tsecr;
} shadow_seg;

typedef struct shadow {
	const ptcp_script *s;
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	uint8_t *sbuf, *rbuf, *io;
	size_t io_cap;
	ptcp_action acts[256];
	ptcp_time_t now, deadline;
	uint32_t sent_off;
	int last_ret;
	uint64_t steps;
	int broken; /* too many steps, or setup failed */
	shadow_seg q[SHADOW_QMAX];
	size_t nq;
	uint8_t pkt[65535 + 128];
} shadow;

int shadow_init(shadow *sh, const ptcp_script *s);
void shadow_free(shadow *sh);
/* Run the event just appended to sh->s (timers first), at absolute time t. */
void shadow_event(shadow *sh, const ptcp_script_event *e, ptcp_time_t t);

#endif
