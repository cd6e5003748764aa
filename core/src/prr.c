/*
 * DeliveredData and Proportional Rate Reduction (RFC 9937, which obsoletes
 * RFC 6937).
 *
 * IMPLEMENTATION NOTES
 * DeliveredData is what an ACK tells us reached the peer: the advance of
 * SND.UNA plus the change in SACKed bytes (RFC 9937 3).  process_ack()
 * measures the SACKed bytes before and after the ACK (prr_sacked()) and
 * asks prr_delivered() for the difference.  Without SACK, each duplicate
 * ACK stands for one delivered segment (RFC 5681 3.2), so an ACK that
 * advances SND.UNA after duplicates delivers only what they did not count.
 *
 * PRR runs in SACK recovery when PTCP_CFG_PRR is set (the default): on each
 * ACK it sets cwnd = pipe + sndcnt, so that RFC 6675's "send while cwnd -
 * pipe >= SMSS" sends sndcnt bytes.  prr_out counts the bytes recovery sent.
 * The state is three u32 in the block: prr_dlv (prr_delivered), prr_out,
 * prr_recover_fs.  Without PRR, RFC 6675 alone sends cwnd - pipe at once:
 * when one ACK marks many segments lost (a receiver that kept few
 * out-of-order ranges and dropped the rest), that is a burst of hundreds of
 * segments into a queue that just overflowed.
 */
#include "internal.h"

/* Bytes the scoreboard holds as SACKed (all above SND.UNA). */
uint32_t prr_sacked(const ptcp_conn *c)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < c->nsb; i++)
		n += c->loss->sb[i].right - c->loss->sb[i].left;
	return n;
}

/*
 * RFC 9937 3 DeliveredData: acked (SND.UNA's advance) plus the change of the
 * SACKed bytes; without SACK, duplicate ACKs counted a segment each already
 * (dupacks of them before this ACK), and an advancing ACK delivers at least
 * one segment (as Linux's tcp_remove_reno_sacks).
 */
uint32_t prr_delivered(const ptcp_conn *c, uint32_t acked, uint32_t sacked0, uint32_t sacked1,
                       uint32_t dupacks0)
{
	if (c->flags & F_SACK_SND) {
		uint64_t d = (uint64_t)acked + sacked1;
		return d > sacked0 ? (uint32_t)(d - sacked0) : 0;
	}
	if (!acked)
		return c->snd_mss; /* a duplicate ACK: one segment left the network */
	{
		uint64_t counted = (uint64_t)dupacks0 * c->snd_mss;
		uint32_t rest = acked > counted ? (uint32_t)(acked - counted) : 0;
		return max_u32(rest, min_u32(acked, c->snd_mss));
	}
}

/* RFC 9937 4 "on entering recovery"; Linux takes cwnd as RecoverFS (prior_cwnd). */
void prr_enter(ptcp_conn *c)
{
	c->prr_dlv = 0;
	c->prr_out = 0;
	c->prr_recover_fs = (c->cfg.flags & PTCP_CFG_PRR_LINUX) ? c->cwnd : c->snd_max - c->snd_una;
	if (!c->prr_recover_fs)
		c->prr_recover_fs = c->snd_mss;
}

/* Bytes as whole segments, rounded up (a partial segment is one packet). */
static uint32_t segs(uint32_t bytes, uint32_t mss)
{
	return (uint32_t)(((uint64_t)bytes + mss - 1) / mss);
}

/*
 * RFC 9937 4 "on every ACK during recovery": cwnd = pipe + sndcnt.
 * delivered is the ACK's DeliveredData; safe_ack is RFC 9937's SafeACK (the
 * ACK advanced SND.UNA and indicated no further loss): only then may the
 * reduction bound add a segment (PRR-SSRB); otherwise it is PRR-CRB, which
 * sends no more than was delivered.  Linux's tcp_cwnd_reduction makes the
 * same choice (FLAG_SND_UNA_ADVANCED and no newly lost packet).  The
 * arithmetic is in segments (Linux counts packets, and a byte count would
 * round a proportional share of a segment down to nothing).  An ACK that
 * delivers nothing leaves cwnd alone (RFC 9937 4).
 */
void prr_on_ack(ptcp_conn *c, uint32_t delivered, int safe_ack)
{
	uint32_t mss = c->snd_mss ? c->snd_mss : 1;
	uint32_t pipe = sack_pipe(c), pipe_s = segs(pipe, mss);
	uint32_t ssth_s = max_u32(c->ssthresh / mss, 1), fs_s = max_u32(c->prr_recover_fs / mss, 1);
	uint32_t dlv_s, out_s, dlv_now_s = segs(delivered, mss);
	uint64_t sndcnt;
	if (!delivered)
		return;
	c->prr_dlv += delivered;
	dlv_s = segs(c->prr_dlv, mss);
	out_s = segs(c->prr_out, mss);
	if (pipe_s > ssth_s) {
		/* proportional part: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
		 */
		uint64_t want = ((uint64_t)dlv_s * ssth_s + fs_s - 1) / fs_s;
		sndcnt = want > out_s ? want - out_s : 0;
	} else {
		/* PRR-CRB: limit = MAX(prr_delivered - prr_out, DeliveredData);
		 * PRR-SSRB on a SafeACK: one segment more */
		uint64_t limit = dlv_s > out_s ? dlv_s - out_s : 0;
		if (limit < dlv_now_s)
			limit = dlv_now_s;
		if (safe_ack)
			limit++;
		sndcnt = ssth_s - pipe_s < limit ? ssth_s - pipe_s : limit;
	}
	/* RFC 9937 4: the first ACK of recovery always lets the fast
	 * retransmit go (as Linux) */
	if (!c->prr_out && sndcnt < 1)
		sndcnt = 1;
	if (sndcnt > 0xffff)
		sndcnt = 0xffff;
	c->cwnd = (uint32_t)min_u32(pipe + (uint32_t)sndcnt * mss, 0x7fffffffu);
	if (c->cwnd < mss)
		c->cwnd = mss; /* never below one segment: what recovery sends next */
}

/* Bytes sent during recovery (retransmitted or new): RFC 9937 prr_out. */
void prr_sent(ptcp_conn *c, uint32_t bytes)
{
	c->prr_out += bytes;
}
