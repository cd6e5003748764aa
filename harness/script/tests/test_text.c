/* Event scripts, text form: examples, identities, errors. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "script.h"

static const char *const examples[] = {"client.txt", "server.txt", "malformed.txt"};
#define NEXAMPLES (sizeof examples / sizeof examples[0])

static void load_example(const char *name, ptcp_script *s)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", SCRIPT_EXAMPLES, name);
	size_t len;
	char *text = gen_read_file(path, &len);
	cr_assert(text, "cannot read %s", path);
	ptcp_script_error err;
	int r = ptcp_script_parse_text(path, text, len, s, &err);
	char msg[512];
	ptcp_script_error_format(&err, msg, sizeof msg);
	cr_assert_eq(r, 0, "%s", msg);
	free(text);
}

static int parse_str(const char *text, ptcp_script *s, ptcp_script_error *err)
{
	return ptcp_script_parse_text("t.txt", text, strlen(text), s, err);
}

/* format -> parse == s, encode -> decode == s, and the text is stable. */
static void check_identities(const ptcp_script *s, const char *what)
{
	char why[256];
	cr_assert_eq(ptcp_script_validate(s, why, sizeof why), 0, "%s: invalid: %s", what, why);
	size_t n1;
	char *t1 = ptcp_script_format_text_alloc(s, &n1);
	cr_assert(t1);
	ptcp_script a;
	ptcp_script_error err;
	int r = ptcp_script_parse_text("fmt", t1, n1, &a, &err);
	char msg[512];
	ptcp_script_error_format(&err, msg, sizeof msg);
	cr_assert_eq(r, 0, "%s: formatted text does not parse: %s\n%s", what, msg, t1);
	cr_assert_eq(ptcp_script_compare(s, &a, why, sizeof why), 0, "%s: format/parse: %s\n%s",
	             what, why, t1);
	/* text -> binary -> scenario -> text */
	uint8_t *bin;
	size_t blen;
	cr_assert_eq(ptcp_script_encode_binary(&a, &bin, &blen), 0);
	ptcp_script b;
	cr_assert_eq(ptcp_script_decode_binary(bin, blen, &b), 0);
	cr_assert_eq(ptcp_script_compare(&a, &b, why, sizeof why), 0, "%s: bin: %s\n%s", what, why,
	             t1);
	size_t n2;
	char *t2 = ptcp_script_format_text_alloc(&b, &n2);
	cr_assert(t2);
	cr_assert(n1 == n2 && memcmp(t1, t2, n1) == 0, "%s: text differs\n%s\n---\n%s", what, t1,
	          t2);
	free(bin);
	free(t1);
	free(t2);
	ptcp_script_free(&a);
	ptcp_script_free(&b);
}

Test(script_text, examples_parse)
{
	for (size_t i = 0; i < NEXAMPLES; i++) {
		ptcp_script s;
		load_example(examples[i], &s);
		cr_assert_gt(s.n, 10, "%s: %zu events", examples[i], s.n);
		check_identities(&s, examples[i]);
		ptcp_script_free(&s);
	}
}

Test(script_text, client_example_fields)
{
	ptcp_script s;
	load_example("client.txt", &s);
	cr_assert_eq(s.role, PTCP_SCRIPT_CLIENT);
	cr_assert_eq(s.isn_local, 1000);
	cr_assert_eq(s.isn_peer, 5000);
	cr_assert_eq(s.cfg.wscale, 7);
	cr_assert_eq(s.cfg.rto_min, PTCP_MS(200));
	cr_assert_eq(s.local_port, 40000);
	cr_assert_eq(s.peer_addr.bytes[3], 2);
	cr_assert_eq(s.ev[0].kind, PTCP_SCRIPT_CONNECT);
	cr_assert_eq(s.ev[0].line, 9);
	const ptcp_script_event *syn = &s.ev[3];
	cr_assert_eq(syn->kind, PTCP_SCRIPT_EXPECT_SEG);
	cr_assert_eq(syn->seg.flags, PTCP_SYN);
	cr_assert_eq(syn->seg.win, 65535);
	static const uint8_t synopt[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
	                                 0, 0, 0,    0,    0, 0, 1, 3,  3, 7};
	cr_assert_eq(syn->seg.opt_len, sizeof synopt);
	cr_assert_eq(memcmp(syn->seg.opt, synopt, sizeof synopt), 0);
	const ptcp_script_event *synack = &s.ev[5];
	cr_assert_eq(synack->kind, PTCP_SCRIPT_SEGMENT);
	cr_assert_eq(synack->delta, PTCP_MS(10));
	cr_assert_eq(synack->seg.flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(synack->seg.ack, 1);
	ptcp_script_free(&s);
}

Test(script_text, random_identity)
{
	gen_rng r = {0x5eed0001};
	for (int i = 0; i < 2500; i++) {
		ptcp_script s;
		cr_assert_eq(gen_scenario(&r, &s, 40), 0);
		char what[32];
		snprintf(what, sizeof what, "random #%d", i);
		check_identities(&s, what);
		ptcp_script_free(&s);
	}
}

/* All 32 bits of the configuration flags: by name and as flags=N; formatted by name. */
Test(script_text, config_flags_32)
{
	ptcp_script s, b;
	char why[256];
	const char *t = "config prr=0 prr_linux=1 delivered=1 rack=1 cork=1 rst_keep_data=1 "
	                "no_fastpath=1 ack_unsent_silent=1 closed_data_rst_reply=1 "
	                "zwp_no_data=1 abort_rst_ack=1 icmp_synrecv_hard=1 ts=0\n+0 connect\n";
	cr_assert_eq(parse_str(t, &s, NULL), 0);
	cr_assert_eq(s.cfg.flags, (PTCP_SCRIPT_CFG_FLAGS_DEFAULT &
	                           ~(uint32_t)(PTCP_CFG_TIMESTAMPS | PTCP_CFG_PRR)) |
	                              PTCP_CFG_PRR_LINUX | PTCP_CFG_DELIVERED | PTCP_CFG_RACK |
	                              PTCP_CFG_CORK | PTCP_CFG_RST_KEEP_DATA |
	                              PTCP_CFG_NO_FASTPATH | PTCP_CFG_ACK_UNSENT_SILENT |
	                              PTCP_CFG_CLOSED_DATA_RST_REPLY | PTCP_CFG_ZWP_NO_DATA |
	                              PTCP_CFG_ABORT_RST_ACK | PTCP_CFG_ICMP_SYNRECV_HARD);
	check_identities(&s, "flags by name");
	size_t n;
	char *f = ptcp_script_format_text_alloc(&s, &n);
	cr_assert(f);
	cr_assert(strstr(f, " prr=0") && strstr(f, " zwp_no_data=1") && strstr(f, " ts=0"), "%s",
	          f);
	free(f);
	/* flags=N sets every bit at once; later keys still apply */
	cr_assert_eq(parse_str("config flags=0x3807 sack=0\n+0 connect\n", &b, NULL), 0);
	cr_assert_eq(b.cfg.flags, PTCP_CFG_TIMESTAMPS | PTCP_CFG_WSCALE | PTCP_CFG_PRR |
	                              PTCP_CFG_PRR_LINUX | PTCP_CFG_DELIVERED);
	check_identities(&b, "flags=N");
	ptcp_script_free(&b);
	cr_assert_eq(parse_str("config flags=0\n+0 connect\n", &b, NULL), 0);
	cr_assert_eq(b.cfg.flags, 0);
	cr_assert_neq(ptcp_script_compare(&s, &b, why, sizeof why), 0);
	ptcp_script_free(&b);
	ptcp_script_free(&s);
}

Test(script_text, header_defaults)
{
	ptcp_script s;
	cr_assert_eq(parse_str("", &s, NULL), 0);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(s.cfg.mss, 1460);
	cr_assert_eq(s.local_port, 40000);
	cr_assert_eq(s.peer_port, 80);
	ptcp_script_free(&s);
	cr_assert_eq(parse_str("role server\n+0 listen\n", &s, NULL), 0);
	cr_assert_eq(s.local_port, 80);
	cr_assert_eq(s.peer_port, 40000);
	cr_assert_eq(s.local_addr.bytes[0], 10);
	ptcp_script_free(&s);
}

Test(script_text, segment_fields)
{
	ptcp_script s;
	ptcp_script_error err;
	const char *t = "isn local=100 peer=200\n"
	                "+1.5ms < SEWP. 4294967295:9(10) ack 7 win 512 urg 3 "
	                "<sack 1:2 4294967295:0,FO,FOEXP 01,opt 200,raw 0102> ecn=ect0 res=9 "
	                "sport=1 payload=00010203040506070809\n"
	                "+0.25 > . *:*(*) ack * win * <*>\n"
	                "> none 5:*(*) win 0\n";
	int r = parse_str(t, &s, &err);
	cr_assert_eq(r, 0, "%u:%u %s", err.line, err.col, err.msg);
	cr_assert_eq(s.n, 3);
	const ptcp_script_seg *g = &s.ev[0].seg;
	cr_assert_eq(s.ev[0].delta, 1500);
	cr_assert_eq(g->flags, PTCP_SYN | PTCP_ECE | PTCP_CWR | PTCP_PSH | PTCP_ACK);
	cr_assert_eq(g->seq, 4294967295u);
	cr_assert_eq(g->len, 10);
	cr_assert_eq(g->ack, 7);
	cr_assert_eq(g->urp, 3);
	cr_assert_eq(g->ecn, PTCP_SCRIPT_ECN_ECT0);
	cr_assert_eq(g->reserved, 9);
	cr_assert_eq(g->has_ports, 1);
	cr_assert_eq(g->sport, 1);
	cr_assert_eq(g->dport, 40000);
	static const uint8_t opt[] = {5,    18,   0,    0,    0, 1,   0, 0, 0,  2,
	                              0xff, 0xff, 0xff, 0xff, 0, 0,   0, 0, 34, 2,
	                              254,  5,    0xf9, 0x89, 1, 200, 2, 1, 2};
	cr_assert_eq(g->opt_len, sizeof opt);
	cr_assert_eq(memcmp(g->opt, opt, sizeof opt), 0);
	cr_assert(g->payload && g->payload[9] == 9);
	cr_assert_eq(s.ev[1].delta, 250000);
	cr_assert_eq(s.ev[1].seg.wild, PTCP_SCRIPT_WILD_ALL);
	cr_assert_eq(s.ev[2].seg.wild, PTCP_SCRIPT_WILD_LEN);
	cr_assert_eq(s.ev[2].seg.seq, 5);
	char line[256];
	ptcp_script_format_event(&s.ev[0], line, sizeof line);
	cr_assert_str_eq(line,
	                 "< SP.EW 4294967295:9(10) ack 7 win 512 urg 3 <sack 1:2 4294967295:0,"
	                 "FO,FOEXP 01,opt 200,nop,raw 02> ecn=ect0 res=9 sport=1 dport=40000 "
	                 "payload=00010203040506070809");
	ptcp_script_format_event(&s.ev[1], line, sizeof line);
	cr_assert_str_eq(line, "> . *:*(*) ack * win * <*>");
	check_identities(&s, "segment_fields");
	ptcp_script_free(&s);
}

Test(script_text, other_events)
{
	ptcp_script s;
	ptcp_script_error err;
	const char *t = "addr local=[::]:1 peer=[2001:db8::ff:0:1]:65535\n"
	                "config ts=0 ws=0 sack=0 nodelay=1 wscale=0 start=1.000001 msl=2ms\n"
	                "+0 icmp frag-needed mtu=1200 seq=1\n"
	                "send 10 more\nsend payload=ff\nread 5 discard\nshutdown rdwr\n"
	                "listen any\nraw\n"
	                "= state TIME-WAIT\n= state closed -> syn-sent\n"
	                "= event reset ECONNRESET\n= event error -20\n"
	                "= readable 4294967295\n= writable 0\n= deadline never\n= deadline 1\n"
	                "= ret -2147483648\n= ret EAGAIN\n= ret 2147483647\n";
	int r = parse_str(t, &s, &err);
	cr_assert_eq(r, 0, "%u:%u %s", err.line, err.col, err.msg);
	cr_assert_eq(s.local_addr.family, 6);
	cr_assert_eq(s.peer_addr.bytes[0], 0x20);
	cr_assert_eq(s.peer_addr.bytes[11], 0xff);
	cr_assert_eq(s.peer_addr.bytes[15], 1);
	cr_assert_eq(s.cfg.flags, PTCP_CFG_NODELAY | PTCP_CFG_SS_IDLE | PTCP_CFG_LIMITED_TX |
	                              PTCP_CFG_TLP | PTCP_CFG_RACK | PTCP_CFG_PRR);
	cr_assert_eq(s.cfg.start, 1000001);
	cr_assert_eq(s.cfg.msl, 2000);
	cr_assert_eq(s.ev[0].icmp.type, PTCP_ICMP_FRAG_NEEDED);
	cr_assert_eq(s.ev[0].icmp.mtu, 1200);
	cr_assert_eq(s.ev[1].send.more, 1);
	cr_assert_eq(s.ev[2].send.len, 1);
	cr_assert_eq(s.ev[3].read.discard, 1);
	cr_assert_eq(s.ev[4].shutdown.how, PTCP_SHUT_RDWR);
	cr_assert_eq(s.ev[5].listen.any, 1);
	cr_assert_eq(s.ev[6].raw.len, 0);
	cr_assert_eq(s.ev[7].state.from, PTCP_SCRIPT_STATE_ANY);
	cr_assert_eq(s.ev[7].state.to, PTCP_TIME_WAIT);
	cr_assert_eq(s.ev[8].state.from, PTCP_CLOSED);
	cr_assert_eq(s.ev[9].event.err, PTCP_ECONNRESET);
	cr_assert_eq(s.ev[10].event.err, PTCP_EUNREACH);
	cr_assert_eq(s.ev[11].readable, 4294967295u);
	cr_assert_eq(s.ev[13].deadline, PTCP_SCRIPT_DEADLINE_NEVER);
	cr_assert_eq(s.ev[14].deadline, 1000000);
	cr_assert_eq(s.ev[15].ret, INT32_MIN);
	cr_assert_eq(s.ev[16].ret, PTCP_EAGAIN);
	check_identities(&s, "other_events");
	char *txt = ptcp_script_format_text_alloc(&s, NULL);
	cr_assert(strstr(txt, "addr local=[::]:1 peer=[2001:db8::ff:0:1]:65535\n"), "%s", txt);
	cr_assert(
	    strstr(txt, "config ts=0 ws=0 sack=0 nodelay=1 wscale=0 msl=2ms start=1000001us\n"),
	    "%s", txt);
	free(txt);
	ptcp_script_free(&s);
}

Test(script_text, setopt_and_fast_open_connect)
{
	ptcp_script s;
	ptcp_script_error err;
	ptcp_input in;
	_Alignas(ptcp_config) uint8_t buf[512];
	const char *t = "connect tfo cookie=0102030405060708 mss=1400 data=100\n"
	                "connect tfo\nconnect data=7\nconnect\n"
	                "setopt nodelay cork keepalive_idle=2s keepalive_intvl=75ms "
	                "keepalive_cnt=9 user_timeout=30s delack=40ms challenge=1000\n"
	                "setopt\n";
	int r = parse_str(t, &s, &err);
	cr_assert_eq(r, 0, "%u:%u %s", err.line, err.col, err.msg);
	cr_assert_eq(s.n, 6);
	cr_assert_eq(s.ev[0].connect.tfo, 1);
	cr_assert_eq(s.ev[0].connect.tfo_len, 8);
	cr_assert_eq(s.ev[0].connect.tfo_cookie[7], 8);
	cr_assert_eq(s.ev[0].connect.tfo_mss, 1400);
	cr_assert_eq(s.ev[0].connect.len, 100);
	cr_assert_eq(s.ev[1].connect.tfo, 1);
	cr_assert_eq(s.ev[1].connect.tfo_len, 0);
	cr_assert_eq(s.ev[2].connect.tfo, 0);
	cr_assert_eq(s.ev[2].connect.len, 7);
	cr_assert_eq(s.ev[4].kind, PTCP_SCRIPT_SETOPT);
	cr_assert_eq(s.ev[4].setopt.flags, PTCP_CFG_NODELAY | PTCP_CFG_CORK);
	cr_assert_eq(s.ev[4].setopt.keepalive_idle, 2000000);
	cr_assert_eq(s.ev[4].setopt.keepalive_intvl, 75000);
	cr_assert_eq(s.ev[4].setopt.keepalive_cnt, 9);
	cr_assert_eq(s.ev[4].setopt.user_timeout, 30000000);
	cr_assert_eq(s.ev[4].setopt.delack, 40000);
	cr_assert_eq(s.ev[4].setopt.challenge_ack_limit, 1000);
	cr_assert_eq(s.ev[5].setopt.flags, 0);
	check_identities(&s, "setopt_and_fast_open_connect");
	/* the inputs: cookie and pattern data; the configuration in buf */
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[0], 0, buf, sizeof buf, &in), 0);
	cr_assert_eq(in.kind, PTCP_IN_CONNECT);
	cr_assert_eq(in.connect.tfo, 1);
	cr_assert_eq(in.connect.tfo_len, 8);
	cr_assert_eq(in.connect.tfo_mss, 1400);
	cr_assert_eq(in.connect.len, 100);
	cr_assert_eq(in.connect.data[99], ptcp_script_pattern(99));
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[0], 0, buf, 99, &in), PTCP_ENOBUFS);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[4], 0, buf, sizeof buf, &in), 0);
	cr_assert_eq(in.kind, PTCP_IN_SETOPT);
	cr_assert_eq(in.setopt.cfg->flags & (PTCP_CFG_NODELAY | PTCP_CFG_CORK),
	             PTCP_CFG_NODELAY | PTCP_CFG_CORK);
	cr_assert_eq(in.setopt.cfg->keepalive_cnt, 9);
	cr_assert_eq(in.setopt.cfg->delack, 40000);
	cr_assert_eq(in.setopt.cfg->mss, s.cfg.mss);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[4], 0, buf, 8, &in), PTCP_ENOBUFS);
	char *txt = ptcp_script_format_text_alloc(&s, NULL);
	cr_assert(strstr(txt, "connect tfo cookie=0102030405060708 mss=1400 data=100\n"), "%s",
	          txt);
	cr_assert(strstr(txt, "setopt nodelay cork keepalive_idle=2s keepalive_intvl=75ms "
	                      "keepalive_cnt=9 user_timeout=30s delack=40ms challenge=1000\n"),
	          "%s", txt);
	free(txt);
	ptcp_script_free(&s);
	/* errors at file:line:col */
	cr_assert_eq(parse_str("connect cookie=0102\n", &s, &err), PTCP_SCRIPT_ESYNTAX);
	cr_assert_eq(err.line, 1);
	cr_assert_eq(err.col, 9, "%u %s", err.col, err.msg);
	cr_assert_eq(parse_str("connect tfo cookie=000102030405060708090a0b0c0d0e0f10\n", &s, &err),
	             PTCP_SCRIPT_ESYNTAX);
	cr_assert_eq(parse_str("setopt bogus=1\n", &s, &err), PTCP_SCRIPT_ESYNTAX);
	cr_assert_eq(err.col, 8, "%u %s", err.col, err.msg);
	cr_assert_eq(parse_str("setopt keepalive_cnt=256\n", &s, &err), PTCP_SCRIPT_ESYNTAX);
	cr_assert_eq(parse_str("setopt delack=x\n", &s, &err), PTCP_SCRIPT_ESYNTAX);
}

Test(script_text, format_helpers)
{
	char b[64];
	ptcp_script_format_delta(0, b, sizeof b);
	cr_assert_str_eq(b, "+0");
	ptcp_script_format_delta(PTCP_MS(10), b, sizeof b);
	cr_assert_str_eq(b, "+10ms");
	ptcp_script_format_delta(PTCP_SEC(2), b, sizeof b);
	cr_assert_str_eq(b, "+2s");
	ptcp_script_format_delta(1001, b, sizeof b);
	cr_assert_str_eq(b, "+1001us");
	static const uint8_t o[] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0,
	                            1, 0, 0, 0,    0, 1, 3, 3,  7, 0, 0};
	char ob[128];
	int n = ptcp_script_format_opts(o, sizeof o, ob, sizeof ob);
	cr_assert_str_eq(ob, "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7,eol,eol");
	cr_assert_eq(n, (int)strlen(ob));
	/* truncation follows snprintf */
	n = ptcp_script_format_opts(o, sizeof o, ob, 4);
	cr_assert_str_eq(ob, "mss");
	cr_assert_eq(n, (int)strlen("mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7,eol,eol"));
}

struct bad {
	const char *text;
	unsigned line, col;
	const char *msg; /* a substring of the message */
};

Test(script_text, errors)
{
	static const struct bad cases[] = {
	    /* bad opcode word */
	    {"+0 connect\n+0   frobnicate 3\n", 2, 6, "unknown event 'frobnicate'"},
	    {"bogus\n", 1, 1, "unknown event"},
	    {"= sate X\n", 1, 3, "unknown expectation"},
	    /* bad number */
	    {"+0 send 12x\n", 1, 9, "bad number '12x'"},
	    {"+0 < . 1:1(0) ack 4294967296 win 1\n", 1, 19, "bad number"},
	    {"+0 < . 1:1(0) ack 1 win 65536\n", 1, 25, "bad number"},
	    {"isn local=-1\n", 1, 11, "bad number"},
	    {"+0 < S 0:0(0) win 1 <mss 1x>\n", 1, 26, "bad number"},
	    {"+0 read\n", 1, 8, "missing read length"},
	    {"+zz connect\n", 1, 2, "bad duration"},
	    {"+1ns connect\n", 1, 2, "bad duration"},
	    {"config rto_min=0.0000001\n", 1, 16, "bad duration"},
	    {"config mss=0\n", 1, 12, "at least 1"},
	    {"config flags=0x8000\n", 1, 14, "unknown config flag bits 0x8000"},
	    {"config prr=1 flags=0x100000000\n", 1, 20, "bad number"},
	    {"config prr=2\n", 1, 12, "bad number"},
	    {"config wscale=15\n", 1, 15, "bad number"},
	    {"config sndbuf=16777217\n", 1, 15, "bad number"},
	    /* bad flags */
	    {"+0 < SX 0:0(0) win 1\n", 1, 7, "bad flag 'X'"},
	    {"\n\n  > S.S 0:0(0) win 1\n", 3, 7, "flag 'S' repeated"},
	    /* unterminated option list */
	    {"+0 < S 0:0(0) win 1 <mss 1460,nop\n", 1, 21, "unterminated option list"},
	    {"+0 < S 0:0(0) win 1 <mss 1460 # >\n", 1, 21, "unterminated option list"},
	    /* bad hex */
	    {"+0 raw 45zz\n", 1, 10, "bad hex digit 'z'"},
	    {"+0 raw 450\n", 1, 8, "odd number of hex digits"},
	    {"+0 < . 1:3(2) ack 1 win 1 payload=01g2\n", 1, 37, "bad hex digit 'g'"},
	    {"+0 < . 1:1(0) win 1 <FO 0q>\n", 1, 26, "bad hex digit 'q'"},
	    {"+0 send payload=012\n", 1, 17, "odd number"},
	    /* other classes */
	    {"+0 < . 1:5(3) win 1\n", 1, 10, "differs from LEN"},
	    {"+0 < . 1:3(2) ack 1 win 1 payload=01\n", 1, 35, "payload has 1 bytes"},
	    {"+0 < . 1:1(0) ack 1\n", 1, 4, "without 'win'"},
	    {"+0 < . *:*(0) win 1\n", 1, 8, "wildcard only"},
	    {"+0 < . 1:1(0) win *\n", 1, 19, "wildcard only"},
	    {"+0 < . 1:1(0) win 1 <nop nop>\n", 1, 26, "expected ','"},
	    {"+0 < . 1:1(0) win 1 <bogus>\n", 1, 22, "unknown option"},
	    {"+0 < . 1:1(0) win 1 <>\n", 1, 21, "empty option list"},
	    {"+0 < . 1:1(0) win 1 <raw 00000000000000000000000000000000000000000000000000000000"
	     "000000000000000000000000,nop>\n",
	     1, 107, "longer than 40"},
	    {"+0 < . 1:1(0) win 1 <raw 00000000000000000000000000000000000000000000000000000000"
	     "0000000000000000000000000000>\n",
	     1, 26, "too many bytes"},
	    {"+0 < . 1:1(0) win 1 <TS val 1 ecx 2>\n", 1, 31, "expected 'ecr'"},
	    {"+0 < . 1:1(0) win 1 <sack 1>\n", 1, 27, "SACK block"},
	    {"+0 connect now\n", 1, 12, "unexpected 'now'"},
	    {"+0 connect\nrole server\n", 2, 1, "after the first event"},
	    {"+0 role server\n", 1, 4, "takes no time"},
	    {"+5ms\n", 1, 5, "missing event"},
	    {"role ftp\n", 1, 6, "bad role"},
	    {"config foo=1\n", 1, 8, "unknown config key"},
	    {"addr local=10.0.0.1:1\n", 1, 1, "addr needs"},
	    {"addr local=10.0.0.1:1 peer=[::1]:2\n", 1, 1, "families differ"},
	    {"addr local=10.0.0:1 peer=10.0.0.2:2\n", 1, 12, "bad IPv4"},
	    {"addr local=[1:::2]:1 peer=[::2]:2\n", 1, 16, "bad IPv6"},
	    {"addr local=[1::2::3]:1 peer=[::2]:2\n", 1, 17, "bad IPv6"},
	    {"+0 icmp source-quench\n", 1, 9, "unknown ICMP type"},
	    {"+0 shutdown both\n", 1, 13, "expected rd, wr or rdwr"},
	    {"= state SYN-SENT -> NOWHERE\n", 1, 21, "unknown state"},
	    {"= event reset EBOGUS\n", 1, 15, "bad number or error name"},
	    {"= event reset -23\n", 1, 15, "bad number or error name"},
	    {"= ret 2147483648\n", 1, 7, "bad number or error name"},
	    {"+0 send 1048577\n", 1, 9, "bad number"},
	    {"+0 send 2 payload=01\n", 1, 19, "payload has 1 bytes"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bad *c = &cases[i];
		ptcp_script s;
		ptcp_script_error err;
		int r = parse_str(c->text, &s, &err);
		cr_assert_eq(r, PTCP_SCRIPT_ESYNTAX, "case %zu parsed: %s", i, c->text);
		char full[512];
		ptcp_script_error_format(&err, full, sizeof full);
		cr_expect(err.line == c->line && err.col == c->col && strstr(err.msg, c->msg),
		          "case %zu: got '%s', want %u:%u '%s'", i, full, c->line, c->col, c->msg);
		cr_assert_eq(s.n, 0);
		cr_assert_null(s.ev);
	}
	/* the formatted error */
	ptcp_script s;
	ptcp_script_error err;
	cr_assert_eq(ptcp_script_parse_text("x.txt", "\n +0 nope\n", 10, &s, &err),
	             PTCP_SCRIPT_ESYNTAX);
	char full[256];
	ptcp_script_error_format(&err, full, sizeof full);
	cr_assert_str_eq(full, "x.txt:2:5: unknown event 'nope'");
}

Test(script_text, comments_and_whitespace)
{
	ptcp_script s;
	const char *t = "# header\r\n\t\r\n  +0\tconnect   # go\r\n+1s time#x\n+0 raw 00 # 11\n";
	cr_assert_eq(parse_str(t, &s, NULL), 0);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.ev[1].delta, PTCP_SEC(1));
	cr_assert_eq(s.ev[2].raw.len, 1);
	ptcp_script_free(&s);
	/* no trailing newline, text not NUL-terminated */
	char buf[7];
	memcpy(buf, "+0 time", 7);
	cr_assert_eq(ptcp_script_parse_text("b", buf, 7, &s, NULL), 0);
	cr_assert_eq(s.n, 1);
	ptcp_script_free(&s);
}

/* Independent one's complement sum, for checking the packet builder. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

Test(script_text, seg_to_packet)
{
	ptcp_script s;
	ptcp_script_error err;
	const char *t = "isn local=1000 peer=4294967295\n"
	                "+0 < SP. 0:5(5) ack 1 win 512 <sack 1:2,nop> ecn=ce res=1\n"
	                "+0 > . 1:3(2) ack 7 win 9 payload=aabb\n";
	cr_assert_eq(parse_str(t, &s, &err), 0, "%s", err.msg);
	uint8_t pkt[200];
	int n = ptcp_script_seg_to_packet(&s, &s.ev[0].seg, PTCP_SCRIPT_IN, pkt, sizeof pkt);
	cr_assert_eq(n, 20 + 20 + 12 + 5);
	cr_assert_eq(pkt[0], 0x45);
	cr_assert_eq(pkt[1], 3);
	cr_assert_eq(pkt[3], n);
	cr_assert_eq(pkt[9], 6);
	cr_assert_eq(fold(sum16(pkt, 20, 0)), 0xffff);
	const uint8_t *tcp = pkt + 20;
	cr_assert_eq(tcp[0] << 8 | tcp[1], 80);                /* from the peer */
	cr_assert_eq(tcp[2] << 8 | tcp[3], 40000);             /* to us */
	cr_assert_eq(tcp[4] | tcp[5] | tcp[6] | tcp[7], 0xff); /* 0xffffffff */
	cr_assert_eq(tcp[7], 0xff);
	cr_assert_eq(tcp[11], (1000 + 1) & 0xff);
	cr_assert_eq(tcp[12], (8 << 4) | 1);
	cr_assert_eq(tcp[13], PTCP_SYN | PTCP_PSH | PTCP_ACK);
	/* SACK made absolute with the local ISN, padded with a zero byte */
	cr_assert_eq(tcp[20], 5);
	cr_assert_eq(tcp[25], 1001 & 0xff);
	cr_assert_eq(tcp[29], 1002 & 0xff);
	cr_assert_eq(tcp[30], 1);
	cr_assert_eq(tcp[31], 0);
	/* payload pattern from stream offset 0 (SYN at seq 0) */
	for (int i = 0; i < 5; i++)
		cr_assert_eq(tcp[32 + i], ptcp_script_pattern((uint32_t)i));
	uint8_t ph[12];
	memcpy(ph, pkt + 12, 8);
	ph[8] = 0, ph[9] = 6, ph[10] = 0, ph[11] = (uint8_t)(n - 20);
	cr_assert_eq(fold(sum16(tcp, (size_t)n - 20, sum16(ph, 12, 0))), 0xffff);
	/* outbound, explicit payload */
	n = ptcp_script_seg_to_packet(&s, &s.ev[1].seg, PTCP_SCRIPT_OUT, pkt, sizeof pkt);
	cr_assert_eq(n, 42);
	cr_assert_eq(tcp[0] << 8 | tcp[1], 40000);
	cr_assert_eq(tcp[7], (1000 + 1) & 0xff);
	cr_assert_eq(tcp[11], 6); /* 4294967295 + 7 */
	cr_assert_eq(tcp[20], 0xaa);
	cr_assert_eq(ptcp_script_seg_to_packet(&s, &s.ev[1].seg, PTCP_SCRIPT_OUT, pkt, 41),
	             PTCP_ENOBUFS);
	ptcp_script_free(&s);
	/* IPv6 */
	cr_assert_eq(parse_str("addr local=[fd00::1]:1 peer=[fd00::2]:2\n+0 < . 1:2(1) win 1 "
	                       "ecn=ect1\n",
	                       &s, &err),
	             0);
	n = ptcp_script_seg_to_packet(&s, &s.ev[0].seg, PTCP_SCRIPT_IN, pkt, sizeof pkt);
	cr_assert_eq(n, 40 + 20 + 1);
	cr_assert_eq(pkt[0], 0x60);
	cr_assert_eq(pkt[1], 0x10);
	cr_assert_eq(pkt[5], 21);
	cr_assert_eq(pkt[23], 2);
	uint8_t ph6[40] = {0};
	memcpy(ph6, pkt + 8, 32);
	ph6[35] = 21, ph6[39] = 6;
	cr_assert_eq(fold(sum16(pkt + 40, 21, sum16(ph6, 40, 0))), 0xffff);
	ptcp_script_free(&s);
}

Test(script_text, seg_match)
{
	ptcp_script s;
	cr_assert_eq(parse_str("> . *:*(*) ack 5 win * <*>\n> P. 1:3(2) ack 1 win 1 payload=0001\n"
	                       "> P. 1:3(2) ack 1 win 1\n",
	                       &s, NULL),
	             0);
	ptcp_script_seg got = {0};
	got.flags = PTCP_ACK;
	got.ack = 5;
	got.seq = 77;
	got.win = 3;
	got.len = 9;
	cr_assert(ptcp_script_seg_match(&s.ev[0].seg, &got));
	got.ack = 6;
	cr_assert_not(ptcp_script_seg_match(&s.ev[0].seg, &got));
	memset(&got, 0, sizeof got);
	got.flags = PTCP_ACK | PTCP_PSH;
	got.seq = 1, got.ack = 1, got.win = 1, got.len = 2;
	cr_assert(ptcp_script_seg_match(&s.ev[1].seg, &got)); /* pattern 0,1 */
	cr_assert(ptcp_script_seg_match(&s.ev[2].seg, &got));
	uint8_t other[2] = {1, 1};
	got.payload = other;
	cr_assert_not(ptcp_script_seg_match(&s.ev[1].seg, &got));
	cr_assert(ptcp_script_seg_match(&s.ev[2].seg, &got));
	ptcp_script_free(&s);
}

Test(script_text, config_defaults_match_core)
{
	/* the scenario defaults are ptcp_config_default()'s */
	ptcp_config core, mine;
	ptcp_config_default(&core);
	memset(&mine, 0x5a, sizeof mine);
	ptcp_script s;
	ptcp_script_init(&s);
	ptcp_script_apply_config(&s, &mine);
	cr_assert_eq(mine.flags, core.flags);
	cr_assert_eq(mine.mss, core.mss);
	cr_assert_eq(mine.wscale, core.wscale);
	cr_assert_eq(mine.syn_retries, core.syn_retries);
	cr_assert_eq(mine.synack_retries, core.synack_retries);
	cr_assert_eq(mine.max_retries, core.max_retries);
	cr_assert_eq(mine.init_cwnd, core.init_cwnd);
	cr_assert_eq(mine.rto_initial, core.rto_initial);
	cr_assert_eq(mine.rto_min, core.rto_min);
	cr_assert_eq(mine.rto_max, core.rto_max);
	cr_assert_eq(mine.msl, core.msl);
	cr_assert_eq(mine.fin_wait2_timeout, core.fin_wait2_timeout);
	cr_assert_eq(mine.user_timeout, core.user_timeout);
	cr_assert_eq(mine.ts_offset, core.ts_offset);
	cr_assert_eq(mine.delack, core.delack);
	cr_assert_eq(mine.quickack, core.quickack);
	cr_assert_eq(mine.keepalive_idle, core.keepalive_idle);
	cr_assert_eq(mine.keepalive_intvl, core.keepalive_intvl);
	cr_assert_eq(mine.keepalive_cnt, core.keepalive_cnt);
	cr_assert_eq(mine.cc, core.cc);
	s.cfg.cc = PTCP_SCRIPT_CC_RENO;
	ptcp_script_apply_config(&s, &mine);
	cr_assert(mine.cc == &ptcp_cc_reno);
}

Test(script_text, event_to_input)
{
	ptcp_script s;
	const char *t = "isn local=1000 peer=5000\n"
	                "connect\nlisten any\nlisten\nsend 4 more\nsend payload=abcd\nread 3\n"
	                "read 3 discard\nshutdown wr\nclose\nabort\ntime\n"
	                "icmp frag-needed mtu=1200 seq=1\n< . 1:1(0) win 1\n";
	cr_assert_eq(parse_str(t, &s, NULL), 0);
	ptcp_input in;
	uint8_t buf[8];
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[0], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.kind, PTCP_IN_CONNECT);
	cr_assert_eq(in.connect.iss, 1000);
	cr_assert_eq(in.connect.lport, 40000);
	cr_assert_eq(in.connect.rport, 80);
	cr_assert_eq(in.connect.remote.bytes[3], 2);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[1], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.kind, PTCP_IN_LISTEN);
	cr_assert_eq(in.listen.local.family, 0);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[2], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.listen.local.family, 4);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[3], 0, buf, 3, &in), PTCP_ENOBUFS);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[3], 256, buf, sizeof buf, &in), 0);
	cr_assert_eq(in.send.len, 4);
	cr_assert_eq(in.send.flags, PTCP_SEND_MORE);
	cr_assert_eq(in.send.data[1], ptcp_script_pattern(257));
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[4], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.send.data[1], 0xcd);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[5], 0, buf, sizeof buf, &in), 0);
	cr_assert(in.read.buf == buf && in.read.len == 3);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[6], 0, NULL, 0, &in), 0);
	cr_assert_null(in.read.buf);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[7], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.shutdown.how, PTCP_SHUT_WR);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[8], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.kind, PTCP_IN_CLOSE);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[9], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.kind, PTCP_IN_ABORT);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[10], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.kind, PTCP_IN_TIME);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[11], 0, NULL, 0, &in), 0);
	cr_assert_eq(in.icmp.type, PTCP_ICMP_FRAG_NEEDED);
	cr_assert_eq(in.icmp.seq, 1001);
	cr_assert_eq(in.icmp.mtu, 1200);
	cr_assert_eq(ptcp_script_event_to_input(&s, &s.ev[12], 0, NULL, 0, &in), PTCP_EINVAL);
	ptcp_script_free(&s);
}

/* Mutated example texts: the parser never crashes, and whatever parses
 * formats back to the same scenario. */
Test(script_text, mutated_text)
{
	gen_rng r = {0x5eed0006};
	char *src[NEXAMPLES];
	size_t srclen[NEXAMPLES];
	for (size_t i = 0; i < NEXAMPLES; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", SCRIPT_EXAMPLES, examples[i]);
		src[i] = gen_read_file(path, &srclen[i]);
		cr_assert(src[i]);
	}
	static const char alphabet[] = " \t\n#+<>=*:(),.0123456789abcdefxSFRPUEW-[]:;ackwin";
	int parsed = 0;
	for (int it = 0; it < 20000; it++) {
		size_t k = (size_t)gen_below(&r, NEXAMPLES);
		size_t n = srclen[k];
		char *t = malloc(n + 64);
		cr_assert(t);
		memcpy(t, src[k], n);
		unsigned muts = 1 + (unsigned)gen_below(&r, 4);
		for (unsigned m = 0; m < muts && n; m++) {
			size_t at = (size_t)gen_below(&r, n);
			switch (gen_below(&r, 4)) {
			case 0:
				t[at] = alphabet[gen_below(&r, sizeof alphabet - 1)];
				break;
			case 1:
				t[at] = (char)gen_next(&r);
				break;
			case 2: /* delete */
				memmove(t + at, t + at + 1, n - at - 1);
				n--;
				break;
			default: /* insert */
				memmove(t + at + 1, t + at, n - at);
				t[at] = alphabet[gen_below(&r, sizeof alphabet - 1)];
				n++;
				break;
			}
		}
		/* exact-size copy so that ASan sees any over-read */
		char *exact = malloc(n ? n : 1);
		memcpy(exact, t, n);
		free(t);
		ptcp_script s;
		ptcp_script_error err;
		int rc = ptcp_script_parse_text("m", exact, n, &s, &err);
		if (rc == 0) {
			parsed++;
			check_identities(&s, "mutated");
			ptcp_script_free(&s);
		} else {
			cr_assert_eq(rc, PTCP_SCRIPT_ESYNTAX);
			cr_assert(err.line >= 1 && err.col >= 1 && err.msg[0]);
		}
		free(exact);
	}
	cr_assert_gt(parsed, 1000);
	for (size_t i = 0; i < NEXAMPLES; i++)
		free(src[i]);
}

Test(script_text, seg_match_padding)
{
	ptcp_script s;
	cr_assert_eq(parse_str("> . 1:1(0) win 1 <nop,sack 1:2>\n"
	                       "> . 1:1(0) win 1 <nop,sack 1:2,eol>\n"
	                       "> . 1:1(0) win 1 <nop,sack 1:2,eol,eol>\n",
	                       &s, NULL),
	             0);
	cr_assert(ptcp_script_seg_match(&s.ev[0].seg, &s.ev[1].seg));
	cr_assert(ptcp_script_seg_match(&s.ev[1].seg, &s.ev[0].seg));
	cr_assert_not(ptcp_script_seg_match(&s.ev[0].seg, &s.ev[2].seg));
	ptcp_script_free(&s);
}
