/*
 * ptcp-sim application models: bulk, echo, request/response, random.
 *
 * IMPLEMENTATION NOTES
 * The engine calls app_pump() on both ends of a connection after every
 * event that touched it: the bulk, echo and request/response models are
 * readiness driven (write while there is send space, read while data is
 * waiting) and loop until a pass makes no progress.  The random model acts
 * on its own wake-ups (app_wake) at random intervals drawn from its end's
 * PRNG; when its budget of calls or bytes is spent it enters a final phase
 * (shut down writing, read to the end of the stream, close), which is
 * readiness driven again.  Every byte written goes through the direction's
 * stream checker, every byte read is checked against it, and the end of a
 * stream checks that nothing was lost.
 */
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

#define RR_REQ_MAX        16384u
#define RR_RESP_MAX       65536u
#define RANDOM_CALLS      200u
#define RANDOM_GAP        PTCP_MS(20)
#define RANDOM_FINAL_WAIT PTCP_SEC(120)

static int can_send(const sim_core *k)
{
	ptcp_state st = ptcp_conn_state(&k->c);
	return st == PTCP_ESTABLISHED || st == PTCP_CLOSE_WAIT;
}

static void note_err(sim_core *k, int r)
{
	if (r < 0 && r != PTCP_EAGAIN && !k->err)
		k->err = r;
}

/* Send len bytes from data; records what the core accepted.  Returns ptcp_step's result. */
static int do_send(sim *s, sim_core *k, const uint8_t *data, size_t len)
{
	ptcp_input in;
	ptcp_check_violation v;
	int r;
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_SEND;
	in.send.data = data;
	in.send.len = len;
	r = sim_step(s, k, &in);
	if (r > 0) {
		if (ptcp_check_stream_write(&k->conn->st[k->side], data, (size_t)r, &v) !=
		    PTCP_CHECK_OK)
			sim_fail_check(s, k, &v);
		k->wrote += (uint64_t)r;
	}
	note_err(k, r);
	return r;
}

static int send_pattern(sim *s, sim_core *k, size_t len)
{
	if (len > IO_CHUNK)
		len = IO_CHUNK;
	sim_fill(s, s->iobuf, k->wrote, len);
	return do_send(s, k, s->iobuf, len);
}

/* Read up to len bytes into s->iobuf and check them.  Returns ptcp_step's result. */
static int do_read(sim *s, sim_core *k, size_t len)
{
	ptcp_input in;
	ptcp_check_violation v;
	int r;
	if (len > IO_CHUNK)
		len = IO_CHUNK;
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_READ;
	in.read.buf = s->iobuf;
	in.read.len = len;
	r = sim_step(s, k, &in);
	if (r > 0) {
		if (ptcp_check_stream_read(&k->conn->st[!k->side], s->iobuf, (size_t)r, &v) !=
		    PTCP_CHECK_OK)
			sim_fail_check(s, k, &v);
		k->got += (uint64_t)r;
	}
	note_err(k, r);
	return r;
}

static void simple_call(sim *s, sim_core *k, ptcp_input_kind kind, int how)
{
	ptcp_input in;
	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.shutdown.how = how;
	note_err(k, sim_step(s, k, &in));
}

static void app_close(sim *s, sim_core *k)
{
	k->closed = 1;
	k->wr_done = 1;
	simple_call(s, k, PTCP_IN_CLOSE, 0);
}

static void app_shut_wr(sim *s, sim_core *k)
{
	k->wr_done = 1;
	simple_call(s, k, PTCP_IN_SHUTDOWN, PTCP_SHUT_WR);
}

/* The end of the peer's stream was reached: nothing may be missing. */
static int check_eof(sim *s, sim_core *k)
{
	ptcp_check_violation v;
	if (k->eof || k->closed || k->shut_rd || !ptcp_conn_eof(&k->c))
		return 0;
	k->eof = 1;
	if (ptcp_check_stream_eof(&k->conn->st[!k->side], &v) != PTCP_CHECK_OK) {
		int err = ptcp_conn_error(&k->c);
		if (err) /* say so: a reset that silently ends the stream */
			snprintf(
			    v.msg + strlen(v.msg), sizeof(v.msg) - strlen(v.msg),
			    "; the core reports a clean end of stream although it died with %s",
			    ptcp_strerror(err));
		sim_fail_check(s, k, &v);
	}
	return 1;
}

/* Write pattern bytes while there is room, up to k->want.  Returns 1 on progress. */
static int write_all(sim *s, sim_core *k)
{
	int progress = 0;
	while (!s->failed && !k->wr_done && k->wrote < k->want && can_send(k)) {
		size_t space = ptcp_conn_send_space(&k->c);
		uint64_t n = k->want - k->wrote;
		if (n > space)
			n = space;
		if (n == 0)
			break;
		if (send_pattern(s, k, (size_t)n) <= 0)
			break;
		progress = 1;
	}
	return progress;
}

/* Read everything waiting.  Returns 1 on progress. */
static int read_all(sim *s, sim_core *k)
{
	int progress = 0;
	while (!s->failed && !k->closed && !k->shut_rd && ptcp_conn_recv_avail(&k->c) > 0) {
		if (do_read(s, k, IO_CHUNK) <= 0)
			break;
		progress = 1;
	}
	return check_eof(s, k) || progress;
}

static void connect_client(sim *s, sim_core *k)
{
	ptcp_input in;
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_CONNECT;
	in.connect.local = s->addr[0];
	in.connect.remote = s->addr[1];
	in.connect.lport = (uint16_t)(CLIENT_PORT + k->conn->idx);
	in.connect.rport = (uint16_t)(SERVER_PORT + k->conn->idx);
	in.connect.iss = k->iss;
	k->started = 1;
	note_err(k, sim_step(s, k, &in));
}

void app_start(sim *s, sim_conn *c)
{
	sim_core *cl = &c->e[0], *sv = &c->e[1];
	ptcp_input in;
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_LISTEN;
	in.listen.local = s->addr[1];
	in.listen.lport = (uint16_t)(SERVER_PORT + c->idx);
	in.listen.iss = sv->iss;
	sv->started = 1;
	note_err(sv, sim_step(s, sv, &in));
	if (s->cfg.app == PTCP_SIM_BULK || s->cfg.app == PTCP_SIM_ECHO)
		cl->want = s->cfg.bytes;
	/* the clients open at staggered random times in the first 10 ms */
	sim_app_at(s, cl, s->now + ptcp_sim_rng_below(&cl->rng, PTCP_MS(10)));
	if (s->cfg.app == PTCP_SIM_RANDOM)
		sim_app_at(s, sv, s->now + 1 + ptcp_sim_rng_below(&sv->rng, RANDOM_GAP));
}

/* ---- bulk --------------------------------------------------------------- */
static int pump_bulk(sim *s, sim_core *k)
{
	int progress;
	if (k->side == 0) {
		progress = write_all(s, k);
		if (!k->closed && k->wrote == k->want && can_send(k)) {
			app_close(s, k);
			progress = 1;
		}
	} else {
		progress = read_all(s, k);
		if (k->eof && !k->closed) {
			app_close(s, k);
			progress = 1;
		}
	}
	return progress;
}

/* ---- echo --------------------------------------------------------------- */
static int pump_echo(sim *s, sim_core *k)
{
	int progress = 0;
	if (k->side == 0) {
		progress = write_all(s, k);
		if (!k->wr_done && k->wrote == k->want && can_send(k)) {
			app_shut_wr(s, k);
			progress = 1;
		}
		progress |= read_all(s, k);
	} else {
		/* read only what can be written back at once */
		while (!s->failed && !k->closed && can_send(k)) {
			size_t avail = ptcp_conn_recv_avail(&k->c);
			size_t space = ptcp_conn_send_space(&k->c), n;
			int r, w;
			n = avail < space ? avail : space;
			if (n == 0)
				break;
			r = do_read(s, k, n);
			if (r <= 0)
				break;
			k->want += (uint64_t)r;
			w = do_send(s, k, s->iobuf, (size_t)r);
			if (w != r && !s->failed)
				sim_fail(s, k,
				         "echo: send space was %zu but the core took %d of %d",
				         space, w, r);
			progress = 1;
		}
		progress |= check_eof(s, k);
	}
	if (k->eof && !k->closed) {
		app_close(s, k);
		progress = 1;
	}
	return progress;
}

/* ---- request / response ------------------------------------------------- */
static int pump_rr(sim *s, sim_core *k)
{
	sim_conn *c = k->conn;
	int progress = 0;
	if (k->side == 0) {
		if (c->rr_started > c->rr_done && k->got >= c->rr_resp_end) {
			c->rr_done++;
			progress = 1;
		}
		if (!k->wr_done && can_send(k) && c->rr_started == c->rr_done &&
		    c->rr_req_total < s->cfg.bytes) {
			uint64_t req = 1 + ptcp_sim_rng_below(&k->rng, RR_REQ_MAX);
			uint64_t resp = 1 + ptcp_sim_rng_below(&k->rng, RR_RESP_MAX);
			c->rr_req_end += req;
			c->rr_resp_end += resp;
			c->rr_req_total += req;
			c->rr_started++;
			k->want += req;
			progress = 1;
		}
		progress |= write_all(s, k);
		progress |= read_all(s, k);
		if (!k->closed && c->rr_started == c->rr_done && c->rr_req_total >= s->cfg.bytes &&
		    can_send(k)) {
			app_close(s, k);
			progress = 1;
		}
	} else {
		progress = read_all(s, k);
		if (c->rr_served < c->rr_started && k->got >= c->rr_req_end) {
			k->want = c->rr_resp_end;
			c->rr_served++;
			progress = 1;
		}
		progress |= write_all(s, k);
		if (k->eof && !k->closed) {
			app_close(s, k);
			progress = 1;
		}
	}
	return progress;
}

/* ---- random ------------------------------------------------------------- */
static int pump_random(sim *s, sim_core *k)
{
	ptcp_state st;
	int progress = 0;
	if (!k->final || k->closed)
		return 0;
	st = ptcp_conn_state(&k->c);
	if (st == PTCP_CLOSED || st == PTCP_LISTEN || st == PTCP_SYN_SENT) {
		app_close(s, k); /* nothing to wait for */
		return 1;
	}
	if (!k->wr_done) {
		app_shut_wr(s, k);
		progress = 1;
	}
	progress |= read_all(s, k);
	if (!k->closed && (k->eof || k->shut_rd)) {
		app_close(s, k);
		progress = 1;
	}
	return progress;
}

static void random_call(sim *s, sim_core *k)
{
	uint64_t r = ptcp_sim_rng_below(&k->rng, 10000);
	if (r < 4000) {
		send_pattern(s, k, 1 + (size_t)ptcp_sim_rng_below(&k->rng, 8192));
	} else if (r < 8000) {
		int n = do_read(s, k, 1 + (size_t)ptcp_sim_rng_below(&k->rng, 16384));
		if (n == 0)
			check_eof(s, k);
	} else if (r < 8040) {
		k->wr_done = 1;
		simple_call(s, k, PTCP_IN_SHUTDOWN, PTCP_SHUT_WR);
	} else if (r < 8060) {
		k->shut_rd = 1;
		simple_call(s, k, PTCP_IN_SHUTDOWN, PTCP_SHUT_RD);
	} else if (r < 8080) {
		app_close(s, k);
	} else if (r < 8090) {
		k->aborted = 1;
		k->closed = 1;
		k->wr_done = 1;
		simple_call(s, k, PTCP_IN_ABORT, 0);
	}
	/* else: the application does nothing this time */
}

void app_wake(sim *s, sim_core *k)
{
	if (!k->started && k->side == 0) {
		connect_client(s, k);
		if (s->cfg.app != PTCP_SIM_RANDOM)
			return;
	} else if (s->cfg.app == PTCP_SIM_RANDOM && k->final) {
		if (!k->closed)
			app_close(s, k); /* the final wait ran out */
		return;
	} else if (s->cfg.app == PTCP_SIM_RANDOM) {
		ptcp_state st = ptcp_conn_state(&k->c);
		/* a listening server waits for its client (but not forever) */
		if (st != PTCP_LISTEN && !k->closed)
			random_call(s, k);
		k->calls++;
		if (k->closed || k->calls >= RANDOM_CALLS || k->wrote >= s->cfg.bytes) {
			/* final phase: wait for the end of the peer's stream, but not
			 * forever (a peer may vanish without a RST, e.g. ABORT in
			 * LAST-ACK, leaving us in FIN-WAIT-2 or CLOSE-WAIT) */
			k->final = 1;
			if (!k->closed)
				sim_app_at(s, k, s->now + RANDOM_FINAL_WAIT);
			return;
		}
	} else {
		return;
	}
	sim_app_at(s, k, s->now + 1 + ptcp_sim_rng_below(&k->rng, RANDOM_GAP));
}

void app_pump(sim *s, sim_core *k)
{
	for (int guard = 0; guard < 1000000 && !s->failed; guard++) {
		int progress;
		switch (s->cfg.app) {
		case PTCP_SIM_BULK:
			progress = pump_bulk(s, k);
			break;
		case PTCP_SIM_ECHO:
			progress = pump_echo(s, k);
			break;
		case PTCP_SIM_RR:
			progress = pump_rr(s, k);
			break;
		default:
			progress = pump_random(s, k);
			break;
		}
		if (!progress)
			return;
	}
}

int app_pending(const sim_core *k)
{
	return k->apos != NOPOS || k->shut_rd || k->closed;
}

/* Every byte of direction dir read (and, with need_eof, the end of the stream seen). */
static int stream_done(const sim_conn *c, int dir, int need_eof, char *why, size_t cap)
{
	const ptcp_check_stream *st = &c->st[dir];
	if (st->read != st->written || (need_eof && !c->e[!dir].eof)) {
		snprintf(why, cap, "%s: %llu of %llu bytes read%s",
		         dir ? "server->client" : "client->server", (unsigned long long)st->read,
		         (unsigned long long)st->written,
		         !need_eof || c->e[!dir].eof ? "" : ", no end of stream seen");
		return 0;
	}
	return 1;
}

int app_complete(const sim *s, const sim_conn *c, char *why, size_t cap)
{
	const sim_core *cl = &c->e[0], *sv = &c->e[1];
	for (int j = 0; j < 2; j++) {
		const sim_core *k = &c->e[j];
		ptcp_state st = ptcp_conn_state(&k->c);
		int err = ptcp_conn_error(&k->c);
		if (st != PTCP_CLOSED) {
			snprintf(why, cap, "%s ended in %s", j ? "server" : "client",
			         ptcp_state_name(st));
			return 0;
		}
		if (err && s->cfg.app != PTCP_SIM_RANDOM) {
			snprintf(why, cap, "%s died: %s", j ? "server" : "client",
			         ptcp_strerror(err));
			return 0;
		}
	}
	switch (s->cfg.app) {
	case PTCP_SIM_BULK:
		if (cl->wrote != s->cfg.bytes) {
			snprintf(why, cap, "client wrote %llu of %llu bytes",
			         (unsigned long long)cl->wrote, (unsigned long long)s->cfg.bytes);
			return 0;
		}
		return stream_done(c, 0, 1, why, cap);
	case PTCP_SIM_ECHO:
		if (cl->wrote != s->cfg.bytes || sv->wrote != s->cfg.bytes) {
			snprintf(why, cap, "client wrote %llu, server echoed %llu of %llu bytes",
			         (unsigned long long)cl->wrote, (unsigned long long)sv->wrote,
			         (unsigned long long)s->cfg.bytes);
			return 0;
		}
		return stream_done(c, 0, 1, why, cap) && stream_done(c, 1, 1, why, cap);
	case PTCP_SIM_RR:
		if (c->rr_req_total < s->cfg.bytes || c->rr_done != c->rr_started) {
			snprintf(why, cap, "%u of %u transactions done, %llu request bytes",
			         c->rr_done, c->rr_started, (unsigned long long)c->rr_req_total);
			return 0;
		}
		/* the client closes after the last response: only the server sees an end */
		return stream_done(c, 0, 1, why, cap) && stream_done(c, 1, 0, why, cap);
	default:
		return 1;
	}
}
