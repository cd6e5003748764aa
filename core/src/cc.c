/*
 * Congestion control: Reno (RFC 5681) and CUBIC (RFC 9438).
 *
 * IMPLEMENTATION NOTES
 * Integer arithmetic only (the core links no libm): windows in bytes, CUBIC
 * time in milliseconds, K from an integer cube root.  CUBIC keeps in
 * cc_state: [0] W_max, [1] W_last_max (fast convergence), [2] K in ms,
 * [3] cwnd at the start of the epoch, [4] W_est (Reno-friendly estimate),
 * [5] the remainder of the per-ACK increase; cc_time is the epoch start
 * (0 = no epoch).  Reno keeps its byte counter in cc_state[0].
 */
#include "internal.h"

/* Slow start growth for one ACK: RFC 5681 allows SMSS, RFC 3465 (ABC) L * SMSS;
 * abc 0 takes all that was acked (Linux), never past ssthresh. */
static uint32_t cc_ss_increase(const ptcp_conn *c, uint32_t acked)
{
	uint32_t inc = c->cfg.abc ? min_u32(acked, c->cfg.abc * c->snd_mss) : acked;
	if (c->cwnd + inc > c->ssthresh && c->ssthresh > c->cwnd)
		inc = c->ssthresh - c->cwnd;
	return inc;
}

/* ---- Reno -------------------------------------------------------------- */

static void reno_init(ptcp_conn *c)
{
	memset(c->cc_state, 0, sizeof(c->cc_state));
}

static void reno_on_ack(ptcp_conn *c, uint32_t acked, ptcp_time_t now)
{
	(void)now;
	if (c->cwnd < c->ssthresh) {
		c->cwnd += cc_ss_increase(c, acked); /* RFC 5681 3.1 eq. 2, RFC 3465 */
		return;
	}
	/* RFC 5681 3.1 congestion avoidance, counted in bytes (RFC 3465). */
	c->cc_state[0] += acked;
	if (c->cc_state[0] >= c->cwnd) {
		c->cc_state[0] -= c->cwnd;
		c->cwnd += c->snd_mss;
	}
}

static uint32_t reno_ssthresh(ptcp_conn *c, ptcp_time_t now)
{
	(void)now;
	c->cc_state[0] = 0;
	/* RFC 5681 3.1 eq. 4 */
	return max_u32((c->snd_max - c->snd_una) / 2, 2 * c->snd_mss);
}

static void reno_on_rto(ptcp_conn *c, ptcp_time_t now)
{
	(void)now;
	c->cc_state[0] = 0;
}

const ptcp_cc_ops ptcp_cc_reno = {"reno", reno_init, reno_on_ack, reno_ssthresh, reno_on_rto};

/* ---- CUBIC ------------------------------------------------------------- */

enum { W_MAX, W_LAST_MAX, K_MS, W_EPOCH, W_EST, REM };

/* Integer cube root (floor). */
static uint64_t icbrt(uint64_t x)
{
	uint64_t y = 0;
	for (int s = 63; s >= 0; s -= 3) {
		uint64_t b;
		y <<= 1;
		b = 3 * y * (y + 1) + 1;
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return y;
}

static void cubic_init(ptcp_conn *c)
{
	memset(c->cc_state, 0, sizeof(c->cc_state));
	c->cc_time = 0;
}

/* RFC 9438 4.2: W_cubic(t) = C (t - K)^3 + W_max with C = 0.4, in bytes. */
static uint32_t w_cubic(const ptcp_conn *c, uint64_t t_ms)
{
	int64_t d = (int64_t)t_ms - (int64_t)c->cc_state[K_MS];
	int64_t d3, inc, w;
	if (d > 100000)
		d = 100000;
	if (d < -100000)
		d = -100000;
	d3 = d * d * d;                                         /* ms^3, |d3| <= 1e15 */
	inc = (d3 / 1000) * 4 * (int64_t)c->snd_mss / 10000000; /* 0.4 * s^3 * mss */
	w = (int64_t)c->cc_state[W_MAX] + inc;
	if (w < (int64_t)c->snd_mss)
		w = c->snd_mss;
	if (w > 0x7fffffff)
		w = 0x7fffffff;
	return (uint32_t)w;
}

static void cubic_on_ack(ptcp_conn *c, uint32_t acked, ptcp_time_t now)
{
	uint32_t target, west;
	uint64_t t_ms;
	if (c->cwnd < c->ssthresh) {
		c->cwnd += cc_ss_increase(c, acked); /* slow start (RFC 9438 4.10) */
		return;
	}
	if (c->cc_time == 0) {
		/* RFC 9438 4.2: a new congestion-avoidance epoch. */
		uint64_t k3;
		c->cc_time = now ? now : 1;
		c->cc_state[W_EPOCH] = c->cwnd;
		c->cc_state[W_EST] = c->cwnd;
		c->cc_state[REM] = 0;
		if (c->cc_state[W_MAX] < c->cwnd)
			c->cc_state[W_MAX] = c->cwnd;
		/* K = cbrt((W_max - cwnd_epoch) / C), here in ms: x 2.5e9 / mss */
		k3 = (uint64_t)(c->cc_state[W_MAX] - c->cwnd) * 2500000000ull / c->snd_mss;
		c->cc_state[K_MS] = (uint32_t)icbrt(k3);
	}
	/* RFC 9438 4.2: the target is W_cubic(t + RTT), within [cwnd, 1.5 cwnd]. */
	t_ms = (now - c->cc_time + c->srtt) / 1000;
	target = w_cubic(c, t_ms);
	if (target < c->cwnd)
		target = c->cwnd;
	if (target > c->cwnd + c->cwnd / 2)
		target = c->cwnd + c->cwnd / 2;
	/* RFC 9438 4.3: the Reno-friendly estimate, alpha = 3 (1 - beta) / (1 + beta) */
	west = c->cc_state[W_EST];
	west += (uint32_t)((uint64_t)529 * c->snd_mss * acked / 1000 / (west ? west : 1));
	c->cc_state[W_EST] = west;
	if (west > target) {
		c->cwnd = west; /* Reno-friendly region */
		return;
	}
	/* RFC 9438 4.4/4.5: cwnd += (target - cwnd) / cwnd per byte acked. */
	{
		uint64_t acc = (uint64_t)(target - c->cwnd) * acked + c->cc_state[REM];
		c->cwnd += (uint32_t)(acc / c->cwnd);
		c->cc_state[REM] = (uint32_t)(acc % c->cwnd);
	}
}

static uint32_t cubic_ssthresh(ptcp_conn *c, ptcp_time_t now)
{
	(void)now;
	/* RFC 9438 4.7 fast convergence */
	if (c->cwnd < c->cc_state[W_LAST_MAX]) {
		c->cc_state[W_LAST_MAX] = c->cwnd;
		c->cc_state[W_MAX] = (uint32_t)((uint64_t)c->cwnd * 85 / 100); /* (1 + beta) / 2 */
	} else {
		c->cc_state[W_LAST_MAX] = c->cwnd;
		c->cc_state[W_MAX] = c->cwnd;
	}
	c->cc_time = 0;
	/* RFC 9438 4.6: ssthresh = cwnd * beta_cubic (0.7) */
	return max_u32((uint32_t)((uint64_t)c->cwnd * 7 / 10), 2 * c->snd_mss);
}

static void cubic_on_rto(ptcp_conn *c, ptcp_time_t now)
{
	(void)now;
	c->cc_time = 0; /* RFC 9438 4.8: a new epoch after the timeout */
	/* RFC 9438 4.8: the first congestion avoidance stage after a timeout
	 * uses K = 0 and W_max = cwnd at its start (W_MAX 0: the epoch start
	 * takes cwnd).  output.c also starts a new epoch this way after an idle
	 * period (nothing in flight then), which keeps W_max. */
	if (c->snd_una != c->snd_max)
		c->cc_state[W_MAX] = 0;
}

const ptcp_cc_ops ptcp_cc_cubic = {"cubic", cubic_init, cubic_on_ack, cubic_ssthresh, cubic_on_rto};
