/*
 * Conversation helpers for the core's tests: inject a segment, then expect
 * exactly the segments the core emitted, in order (smoltcp style).
 */
#ifndef PTCP_TEST_CONV_H
#define PTCP_TEST_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "ptcp/ptcp.h"

#define CONV_ACTS 256
#define LPORT     40000
#define RPORT     80

typedef struct conv {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	uint8_t *sbuf, *rbuf;
	ptcp_action act[CONV_ACTS];
	ptcp_actions out;
	ptcp_time_t now;
	size_t cursor;           /* next action looked at by expect_* */
	int ret;                 /* return value of the last step */
	uint16_t lport, rport;   /* our port, the peer's */
	ptcp_tcp_opts peer_opts; /* options put on every injected segment (after the SYN) */
} conv;

void conv_init(conv *t, const ptcp_config *cfg, size_t scap, size_t rcap);
void conv_fini(conv *t);
int conv_step(conv *t, const ptcp_input *in);
int conv_connect(conv *t, uint32_t iss);
int conv_listen(conv *t, uint32_t iss);
/* An established client over 16 KiB buffers: default configuration with
 * cfg.flags = flags, SYN (ISS iss) answered by a SYN-ACK (ISS piss, window
 * wnd, an MSS option of mss and nothing else), the ACK checked. */
void conv_client(conv *t, uint32_t flags, uint32_t iss, uint32_t piss, uint16_t mss, uint16_t wnd);
/* A SACK + RACK client (cfg.flags = NODELAY | SACK | RACK | flags; 64 KiB send
 * and 16 KiB receive buffers), MSS 1000, with an RTT of 100 ms measured on
 * the handshake and on a first 1000-byte segment, acknowledged: the next
 * octet to send is iss + 1001. */
void conv_rtt_client(conv *t, uint32_t flags, uint32_t iss, uint32_t piss);
/* A flag off in ptcp_config_default() and on in ptcp_config_linux(). */
void expect_linux_profile_flag(uint32_t flag);
/* A handshake as a listener would have completed it: our port RPORT and
 * address 10.0.0.1, the peer's LPORT and 10.0.0.2, ISNs iss and irs; the
 * caller sets the peer's options. */
ptcp_handshake conv_handshake(uint32_t iss, uint32_t irs);
/* ptcp_conn_establish(t's block, h) with t's ports swapped to the
 * handshake's (t is then the server side); returns its result. */
int conv_establish(conv *t, const ptcp_handshake *h);
int conv_send(conv *t, const void *data, size_t len);
int conv_sendn(conv *t, size_t len); /* len bytes of the pattern (offset & 0xff) */
int conv_read(conv *t, void *buf, size_t len);
int conv_close(conv *t);
int conv_shutdown(conv *t, int how);
int conv_abort(conv *t);
int conv_advance(conv *t, ptcp_time_t dt); /* a TIME input dt later */
int conv_to_deadline(conv *t);             /* a TIME input at the reported deadline */
int conv_icmp(conv *t, ptcp_icmp_kind type, uint32_t mtu, uint32_t seq);
/* Inject a segment from the peer: flags "S", "S.", ".", "P.", "F.", "R", "R." ... */
int conv_seg(conv *t, const char *flags, uint32_t seq, uint32_t ack, uint16_t wnd, const void *data,
             size_t len);
int conv_seg_opts(conv *t, const char *flags, uint32_t seq, uint32_t ack, uint16_t wnd,
                  const ptcp_tcp_opts *opts, const void *data, size_t len);
uint8_t conv_flags(const char *s);

/* The next EMIT action must match; returns it. Fails the test otherwise. */
const ptcp_seg *expect_seg(conv *t, const char *flags, uint32_t seq, uint32_t ack, size_t len);
/* No further EMIT action in the last step. */
void expect_nothing(conv *t);
/* The last step reported a state change to `to` / the event ev (err if non-NULL). */
int saw_state(const conv *t, ptcp_state to);
int saw_event(const conv *t, ptcp_event ev, int *err);
ptcp_time_t last_deadline(const conv *t);
size_t count_emits(const conv *t);

#endif
