/*
 * SYN cookies (RFC 4987 3.6) in the encoding Linux uses, keyed with
 * SipHash-2-4.
 *
 * IMPLEMENTATION NOTES
 * The ISS of a cookie SYN-ACK is
 *     H0(4-tuple) + IRS + (count << 24) + ((H1(4-tuple, IRS, count, opts) + mss_index) mod 2^24)
 * with count a minute counter from the caller's time, H0 and H1 SipHash-2-4
 * with the table's cookie key, and mss_index one of four MSS values.  The
 * ACK's SEG.ACK - 1 gives the cookie back (and SEG.SEQ - 1 the IRS):
 * subtracting H0 + IRS leaves the counter in the top 8 bits (accepted when
 * at most COOKIE_MAX_AGE - 1 minutes old) and the index once H1 is
 * subtracted (valid when < 4; a random guess passes with probability
 * 4 / 2^24).
 *
 * Unlike Linux, H1 also hashes the IRS.  Without it only the difference
 * SEG.ACK - SEG.SEQ is checked, so a later segment of the same connection
 * whose SEQ and ACK both moved on by the same amount (the client's ACK of
 * our data byte and FIN, say, delayed past the connection's end) passes as
 * a cookie with the index shifted, and an old duplicate opens a connection
 * that no client has: the very confusion the three-way handshake exists to
 * prevent (RFC 9293 3.5); an ACK in LISTEN must get a reset instead (RFC
 * 9293 3.10.7.2).  With the IRS in H1 such a segment passes only by chance
 * (4 / 2^24).
 *
 * With timestamps, the SYN-ACK's TSval carries the options the cookie must
 * remember in its low 6 bits, as Linux: bits 0-3 the peer's window shift
 * (0xf: none), bit 4 SACK-permitted, bit 5 ECN; the peer echoes them in
 * TSecr.  Unlike Linux those option bits (and whether timestamps are on)
 * also enter H1, so a forged or altered TSecr invalidates the cookie.
 */
#include "table_int.h"

/* Linux's tables (net/ipv4/syncookies.c, net/ipv6/syncookies.c). */
static const uint16_t msstab4[4] = {536, 1300, 1440, 1460};
static const uint16_t msstab6[4] = {1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60};

unsigned cookie_mss_index(uint16_t peer_mss, int v6)
{
	const uint16_t *tab = v6 ? msstab6 : msstab4;
	unsigned i = 3;
	while (i > 0 && peer_mss < tab[i])
		i--;
	return i;
}

uint16_t cookie_mss(unsigned idx, int v6)
{
	return (v6 ? msstab6 : msstab4)[idx & 3u];
}

static uint32_t cookie_hash(const ptcp_table *t, const ptcp_tuple *k, uint32_t irs, uint32_t count,
                            uint8_t opts, uint8_t which)
{
	uint8_t e[10];
	e[0] = (uint8_t)(count >> 24);
	e[1] = (uint8_t)(count >> 16);
	e[2] = (uint8_t)(count >> 8);
	e[3] = (uint8_t)count;
	e[4] = opts;
	e[5] = which;
	e[6] = (uint8_t)(irs >> 24);
	e[7] = (uint8_t)(irs >> 16);
	e[8] = (uint8_t)(irs >> 8);
	e[9] = (uint8_t)irs;
	return (uint32_t)tbl_tuple_sip(t->k_cookie, k, e, sizeof(e));
}

static uint32_t cookie_count(ptcp_time_t now)
{
	return (uint32_t)(now / COOKIE_PERIOD);
}

uint32_t cookie_make(const ptcp_table *t, const ptcp_tuple *k, uint32_t irs, ptcp_time_t now,
                     unsigned mss_idx, uint8_t opts)
{
	uint32_t count = cookie_count(now);
	return cookie_hash(t, k, 0, 0, 0, 0) + irs + (count << 24) +
	       ((cookie_hash(t, k, irs, count, opts, 1) + mss_idx) & 0xffffffu);
}

int cookie_check(const ptcp_table *t, const ptcp_tuple *k, uint32_t irs, uint32_t cookie,
                 ptcp_time_t now, uint8_t opts)
{
	uint32_t count = cookie_count(now), diff, idx;
	cookie -= cookie_hash(t, k, 0, 0, 0, 0) + irs;
	/* the counter in the top 8 bits: this minute or the previous one */
	diff = (count - (cookie >> 24)) & 0xffu;
	if (diff >= COOKIE_MAX_AGE)
		return -1;
	/* RFC 9293 3.5: H1 covers the IRS, so an old duplicate with SEQ and ACK both moved on
	 * does not pass */
	idx = (cookie - cookie_hash(t, k, irs, count - diff, opts, 1)) & 0xffffffu;
	return idx < 4 ? (int)idx : -1;
}

uint8_t cookie_opts(int ws_ok, uint8_t ws, int sack_ok, int ecn_ok)
{
	return (uint8_t)(0x40u | (ws_ok ? (ws & 0x0fu) : 0x0fu) | (sack_ok ? 0x10u : 0u) |
	                 (ecn_ok ? 0x20u : 0u));
}

uint32_t cookie_tsval(uint32_t tsnow, uint8_t opts)
{
	/* RFC 7323 5.4: the TSval must not run ahead of the clock, so round
	 * down; a TSval of 0 would read as "no echo", so step back once more. */
	uint32_t ts = (tsnow & ~0x3fu) | (opts & 0x3fu);
	if (ptcp_seq_gt(ts, tsnow))
		ts -= 64;
	if (ts == 0)
		ts -= 64;
	return ts;
}
