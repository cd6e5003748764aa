/*
 * ptcp-bench percase: the hot paths of ptcp_step() in steady state, each
 * beside the hardware floor for the same work, measured in the same run.
 *
 * IMPLEMENTATION NOTES
 * Receiver cases share rx_state: a connection whose peer streams full
 * segments (1460 bytes, timestamps) and whose application reads everything
 * between batches (untimed), so every batch starts from an empty receive
 * ring: the smallest power of two that holds a batch (64 KiB for the
 * default batch of 32 segments), which stays in the L2 cache, as the ring of
 * an application that reads promptly does.  Sender cases share tx_state: a connection whose
 * congestion window was opened by slow start before the first batch.  The
 * action array is the same for every step (BENCH_ACTS entries).  The
 * *_run functions are the only timed code; they are external so that
 * callgrind can toggle collection on their names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define S       BENCH_PAYLOAD
#define PKT_MAX 1600u /* stride of the packet array */
#define ACK_WIN 64u   /* ack_send: the peer's window, in segments */

/* The smallest power of two that holds segs segments. */
static size_t ring_for(unsigned segs)
{
	size_t cap = 4096;
	while (cap < (size_t)segs * S)
		cap *= 2;
	return cap;
}

/* ---- Receiver ------------------------------------------------------------------ */
typedef struct rx_state {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	bench_peer p;
	ptcp_seg seg;    /* the template the run functions send */
	ptcp_seg parsed; /* where parsing puts a segment */
	ptcp_ip ip;
	ptcp_input in;
	ptcp_actions out;
	uint8_t *sbuf, *rbuf, *ring;
	uint8_t *pkts; /* n packets built by prepare (parse cases) */
	uint16_t *pktlen;
	uint32_t ringpos, rcap;
	uint32_t hole; /* ooo_gap: sequence number of the open hole */
	int hole_open;
	uint64_t drops0;
	uint32_t sink;
	uint8_t app[S];
	ptcp_action acts[BENCH_ACTS];
} rx_state;

static void rx_setup(void *v, unsigned n)
{
	rx_state *s = v;
	if (n + 16 > BENCH_ACTS)
		bench_die("batch of %u segments too large", n);
	s->rcap = (uint32_t)ring_for(n + 2);
	s->sbuf = malloc(65536);
	s->rbuf = malloc(s->rcap);
	s->ring = malloc(s->rcap);
	s->pkts = malloc((size_t)n * PKT_MAX);
	s->pktlen = malloc(n * sizeof(s->pktlen[0]));
	if (!s->sbuf || !s->rbuf || !s->ring || !s->pkts || !s->pktlen)
		bench_die("out of memory");
	memset(s->rbuf, 0, s->rcap);
	memset(s->ring, 0, s->rcap);
	s->out.v = s->acts;
	s->out.cap = BENCH_ACTS;
	bench_establish(&s->c, &s->loss, s->sbuf, 65536, s->rbuf, s->rcap, &s->p, s->acts);
	memset(&s->st, 0, sizeof(*&s->st));
	ptcp_conn_set_stats(&s->c, &s->st);
	bench_peer_seg(&s->p, &s->c, &s->seg, PTCP_ACK, bench_payload, S);
	s->in.kind = PTCP_IN_SEGMENT;
	s->in.segment.seg = &s->seg;
	ptcp_addr_v4(&s->in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&s->in.segment.dst, 10, 0, 0, 1);
	/* one segment first: its ACK announces the whole buffer (the SYN-ACK said 64 KiB) */
	s->p.now += 1;
	s->seg.seq = s->p.seq;
	ptcp_step(&s->c, &s->in, s->p.now, &s->out);
	s->p.seq += S;
	s->drops0 = bench_drops(&s->c);
}

/* The same, with header prediction off: the full RFC 9293 3.10.7.4 path (before/after in one run)
 */
static void rx_slow_setup(void *v, unsigned n)
{
	rx_state *s = v;
	rx_setup(v, n);
	s->c.cfg.flags |= PTCP_CFG_NO_FASTPATH;
}

static void rx_fini(void *v)
{
	rx_state *s = v;
	free(s->sbuf);
	free(s->rbuf);
	free(s->ring);
	free(s->pkts);
	free(s->pktlen);
}

/* The application reads everything (untimed). */
static void rx_drain(rx_state *s)
{
	size_t avail = ptcp_conn_recv_avail(&s->c);
	s->p.now += 1;
	if (avail && bench_step_read(&s->c, NULL, avail, s->p.now, &s->out) != (int)avail)
		bench_die("read failed");
}

static void rx_prepare(void *v, unsigned n)
{
	(void)n;
	rx_drain(v);
}

static void rx_check(void *v, unsigned n)
{
	rx_state *s = v;
	ptcp_info i;
	(void)n;
	ptcp_conn_info(&s->c, &i);
	if (i.rcv_nxt != s->p.seq || bench_drops(&s->c) != s->drops0)
		bench_die("rx: segments were not taken in order (rcv_nxt %u, expected %u)",
		          i.rcv_nxt, s->p.seq);
}

static inline void seg_stamp(rx_state *s)
{
	s->seg.opts.ts_val = (uint32_t)(s->p.now / 1000u) + 77777u;
	s->seg.opts.ts_ecr = (uint32_t)(s->p.now / 1000u);
}

/* In-order data, the segment built directly (no codec, no checksum). */
void case_rx_seg_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		s->seg.seq = s->p.seq;
		seg_stamp(s);
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
		s->p.seq += S;
	}
}

/* n IPv4 packets with the next n segments (and the time stamps run will use). */
static void build_packets(rx_state *s, unsigned n)
{
	ptcp_ip ip;
	ptcp_seg seg = s->seg;
	memset(&ip, 0, sizeof(ip));
	ptcp_addr_v4(&ip.src, 10, 0, 0, 2);
	ptcp_addr_v4(&ip.dst, 10, 0, 0, 1);
	ip.ttl = 64;
	ip.df = 1;
	for (unsigned i = 0; i < n; i++) {
		ptcp_time_t t = s->p.now + 1 + i;
		int len;
		seg.seq = s->p.seq + i * S;
		seg.opts.ts_val = (uint32_t)(t / 1000u) + 77777u;
		seg.opts.ts_ecr = (uint32_t)(t / 1000u);
		len = ptcp_wire_build_packet(s->pkts + (size_t)i * PKT_MAX, PKT_MAX, &ip, &seg);
		if (len <= 0)
			bench_die("build_packet: %s", ptcp_strerror(len));
		s->pktlen[i] = (uint16_t)len;
	}
}

static void rx_parse_prepare(void *v, unsigned n)
{
	rx_state *s = v;
	rx_drain(s);
	build_packets(s, n);
}

/* In-order data from the wire: parse (IPv4 + TCP, checksum verified), then step. */
void case_rx_parse_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		if (ptcp_wire_parse_packet(s->pkts + (size_t)i * PKT_MAX, s->pktlen[i], &s->ip,
		                           &s->parsed) != 0)
			bench_die("parse failed");
		s->in.segment.seg = &s->parsed;
		s->in.segment.src = s->ip.src;
		s->in.segment.dst = s->ip.dst;
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
		s->p.seq += S;
	}
	s->in.segment.seg = &s->seg;
}

/* The codec alone: ptcp_wire_parse_packet of the same packets. */
void case_parse_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++)
		s->sink += (uint32_t)ptcp_wire_parse_packet(s->pkts + (size_t)i * PKT_MAX,
		                                            s->pktlen[i], &s->ip, &s->parsed);
	s->p.seq += n * S;
	s->p.now += n;
}

static void parse_check(void *v, unsigned n)
{
	rx_state *s = v;
	(void)n;
	if (s->sink)
		bench_die("parse failed");
}

/* Out-of-order: a hole at RCV.NXT, then segments beyond it (each extends the range). */
static void ooo_prepare(void *v, unsigned n)
{
	rx_state *s = v;
	ptcp_info i;
	(void)n;
	if (s->hole_open) {
		/* fill the hole: everything behind it comes in at once */
		s->p.now += 1;
		s->seg.seq = s->hole;
		seg_stamp(s);
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
		s->hole_open = 0;
	}
	rx_drain(s);
	ptcp_conn_info(&s->c, &i);
	if (i.rcv_nxt != s->p.seq)
		bench_die("ooo: the hole did not fill");
	s->hole = s->p.seq;
	s->hole_open = 1;
	s->p.seq += S;
}

void case_ooo_gap_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		s->seg.seq = s->p.seq;
		seg_stamp(s);
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
		s->p.seq += S;
	}
}

static void ooo_check(void *v, unsigned n)
{
	rx_state *s = v;
	ptcp_info i;
	(void)n;
	ptcp_conn_info(&s->c, &i);
	if (i.rcv_nxt != s->hole || bench_drops(&s->c) != s->drops0)
		bench_die("ooo: segments beyond the hole were not all queued");
}

/* The application's READ of one segment's worth (the copy out). */
static void read_prepare(void *v, unsigned n)
{
	rx_state *s = v;
	rx_drain(s);
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		s->seg.seq = s->p.seq;
		seg_stamp(s);
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
		s->p.seq += S;
	}
}

void case_read_run(void *v, unsigned n)
{
	rx_state *s = v;
	ptcp_input in = {.kind = PTCP_IN_READ};
	in.read.buf = s->app;
	in.read.len = S;
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		s->sink += (uint32_t)ptcp_step(&s->c, &in, s->p.now, &s->out);
	}
}

static void read_check(void *v, unsigned n)
{
	rx_state *s = v;
	if (s->sink != n * S || ptcp_conn_recv_avail(&s->c) != 0)
		bench_die("read: expected %u bytes, read %u", n * S, s->sink);
	s->sink = 0;
	rx_check(v, n);
}

/* ---- Floors ---------------------------------------------------------------------- */
/* libc's memcpy, called for real every time (as the core's copies, whose lengths vary) */
static void *(*volatile bench_memcpy)(void *, const void *, size_t) = memcpy;

static void floor_setup(void *v, unsigned n)
{
	rx_state *s = v;
	rx_setup(v, n);
	build_packets(s, n);
}

static void floor_prepare(void *v, unsigned n)
{
	(void)v;
	(void)n;
}

static void floor_check(void *v, unsigned n)
{
	(void)v;
	(void)n;
}

/* memcpy of the payload into the next place of a ring as large as the receive ring. */
void floor_memcpy_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		bench_memcpy(s->ring + s->ringpos, bench_payload, S);
		s->ringpos += S;
		if (s->ringpos + S > s->rcap)
			s->ringpos = 0;
	}
}

/* memcpy of the payload to one place (source and destination in L1: the compute floor). */
void floor_memcpy_l1_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		bench_memcpy(s->app, bench_payload, S);
	}
}

/* The Internet checksum of the payload. */
void floor_csum_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++)
		s->sink += ptcp_csum_add(0, bench_payload, S);
}

/* A checksum written for speed (32-bit words into four 64-bit sums, no carry
 * handling in the loop; vectorisable): what the hardware does, for reference. */
static uint32_t csum_fast(const uint8_t *p, size_t len)
{
	uint64_t a = 0, b = 0, c = 0, d = 0;
	uint32_t w[4], s;
	size_t i = 0;
	for (; i + 16 <= len; i += 16) {
		memcpy(w, p + i, 16);
		a += w[0];
		b += w[1];
		c += w[2];
		d += w[3];
	}
	a += b + c + d;
	for (; i + 2 <= len; i += 2) {
		uint16_t h;
		memcpy(&h, p + i, 2);
		a += h;
	}
	if (i < len)
		a += p[i]; /* little-endian: the pad byte is the high half */
	while (a >> 16)
		a = (a & 0xffff) + (a >> 16);
	s = (uint32_t)a;
	return ((s & 0xffu) << 8) | (s >> 8); /* as ptcp_csum_add (on a little-endian host) */
}

void floor_csum_fast_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++)
		s->sink += csum_fast(bench_payload, S);
}

/* Both, over the packet array parse reads (checksum, then copy into the ring). */
void floor_csum_copy_run(void *v, unsigned n)
{
	rx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *pay = s->pkts + (size_t)i * PKT_MAX + (s->pktlen[i] - S);
		s->sink += ptcp_csum_add(0, pay, S);
		bench_memcpy(s->ring + s->ringpos, pay, S);
		s->ringpos += S;
		if (s->ringpos + S > s->rcap)
			s->ringpos = 0;
	}
}

static void floor_pkts_prepare(void *v, unsigned n)
{
	build_packets(v, n); /* as fresh in the cache as parse's packets */
}

/* ---- Sender --------------------------------------------------------------------------- */
typedef struct tx_state {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	bench_peer p;
	ptcp_seg seg;
	ptcp_input in;
	ptcp_actions out;
	uint8_t *sbuf, *rbuf;
	size_t scap;
	uint32_t una0, max0, k;
	unsigned ranges; /* dupack: SACKed ranges the scoreboard holds (fixed ones + the top) */
	int strict;      /* dupack: die unless each dup ACK released one segment */
	uint64_t fr0;
	double released; /* dupack: new segments per dup ACK in the last batch */
	uint8_t app[S];
	ptcp_action acts[BENCH_ACTS];
} tx_state;

static void tx_init(tx_state *s, size_t scap, unsigned cwnd_segs)
{
	s->scap = scap;
	s->sbuf = malloc(scap);
	s->rbuf = malloc(65536);
	if (!s->sbuf || !s->rbuf)
		bench_die("out of memory");
	memset(s->sbuf, 0, scap);
	s->out.v = s->acts;
	s->out.cap = BENCH_ACTS;
	bench_establish(&s->c, &s->loss, s->sbuf, scap, s->rbuf, 65536, &s->p, s->acts);
	memset(&s->st, 0, sizeof(*&s->st));
	ptcp_conn_set_stats(&s->c, &s->st);
	bench_open_cwnd(&s->c, &s->p, &s->out, cwnd_segs);
	bench_peer_seg(&s->p, &s->c, &s->seg, PTCP_ACK, NULL, 0);
	s->in.kind = PTCP_IN_SEGMENT;
	s->in.segment.seg = &s->seg;
	ptcp_addr_v4(&s->in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&s->in.segment.dst, 10, 0, 0, 1);
}

static void tx_fini(void *v)
{
	tx_state *s = v;
	free(s->sbuf);
	free(s->rbuf);
}

static inline void tx_stamp(tx_state *s)
{
	s->seg.opts.ts_val = (uint32_t)(s->p.now / 1000u) + 77777u;
	s->seg.opts.ts_ecr = (uint32_t)(s->p.now / 1000u);
}

static void send_more(tx_state *s, size_t len)
{
	while (len) {
		size_t k = len > sizeof(bench_zeros) ? sizeof(bench_zeros) : len;
		s->p.now += 1;
		if (bench_step_send(&s->c, bench_zeros, k, s->p.now, &s->out) != (int)k)
			bench_die("send: the send buffer is full");
		len -= k;
	}
}

/* A pure ACK that frees one segment of the send buffer (nothing new to send). */
static void ack_setup(void *v, unsigned n)
{
	tx_init(v, ring_for(n + 2), n);
}

static void ack_prepare(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	send_more(s, (size_t)n * S);
	ptcp_conn_info(&s->c, &i);
	if (i.snd_max - i.snd_una != n * S)
		bench_die("ack: %u of %u bytes went out", i.snd_max - i.snd_una, n * S);
	s->una0 = i.snd_una;
}

void case_ack_run(void *v, unsigned n)
{
	tx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		s->seg.ack = s->una0 + (i + 1) * S;
		tx_stamp(s);
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
	}
	s->p.ack = s->una0 + n * S;
}

static void ack_check(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	(void)n;
	ptcp_conn_info(&s->c, &i);
	if (i.send_queued || i.snd_una != i.snd_max)
		bench_die("ack: %zu bytes still queued", i.send_queued);
}

/* The application sends one segment's worth; one full-size segment goes out. */
static void send_setup(void *v, unsigned n)
{
	tx_state *s = v;
	tx_init(s, ring_for(n + 2), n);
	s->in.kind = PTCP_IN_SEND;
	s->in.send.data = s->app;
	s->in.send.len = S;
}

static void send_prepare(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	(void)n;
	bench_ack_all(&s->c, &s->p, &s->out);
	ptcp_conn_info(&s->c, &i);
	s->max0 = i.snd_max;
}

void case_send_run(void *v, unsigned n)
{
	tx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
	}
}

static void send_check(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	ptcp_conn_info(&s->c, &i);
	if (i.snd_max - s->max0 != n * S || i.send_queued != n * S)
		bench_die("send: %u of %u bytes went out", i.snd_max - s->max0, n * S);
}

/* A bulk sender limited by the peer's window: each ACK frees one segment and
 * moves the window's right edge by one segment; one new segment goes out. */
static void acksend_setup(void *v, unsigned n)
{
	tx_state *s = v;
	tx_init(s, ring_for(ACK_WIN + n + 2), ACK_WIN + 16);
	s->p.wnd = (uint16_t)(ACK_WIN * S >> 7); /* 64 segments, exactly (shift 7) */
	s->seg.wnd = s->p.wnd;
	bench_ack_all(&s->c, &s->p, &s->out);
}

static void acksend_prepare(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	uint32_t unsent;
	for (;;) {
		ptcp_conn_info(&s->c, &i);
		unsent = (uint32_t)i.send_queued - (i.snd_max - i.snd_una);
		if (unsent >= n * S)
			break;
		send_more(s, n * S - unsent);
	}
	if (i.snd_max - i.snd_una != ACK_WIN * S)
		bench_die("ack_send: %u bytes in flight, expected the window",
		          i.snd_max - i.snd_una);
	s->una0 = i.snd_una;
	s->max0 = i.snd_max;
}

void case_acksend_run(void *v, unsigned n)
{
	tx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		s->p.now += 1;
		s->seg.ack = s->una0 + (i + 1) * S;
		tx_stamp(s);
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
	}
	s->p.ack = s->una0 + n * S;
}

static void acksend_check(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	ptcp_conn_info(&s->c, &i);
	if (i.snd_max - s->max0 != n * S || i.snd_max - i.snd_una != ACK_WIN * S)
		bench_die("ack_send: %u bytes sent for %u ACKs", i.snd_max - s->max0, n);
}

/*
 * Duplicate ACKs in SACK recovery (RFC 6675, PRR off), for ever: the first segment is
 * lost and never retransmitted successfully; each duplicate ACK SACKs one
 * more segment, which lets one new segment out.  `ranges - 1` fixed SACKed
 * ranges (one segment each, a hole below each) sit below the growing top
 * range.  The send buffer only grows: it is sized for the whole run.
 */
#define DUP_WIN 64u

unsigned bench_rounds_hint = 400;

/* The dupack send buffer holds the whole run: every batch adds n segments. */
static size_t dup_scap(unsigned n)
{
	return ring_for((bench_rounds_hint + 8) * n + 4 * DUP_WIN + 64);
}

static void dup_sack(tx_state *s, unsigned j, ptcp_sack_block *b)
{
	/* fixed range j (0-based): segment 2j+1 above SND.UNA */
	b->left = s->una0 + (2 * j + 1) * S;
	b->right = b->left + S;
}

static void dup_send(tx_state *s)
{
	unsigned fixed = s->ranges - 1, nb = 0;
	s->p.now += 1;
	s->seg.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
	s->seg.opts.sack[nb].left = s->una0 + (2 * fixed + 1) * S;
	s->seg.opts.sack[nb].right = s->una0 + (2 * fixed + 1 + s->k) * S;
	nb++;
	for (unsigned j = fixed; j > 0 && nb < 3; j--)
		dup_sack(s, j - 1, &s->seg.opts.sack[nb++]);
	s->seg.opts.sack_count = (uint8_t)nb;
	tx_stamp(s);
	ptcp_step(&s->c, &s->in, s->p.now, &s->out);
}

static void dup_topup(tx_state *s, unsigned n)
{
	ptcp_info i;
	uint32_t unsent, want = (n + 32) * S;
	for (;;) {
		ptcp_conn_info(&s->c, &i);
		unsent = (uint32_t)i.send_queued - (i.snd_max - i.snd_una);
		if (unsent >= want)
			return;
		if (ptcp_conn_send_space(&s->c) < want - unsent)
			bench_die("dupack: the send buffer (%zu MiB) is exhausted", s->scap >> 20);
		send_more(s, want - unsent);
	}
}

size_t bench_dupack_size(void)
{
	return sizeof(tx_state);
}

void bench_dupack_init(void *v, unsigned n, unsigned ranges)
{
	tx_state *s = v;
	ptcp_info i;
	ptcp_stats st;
	s->p.wshift = 14; /* the window never limits (the send buffer holds the whole run) */
	tx_init(s, dup_scap(n), DUP_WIN + 8);
	/* RFC 6675 alone: one segment out per dup ACK, for ever (PRR, the default
	 * since session 5, lets out a proportion of a segment per dup ACK until
	 * the pipe is down to ssthresh, so no steady state of exactly one) */
	s->c.cfg.flags &= ~(uint32_t)PTCP_CFG_PRR;
	s->ranges = ranges ? ranges : 1;
	s->p.wnd = 65535;
	s->seg.wnd = 65535;
	bench_ack_all(&s->c, &s->p, &s->out);
	ptcp_conn_info(&s->c, &i);
	s->una0 = i.snd_una;
	s->p.ack = s->una0;
	s->seg.ack = s->una0;
	/* one window out, then the fixed ranges, then the top range grows to recovery */
	send_more(s, DUP_WIN * S);
	dup_topup(s, n);
	for (unsigned j = 0; j + 1 < s->ranges; j++) {
		unsigned nb = 0;
		s->p.now += 1;
		s->seg.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
		for (unsigned m = j + 1; m > 0 && nb < 3; m--)
			dup_sack(s, m - 1, &s->seg.opts.sack[nb++]);
		s->seg.opts.sack_count = (uint8_t)nb;
		tx_stamp(s);
		ptcp_step(&s->c, &s->in, s->p.now, &s->out);
	}
	for (s->k = 1; s->k <= 3; s->k++)
		dup_send(s);
	s->k--;
	/* until the pipe has fallen to cwnd: from then on each dup ACK lets one segment out */
	for (int quiet = 0; quiet < 4 * (int)DUP_WIN; quiet++) {
		ptcp_conn_info(&s->c, &i);
		uint32_t before = i.snd_max;
		s->k++;
		dup_send(s);
		ptcp_conn_info(&s->c, &i);
		if (i.snd_max != before)
			break;
		dup_topup(s, n);
	}
	dup_topup(s, n);
	ptcp_conn_stats(&s->c, &st);
	if (st.fast_recoveries != 1)
		bench_die("dupack: recovery did not start");
	s->fr0 = st.fast_recoveries;
}

static void dup_setup(void *v, unsigned n)
{
	bench_dupack_init(v, n, 1);
	((tx_state *)v)->strict = 1;
}

void bench_dupack_prepare(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	dup_topup(s, n);
	ptcp_conn_info(&s->c, &i);
	s->max0 = i.snd_max;
}

void case_dupack_run(void *v, unsigned n)
{
	tx_state *s = v;
	for (unsigned i = 0; i < n; i++) {
		s->k++;
		dup_send(s);
	}
}

void bench_dupack_run(void *v, unsigned n)
{
	case_dupack_run(v, n);
}

void bench_dupack_check(void *v, unsigned n)
{
	tx_state *s = v;
	ptcp_info i;
	ptcp_stats st;
	ptcp_conn_info(&s->c, &i);
	ptcp_conn_stats(&s->c, &st);
	if (i.snd_una != s->una0 || st.fast_recoveries != s->fr0)
		bench_die("dupack: recovery ended");
	s->released = (double)(i.snd_max - s->max0) / S / n;
	if (s->strict && i.snd_max - s->max0 != n * S)
		bench_die("dupack: %u new bytes for %u dup ACKs", i.snd_max - s->max0, n);
}

double bench_dupack_released(const void *v)
{
	return ((const tx_state *)v)->released;
}

void bench_dupack_fini(void *v)
{
	tx_fini(v);
}

/* ---- The table -------------------------------------------------------------------------- */
#define CASE(id, what, kind, st, setup, prepare, run, check, fini)                                 \
	{                                                                                          \
		id, what, #run, kind, sizeof(st), setup, prepare, run, check, fini                 \
	}

const bench_case bench_cases[] = {
    CASE("rx", "in-order data, ptcp_seg built directly (no checksum)", CASE_CORE, rx_state,
         rx_setup, rx_prepare, case_rx_seg_run, rx_check, rx_fini),
    CASE("rx_slow", "as rx, header prediction off (PTCP_CFG_NO_FASTPATH): the full path", CASE_CORE,
         rx_state, rx_slow_setup, rx_prepare, case_rx_seg_run, rx_check, rx_fini),
    CASE("rx_wire", "in-order data from the wire: parse_packet (checksum verified) + step",
         CASE_CORE, rx_state, rx_setup, rx_parse_prepare, case_rx_parse_run, rx_check, rx_fini),
    CASE("ooo", "out-of-order segment beyond a hole (extends the range; ACK+SACK out)", CASE_CORE,
         rx_state, rx_setup, ooo_prepare, case_ooo_gap_run, ooo_check, rx_fini),
    CASE("read", "app READ of 1460 B (the copy out of the receive ring)", CASE_CORE, rx_state,
         rx_setup, read_prepare, case_read_run, read_check, rx_fini),
    CASE("ack", "pure ACK freeing 1460 B of send buffer (nothing new to send)", CASE_CORE, tx_state,
         ack_setup, ack_prepare, case_ack_run, ack_check, tx_fini),
    CASE("send", "app SEND of 1460 B: one full-size segment out", CASE_CORE, tx_state, send_setup,
         send_prepare, case_send_run, send_check, tx_fini),
    CASE("ack_send", "ACK-clocked bulk sender: ACK in, one full-size segment out", CASE_CORE,
         tx_state, acksend_setup, acksend_prepare, case_acksend_run, acksend_check, tx_fini),
    CASE("dupack", "duplicate ACK (+SACK) in SACK recovery: one new segment out", CASE_CORE,
         tx_state, dup_setup, bench_dupack_prepare, case_dupack_run, bench_dupack_check, tx_fini),
    CASE("parse", "codec alone: parse_packet (IPv4, TCP + timestamps, checksum verified)",
         CASE_CODEC, rx_state, rx_setup, rx_parse_prepare, case_parse_run, parse_check, rx_fini),
    CASE("floor_memcpy", "floor: memcpy 1460 B into a ring as large as the receive ring",
         CASE_FLOOR, rx_state, floor_setup, floor_prepare, floor_memcpy_run, floor_check, rx_fini),
    CASE("floor_memcpy_l1", "floor: memcpy 1460 B, source and destination in L1", CASE_FLOOR,
         rx_state, floor_setup, floor_prepare, floor_memcpy_l1_run, floor_check, rx_fini),
    CASE("floor_csum", "floor: ptcp_csum_add over 1460 B", CASE_FLOOR, rx_state, floor_setup,
         floor_prepare, floor_csum_run, floor_check, rx_fini),
    CASE("floor_csum_fast", "reference: a checksum written for speed (4 x 64-bit sums)", CASE_FLOOR,
         rx_state, floor_setup, floor_prepare, floor_csum_fast_run, floor_check, rx_fini),
    CASE("floor_csum_copy", "floor: checksum + memcpy of 1460 B from the packet array", CASE_FLOOR,
         rx_state, floor_setup, floor_pkts_prepare, floor_csum_copy_run, floor_check, rx_fini),
};
const size_t bench_ncases = sizeof(bench_cases) / sizeof(bench_cases[0]);

const bench_case *bench_case_find(const char *id)
{
	for (size_t i = 0; i < bench_ncases; i++)
		if (!strcmp(bench_cases[i].id, id))
			return &bench_cases[i];
	return NULL;
}
