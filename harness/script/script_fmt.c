/*
 * ptcp event scripts: the text form, formatting (the syntax is described in
 * script_text.c).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

/* ======================================================================== */
/* String builder                                                            */
/* ======================================================================== */
struct sb {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_grow(struct sb *b, size_t need)
{
	if (b->oom || b->n + need + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + need + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void sb_put(struct sb *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_put(b, tmp, (size_t)n);
		return;
	}
	sb_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

static void sb_hex(struct sb *b, const uint8_t *p, size_t n)
{
	static const char dig[] = "0123456789abcdef";
	sb_grow(b, 2 * n);
	if (b->oom)
		return;
	for (size_t i = 0; i < n; i++) {
		b->p[b->n++] = dig[p[i] >> 4];
		b->p[b->n++] = dig[p[i] & 15];
	}
	b->p[b->n] = 0;
}

/* Copy the builder into a user buffer with snprintf semantics. */
static int sb_out(struct sb *b, char *buf, size_t cap)
{
	if (b->oom) {
		free(b->p);
		if (cap)
			buf[0] = 0;
		return -1;
	}
	size_t n = b->n;
	if (cap) {
		size_t k = n < cap - 1 ? n : cap - 1;
		if (k)
			memcpy(buf, b->p, k);
		buf[k] = 0;
	}
	free(b->p);
	return (int)n;
}

/* ======================================================================== */
/* Formatting                                                                */
/* ======================================================================== */
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fmt_opts(struct sb *b, const uint8_t *o, size_t n)
{
	size_t i = 0;
	int first = 1;
	while (i < n) {
		if (!first)
			sb_str(b, ",");
		first = 0;
		uint8_t k = o[i];
		if (k == PTCP_OPTKIND_EOL || k == PTCP_OPTKIND_NOP) {
			sb_str(b, k ? "nop" : "eol");
			i++;
			continue;
		}
		size_t l = i + 1 < n ? o[i + 1] : 0;
		if (l < 2 || i + l > n) {
			sb_str(b, "raw ");
			sb_hex(b, o + i, n - i);
			return;
		}
		const uint8_t *d = o + i + 2;
		size_t dl = l - 2;
		if (k == PTCP_OPTKIND_MSS && l == 4) {
			sb_printf(b, "mss %u", (unsigned)(d[0] << 8 | d[1]));
		} else if (k == PTCP_OPTKIND_WSCALE && l == 3) {
			sb_printf(b, "wscale %u", d[0]);
		} else if (k == PTCP_OPTKIND_SACK_PERM && l == 2) {
			sb_str(b, "sackOK");
		} else if (k == PTCP_OPTKIND_SACK && dl % 8 == 0) {
			sb_str(b, "sack");
			for (size_t j = 0; j < dl; j += 8)
				sb_printf(b, " %lu:%lu", (unsigned long)rd32(d + j),
				          (unsigned long)rd32(d + j + 4));
		} else if (k == PTCP_OPTKIND_TS && l == 10) {
			sb_printf(b, "TS val %lu ecr %lu", (unsigned long)rd32(d),
			          (unsigned long)rd32(d + 4));
		} else if (k == PTCP_OPTKIND_TFO) {
			sb_str(b, dl ? "FO " : "FO");
			sb_hex(b, d, dl);
		} else if (k == PTCP_OPTKIND_EXP && dl >= 2 && d[0] == 0xf9 && d[1] == 0x89) {
			sb_str(b, dl > 2 ? "FOEXP " : "FOEXP");
			sb_hex(b, d + 2, dl - 2);
		} else {
			sb_printf(b, "opt %u", k);
			if (dl) {
				sb_str(b, " ");
				sb_hex(b, d, dl);
			}
		}
		i += l;
	}
}

int ptcp_script_format_opts(const uint8_t *opt, size_t len, char *buf, size_t cap)
{
	struct sb b = {0};
	fmt_opts(&b, opt, len);
	return sb_out(&b, buf, cap);
}

static void fmt_dur(struct sb *b, uint64_t us)
{
	if (us == 0)
		sb_str(b, "0");
	else if (us % 1000000 == 0)
		sb_printf(b, "%llus", (unsigned long long)(us / 1000000));
	else if (us % 1000 == 0)
		sb_printf(b, "%llums", (unsigned long long)(us / 1000));
	else
		sb_printf(b, "%lluus", (unsigned long long)us);
}

int ptcp_script_format_delta(uint64_t us, char *buf, size_t cap)
{
	struct sb b = {0};
	sb_str(&b, "+");
	fmt_dur(&b, us);
	return sb_out(&b, buf, cap);
}

static void fmt_flags(struct sb *b, uint8_t f)
{
	static const struct {
		uint8_t bit;
		char c;
	} order[8] = {{PTCP_FIN, 'F'}, {PTCP_SYN, 'S'}, {PTCP_RST, 'R'}, {PTCP_PSH, 'P'},
	              {PTCP_ACK, '.'}, {PTCP_URG, 'U'}, {PTCP_ECE, 'E'}, {PTCP_CWR, 'W'}};
	if (!f) {
		sb_str(b, "none");
		return;
	}
	for (int i = 0; i < 8; i++)
		if (f & order[i].bit)
			sb_put(b, &order[i].c, 1);
}

const char *const ptcp_script__ecn_name[4] = {"not-ect", "ect1", "ect0", "ce"};

static void fmt_seg(struct sb *b, const ptcp_script_seg *g, int out)
{
	sb_str(b, out ? "> " : "< ");
	fmt_flags(b, g->flags);
	sb_str(b, " ");
	if (g->wild & PTCP_SCRIPT_WILD_SEQ)
		sb_str(b, "*:");
	else
		sb_printf(b, "%lu:", (unsigned long)g->seq);
	if (g->wild & (PTCP_SCRIPT_WILD_SEQ | PTCP_SCRIPT_WILD_LEN))
		sb_str(b, "*");
	else
		sb_printf(b, "%lu", (unsigned long)(uint32_t)(g->seq + g->len));
	if (g->wild & PTCP_SCRIPT_WILD_LEN)
		sb_str(b, "(*)");
	else
		sb_printf(b, "(%lu)", (unsigned long)g->len);
	if (g->wild & PTCP_SCRIPT_WILD_ACK)
		sb_str(b, " ack *");
	else if ((g->flags & PTCP_ACK) || g->ack)
		sb_printf(b, " ack %lu", (unsigned long)g->ack);
	if (g->wild & PTCP_SCRIPT_WILD_WIN)
		sb_str(b, " win *");
	else
		sb_printf(b, " win %u", g->win);
	if (g->urp)
		sb_printf(b, " urg %u", g->urp);
	if (g->wild & PTCP_SCRIPT_WILD_OPTS) {
		sb_str(b, " <*>");
	} else if (g->opt_len) {
		sb_str(b, " <");
		fmt_opts(b, g->opt, g->opt_len);
		sb_str(b, ">");
	}
	if (g->ecn)
		sb_printf(b, " ecn=%s", ptcp_script__ecn_name[g->ecn & 3]);
	if (g->reserved)
		sb_printf(b, " res=%u", g->reserved);
	if (g->has_ports)
		sb_printf(b, " sport=%u dport=%u", g->sport, g->dport);
	if (g->payload) {
		sb_str(b, " payload=");
		sb_hex(b, g->payload, g->len);
	}
}

static void fmt_err_or_num(struct sb *b, int v)
{
	const char *n = ptcp_script_err_name(v);
	if (n)
		sb_str(b, n);
	else
		sb_printf(b, "%d", v);
}

static void fmt_event(struct sb *b, const ptcp_script_event *e)
{
	static const char *const how[4] = {"?", "rd", "wr", "rdwr"};
	switch (e->kind) {
	case PTCP_SCRIPT_SEGMENT:
		fmt_seg(b, &e->seg, 0);
		break;
	case PTCP_SCRIPT_EXPECT_SEG:
		fmt_seg(b, &e->seg, 1);
		break;
	case PTCP_SCRIPT_RAW:
		sb_str(b, e->raw.len ? "raw " : "raw");
		sb_hex(b, e->raw.data, e->raw.len);
		break;
	case PTCP_SCRIPT_ICMP: {
		const char *n = ptcp_script_icmp_name(e->icmp.type);
		sb_printf(b, "icmp %s", n ? n : "?");
		if (e->icmp.mtu)
			sb_printf(b, " mtu=%lu", (unsigned long)e->icmp.mtu);
		sb_printf(b, " seq=%lu", (unsigned long)e->icmp.seq);
		break;
	}
	case PTCP_SCRIPT_CONNECT:
		sb_str(b, "connect");
		if (e->connect.tfo) {
			sb_str(b, " tfo");
			if (e->connect.tfo_len) {
				sb_str(b, " cookie=");
				sb_hex(b, e->connect.tfo_cookie, e->connect.tfo_len);
			}
			if (e->connect.tfo_mss)
				sb_printf(b, " mss=%u", (unsigned)e->connect.tfo_mss);
		}
		if (e->connect.len)
			sb_printf(b, " data=%lu", (unsigned long)e->connect.len);
		break;
	case PTCP_SCRIPT_SETOPT:
		sb_str(b, "setopt");
		if (e->setopt.flags & PTCP_CFG_NODELAY)
			sb_str(b, " nodelay");
		if (e->setopt.flags & PTCP_CFG_CORK)
			sb_str(b, " cork");
		sb_str(b, " keepalive_idle=");
		fmt_dur(b, e->setopt.keepalive_idle);
		sb_str(b, " keepalive_intvl=");
		fmt_dur(b, e->setopt.keepalive_intvl);
		sb_printf(b, " keepalive_cnt=%u user_timeout=", (unsigned)e->setopt.keepalive_cnt);
		fmt_dur(b, e->setopt.user_timeout);
		sb_str(b, " delack=");
		fmt_dur(b, e->setopt.delack);
		sb_printf(b, " challenge=%lu", (unsigned long)e->setopt.challenge_ack_limit);
		break;
	case PTCP_SCRIPT_LISTEN:
		sb_str(b, e->listen.any ? "listen any" : "listen");
		break;
	case PTCP_SCRIPT_SEND:
		sb_printf(b, "send %lu", (unsigned long)e->send.len);
		if (e->send.data) {
			sb_str(b, " payload=");
			sb_hex(b, e->send.data, e->send.len);
		}
		if (e->send.more)
			sb_str(b, " more");
		break;
	case PTCP_SCRIPT_READ:
		sb_printf(b, "read %lu%s", (unsigned long)e->read.len,
		          e->read.discard ? " discard" : "");
		break;
	case PTCP_SCRIPT_SHUTDOWN:
		sb_printf(b, "shutdown %s", how[e->shutdown.how & 3]);
		break;
	case PTCP_SCRIPT_CLOSE:
		sb_str(b, "close");
		break;
	case PTCP_SCRIPT_ABORT:
		sb_str(b, "abort");
		break;
	case PTCP_SCRIPT_TIME:
		sb_str(b, "time");
		break;
	case PTCP_SCRIPT_EXPECT_STATE: {
		const char *to = ptcp_script_state_name(e->state.to);
		const char *from = ptcp_script_state_name(e->state.from);
		if (from)
			sb_printf(b, "= state %s -> %s", from, to ? to : "?");
		else
			sb_printf(b, "= state %s", to ? to : "?");
		break;
	}
	case PTCP_SCRIPT_EXPECT_EVENT: {
		const char *n = ptcp_script_event_name(e->event.ev);
		sb_printf(b, "= event %s", n ? n : "?");
		if (e->event.err) {
			sb_str(b, " ");
			fmt_err_or_num(b, e->event.err);
		}
		break;
	}
	case PTCP_SCRIPT_EXPECT_READABLE:
		sb_printf(b, "= readable %lu", (unsigned long)e->readable);
		break;
	case PTCP_SCRIPT_EXPECT_WRITABLE:
		sb_printf(b, "= writable %lu", (unsigned long)e->writable);
		break;
	case PTCP_SCRIPT_EXPECT_DEADLINE:
		sb_str(b, "= deadline ");
		if (e->deadline == PTCP_SCRIPT_DEADLINE_NEVER)
			sb_str(b, "never");
		else
			fmt_dur(b, e->deadline);
		break;
	case PTCP_SCRIPT_EXPECT_RET:
		sb_str(b, "= ret ");
		fmt_err_or_num(b, e->ret);
		break;
	default:
		sb_str(b, "?");
		break;
	}
}

int ptcp_script_format_seg(const ptcp_script_seg *g, ptcp_script_dir dir, char *buf, size_t cap)
{
	struct sb b = {0};
	fmt_seg(&b, g, dir == PTCP_SCRIPT_OUT);
	return sb_out(&b, buf, cap);
}

int ptcp_script_format_event(const ptcp_script_event *e, char *buf, size_t cap)
{
	struct sb b = {0};
	fmt_event(&b, e);
	return sb_out(&b, buf, cap);
}

static void fmt_addr(struct sb *b, const ptcp_addr *a, uint16_t port)
{
	if (a->family != 6) {
		sb_printf(b, "%u.%u.%u.%u:%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3],
		          port);
		return;
	}
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a->bytes[2 * i] << 8 | a->bytes[2 * i + 1];
	/* RFC 5952: the longest run (>= 2) of zero groups becomes "::" */
	int best = -1, bestlen = 1;
	for (int i = 0; i < 8;) {
		if (g[i]) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && !g[j])
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j;
	}
	sb_str(b, "[");
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			sb_str(b, "::");
			i += bestlen - 1;
			continue;
		}
		if (i && i != best + bestlen)
			sb_str(b, ":");
		sb_printf(b, "%x", g[i]);
	}
	sb_printf(b, "]:%u", port);
}

static void fmt_script(struct sb *b, const ptcp_script *s)
{
	ptcp_script_config d;
	ptcp_script_config_default(&d);
	sb_str(b, "# ptcp event script v1\n");
	sb_printf(b, "role %s\n", s->role == PTCP_SCRIPT_SERVER ? "server" : "client");
	struct sb c = {0};
	for (int i = 0; i < PTCP_SCRIPT_NFLAGS; i++) {
		uint32_t bit = ptcp_script__flag_bit[i];
		if ((s->cfg.flags & bit) != (d.flags & bit))
			sb_printf(&c, " %s=%d", ptcp_script__flag_name[i],
			          (s->cfg.flags & bit) ? 1 : 0);
	}
	for (unsigned id = 0; id < CFG_COUNT; id++) {
		uint64_t v = ptcp_script__cfg_get(&s->cfg, id);
		if (v == ptcp_script__cfg_get(&d, id))
			continue;
		const struct ptcp_script_cfg_field *f = &ptcp_script__cfg[id];
		sb_printf(&c, " %s=", f->name);
		if (f->type == CFGT_TIME)
			fmt_dur(&c, v);
		else if (f->type == CFGT_WSCALE && v == PTCP_SCRIPT_WSCALE_AUTO)
			sb_str(&c, "auto");
		else if (f->type == CFGT_CC)
			sb_str(&c, ptcp_script__cc_name[v % PTCP_SCRIPT_CC_COUNT]);
		else
			sb_printf(&c, "%llu", (unsigned long long)v);
	}
	if (c.oom)
		b->oom = 1;
	if (c.n) {
		sb_str(b, "config");
		sb_put(b, c.p, c.n);
		sb_str(b, "\n");
	}
	free(c.p);
	sb_printf(b, "isn local=%lu peer=%lu\n", (unsigned long)s->isn_local,
	          (unsigned long)s->isn_peer);
	sb_str(b, "addr local=");
	fmt_addr(b, &s->local_addr, s->local_port);
	sb_str(b, " peer=");
	fmt_addr(b, &s->peer_addr, s->peer_port);
	sb_str(b, "\n");
	for (size_t i = 0; i < s->n && !b->oom; i++) {
		sb_str(b, "+");
		fmt_dur(b, s->ev[i].delta);
		sb_str(b, "\t");
		fmt_event(b, &s->ev[i]);
		sb_str(b, "\n");
	}
}

char *ptcp_script_format_text_alloc(const ptcp_script *s, size_t *len)
{
	struct sb b = {0};
	fmt_script(&b, s);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (len)
		*len = b.n;
	return b.p;
}

int ptcp_script_format_text(const ptcp_script *s, FILE *f)
{
	size_t n;
	char *t = ptcp_script_format_text_alloc(s, &n);
	if (!t)
		return -1;
	size_t w = fwrite(t, 1, n, f);
	free(t);
	return w == n ? 0 : -1;
}

int ptcp_script_error_format(const ptcp_script_error *err, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%s:%u:%u: %s", err->file ? err->file : "<input>", err->line,
	                err->col, err->msg);
}
