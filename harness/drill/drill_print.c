/*
 * drill_print.c - normalized text of parsed packetdrill scripts. The output parses back to the
 * same AST (the tests check this round trip on every upstream script).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_internal.h"

/* snprintf-like output: len counts everything, even what did not fit. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *dst = NULL;
	size_t room = 0;
	if (o->len < o->size) {
		dst = o->buf + o->len;
		room = o->size - o->len;
	}
	va_start(ap, fmt);
	int n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static int finish(struct out *o)
{
	if (o->size > 0 && o->len >= o->size)
		o->buf[o->size - 1] = '\0';
	return o->len > (size_t)2147483647 ? 2147483647 : (int)o->len;
}

static void put_usecs(struct out *o, int64_t usecs)
{
	int64_t s = usecs / 1000000, us = usecs % 1000000;
	if (us == 0) {
		put(o, "%" PRId64, s);
		return;
	}
	char frac[8];
	snprintf(frac, sizeof(frac), "%06" PRId64, us);
	size_t n = strlen(frac);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	put(o, "%" PRId64 ".%s", s, frac);
}

int ptcp_drill_format_usecs(int64_t usecs, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	put_usecs(&o, usecs);
	return finish(&o);
}

static void put_time(struct out *o, const struct ptcp_drill_time *t)
{
	const char *plus = t->kind == PTCP_DRILL_TIME_RELATIVE ? "+" : "";
	if (t->kind == PTCP_DRILL_TIME_ANY) {
		put(o, "*");
		return;
	}
	put(o, "%s", plus);
	put_usecs(o, t->usecs);
	if (t->range) {
		put(o, "~%s", plus);
		put_usecs(o, t->end_usecs);
	}
}

int ptcp_drill_format_time(const struct ptcp_drill_time *t, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	put_time(&o, t);
	return finish(&o);
}

static void put_expr(struct out *o, const struct ptcp_drill_expr *e);

static void put_items(struct out *o, struct ptcp_drill_expr *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(o, ", ");
		put_expr(o, items[i]);
	}
}

static void put_expr(struct out *o, const struct ptcp_drill_expr *e)
{
	if (e == NULL) {
		put(o, "<null>");
		return;
	}
	switch (e->kind) {
	case PTCP_DRILL_EXPR_INT:
		if (e->hex)
			put(o, "0x%" PRIx64, (uint64_t)e->num);
		else
			put(o, "%" PRId64, e->num);
		break;
	case PTCP_DRILL_EXPR_ELLIPSIS:
		put(o, "...");
		break;
	case PTCP_DRILL_EXPR_WORD:
		put(o, "%s", e->str);
		break;
	case PTCP_DRILL_EXPR_STRING:
		put(o, "\"%s\"%s", e->str, e->str_ellipsis ? "..." : "");
		break;
	case PTCP_DRILL_EXPR_BINARY:
		put_expr(o, e->lhs);
		put(o, "%c", e->op);
		put_expr(o, e->rhs);
		break;
	case PTCP_DRILL_EXPR_ARRAY:
		put(o, "[");
		put_items(o, e->items, e->n_items);
		put(o, "]");
		break;
	case PTCP_DRILL_EXPR_STRUCT:
		put(o, "{");
		put_items(o, e->items, e->n_items);
		put(o, "}");
		break;
	case PTCP_DRILL_EXPR_FIELD:
		put(o, "%s", e->str);
		if (e->lhs != NULL) {
			put(o, "(");
			put_expr(o, e->lhs);
			put(o, ")");
		}
		put(o, "=");
		put_expr(o, e->rhs);
		break;
	case PTCP_DRILL_EXPR_CALL:
		put(o, "%s(", e->str);
		put_items(o, e->items, e->n_items);
		put(o, ")");
		break;
	}
}

int ptcp_drill_format_expr(const struct ptcp_drill_expr *e, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	put_expr(&o, e);
	return finish(&o);
}

static void put_ip_info(struct out *o, const struct ptcp_drill_ip_info *ip)
{
	static const char *const ecn[] = {"", "noecn", "ect0", "ect1", "ce", "ect01"};
	const char *sep = "";
	if (ip->ecn == PTCP_DRILL_ECN_UNSPEC && !ip->has_tos && !ip->has_flowlabel && !ip->has_ttl)
		return;
	put(o, " [");
	if (ip->ecn != PTCP_DRILL_ECN_UNSPEC && (unsigned)ip->ecn < sizeof(ecn) / sizeof(ecn[0])) {
		put(o, "%s", ecn[ip->ecn]);
		sep = ", ";
	}
	if (ip->has_tos) {
		put(o, "%stos 0x%x", sep, (unsigned)ip->tos);
		sep = ", ";
	}
	if (ip->has_flowlabel) {
		put(o, "%sflowlabel 0x%x", sep, (unsigned)ip->flowlabel);
		sep = ", ";
	}
	if (ip->has_ttl)
		put(o, "%sttl %u", sep, (unsigned)ip->ttl);
	put(o, "]");
}

static void put_layer(struct out *o, const struct ptcp_drill_layer *l)
{
	switch (l->kind) {
	case PTCP_DRILL_LAYER_IPV4:
	case PTCP_DRILL_LAYER_IPV6:
		put(o, " %s", l->kind == PTCP_DRILL_LAYER_IPV4 ? "ipv4" : "ipv6");
		put_ip_info(o, &l->ip);
		/* A space keeps a final ':' of the address ("fd::") apart from the separator. */
		put(o, " %s > %s%s:", l->src, l->dst,
		    l->dst[0] != '\0' && l->dst[strlen(l->dst) - 1] == ':' ? " " : "");
		break;
	case PTCP_DRILL_LAYER_GRE:
		put(o, " gre");
		if (l->gre_has_header)
			put(o, " flags 0x%x, sum %u, off %u, key %u, seq %u",
			    (unsigned)l->gre_flags, (unsigned)l->gre_sum, (unsigned)l->gre_off,
			    (unsigned)l->gre_key, (unsigned)l->gre_seq);
		put(o, ":");
		break;
	case PTCP_DRILL_LAYER_MPLS:
		put(o, " mpls");
		for (size_t i = 0; i < l->n_mpls; i++) {
			const struct ptcp_drill_mpls_entry *m = &l->mpls[i];
			put(o, " (label %u, tc %u, %sttl %u)", (unsigned)m->label, (unsigned)m->tc,
			    m->bottom ? "[S], " : "", (unsigned)m->ttl);
		}
		put(o, ":");
		break;
	}
}

static void put_tcp_option(struct out *o, const struct ptcp_drill_tcp_option *t)
{
	switch (t->kind) {
	case PTCP_DRILL_OPT_NOP:
		put(o, "nop");
		break;
	case PTCP_DRILL_OPT_EOL:
		put(o, "eol");
		break;
	case PTCP_DRILL_OPT_MSS:
		put(o, "mss %u", (unsigned)t->value);
		break;
	case PTCP_DRILL_OPT_WSCALE:
		put(o, "wscale %u", (unsigned)t->value);
		break;
	case PTCP_DRILL_OPT_SACK_OK:
		put(o, "sackOK");
		break;
	case PTCP_DRILL_OPT_SACK:
		put(o, "sack");
		for (size_t i = 0; i < t->n_sack; i++)
			put(o, " %u:%u", (unsigned)t->sack[i].left, (unsigned)t->sack[i].right);
		break;
	case PTCP_DRILL_OPT_TS:
		put(o, "TS val %u ecr %u", (unsigned)t->ts_val, (unsigned)t->ts_ecr);
		break;
	case PTCP_DRILL_OPT_MD5:
		put(o, "md5 %s", t->blob);
		break;
	case PTCP_DRILL_OPT_FO:
	case PTCP_DRILL_OPT_FO_EXP:
		put(o, "%s", t->kind == PTCP_DRILL_OPT_FO ? "FO" : "FOEXP");
		if (t->blob != NULL)
			put(o, " %s", t->blob);
		break;
	}
}

static void put_packet(struct out *o, const struct ptcp_drill_packet *pk)
{
	put(o, "%c", pk->dir == PTCP_DRILL_IN ? '<' : '>');
	for (size_t i = 0; i < pk->n_layers; i++)
		put_layer(o, &pk->layers[i]);
	put_ip_info(o, &pk->ip);
	if (pk->proto == PTCP_DRILL_UDP)
		put(o, " udp");
	if (pk->has_ports)
		put(o, " %u > %u", (unsigned)pk->src_port, (unsigned)pk->dst_port);
	switch (pk->proto) {
	case PTCP_DRILL_TCP:
		put(o, " %s %u:%u(%u)", pk->flags, (unsigned)pk->seq, (unsigned)pk->end,
		    (unsigned)pk->len);
		if (pk->has_ack)
			put(o, " ack %u", (unsigned)pk->ack);
		if (pk->has_win)
			put(o, " win %u", (unsigned)pk->win);
		if (pk->has_urg)
			put(o, " urg %u", (unsigned)pk->urg);
		if (pk->options_kind == PTCP_DRILL_OPTIONS_ANY) {
			put(o, " <...>");
		} else if (pk->options_kind == PTCP_DRILL_OPTIONS_LIST) {
			put(o, " <");
			for (size_t i = 0; i < pk->n_options; i++) {
				if (i)
					put(o, ",");
				put_tcp_option(o, &pk->options[i]);
			}
			put(o, ">");
		}
		break;
	case PTCP_DRILL_UDP:
		put(o, " (%u)", (unsigned)pk->len);
		break;
	case PTCP_DRILL_ICMP:
		put(o, " icmp %s", pk->icmp_type);
		if (pk->icmp_code != NULL)
			put(o, " %s", pk->icmp_code);
		if (pk->has_mtu)
			put(o, " mtu %u", (unsigned)pk->mtu);
		if (pk->has_icmp_id)
			put(o, " id %u", (unsigned)pk->icmp_id);
		switch (pk->echoed) {
		case PTCP_DRILL_ECHOED_NONE:
			break;
		case PTCP_DRILL_ECHOED_TCP:
			put(o, " [%u:%u(%u)]", (unsigned)pk->echoed_seq, (unsigned)pk->echoed_end,
			    (unsigned)pk->echoed_len);
			break;
		case PTCP_DRILL_ECHOED_UDP:
		case PTCP_DRILL_ECHOED_RAW:
			put(o, " [%s (%u)]", pk->echoed == PTCP_DRILL_ECHOED_UDP ? "udp" : "raw",
			    (unsigned)pk->echoed_len);
			break;
		}
		break;
	}
}

static void put_syscall(struct out *o, const struct ptcp_drill_syscall *sc)
{
	if (sc->blocking) {
		put(o, "...");
		put_usecs(o, sc->end_usecs);
		put(o, " ");
	}
	put(o, "%s(", sc->name);
	put_items(o, sc->args, sc->n_args);
	put(o, ") = ");
	put_expr(o, sc->ret);
	if (sc->errno_name != NULL)
		put(o, " %s", sc->errno_name);
	if (sc->note != NULL)
		put(o, " (%s)", sc->note);
}

int ptcp_drill_format_event(const struct ptcp_drill_event *ev, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	put_time(&o, &ev->time);
	/* "+0...0.011 connect(...)": the end time sticks to the start time. */
	if (ev->kind != PTCP_DRILL_EV_SYSCALL || !ev->u.syscall.blocking)
		put(&o, " ");
	switch (ev->kind) {
	case PTCP_DRILL_EV_PACKET:
		put_packet(&o, &ev->u.packet);
		break;
	case PTCP_DRILL_EV_SYSCALL:
		put_syscall(&o, &ev->u.syscall);
		break;
	case PTCP_DRILL_EV_COMMAND:
		put(&o, "`%s`", ev->u.text);
		break;
	case PTCP_DRILL_EV_CODE:
		put(&o, "%%{%s}%%", ev->u.text);
		break;
	}
	return finish(&o);
}

/* Format into a stack buffer, or a heap one for long events (code blocks). */
static int print_event(FILE *f, const struct ptcp_drill_event *ev)
{
	char small[1024];
	int n = ptcp_drill_format_event(ev, small, sizeof(small));
	if ((size_t)n < sizeof(small))
		return fprintf(f, "%s\n", small) < 0 ? -1 : 0;
	char *big = malloc((size_t)n + 1);
	if (big == NULL)
		return -1;
	ptcp_drill_format_event(ev, big, (size_t)n + 1);
	int r = fprintf(f, "%s\n", big) < 0 ? -1 : 0;
	free(big);
	return r;
}

int ptcp_drill_print_script(FILE *f, const struct ptcp_drill_script *s)
{
	int r = 0;
	for (size_t i = 0; i < s->n_options; i++) {
		const struct ptcp_drill_option *opt = &s->options[i];
		if (opt->value == NULL)
			r |= fprintf(f, "--%s\n", opt->name) < 0;
		else if (opt->value_quoted)
			r |= fprintf(f, "--%s=\"%s\"\n", opt->name, opt->value) < 0;
		else
			r |= fprintf(f, "--%s=%s\n", opt->name, opt->value) < 0;
	}
	if (s->init_command != NULL)
		r |= fprintf(f, "`%s`\n", s->init_command->text) < 0;
	for (size_t i = 0; i < s->n_events; i++)
		r |= print_event(f, &s->events[i]) != 0;
	if (s->cleanup_command != NULL)
		r |= fprintf(f, "`%s`\n", s->cleanup_command->text) < 0;
	return r ? -1 : 0;
}

const char *ptcp_drill_event_kind_name(enum ptcp_drill_event_kind kind)
{
	switch (kind) {
	case PTCP_DRILL_EV_PACKET:
		return "packet";
	case PTCP_DRILL_EV_SYSCALL:
		return "syscall";
	case PTCP_DRILL_EV_COMMAND:
		return "command";
	case PTCP_DRILL_EV_CODE:
		return "code";
	}
	return "?";
}

const char *ptcp_drill_expr_kind_name(enum ptcp_drill_expr_kind kind)
{
	switch (kind) {
	case PTCP_DRILL_EXPR_INT:
		return "int";
	case PTCP_DRILL_EXPR_ELLIPSIS:
		return "ellipsis";
	case PTCP_DRILL_EXPR_WORD:
		return "word";
	case PTCP_DRILL_EXPR_STRING:
		return "string";
	case PTCP_DRILL_EXPR_BINARY:
		return "binary";
	case PTCP_DRILL_EXPR_ARRAY:
		return "array";
	case PTCP_DRILL_EXPR_STRUCT:
		return "struct";
	case PTCP_DRILL_EXPR_FIELD:
		return "field";
	case PTCP_DRILL_EXPR_CALL:
		return "call";
	}
	return "?";
}
