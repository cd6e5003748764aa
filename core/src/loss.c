/*
 * The loss area (ptcp_loss): lent to a connection by the caller, taken back
 * when nothing in it is in use.
 *
 * IMPLEMENTATION NOTES
 * The area holds the reassembly pool, the SACK scoreboard, RACK's send-time
 * log and HighRxt.  F_SACK_SND (SACK negotiated and an area lent) is what
 * the sender's SACK machinery tests: RFC 6675 recovery, RACK and TLP.  An
 * area comes and goes only outside a loss episode, so no episode changes its
 * rules half-way: it is lent when the sender is in no recovery, timeout or
 * probe episode and counts no duplicate ACK; it is taken back when, besides,
 * nothing is in flight (the scoreboard and the log are then empty: sack.c and
 * rack.c forget what SND.UNA passed) and no out-of-order range sits in its
 * pool.  Data already in flight when an area is lent is not in the new log:
 * rack.c then takes it as sent at the next transmission (never a spurious
 * loss, at most a later one).
 */
#include "internal.h"

/* No recovery (RFC 6675 / 6582), timeout (RFC 6298) or probe (RFC 8985 7)
 * episode, no duplicate ACK counted. */
static int sender_calm(const ptcp_conn *c)
{
	return !(c->flags & (F_INRECOVERY | F_RTO_LOSS)) && !c->tlp_end_seq && c->dupacks == 0;
}

int ptcp_conn_set_loss(ptcp_conn *c, ptcp_loss *l)
{
	if (!c || !l)
		return PTCP_EINVAL;
	if (c->loss)
		return PTCP_ESTATE;
	if (!sender_calm(c))
		return PTCP_EAGAIN;
	c->loss = l;              /* nsb and nrack are 0: only code run with an area sets them */
	l->high_rxt = c->snd_una; /* RFC 6675 5 (1): HighRxt starts at SND.UNA */
	if (c->flags & F_SACK)
		c->flags |= F_SACK_SND;
	return 0;
}

ptcp_loss *loss_detach(ptcp_conn *c)
{
	ptcp_loss *l = c->loss;
	c->loss = NULL;
	if (!c->ooo_pool)
		c->nooo = 0;
	c->nsb = 0;
	c->nrack = 0;
	c->t_reo = 0; /* no log: no reordering window to wait for */
	c->flags &= ~(uint32_t)F_SACK_SND;
	return l;
}

ptcp_loss *ptcp_conn_take_loss(ptcp_conn *c)
{
	if (!c || !c->loss || !sender_calm(c) || c->snd_una != c->snd_max ||
	    (c->nooo && !c->ooo_pool))
		return NULL;
	return loss_detach(c);
}

const ptcp_loss *ptcp_conn_loss(const ptcp_conn *c)
{
	return c ? c->loss : NULL;
}
