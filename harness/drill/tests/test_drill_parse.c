/*
 * Tests of the packetdrill script parser: every upstream script parses (and round-trips through
 * the printer), exact ASTs of handwritten scripts, error positions, and random mutations.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drill.h"

/* ---- Helpers ---------------------------------------------------------------------------- */

static struct ptcp_drill_script *parse_ok(const char *text)
{
	struct ptcp_drill_script *s = NULL;
	struct ptcp_drill_error err;
	if (ptcp_drill_parse_string("t.pkt", text, strlen(text), &s, &err) != 0) {
		char msg[PTCP_DRILL_ERROR_TEXT_MAX];
		ptcp_drill_error_format(&err, msg, sizeof(msg));
		cr_assert_fail("unexpected parse error: %s", msg);
	}
	cr_assert_not_null(s);
	return s;
}

static void parse_err(const char *text, int line, int col, const char *needle)
{
	struct ptcp_drill_script *s = (struct ptcp_drill_script *)1;
	struct ptcp_drill_error err;
	int r = ptcp_drill_parse_string("bad.pkt", text, strlen(text), &s, &err);
	cr_assert_eq(r, -1, "script parsed but should not:\n%s", text);
	cr_assert_null(s);
	char msg[PTCP_DRILL_ERROR_TEXT_MAX];
	ptcp_drill_error_format(&err, msg, sizeof(msg));
	cr_expect_eq(err.line, line, "%s: line %d, want %d", msg, err.line, line);
	cr_expect_eq(err.col, col, "%s: col %d, want %d", msg, err.col, col);
	cr_expect(strstr(err.message, needle) != NULL, "%s: message lacks \"%s\"", msg, needle);
	char want[64];
	snprintf(want, sizeof(want), "bad.pkt:%d:%d: ", line, col);
	cr_expect(strncmp(msg, want, strlen(want)) == 0, "formatted error \"%s\"", msg);
}

static void expect_event_text(const struct ptcp_drill_event *ev, const char *want)
{
	char buf[2048];
	ptcp_drill_format_event(ev, buf, sizeof(buf));
	cr_expect_str_eq(buf, want);
}

static void expect_expr_text(const struct ptcp_drill_expr *e, const char *want)
{
	char buf[1024];
	ptcp_drill_format_expr(e, buf, sizeof(buf));
	cr_expect_str_eq(buf, want);
}

/* The whole script printed normalized, in a malloc'd string. */
static char *script_text(const struct ptcp_drill_script *s)
{
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	cr_assert_eq(ptcp_drill_print_script(f, s), 0);
	long n = ftell(f);
	cr_assert(n >= 0);
	char *buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	rewind(f);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Print, parse the print, print again: both prints must be equal. Returns false with a message
 * in err when the printed text does not parse. */
static bool round_trip(const struct ptcp_drill_script *s, char *why, size_t why_size)
{
	char *a = script_text(s);
	struct ptcp_drill_script *s2 = NULL;
	struct ptcp_drill_error err;
	if (ptcp_drill_parse_string("printed", a, strlen(a), &s2, &err) != 0) {
		char msg[PTCP_DRILL_ERROR_TEXT_MAX];
		ptcp_drill_error_format(&err, msg, sizeof(msg));
		snprintf(why, why_size, "printed script does not parse: %s", msg);
		free(a);
		return false;
	}
	char *b = script_text(s2);
	bool same = strcmp(a, b) == 0 && s2->n_events == s->n_events;
	if (!same)
		snprintf(why, why_size, "print differs after a round trip:\n%s\n---\n%s", a, b);
	free(a);
	free(b);
	ptcp_drill_script_free(s2);
	return same;
}

/* ---- Times ------------------------------------------------------------------------------ */

Test(drill_time, forms)
{
	struct ptcp_drill_script *s = parse_ok("1.5 `a`\n"
	                                       "+0.1 `b`\n"
	                                       "* > . 1:1(0) ack 1\n"
	                                       "0.1~0.2 > . 1:1(0)\n"
	                                       "+.01~+0.0155 > . 1:1(0)\n"
	                                       "7 `c`\n"
	                                       "+0.0000004 `d`\n"
	                                       "+0.0000005 `e`\n");
	cr_assert_eq(s->n_events, 8);
	const struct ptcp_drill_time *t = &s->events[0].time;
	cr_expect_eq(t->kind, PTCP_DRILL_TIME_ABSOLUTE);
	cr_expect_not(t->range);
	cr_expect_eq(t->usecs, 1500000);
	t = &s->events[1].time;
	cr_expect_eq(t->kind, PTCP_DRILL_TIME_RELATIVE);
	cr_expect_eq(t->usecs, 100000);
	cr_expect_eq(s->events[2].time.kind, PTCP_DRILL_TIME_ANY);
	t = &s->events[3].time;
	cr_expect_eq(t->kind, PTCP_DRILL_TIME_ABSOLUTE);
	cr_expect(t->range);
	cr_expect_eq(t->usecs, 100000);
	cr_expect_eq(t->end_usecs, 200000);
	t = &s->events[4].time;
	cr_expect_eq(t->kind, PTCP_DRILL_TIME_RELATIVE);
	cr_expect(t->range);
	cr_expect_eq(t->usecs, 10000);
	cr_expect_eq(t->end_usecs, 15500);
	cr_expect_eq(s->events[5].time.usecs, 7000000);
	cr_expect_eq(s->events[6].time.usecs, 0);
	cr_expect_eq(s->events[7].time.usecs, 1);

	char buf[64];
	ptcp_drill_format_time(&s->events[4].time, buf, sizeof(buf));
	cr_expect_str_eq(buf, "+0.01~+0.0155");
	ptcp_drill_format_time(&s->events[2].time, buf, sizeof(buf));
	cr_expect_str_eq(buf, "*");
	ptcp_drill_format_time(&s->events[3].time, buf, sizeof(buf));
	cr_expect_str_eq(buf, "0.1~0.2");
	cr_expect_eq(s->events[3].line, 4);
	cr_expect_eq(s->events[3].col, 1);
	ptcp_drill_script_free(s);
}

/* ---- Packets ---------------------------------------------------------------------------- */

Test(drill_packet, tcp_everything)
{
	struct ptcp_drill_script *s =
	    parse_ok("// inbound SYN with ECN setup, ports and every option kind\n"
	             "  0.200 < [ect0] 40000 > 8080 SEW 100:100(0) win 65535 "
	             "<mss 1400,sackOK,TS val 7 ecr 0,nop,wscale 9,eol>\n"
	             " +0 > (tos 0x2, ttl 63) SE. 0:0(0) ack 101 win 29200 urg 5 <...>\n"
	             " +0 < P. 101:111(10) ack 1 win 457 <sack 5:9 20:30 40:45,md5 0badc0de,"
	             "FO 00112233aabbccdd,FOEXP,FO,FOEXP TFO_KEY>\n"
	             " +0 > - 1:1(0)\n"
	             " +0 > R. 1:1(0) <FO 1234>\n");
	cr_assert_eq(s->n_events, 5);

	const struct ptcp_drill_event *ev = &s->events[0];
	cr_expect_eq(ev->kind, PTCP_DRILL_EV_PACKET);
	cr_expect_eq(ev->line, 2);
	cr_expect_eq(ev->col, 3);
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	cr_expect_eq(pk->dir, PTCP_DRILL_IN);
	cr_expect_eq(pk->proto, PTCP_DRILL_TCP);
	cr_expect_eq(pk->ip.ecn, PTCP_DRILL_ECN_ECT0);
	cr_expect(pk->has_ports);
	cr_expect_eq(pk->src_port, 40000);
	cr_expect_eq(pk->dst_port, 8080);
	cr_expect_str_eq(pk->flags, "SEW");
	cr_expect_eq(pk->flag_bits,
	             PTCP_DRILL_FLAG_SYN | PTCP_DRILL_FLAG_ECE | PTCP_DRILL_FLAG_CWR);
	cr_expect_eq(pk->seq, 100);
	cr_expect_eq(pk->end, 100);
	cr_expect_eq(pk->len, 0);
	cr_expect_not(pk->has_ack);
	cr_expect(pk->has_win);
	cr_expect_eq(pk->win, 65535);
	cr_expect_eq(pk->options_kind, PTCP_DRILL_OPTIONS_LIST);
	cr_assert_eq(pk->n_options, 6);
	cr_expect_eq(pk->options[0].kind, PTCP_DRILL_OPT_MSS);
	cr_expect_eq(pk->options[0].value, 1400);
	cr_expect_eq(pk->options[1].kind, PTCP_DRILL_OPT_SACK_OK);
	cr_expect_eq(pk->options[2].kind, PTCP_DRILL_OPT_TS);
	cr_expect_eq(pk->options[2].ts_val, 7);
	cr_expect_eq(pk->options[2].ts_ecr, 0);
	cr_expect_eq(pk->options[3].kind, PTCP_DRILL_OPT_NOP);
	cr_expect_eq(pk->options[4].kind, PTCP_DRILL_OPT_WSCALE);
	cr_expect_eq(pk->options[4].value, 9);
	cr_expect_eq(pk->options[5].kind, PTCP_DRILL_OPT_EOL);
	expect_event_text(ev, "0.2 < [ect0] 40000 > 8080 SEW 100:100(0) win 65535 "
	                      "<mss 1400,sackOK,TS val 7 ecr 0,nop,wscale 9,eol>");

	pk = &s->events[1].u.packet;
	cr_expect_eq(pk->dir, PTCP_DRILL_OUT);
	cr_expect(pk->ip.has_tos);
	cr_expect_eq(pk->ip.tos, 2);
	cr_expect(pk->ip.has_ttl);
	cr_expect_eq(pk->ip.ttl, 63);
	cr_expect_eq(pk->ip.ecn, PTCP_DRILL_ECN_UNSPEC);
	cr_expect_str_eq(pk->flags, "SE.");
	cr_expect_eq(pk->flag_bits,
	             PTCP_DRILL_FLAG_SYN | PTCP_DRILL_FLAG_ECE | PTCP_DRILL_FLAG_ACK);
	cr_expect(pk->has_ack);
	cr_expect_eq(pk->ack, 101);
	cr_expect(pk->has_urg);
	cr_expect_eq(pk->urg, 5);
	cr_expect_eq(pk->options_kind, PTCP_DRILL_OPTIONS_ANY);
	expect_event_text(&s->events[1],
	                  "+0 > [tos 0x2, ttl 63] SE. 0:0(0) ack 101 win 29200 urg 5 <...>");

	pk = &s->events[2].u.packet;
	cr_expect_eq(pk->len, 10);
	cr_expect_eq(pk->flag_bits, PTCP_DRILL_FLAG_PSH | PTCP_DRILL_FLAG_ACK);
	cr_assert_eq(pk->n_options, 6);
	cr_expect_eq(pk->options[0].kind, PTCP_DRILL_OPT_SACK);
	cr_assert_eq(pk->options[0].n_sack, 3);
	cr_expect_eq(pk->options[0].sack[0].left, 5);
	cr_expect_eq(pk->options[0].sack[0].right, 9);
	cr_expect_eq(pk->options[0].sack[2].left, 40);
	cr_expect_eq(pk->options[0].sack[2].right, 45);
	cr_expect_eq(pk->options[1].kind, PTCP_DRILL_OPT_MD5);
	cr_expect_str_eq(pk->options[1].blob, "0badc0de");
	cr_expect_eq(pk->options[2].kind, PTCP_DRILL_OPT_FO);
	cr_expect_str_eq(pk->options[2].blob, "00112233aabbccdd");
	cr_expect_eq(pk->options[3].kind, PTCP_DRILL_OPT_FO_EXP);
	cr_expect_null(pk->options[3].blob);
	cr_expect_eq(pk->options[4].kind, PTCP_DRILL_OPT_FO);
	cr_expect_null(pk->options[4].blob);
	cr_expect_str_eq(pk->options[5].blob, "TFO_KEY");

	pk = &s->events[3].u.packet;
	cr_expect_str_eq(pk->flags, "-");
	cr_expect_eq(pk->flag_bits, 0);
	cr_expect_eq(pk->options_kind, PTCP_DRILL_OPTIONS_NONE);
	cr_expect_eq(pk->n_options, 0);

	pk = &s->events[4].u.packet;
	cr_expect_eq(pk->flag_bits, PTCP_DRILL_FLAG_RST | PTCP_DRILL_FLAG_ACK);
	cr_expect_str_eq(pk->options[0].blob, "1234");
	ptcp_drill_script_free(s);
}

Test(drill_packet, flags_letters)
{
	struct ptcp_drill_script *s = parse_ok("0 > FSRPUEW. 1:1(0)\n+0 > . 5:5(0)\n");
	cr_expect_eq(s->events[0].u.packet.flag_bits, 0xffu);
	cr_expect_eq(s->events[1].u.packet.flag_bits, PTCP_DRILL_FLAG_ACK);
	cr_expect_str_eq(s->events[1].u.packet.flags, ".");
	ptcp_drill_script_free(s);
}

Test(drill_packet, udp_icmp)
{
	struct ptcp_drill_script *s =
	    parse_ok("0 < udp (64)\n"
	             "+0 > udp 5353 > 53 (12)\n"
	             "+0 < icmp unreachable frag_needed mtu 1280 [1:1001(1000)]\n"
	             "+0 < icmp unreachable port_unreachable [udp (40)]\n"
	             "+0 > icmp echo_reply id 77 [raw (8)]\n"
	             "+0 < [ce] icmp time_exceeded\n"
	             "+0 < icmp unreachable mtu 600\n");
	cr_assert_eq(s->n_events, 7);
	const struct ptcp_drill_packet *pk = &s->events[0].u.packet;
	cr_expect_eq(pk->proto, PTCP_DRILL_UDP);
	cr_expect_eq(pk->len, 64);
	cr_expect_not(pk->has_ports);
	pk = &s->events[1].u.packet;
	cr_expect(pk->has_ports);
	cr_expect_eq(pk->src_port, 5353);
	cr_expect_eq(pk->dst_port, 53);
	cr_expect_eq(pk->len, 12);
	expect_event_text(&s->events[1], "+0 > udp 5353 > 53 (12)");

	pk = &s->events[2].u.packet;
	cr_expect_eq(pk->proto, PTCP_DRILL_ICMP);
	cr_expect_str_eq(pk->icmp_type, "unreachable");
	cr_expect_str_eq(pk->icmp_code, "frag_needed");
	cr_expect(pk->has_mtu);
	cr_expect_eq(pk->mtu, 1280);
	cr_expect_eq(pk->echoed, PTCP_DRILL_ECHOED_TCP);
	cr_expect_eq(pk->echoed_seq, 1);
	cr_expect_eq(pk->echoed_end, 1001);
	cr_expect_eq(pk->echoed_len, 1000);
	expect_event_text(&s->events[2],
	                  "+0 < icmp unreachable frag_needed mtu 1280 [1:1001(1000)]");

	pk = &s->events[3].u.packet;
	cr_expect_eq(pk->echoed, PTCP_DRILL_ECHOED_UDP);
	cr_expect_eq(pk->echoed_len, 40);
	pk = &s->events[4].u.packet;
	cr_expect_eq(pk->dir, PTCP_DRILL_OUT);
	cr_expect(pk->has_icmp_id);
	cr_expect_eq(pk->icmp_id, 77);
	cr_expect_eq(pk->echoed, PTCP_DRILL_ECHOED_RAW);
	cr_expect_eq(pk->echoed_len, 8);
	pk = &s->events[5].u.packet;
	cr_expect_eq(pk->ip.ecn, PTCP_DRILL_ECN_CE);
	cr_expect_null(pk->icmp_code);
	cr_expect_eq(pk->echoed, PTCP_DRILL_ECHOED_NONE);
	pk = &s->events[6].u.packet;
	cr_expect_null(pk->icmp_code);
	cr_expect(pk->has_mtu);
	cr_expect_eq(pk->mtu, 600);
	ptcp_drill_script_free(s);
}

Test(drill_packet, encapsulation)
{
	struct ptcp_drill_script *s = parse_ok(
	    "0 < ipv4 (ttl 9) 198.51.100.1 > 198.51.100.2: gre: S 0:0(0) win 100\n"
	    "+0 > ipv6 2001:db8::1 > fd00::2: mpls (label 16, tc 1, [S], ttl 64): . 1:1(0)\n"
	    "+0 > gre flags 0x2000, sum 0, off 0, key=5, seq 0: . 1:1(0)\n"
	    "+0 > [ect01, flowlabel 0x12345] . 1:1(0)\n"
	    "+0 > [noecn] . 1:1(0)\n");
	const struct ptcp_drill_packet *pk = &s->events[0].u.packet;
	cr_assert_eq(pk->n_layers, 2);
	cr_expect_eq(pk->layers[0].kind, PTCP_DRILL_LAYER_IPV4);
	cr_expect_str_eq(pk->layers[0].src, "198.51.100.1");
	cr_expect_str_eq(pk->layers[0].dst, "198.51.100.2");
	cr_expect(pk->layers[0].ip.has_ttl);
	cr_expect_eq(pk->layers[0].ip.ttl, 9);
	cr_expect_eq(pk->layers[1].kind, PTCP_DRILL_LAYER_GRE);
	cr_expect_not(pk->layers[1].gre_has_header);
	pk = &s->events[1].u.packet;
	cr_assert_eq(pk->n_layers, 2);
	cr_expect_eq(pk->layers[0].kind, PTCP_DRILL_LAYER_IPV6);
	cr_expect_str_eq(pk->layers[0].src, "2001:db8::1");
	cr_expect_str_eq(pk->layers[0].dst, "fd00::2");
	cr_expect_eq(pk->layers[1].kind, PTCP_DRILL_LAYER_MPLS);
	cr_assert_eq(pk->layers[1].n_mpls, 1);
	cr_expect_eq(pk->layers[1].mpls[0].label, 16);
	cr_expect_eq(pk->layers[1].mpls[0].tc, 1);
	cr_expect(pk->layers[1].mpls[0].bottom);
	cr_expect_eq(pk->layers[1].mpls[0].ttl, 64);
	expect_event_text(&s->events[1], "+0 > ipv6 2001:db8::1 > fd00::2: mpls (label 16, tc 1, "
	                                 "[S], ttl 64): . 1:1(0)");
	pk = &s->events[2].u.packet;
	cr_expect(pk->layers[0].gre_has_header);
	cr_expect_eq(pk->layers[0].gre_flags, 0x2000);
	cr_expect_eq(pk->layers[0].gre_key, 5);
	pk = &s->events[3].u.packet;
	cr_expect_eq(pk->ip.ecn, PTCP_DRILL_ECN_ECT01);
	cr_expect(pk->ip.has_flowlabel);
	cr_expect_eq(pk->ip.flowlabel, 0x12345);
	cr_expect_eq(s->events[4].u.packet.ip.ecn, PTCP_DRILL_ECN_NOECN);
	ptcp_drill_script_free(s);
}

/* ---- System calls ----------------------------------------------------------------------- */

Test(drill_syscall, expressions)
{
	struct ptcp_drill_script *s =
	    parse_ok("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	             "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK|0x40) = 0\n"
	             "+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080),\n"
	             "            sin_addr=inet_addr(\"192.0.2.7\")}, 16) = 0\n"
	             "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
	             "+0 write(3, \"abc\" \"def\"..., 6) = 6\n"
	             "+0 sendmsg(3, {msg_name(...)=..., msg_iov(2)=[{..., 10}, {..., 20}], "
	             "msg_flags=0}, 0) = 30\n"
	             "+0 poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n"
	             "+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, "
	             "tcpi_rto=200000}, [104]) = 0\n"
	             "+0 pipe([]) = 0\n"
	             "+0.5...0.75 accept(3, ..., ...) = 4\n"
	             "+0 getpid() = ...\n"
	             "+0 close(3) = 0 (note only)\n");
	cr_assert_eq(s->n_events, 12);

	const struct ptcp_drill_syscall *sc = &s->events[0].u.syscall;
	cr_expect_eq(s->events[0].kind, PTCP_DRILL_EV_SYSCALL);
	cr_expect_str_eq(sc->name, "socket");
	cr_assert_eq(sc->n_args, 3);
	cr_expect_eq(sc->args[0]->kind, PTCP_DRILL_EXPR_ELLIPSIS);
	cr_expect_eq(sc->args[1]->kind, PTCP_DRILL_EXPR_WORD);
	cr_expect_str_eq(sc->args[1]->str, "SOCK_STREAM");
	cr_expect_eq(sc->ret->kind, PTCP_DRILL_EXPR_INT);
	cr_expect_eq(sc->ret->num, 3);
	cr_expect_null(sc->errno_name);
	cr_expect_null(sc->note);
	cr_expect_not(sc->blocking);

	/* O_RDWR|O_NONBLOCK|0x40 is ((O_RDWR|O_NONBLOCK)|0x40) */
	const struct ptcp_drill_expr *e = s->events[1].u.syscall.args[2];
	cr_assert_eq(e->kind, PTCP_DRILL_EXPR_BINARY);
	cr_expect_eq(e->op, '|');
	cr_expect_eq(e->rhs->kind, PTCP_DRILL_EXPR_INT);
	cr_expect(e->rhs->hex);
	cr_expect_eq(e->rhs->num, 0x40);
	cr_assert_eq(e->lhs->kind, PTCP_DRILL_EXPR_BINARY);
	cr_expect_str_eq(e->lhs->lhs->str, "O_RDWR");
	cr_expect_str_eq(e->lhs->rhs->str, "O_NONBLOCK");
	expect_expr_text(e, "O_RDWR|O_NONBLOCK|0x40");

	e = s->events[2].u.syscall.args[1];
	cr_assert_eq(e->kind, PTCP_DRILL_EXPR_STRUCT);
	cr_assert_eq(e->n_items, 3);
	cr_expect_eq(e->items[0]->kind, PTCP_DRILL_EXPR_FIELD);
	cr_expect_str_eq(e->items[0]->str, "sa_family");
	cr_expect_null(e->items[0]->lhs);
	cr_expect_str_eq(e->items[0]->rhs->str, "AF_INET");
	const struct ptcp_drill_expr *port = e->items[1]->rhs;
	cr_assert_eq(port->kind, PTCP_DRILL_EXPR_CALL);
	cr_expect_str_eq(port->str, "htons");
	cr_assert_eq(port->n_items, 1);
	cr_expect_eq(port->items[0]->num, 8080);
	const struct ptcp_drill_expr *addr = e->items[2]->rhs;
	cr_assert_eq(addr->kind, PTCP_DRILL_EXPR_CALL);
	cr_expect_eq(addr->items[0]->kind, PTCP_DRILL_EXPR_STRING);
	cr_expect_str_eq(addr->items[0]->str, "192.0.2.7");
	cr_expect_eq(e->line, 3);
	cr_expect_eq(e->col, 12);
	expect_event_text(&s->events[2], "+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), "
	                                 "sin_addr=inet_addr(\"192.0.2.7\")}, 16) = 0");

	sc = &s->events[3].u.syscall;
	cr_expect_eq(sc->ret->num, -1);
	cr_expect_str_eq(sc->errno_name, "EINPROGRESS");
	cr_expect_str_eq(sc->note, "Operation now in progress");

	e = s->events[4].u.syscall.args[1];
	cr_expect_eq(e->kind, PTCP_DRILL_EXPR_STRING);
	cr_expect_str_eq(e->str, "abcdef");
	cr_expect(e->str_ellipsis);

	e = s->events[5].u.syscall.args[1];
	cr_assert_eq(e->n_items, 3);
	cr_expect_eq(e->items[0]->kind, PTCP_DRILL_EXPR_FIELD);
	cr_expect_str_eq(e->items[0]->str, "msg_name");
	cr_expect_eq(e->items[0]->lhs->kind, PTCP_DRILL_EXPR_ELLIPSIS);
	cr_expect_eq(e->items[0]->rhs->kind, PTCP_DRILL_EXPR_ELLIPSIS);
	cr_expect_str_eq(e->items[1]->str, "msg_iov");
	cr_expect_eq(e->items[1]->lhs->num, 2);
	cr_assert_eq(e->items[1]->rhs->kind, PTCP_DRILL_EXPR_ARRAY);
	cr_assert_eq(e->items[1]->rhs->n_items, 2);
	cr_expect_eq(e->items[1]->rhs->items[1]->kind, PTCP_DRILL_EXPR_STRUCT);
	cr_expect_eq(e->items[1]->rhs->items[1]->items[1]->num, 20);

	e = s->events[6].u.syscall.args[0];
	cr_assert_eq(e->kind, PTCP_DRILL_EXPR_ARRAY);
	expect_expr_text(e, "[{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}]");
	cr_expect_eq(e->items[0]->items[1]->rhs->kind, PTCP_DRILL_EXPR_BINARY);

	expect_expr_text(s->events[7].u.syscall.args[3],
	                 "{tcpi_state=TCP_ESTABLISHED, tcpi_rto=200000}");
	e = s->events[8].u.syscall.args[0];
	cr_expect_eq(e->kind, PTCP_DRILL_EXPR_ARRAY);
	cr_expect_eq(e->n_items, 0);

	sc = &s->events[9].u.syscall;
	cr_expect(sc->blocking);
	cr_expect_eq(sc->end_usecs, 750000);
	cr_expect_eq(s->events[9].time.usecs, 500000);
	expect_event_text(&s->events[9], "+0.5...0.75 accept(3, ..., ...) = 4");

	sc = &s->events[10].u.syscall;
	cr_expect_eq(sc->n_args, 0);
	cr_expect_eq(sc->ret->kind, PTCP_DRILL_EXPR_ELLIPSIS);
	sc = &s->events[11].u.syscall;
	cr_expect_null(sc->errno_name);
	cr_expect_str_eq(sc->note, "note only");
	ptcp_drill_script_free(s);
}

/* ---- Commands, code, options ------------------------------------------------------------ */

Test(drill_script, options_commands_code)
{
	struct ptcp_drill_script *s = parse_ok("/* header\n   comment */\n"
	                                       "--tolerance_usecs=7000\n"
	                                       "--strict_segments // a flag\n"
	                                       "--local_ip=fd::1\n"
	                                       "--label=\"two words\"\n"
	                                       "--define=CC=\"reno\"\n"
	                                       "`echo one \\\n"
	                                       "    two`\n"
	                                       "0 `sysctl -q x=1`\n"
	                                       "+0.1 %{\n"
	                                       "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n"
	                                       "}%\n"
	                                       "+0 %{ print(1) }%\n"
	                                       "`echo cleanup`\n");
	cr_assert_eq(s->n_options, 5);
	cr_expect_str_eq(s->options[0].name, "tolerance_usecs");
	cr_expect_str_eq(s->options[0].value, "7000");
	cr_expect_eq(s->options[0].line, 3);
	cr_expect_str_eq(s->options[1].name, "strict_segments");
	cr_expect_null(s->options[1].value);
	cr_expect_str_eq(s->options[2].value, "fd::1");
	cr_expect_str_eq(s->options[3].value, "two words");
	cr_expect_str_eq(s->options[4].value, "CC=\"reno\"");
	cr_assert_not_null(s->init_command);
	cr_expect_str_eq(s->init_command->text, "echo one \\\n    two");
	cr_expect_eq(s->init_command->line, 8);
	cr_expect_eq(s->init_command->col, 1);
	cr_assert_eq(s->n_events, 3);
	cr_expect_eq(s->events[0].kind, PTCP_DRILL_EV_COMMAND);
	cr_expect_str_eq(s->events[0].u.text, "sysctl -q x=1");
	cr_expect_eq(s->events[0].line, 10);
	cr_expect_eq(s->events[1].kind, PTCP_DRILL_EV_CODE);
	cr_expect_str_eq(s->events[1].u.text, "\nassert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n");
	cr_expect_str_eq(s->events[2].u.text, " print(1) ");
	cr_assert_not_null(s->cleanup_command);
	cr_expect_str_eq(s->cleanup_command->text, "echo cleanup");
	cr_expect_eq(s->cleanup_command->line, 15);
	char why[4096];
	cr_expect(round_trip(s, why, sizeof(why)), "%s", why);
	ptcp_drill_script_free(s);
}

Test(drill_script, no_init_no_cleanup)
{
	struct ptcp_drill_script *s = parse_ok("0 close(3) = 0");
	cr_expect_null(s->init_command);
	cr_expect_null(s->cleanup_command);
	cr_expect_eq(s->n_options, 0);
	cr_expect_eq(s->n_events, 1);
	ptcp_drill_script_free(s);
	ptcp_drill_script_free(NULL);
}

/* ---- Errors ----------------------------------------------------------------------------- */

Test(drill_error, unterminated_string)
{
	parse_err("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	          "+0 open(\"/tmp/f, O_RDONLY) = 4\n"
	          "+0 close(4) = 0\n",
	          2, 9, "unterminated string");
}

Test(drill_error, bad_flag_character)
{
	parse_err("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	          "\n"
	          "  +0.1 < SX 0:0(0) win 1000\n",
	          3, 11, "bad TCP flag character 'X'");
}

Test(drill_error, missing_paren)
{
	parse_err("0 close(3 = 0\n", 1, 11, "expected ',' or ')' in the arguments of close()");
	parse_err("0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4 = 0\n", 1, 50, "found '='");
	parse_err("0 < S 0:0(0 win 100\n", 1, 13, "expected ')' after the payload length");
	parse_err("0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now\n+0 close(3) = 0\n", 2, 1,
	          "expected ')' to close the note");
}

Test(drill_error, bad_time)
{
	parse_err("0 `a`\n+0.1.2 close(3) = 0\n", 2, 2, "malformed number '0.1.2'");
	parse_err("0 `a`\n+x close(3) = 0\n", 2, 2, "expected a time after '+'");
	parse_err("-1 close(3) = 0\n", 1, 1, "negative time");
	parse_err("0 `a`\n+0.2~0.3 > . 1:1(0)\n", 2, 6, "expected '+' after '~'");
	parse_err("0 `a`\n0.3~0.2 > . 1:1(0)\n", 2, 1, "time range is backwards");
	parse_err("0 `a`\n* close(3) = 0\n", 2, 1, "'*' can only be used with outbound");
	parse_err("0 `a`\n+0~+1 < . 1:1(0)\n", 2, 1, "range can only be used with outbound");
}

Test(drill_error, garbage_line)
{
	parse_err("0 close(3) = 0\nthis is not an event\n", 2, 1,
	          "expected an event time (like 0, +0.1, *, 0.1~0.2 or +0~+0.1), found 'this'");
	parse_err("0 close(3) = 0\n  @@@\n", 2, 3, "found '@'");
	parse_err("0 close(3) = 0\n+0 ???\n", 2, 4, "expected a packet");
	parse_err("0 close(3) = 0\n+0 x\x01y\n", 2, 5, "unexpected character 0x01");
}

Test(drill_error, more)
{
	parse_err("", 1, 1, "expected an event");
	parse_err("// only a comment\n", 2, 1, "found end of file");
	parse_err("0 `a`\n/* never closed\n", 2, 1, "unterminated comment");
	parse_err("0 `a\n", 1, 3, "unterminated command");
	parse_err("0 %{ x = 1\n", 1, 3, "unterminated code block");
	parse_err("0 < . 1:1001(10)\n", 1, 7, "inconsistent sequence range");
	parse_err("0 < . 1:1(0) <...>\n", 1, 14, "only be used with outbound");
	parse_err("0 < . 1:1(0) win 65536\n", 1, 18, "window 65536 out of range");
	parse_err("0 < S 0:0(0) <mss 1000,bogus 3>\n", 1, 24, "expected a TCP option");
	parse_err("0 < S 0:0(0) <mss 1000 nop>\n", 1, 24, "expected ',' or '>'");
	parse_err("0 `a`\n`b`\n+0 `c`\n", 2, 1, "expected an event time before the command");
	parse_err("0 close(99999999999999999999) = 0\n", 1, 9, "integer out of range");
	parse_err("0 < [ect01] . 1:1(0)\n", 1, 3, "[ect01] can only be used with outbound");
	parse_err("0 f(((((((((1))))))))) = 0\n", 1, 5, "expected an expression");
	parse_err("0 `a`\n+1000000000000 `b`\n", 2, 2, "time out of range");
	parse_err("0 `a`\n+0 < S 0:0(0) win 1 <mss 70000>\n", 2, 26, "mss 70000 out of range");
}

Test(drill_error, file_missing)
{
	struct ptcp_drill_script *s;
	struct ptcp_drill_error err;
	cr_assert_eq(ptcp_drill_parse_file("/nonexistent/dir/x.pkt", &s, &err), -1);
	cr_expect_null(s);
	cr_expect_eq(err.line, 0);
	cr_expect_str_eq(err.file, "/nonexistent/dir/x.pkt");
}

Test(drill_error, deep_nesting)
{
	char text[4096];
	size_t n = 0;
	n += (size_t)snprintf(text, sizeof(text), "0 f(");
	for (int i = 0; i < 1000; i++)
		text[n++] = '[';
	text[n] = '\0';
	strcat(text, ") = 0\n");
	parse_err(text, 1, 105, "nested too deeply");
}

/* ---- Upstream scripts ------------------------------------------------------------------- */

struct upstream {
	int total;
	int parsed;
	int round_tripped;
	size_t events;
	size_t kinds[4];
};

static void walk(const char *dir, struct upstream *u)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "cannot open %s: %s", dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, u);
			continue;
		}
		size_t n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".pkt") != 0)
			continue;
		u->total++;
		struct ptcp_drill_script *s;
		struct ptcp_drill_error err;
		if (ptcp_drill_parse_file(path, &s, &err) != 0) {
			char msg[PTCP_DRILL_ERROR_TEXT_MAX];
			ptcp_drill_error_format(&err, msg, sizeof(msg));
			cr_expect_fail("%s", msg);
			continue;
		}
		u->parsed++;
		cr_expect_gt(s->n_events, 0, "%s: no events", path);
		u->events += s->n_events;
		for (size_t i = 0; i < s->n_events; i++) {
			const struct ptcp_drill_event *ev = &s->events[i];
			u->kinds[ev->kind]++;
			cr_expect_geq(ev->line, 1);
			if (i > 0)
				cr_expect_geq(ev->line, s->events[i - 1].line,
				              "%s: events out of order", path);
		}
		char why[8192];
		if (round_trip(s, why, sizeof(why)))
			u->round_tripped++;
		else
			cr_expect_fail("%s: %s", path, why);
		ptcp_drill_script_free(s);
	}
	closedir(d);
}

Test(drill_upstream, all_scripts_parse, .timeout = 300)
{
	const char *dir = getenv("PTCP_DRILL_UPSTREAM");
	struct stat st;
	if (dir == NULL || dir[0] == '\0')
		cr_skip_test("PTCP_DRILL_UPSTREAM is not set: no folder of upstream packetdrill "
		             "scripts to parse");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		cr_skip_test("upstream packetdrill scripts not found at %s (%s): skipping", dir,
		             strerror(errno ? errno : ENOTDIR));
	struct upstream u = {0};
	walk(dir, &u);
	cr_log_info("drill: %d of %d upstream scripts parse, %d round-trip; %zu events "
	            "(%zu packets, %zu syscalls, %zu commands, %zu code blocks)",
	            u.parsed, u.total, u.round_tripped, u.events, u.kinds[PTCP_DRILL_EV_PACKET],
	            u.kinds[PTCP_DRILL_EV_SYSCALL], u.kinds[PTCP_DRILL_EV_COMMAND],
	            u.kinds[PTCP_DRILL_EV_CODE]);
	printf("drill: %d of %d upstream scripts parse, %d round-trip, %zu events\n", u.parsed,
	       u.total, u.round_tripped, u.events);
	cr_expect_gt(u.total, 0, "no .pkt files under %s", dir);
	cr_expect_eq(u.parsed, u.total);
	cr_expect_eq(u.round_tripped, u.total);
}

/* ---- Robustness: random mutations ------------------------------------------------------- */

static const char *const seeds[] = {
    "--tolerance_usecs=5000\n"
    "`echo start`\n"
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n"
    "+0 < S 0:0(0) win 29200 <mss 1460,sackOK,TS val 10 ecr 0,nop,wscale 7>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 99 ecr 10,nop,wscale 8>\n"
    "+.02 < . 1:1(0) ack 1 win 229 <nop,nop,TS val 20 ecr 99>\n"
    "+0 accept(3, ..., ...) = 4\n"
    "+0 write(4, ..., 2000) = 2000\n"
    "+0 > P. 1:2001(2000) ack 1 <...>\n"
    "+0.1~+0.2 > P. 1:1001(1000) ack 1\n"
    "* > F. 2001:2001(0) ack 1\n"
    "`echo done`\n",

    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
    "+0 connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.1.2.3\")},"
    " 16) = -1 EINPROGRESS (Operation now in progress)\n"
    "+0 > [ect0] SEW 0:0(0) <mss 1460,FO,nop,nop>\n"
    "+0.01 < [ce] SE. 0:0(0) ack 1 win 5000 <mss 1000,FO 0011223344556677,sack 1:2 3:4>\n"
    "+0...0.5 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0,"
    " msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING,"
    " cmsg_data={scm_sec=0, scm_nsec=0}}]}, 0) = 10\n"
    "+0 < icmp unreachable frag_needed mtu 1200 [1:11(10)]\n"
    "+0 < udp 1 > 2 (30)\n"
    "+0 < ipv4 (ttl 5) 1.2.3.4 > 5.6.7.8: gre: . 1:1(0) win 9\n"
    "+0 > ipv6 fd::1 > fd::2: mpls (label 3, tc 0, [S], ttl 9): R 1:1(0)\n"
    "+0 %{ assert x == 1 }%\n"
    "+0 write(3, \"a\\\"b\"..., 3) = 3\n",

    "--define=CC=\"reno\"\n"
    "--ip_version=ipv6\n"
    "--local_ip=fd::1\n"
    "--quoted=\"a b\"\n"
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "0.1~0.15 > gre flags [key present, checksum present], sum 0, off 0, key 7, seq 1: "
    ". 1:1(0)\n"
    "+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, fd=4}) = 0\n"
    "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
    "+0 > (noecn, flowlabel 0x3) 1000 > 2000 . 1:1(0) ack 1 urg 3 <md5 00aa,TS val 1 ecr 2,eol>\n"
    "+0 < icmp echo_request id 3 [udp (8)]\n"
    "+0 `printf '%s\\n' \"x\"`\n"
    "+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=8}, [1]) = 0 (Look)\n",
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(2685821657736338717);
}

static const char *const dict[] = {
    "<",       ">",    "(",       ")",
    "[",       "]",    "{",       "}",
    ",",       "=",    "|",       "+",
    "*",       "~",    "...",     ".",
    ":",       "\"",   "`",       "%{",
    "}%",      "/*",   "*/",      "//",
    "\n",      " ",    "0",       "-1",
    "0x10",    "1.5",  "1.2.3.4", "fd::",
    "S.",      "ack",  "win",     "urg",
    "mss",     "TS",   "val",     "ecr",
    "FO",      "sack", "icmp",    "udp",
    "ipv4",    "ipv6", "gre",     "mpls",
    "--opt=1", "ttl",  "[ect01]", "99999999999999999999999",
};

static size_t mutate(uint64_t *rng, const char *src, size_t len, char *dst, size_t cap)
{
	size_t n = len < cap ? len : cap;
	memcpy(dst, src, n);
	int edits = 1 + (int)(rng_next(rng) % 3);
	for (int k = 0; k < edits; k++) {
		size_t at = n ? rng_next(rng) % (n + 1) : 0;
		switch (rng_next(rng) % 12) {
		case 0: /* random byte */
			if (at < n)
				dst[at] = (char)(rng_next(rng) & 0xff);
			break;
		case 1: { /* delete a range */
			size_t del = 1 + rng_next(rng) % 16;
			if (at + del > n)
				del = n - at;
			memmove(dst + at, dst + at + del, n - at - del);
			n -= del;
			break;
		}
		case 2: { /* insert a dictionary token */
			const char *w = dict[rng_next(rng) % (sizeof(dict) / sizeof(dict[0]))];
			size_t wl = strlen(w);
			if (n + wl <= cap) {
				memmove(dst + at + wl, dst + at, n - at);
				memcpy(dst + at, w, wl);
				n += wl;
			}
			break;
		}
		case 3: { /* duplicate a range */
			size_t from = n ? rng_next(rng) % n : 0;
			size_t l = 1 + rng_next(rng) % 40;
			if (from + l > n)
				l = n - from;
			if (n + l <= cap) {
				char tmp[64];
				memcpy(tmp, dst + from, l);
				memmove(dst + at + l, dst + at, n - at);
				memcpy(dst + at, tmp, l);
				n += l;
			}
			break;
		}
		case 4: /* truncate */
			n = at;
			break;
		case 5:
		case 6:
		case 7: { /* replace a digit run by another number */
			while (at < n && !(dst[at] >= '0' && dst[at] <= '9'))
				at++;
			if (at < n)
				dst[at] = (char)('0' + rng_next(rng) % 10);
			break;
		}
		case 8:
		case 9: { /* insert a dictionary token after a space */
			while (at < n && dst[at] != ' ')
				at++;
			const char *w = dict[rng_next(rng) % (sizeof(dict) / sizeof(dict[0]))];
			size_t wl = strlen(w);
			if (at < n && n + wl + 1 <= cap) {
				memmove(dst + at + wl + 1, dst + at, n - at);
				memcpy(dst + at + 1, w, wl);
				dst[at] = ' ';
				n += wl + 1;
			}
			break;
		}
		default: /* printable byte */
			if (at < n)
				dst[at] = (char)(0x20 + rng_next(rng) % 95);
			break;
		}
	}
	return n;
}

Test(drill_fuzz, mutations_never_crash, .timeout = 600)
{
	enum { ITERATIONS = 50000, CAP = 4096 };
	uint64_t rng = UINT64_C(0x5eed0fd7111);
	static char buf[CAP];
	int parsed = 0, failed = 0;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct ptcp_drill_script *s = parse_ok(seeds[i]);
		char why[8192];
		cr_assert(round_trip(s, why, sizeof(why)), "seed %zu: %s", i, why);
		ptcp_drill_script_free(s);
	}
	for (int it = 0; it < ITERATIONS; it++) {
		const char *seed = seeds[rng_next(&rng) % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t n = mutate(&rng, seed, strlen(seed), buf, CAP);
		struct ptcp_drill_script *s = NULL;
		struct ptcp_drill_error err;
		/* Not NUL-terminated on purpose: the parser must respect len. */
		char *copy = malloc(n ? n : 1);
		cr_assert_not_null(copy);
		memcpy(copy, buf, n);
		if (ptcp_drill_parse_string("m.pkt", copy, n, &s, &err) == 0) {
			parsed++;
			cr_assert_gt(s->n_events, 0);
			char why[8192];
			if (!round_trip(s, why, sizeof(why)))
				cr_assert_fail("iteration %d: %s\ninput:\n%.*s", it, why, (int)n,
				               buf);
			ptcp_drill_script_free(s);
		} else {
			failed++;
			cr_assert_null(s);
			cr_assert_geq(err.line, 1, "iteration %d: %s", it, err.message);
			cr_assert_geq(err.col, 1, "iteration %d: %s", it, err.message);
			cr_assert_neq(err.message[0], '\0');
		}
		free(copy);
	}
	cr_log_info("drill fuzz: %d mutations parsed, %d rejected", parsed, failed);
}
