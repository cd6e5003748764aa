/*
 * ptcp-gen-seeds OUTDIR [EXAMPLES_DIR]: writes the seed corpora of
 * fuzz_conn (OUTDIR/fuzz_conn/, binary event scripts) and fuzz_drill
 * (OUTDIR/fuzz_drill/, event scripts as text and packetdrill scripts).  The
 * checked-in corpus/fuzz_conn and corpus/fuzz_drill are this program's
 * output (with EXAMPLES_DIR = harness/script/examples).
 *
 * The scenarios below are written as event-script text (no expect lines:
 * fuzz_conn's oracle is the invariants); each one is parsed, run through
 * the runner (a seed that does not pass is reported: it would be a
 * finding), and encoded as binary.  The prefix seeds are small scripts
 * whose byte 0 asks ptcp_run_fuzz_prepare() for each prefix and role.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run.h"

static const char *outdir;
static int failures;
static ptcp_run *runner;

static void put(const char *target, const char *name, const void *b, size_t n)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", outdir, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		failures++;
		return;
	}
	snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n) {
		perror(path);
		failures++;
	}
	if (f)
		fclose(f);
}

/* Encode s (expect lines dropped) with byte 0's spare bits b0, check it runs, write it. */
static void put_conn(const char *name, const ptcp_script *s, uint8_t b0)
{
	ptcp_script t;
	uint8_t *bin;
	size_t n;
	if (ptcp_script_copy(&t, s)) {
		failures++;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < t.n; i++) {
		if (ptcp_script_is_expect(t.ev[i].kind)) {
			if (i + 1 < t.n)
				t.ev[i + 1].delta += t.ev[i].delta;
			ptcp_script_event_clear(&t.ev[i]);
			continue;
		}
		t.ev[k++] = t.ev[i];
	}
	t.n = k;
	if (ptcp_script_encode_binary(&t, &bin, &n)) {
		failures++;
		ptcp_script_free(&t);
		return;
	}
	bin[0] = (uint8_t)((bin[0] & 1) | (b0 & 0xfe));
	/* the seed as fuzz_conn runs it */
	ptcp_script p;
	ptcp_run_config cfg;
	ptcp_run_result res;
	if (ptcp_run_fuzz_prepare(bin, n, &p, &cfg) == 0) {
		ptcp_run_exec(runner, &p, &cfg, &res);
		if (res.status != PTCP_RUN_PASS) {
			char msg[1024];
			ptcp_run_result_format(&res, msg, sizeof msg);
			fprintf(stderr, "seed %s does not pass: %s\n", name, msg);
		}
		ptcp_script_free(&p);
	}
	put("fuzz_conn", name, bin, n);
	free(bin);
	ptcp_script_free(&t);
}

/* A text scenario: parsed (a failure is a generator bug), both corpora. */
static void scenario(const char *name, const char *text)
{
	ptcp_script s;
	ptcp_script_error err;
	char file[256];
	if (ptcp_script_parse_text(name, text, strlen(text), &s, &err)) {
		char msg[512];
		ptcp_script_error_format(&err, msg, sizeof msg);
		fprintf(stderr, "%s\n", msg);
		failures++;
		return;
	}
	put_conn(name, &s, 0);
	snprintf(file, sizeof file, "%s.txt", name);
	put("fuzz_drill", file, text, strlen(text));
	ptcp_script_free(&s);
}

/* ---- Scenarios ------------------------------------------------------------------------ */
/* clang-format off */
#define SYNACK_OPTS "<mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7>"
#define SYN_OPTS    "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>"
#define CLIENT_OPEN \
	"+0 connect\n" \
	"+10ms < S. 0:0(0) ack 1 win 65535 " SYNACK_OPTS "\n"
#define SERVER_OPEN \
	"role server\n" \
	"+0 listen\n" \
	"+0 < S 0:0(0) win 65535 " SYN_OPTS "\n" \
	"+10ms < . 1:1(0) ack 1 win 512 <nop,nop,TS val 2 ecr 0>\n"
#define TS(v, e) "<nop,nop,TS val " #v " ecr " #e ">"
/* ptcp_config_linux()'s flags (its wscale 8 and abc 0 are not script fields) */
#define LINUX_FLAGS                                                                                \
	"ss_idle=0 rst_keep_data=1 prr=1 prr_linux=1 delivered=1 ack_unsent_silent=1 "              \
	"closed_data_rst_reply=1 zwp_no_data=1 abort_rst_ack=1 icmp_synrecv_hard=1 wscale=8"

/* A client without SACK: 8 segments out, the first lost, four duplicate ACKs. */
#define NOSACK_DUPACK_EVENTS \
	"+0 connect\n" \
	"+10ms < S. 0:0(0) ack 1 win 65535 <mss 1000,nop,wscale 7>\n" \
	"+0 send 8000\n" \
	"+10ms < . 1:1(0) ack 1001 win 512\n" \
	"+0 < . 1:1(0) ack 1001 win 512\n" \
	"+0 < . 1:1(0) ack 1001 win 512\n" \
	"+0 < . 1:1(0) ack 1001 win 512\n" \
	"+0 < . 1:1(0) ack 1001 win 512\n"

/* The events of the PRR seeds (RFC 6937): 30 segments out, a SACKed run that
 * grows past the losses at 1001 and 3001, partial ACKs, then all acked. */
#define PRR_RECOVERY_EVENTS \
	"+0 connect\n" \
	"+10ms < S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n" \
	"+0 send 30000\n" \
	"+10ms < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:3001>\n" \
	"+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:4001>\n" \
	"+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:5001>\n" \
	"+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:6001>\n" \
	"+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:6001>\n" \
	"+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:8001>\n" \
	"+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:9001>\n" \
	"+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:11001>\n" \
	"+1ms < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:12001>\n" \
	"+1ms < . 1:1(0) ack 2001 win 512 <nop,nop,sack 4001:13001>\n" \
	"+1ms < . 1:1(0) ack 3001 win 512 <nop,nop,sack 4001:14001>\n" \
	"+1ms < . 1:1(0) ack 14001 win 512\n" \
	"+10ms < . 1:1(0) ack 30001 win 512\n" \
	"+1s time\n"

static const struct {
	const char *name, *text;
} scenarios[] = {
	{"client-data-both-ways-close",
	 "isn local=1000 peer=5000\n"
	 CLIENT_OPEN
	 "+0 send 3000\n"
	 "+10ms < . 1:1(0) ack 3001 win 512 " TS(710, 10) "\n"
	 "+0 < P. 1:1001(1000) ack 3001 win 512 " TS(711, 10) "\n"
	 "+0 read 1000\n"
	 "+40ms time\n"
	 "+0 close\n"
	 "+5ms < . 1001:1001(0) ack 3002 win 512 " TS(716, 60) "\n"
	 "+1ms < F. 1001:1001(0) ack 3002 win 512 " TS(717, 60) "\n"
	 "+61s time\n"},
	{"server-passive-close",
	 "isn local=7 peer=4000000000\n"
	 SERVER_OPEN
	 "+1ms < P. 1:501(500) ack 1 win 512 " TS(3, 11) "\n"
	 "+0 read 500\n"
	 "+0 send 2000\n"
	 "+2ms < . 501:501(0) ack 1449 win 512 " TS(4, 13) "\n"
	 "+2ms < . 501:501(0) ack 2001 win 512 " TS(5, 13) "\n"
	 "+0 < F. 501:501(0) ack 2001 win 512 " TS(6, 13) "\n"
	 "+0 read 10\n"
	 "+0 close\n"
	 "+2ms < . 502:502(0) ack 2002 win 512 " TS(7, 15) "\n"},
	{"server-ooo-sack",
	 SERVER_OPEN
	 "+1ms < . 1001:2001(1000) ack 1 win 512 " TS(3, 11) "\n"
	 "+0 < . 3001:4001(1000) ack 1 win 512 " TS(4, 11) "\n"
	 "+0 < . 5001:6001(1000) ack 1 win 512 " TS(5, 11) "\n"
	 "+0 < . 2001:3001(1000) ack 1 win 512 " TS(6, 11) "\n"
	 "+0 < . 1:1001(1000) ack 1 win 512 " TS(7, 11) "\n"
	 "+0 < . 4001:5001(1000) ack 1 win 512 " TS(8, 11) "\n"
	 "+0 read 6000\n"
	 "+0 < . 4001:5001(1000) ack 1 win 512 " TS(9, 11) "\n"},
	{"client-sack-recovery",
	 "config nodelay=1\n"
	 "+0 connect\n"
	 "+10ms < S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"
	 "+0 send 10000\n"
	 "+10ms < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:3001>\n"
	 "+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:4001>\n"
	 "+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:5001>\n"
	 "+0 < . 1:1(0) ack 1001 win 512 <nop,nop,sack 2001:6001>\n"
	 "+5ms < . 1:1(0) ack 6001 win 512\n"
	 "+5ms < . 1:1(0) ack 10001 win 512\n"},
	{"client-dupacks-no-sack",
	 "config sack=0 ts=0\n"
	 NOSACK_DUPACK_EVENTS
	 "+10ms < . 1:1(0) ack 8001 win 512\n"},
	{"client-rto-timeout",
	 "config max_retries=3\n"
	 CLIENT_OPEN
	 "+0 send 1000\n"
	 "+1000s time\n"},
	{"client-syn-timeout",
	 "config syn_retries=3\n"
	 "+0 connect\n"
	 "+200s time\n"},
	{"server-synack-timeout",
	 "role server\n"
	 "config synack_retries=2\n"
	 "+0 listen\n"
	 "+0 < S 0:0(0) win 65535 " SYN_OPTS "\n"
	 "+100s time\n"},
	{"client-zero-window-persist",
	 "+0 connect\n"
	 "+10ms < S. 0:0(0) ack 1 win 0 <mss 1460,nop,wscale 0>\n"
	 "+0 send 5000\n"
	 "+10s time\n"
	 "+0 < . 1:1(0) ack 1 win 3000\n"
	 "+1ms < . 1:1(0) ack 3001 win 0\n"
	 "+5s time\n"
	 "+0 < . 1:1(0) ack 3001 win 65535\n"},
	{"server-rcv-window-edge",
	 "config rcvbuf=4096 wscale=0 ts=0\n"
	 "role server\n"
	 "+0 listen\n"
	 "+0 < S 0:0(0) win 65535 <mss 1000>\n"
	 "+1ms < . 1:1(0) ack 1 win 65535\n"
	 "+1ms < . 1:1001(1000) ack 1 win 65535\n"
	 "+0 < . 1001:2001(1000) ack 1 win 65535\n"
	 "+0 < . 2001:3001(1000) ack 1 win 65535\n"
	 "+0 < . 3001:4097(1096) ack 1 win 65535\n"
	 "+0 < . 4097:4098(1) ack 1 win 65535\n"
	 "+0 read 1000\n"
	 "+0 read 4096\n"
	 "+0 < . 4097:4098(1) ack 1 win 65535\n"},
	{"client-rst-syn-sent",
	 "+0 connect\n"
	 "+1ms < R. 0:0(0) ack 1 win 0\n"},
	{"client-rst-syn-sent-bad-ack",
	 "+0 connect\n"
	 "+1ms < R. 0:0(0) ack 7 win 0\n"
	 "+0 < R 0:0(0) win 0\n"},
	{"server-rst-syn-received",
	 "role server\n"
	 "+0 listen\n"
	 "+0 < S 0:0(0) win 65535 " SYN_OPTS "\n"
	 "+1ms < R 1:1(0) win 0\n"
	 "+0 < S 100:100(0) win 65535 " SYN_OPTS "\n"},
	{"client-rst-established",
	 CLIENT_OPEN
	 "+1ms < R 5:5(0) win 0\n"
	 "+0 < R 1:1(0) win 0\n"},
	{"client-rst-fin-wait",
	 CLIENT_OPEN
	 "+1ms close\n"
	 "+1ms < . 1:1(0) ack 2 win 512 " TS(701, 11) "\n"
	 "+1ms < R. 1:1(0) ack 2 win 0\n"},
	{"server-rst-close-wait",
	 SERVER_OPEN
	 "+1ms < F. 1:1(0) ack 1 win 512 " TS(3, 11) "\n"
	 "+0 send 100\n"
	 "+1ms < R 2:2(0) win 0\n"},
	{"server-rst-last-ack",
	 SERVER_OPEN
	 "+1ms < F. 1:1(0) ack 1 win 512 " TS(3, 11) "\n"
	 "+0 close\n"
	 "+1ms < R 2:2(0) win 0\n"},
	{"client-rst-time-wait",
	 CLIENT_OPEN
	 "+1ms close\n"
	 "+1ms < F. 1:1(0) ack 2 win 512 " TS(701, 11) "\n"
	 "+1ms < R 2:2(0) win 0\n"},
	{"client-simultaneous-close",
	 CLIENT_OPEN
	 "+1ms close\n"
	 "+0 < F. 1:1(0) ack 1 win 512 " TS(701, 11) "\n"
	 "+1ms < . 2:2(0) ack 2 win 512 " TS(702, 11) "\n"
	 "+70s time\n"},
	{"client-fin-wait-2-timeout",
	 "config fin_wait2=5s\n"
	 CLIENT_OPEN
	 "+1ms close\n"
	 "+1ms < . 1:1(0) ack 2 win 512 " TS(701, 11) "\n"
	 "+10s time\n"},
	{"client-time-wait-expiry",
	 "config msl=1s\n"
	 CLIENT_OPEN
	 "+1ms close\n"
	 "+1ms < . 1:1(0) ack 2 win 512 " TS(701, 11) "\n"
	 "+1ms < F. 1:1(0) ack 2 win 512 " TS(702, 11) "\n"
	 "+1ms < F. 1:1(0) ack 2 win 512 " TS(703, 11) "\n"
	 "+1999ms time\n"
	 "+2ms time\n"},
	{"client-simultaneous-open",
	 "+0 connect\n"
	 "+1ms < S 0:0(0) win 65535 " SYN_OPTS "\n"
	 "+1ms < . 1:1(0) ack 1 win 512 " TS(2, 1) "\n"
	 "+0 send 100\n"},
	{"client-keepalive",
	 "config keepalive_idle=2s keepalive_intvl=1s keepalive_cnt=3\n"
	 CLIENT_OPEN
	 "+3s < . 1:1(0) ack 1 win 512 " TS(900, 3000) "\n"
	 "+10s time\n"},
	{"server-delayed-ack",
	 "config quickack=0 delack=40ms\n"
	 SERVER_OPEN
	 "+1ms < P. 1:101(100) ack 1 win 512 " TS(3, 11) "\n"
	 "+39ms time\n"
	 "+1ms time\n"
	 "+1ms < P. 101:201(100) ack 1 win 512 " TS(4, 11) "\n"
	 "+0 < P. 201:301(100) ack 1 win 512 " TS(5, 11) "\n"
	 "+0 < P. 301:1761(1460) ack 1 win 512 " TS(6, 11) "\n"},
	{"client-icmp",
	 CLIENT_OPEN
	 "+0 send 3000\n"
	 "+1ms icmp frag-needed mtu=1200 seq=1\n"
	 "+0 icmp frag-needed mtu=68 seq=1\n"
	 "+0 icmp host-unreach seq=1\n"
	 "+0 icmp port-unreach seq=99999\n"
	 "+300ms time\n"},
	{"client-icmp-syn-sent",
	 "+0 connect\n"
	 "+1ms icmp port-unreach seq=0\n"
	 "+0 icmp net-unreach seq=0\n"
	 "+3s time\n"},
	{"client-seq-wrap",
	 "isn local=4294967000 peer=4294966000\n"
	 CLIENT_OPEN
	 "+0 send 4000\n"
	 "+10ms < . 1:1(0) ack 4001 win 512 " TS(710, 10) "\n"
	 "+0 < P. 1:1461(1460) ack 4001 win 512 " TS(711, 10) "\n"
	 "+0 < P. 1461:2921(1460) ack 4001 win 512 " TS(712, 10) "\n"
	 "+0 read 4000\n"},
	{"server-ipv6",
	 "role server\n"
	 "addr local=[fd00::1]:80 peer=[fd00::2]:51000\n"
	 "+0 listen\n"
	 "+0 < S 0:0(0) win 29200 <mss 1400,sackOK,nop,wscale 7>\n"
	 "+1ms < . 1:1(0) ack 1 win 229\n"
	 "+1ms < P. 1:1001(1000) ack 1 win 229\n"
	 "+0 send 1500\n"
	 "+1ms < . 1001:1001(0) ack 1501 win 229\n"},
	{"client-ecn",
	 "config ecn=1\n"
	 "+0 connect\n"
	 "+10ms < SE. 0:0(0) ack 1 win 65535 " SYNACK_OPTS "\n"
	 "+0 send 3000\n"
	 "+1ms < P. 1:101(100) ack 1 win 512 " TS(701, 10) " ecn=ce\n"
	 "+1ms < E. 101:101(0) ack 1461 win 512 " TS(702, 10) "\n"
	 "+1ms < . 101:101(0) ack 3001 win 512 " TS(703, 10) "\n"},
	{"server-paws",
	 SERVER_OPEN
	 "+1ms < P. 1:101(100) ack 1 win 512 " TS(1000, 11) "\n"
	 "+1ms < P. 101:201(100) ack 1 win 512 " TS(500, 11) "\n"
	 "+1ms < P. 101:201(100) ack 1 win 512 " TS(1001, 11) "\n"},
	{"server-urgent",
	 SERVER_OPEN
	 "+1ms < U. 1:101(100) ack 1 win 512 urg 50 " TS(3, 11) "\n"
	 "+0 read 100\n"},
	{"client-wscale-14",
	 "config rcvbuf=1048576 sndbuf=1048576\n"
	 "+0 connect\n"
	 "+10ms < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 14>\n"
	 "+0 send 65536\n"
	 "+10ms < . 1:1(0) ack 14601 win 4\n"
	 "+10ms < . 1:1(0) ack 65537 win 1\n"},
	{"client-mss-tiny",
	 "+0 connect\n"
	 "+10ms < S. 0:0(0) ack 1 win 65535 <mss 64>\n"
	 "+0 send 1000\n"
	 "+10ms < . 1:1(0) ack 1001 win 65535\n"},
	{"server-half-close",
	 SERVER_OPEN
	 "+0 send 1000\n"
	 "+0 shutdown wr\n"
	 "+1ms < P. 1:101(100) ack 1002 win 512 " TS(3, 11) "\n"
	 "+0 read 100\n"
	 "+0 < F. 101:101(0) ack 1002 win 512 " TS(4, 11) "\n"
	 "+0 shutdown rd\n"},
	{"client-abort",
	 CLIENT_OPEN
	 "+0 send 100\n"
	 "+1ms abort\n"
	 "+0 < . 1:1(0) ack 101 win 512\n"
	 "+0 connect\n"},
	{"server-syn-with-data",
	 "role server\n"
	 "+0 listen any\n"
	 "+0 < S 0:10(10) win 65535 " SYN_OPTS "\n"
	 "+1ms < . 11:11(0) ack 1 win 512 " TS(2, 0) "\n"
	 "+0 read 10\n"},
	{"client-user-timeout",
	 "config user_timeout=2s\n"
	 CLIENT_OPEN
	 "+0 send 1000\n"
	 "+5s time\n"},
	{"client-old-and-future-acks",
	 CLIENT_OPEN
	 "+0 send 2000\n"
	 "+1ms < . 1:1(0) ack 4000 win 512 " TS(701, 10) "\n"
	 "+0 < . 1:1(0) ack 0 win 512 " TS(702, 10) "\n"
	 "+0 < . 1:1(0) ack 2147483649 win 512 " TS(703, 10) "\n"
	 "+0 < . 1:1(0) ack 1001 win 512 " TS(704, 10) "\n"
	 "+0 < . 1:1(0) ack 1000 win 512 " TS(705, 10) "\n"},
	{"client-reno-cwnd",
	 "config cc=reno init_cwnd=1 nodelay=1\n"
	 CLIENT_OPEN
	 "+0 send 20000\n"
	 "+10ms < . 1:1(0) ack 1461 win 512 " TS(710, 10) "\n"
	 "+10ms < . 1:1(0) ack 4381 win 512 " TS(720, 20) "\n"
	 "+10ms < . 1:1(0) ack 10221 win 512 " TS(730, 30) "\n"
	 "+1s time\n"},
	/* Fast Open (RFC 7413): a cookie request, then data with a cookie
	 * accepted or refused by the SYN-ACK */
	{"client-tfo-cookie-request",
	 "+0 connect tfo\n"
	 "+10ms < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7,FO 0102030405060708>\n"
	 "+0 send 100\n"
	 "+10ms < . 1:1(0) ack 101 win 512 " TS(710, 10) "\n"},
	{"client-tfo-data-accepted",
	 "+0 connect tfo cookie=0102030405060708 mss=1400 data=500\n"
	 "+10ms < S. 0:0(0) ack 501 win 65535 <mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7>\n"
	 "+0 send 1000\n"
	 "+10ms < . 1:1(0) ack 1501 win 512 " TS(710, 10) "\n"},
	{"client-tfo-data-refused",
	 "+0 connect tfo cookie=0a0b0c0d data=3000\n"
	 "+10ms < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>\n"
	 "+10ms < . 1:1(0) ack 1461 win 512\n"
	 "+10ms < . 1:1(0) ack 3001 win 512\n"},
	{"client-connect-data",
	 "+0 connect data=2000\n"
	 "+10ms < S. 0:0(0) ack 1 win 65535 " SYNACK_OPTS "\n"
	 "+10ms < . 1:1(0) ack 2001 win 512 " TS(710, 10) "\n"},
	/* setopt: cork, nodelay, delayed ACKs, keepalive, user timeout, challenge ACKs */
	{"client-setopt-cork-nodelay",
	 CLIENT_OPEN
	 "+0 setopt cork\n"
	 "+0 send 100\n"
	 "+0 send 100\n"
	 "+1ms setopt nodelay\n"
	 "+0 send 10\n"
	 "+10ms < . 1:1(0) ack 211 win 512 " TS(710, 10) "\n"
	 "+0 setopt delack=1ms challenge=1\n"
	 "+0 < P. 1:101(100) ack 211 win 512 " TS(711, 10) "\n"
	 "+5ms < R 5000:5000(0) win 0\n"
	 "+0 < R 6000:6000(0) win 0\n"
	 "+0 < S 7000:7000(0) win 0\n"},
	{"server-setopt-keepalive",
	 SERVER_OPEN
	 "+0 setopt keepalive_idle=1s keepalive_intvl=100ms keepalive_cnt=3\n"
	 "+1100ms time\n"
	 "+0 < . 1:1(0) ack 1 win 512 " TS(3, 11) "\n"
	 "+5s time\n"},
	{"client-setopt-user-timeout",
	 CLIENT_OPEN
	 "+0 setopt user_timeout=2s\n"
	 "+0 send 1000\n"
	 "+10s time\n"},
	/* ICMP of every kind: soft errors while established, hard in SYN-SENT */
	{"client-icmp-every-kind",
	 CLIENT_OPEN
	 "+0 send 3000\n"
	 "+1ms icmp net-unreach seq=1\n"
	 "+0 icmp host-unreach seq=1\n"
	 "+0 icmp proto-unreach seq=1\n"
	 "+0 icmp port-unreach seq=1\n"
	 "+0 icmp admin-prohibited seq=1\n"
	 "+0 icmp frag-needed mtu=1000 seq=1\n"
	 "+0 icmp time-exceeded seq=1\n"
	 "+0 icmp frag-needed mtu=100 seq=1\n"
	 "+0 icmp port-unreach seq=99999\n"
	 "+1s time\n"},
	/* SACK recovery with PRR (RFC 6937): the proportional part while pipe >
	 * ssthresh, then the slow start reduction bound, partial ACKs; RFC 6937's
	 * RecoverFS and Linux's, cwnd growth by DeliveredData */
	{"client-prr-recovery",
	 "config nodelay=1 prr=1\n"
	 PRR_RECOVERY_EVENTS},
	{"client-prr-linux-recovery",
	 "config nodelay=1 prr=1 prr_linux=1 delivered=1\n"
	 PRR_RECOVERY_EVENTS},
	{"client-prr-delivered-norack",
	 "config nodelay=1 prr=1 delivered=1 rack=0 tlp=0\n"
	 PRR_RECOVERY_EVENTS},
	/* DeliveredData without SACK: duplicate ACKs count a segment each */
	{"client-delivered-no-sack",
	 "config sack=0 ts=0 delivered=1 prr=1\n"
	 NOSACK_DUPACK_EVENTS
	 "+1ms < . 1:1(0) ack 3001 win 512\n"
	 "+10ms < . 1:1(0) ack 8001 win 512\n"},
	/* Linux's profile (ptcp_config_linux()'s flags, PTCP_CFG_LINUX_FLAGS here):
	 * data kept readable after a RST, an ACK of unsent data dropped silently,
	 * data after close answered by <SEQ=SEG.ACK><CTL=RST>, zero-window probes
	 * without data */
	{"client-linux-rst-keep-data",
	 "config " LINUX_FLAGS "\n"
	 CLIENT_OPEN
	 "+1ms < P. 1:1001(1000) ack 1 win 512 " TS(700, 10) "\n"
	 "+1ms < R. 1001:1001(0) ack 1 win 0\n"
	 "+1ms read 2000\n"
	 "+0 read 2000\n"},
	{"client-linux-ack-unsent",
	 "config " LINUX_FLAGS "\n"
	 CLIENT_OPEN
	 "+0 send 1000\n"
	 "+1ms < . 1:1(0) ack 5001 win 512 " TS(700, 10) "\n"
	 "+0 < . 1:1(0) ack 1001 win 512 " TS(701, 10) "\n"},
	{"server-linux-closed-data-rst",
	 "config " LINUX_FLAGS "\n"
	 SERVER_OPEN
	 "+1ms close\n"
	 "+1ms < P. 1:101(100) ack 2 win 512 <nop,nop,TS val 3 ecr 0>\n"},
	{"client-linux-zero-window-probe",
	 "config " LINUX_FLAGS "\n"
	 CLIENT_OPEN
	 "+0 send 3000\n"
	 "+1ms < . 1:1(0) ack 1001 win 0 " TS(700, 10) "\n"
	 "+2s time\n"
	 "+0 < . 1:1(0) ack 1001 win 512 " TS(701, 10) "\n"
	 "+1s time\n"},
	{"client-no-fastpath-bulk",
	 "config no_fastpath=1 cork=1\n"
	 CLIENT_OPEN
	 "+0 send 3000\n"
	 "+1ms < . 1:1(0) ack 1001 win 512 " TS(700, 10) "\n"
	 "+0 < P. 1:1001(1000) ack 2001 win 512 " TS(701, 10) "\n"
	 "+0 < P. 1001:2001(1000) ack 3001 win 512 " TS(702, 10) "\n"
	 "+0 read 5000\n"},
	{"client-linux-abort-rst-ack",
	 "config " LINUX_FLAGS "\n"
	 CLIENT_OPEN
	 "+1ms < P. 1:101(100) ack 1 win 512 " TS(700, 10) "\n"
	 "+1ms abort\n"},
	{"server-linux-icmp-syn-received",
	 "config " LINUX_FLAGS "\n"
	 "role server\n"
	 "+0 listen\n"
	 "+0 < S 0:0(0) win 65535 " SYN_OPTS "\n"
	 "+1ms icmp host-unreach seq=0\n"
	 "+0 listen\n"
	 "+0 < S 0:0(0) win 65535 " SYN_OPTS "\n"
	 "+1ms icmp time-exceeded seq=0\n"
	 "+1s time\n"},
	/* ICMPv6 of every kind on an IPv6 connection */
	{"client-ipv6-icmp-every-kind",
	 "addr local=[fd00::1]:40000 peer=[fd00::2]:80\n"
	 CLIENT_OPEN
	 "+0 send 3000\n"
	 "+1ms icmp net-unreach seq=1\n"
	 "+0 icmp host-unreach seq=1\n"
	 "+0 icmp proto-unreach seq=1\n"
	 "+0 icmp port-unreach seq=1\n"
	 "+0 icmp admin-prohibited seq=1\n"
	 "+0 icmp frag-needed mtu=1280 seq=1\n"
	 "+0 icmp time-exceeded seq=1\n"
	 "+0 icmp frag-needed mtu=1000 seq=1\n"
	 "+0 icmp port-unreach seq=99999\n"
	 "+1s time\n"},
	{"client-ipv6-icmp-hard-syn-sent",
	 "addr local=[fd00::1]:40000 peer=[fd00::2]:80\n"
	 "+0 connect\n"
	 "+1ms icmp port-unreach seq=0\n"
	 "+0 connect\n"
	 "+1ms icmp admin-prohibited seq=0\n"
	 "+10s time\n"},
	{"client-icmp-hard-syn-sent",
	 "+0 connect\n"
	 "+1ms icmp port-unreach seq=0\n"
	 "+0 connect\n"
	 "+1ms icmp proto-unreach seq=0\n"
	 "+0 connect\n"
	 "+1ms icmp host-unreach seq=0\n"
	 "+10s time\n"},
};
/* clang-format on */

/* ---- packetdrill scripts (fuzz_drill) ----------------------------------------------------- */
static const struct {
	const char *name, *text;
} drills[] = {
    {"server-basic.pkt", "--tolerance_usecs=5000\n"
                         "`sysctl -q net.ipv4.tcp_timestamps=1`\n"
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
                         "* > F. 2001:2001(0) ack 1\n"},
    {"client-connect.pkt",
     "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
     "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
     "+0 connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.1.2.3\")}, "
     "16) = -1 EINPROGRESS (Operation now in progress)\n"
     "+0 > [ect0] SEW 0:0(0) <mss 1460,FO,nop,nop>\n"
     "+0.01 < [ce] SE. 0:0(0) ack 1 win 5000 <mss 1000,FO 0011223344556677,sack 1:2 3:4>\n"
     "+0 < icmp unreachable frag_needed mtu 1200 [1:11(10)]\n"
     "+0 write(3, \"a\\\"b\"..., 3) = 3\n"},
    {"options-ipv6.pkt",
     "--ip_version=ipv6\n"
     "--local_ip=fd::1\n"
     "--define=CC=\"reno\"\n"
     "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
     "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
     "+0 > (noecn, flowlabel 0x3) 1000 > 2000 . 1:1(0) ack 1 urg 3 <md5 00aa,TS val 1 ecr "
     "2,eol>\n"
     "+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=8}, [1]) = 0\n"},
    {"encap-code.pkt", "0.1~0.15 > gre flags [key present, checksum present], sum 0, off 0, "
                       "key 7, seq 1: . 1:1(0)\n"
                       "+0 < udp 1 > 2 (30)\n"
                       "+0 < ipv4 (ttl 5) 1.2.3.4 > 5.6.7.8: gre: . 1:1(0) win 9\n"
                       "+0 > ipv6 fd::1 > fd::2: mpls (label 3, tc 0, [S], ttl 9): R 1:1(0)\n"
                       "+0 %{ assert tcpi_rto == 1000000 }%\n"
                       "+0 `printf '%s\\n' \"x\"`\n"},
    {"epoll-recvmsg.pkt",
     "0 epoll_create(1) = 5\n"
     "+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, fd=4}) = 0\n"
     "+0...0.5 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0, "
     "msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0, "
     "scm_nsec=0}}]}, 0) = 10\n"
     "+0 < icmp echo_request id 3 [udp (8)]\n"},
    {"close-remote-fin.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                             "+0 bind(3, ..., ...) = 0\n"
                             "+0 listen(3, 1) = 0\n"
                             "+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n"
                             "+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"
                             "+0 < . 1:1(0) ack 1 win 257\n"
                             "+0 accept(3, ..., ...) = 4\n"
                             "+0 < F. 1:1(0) ack 1 win 257\n"
                             "+0 > . 1:1(0) ack 2\n"
                             "+0 read(4, ..., 1000) = 0\n"
                             "+0 close(4) = 0\n"
                             "+0 > F. 1:1(0) ack 2\n"
                             "+0 < . 2:2(0) ack 2 win 257\n"},
    {"sack-recovery.pkt", "--mss=1000\n"
                          "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                          "+0 setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n"
                          "+0 write(3, ..., 10000) = 10000\n"
                          "+0 > P. 1:10001(10000) ack 1\n"
                          "+.1 < . 1:1(0) ack 1 win 257 <sack 2001:3001,nop,nop>\n"
                          "+0 < . 1:1(0) ack 1 win 257 <sack 2001:5001 7001:8001,nop,nop>\n"
                          "+0 > . 1:1001(1000) ack 1\n"
                          "+0 %{ print(tcpi_snd_cwnd) }%\n"},
    {"times.pkt", "0 `true`\n"
                  "1.5 write(3, ..., 1) = 1\n"
                  "+1.5~+2 > P. 1:2(1) ack 1\n"
                  "* > . 2:2(0) ack 1\n"
                  "+0 shutdown(3, SHUT_WR) = 0\n"
                  "+0 sendto(3, ..., 1000, MSG_FASTOPEN, ..., ...) = 1000\n"
                  "+0 ioctl(3, SIOCINQ, [0]) = 0\n"
                  "+0 poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n"},
};

/* ---- Prefix seeds ------------------------------------------------------------------------- */
static void prefixes(void)
{
	static const char *const after[8] = {
	    /* none: the script opens */
	    "+0 connect\n"
	    "+10ms < S. 0:0(0) ack 1 win 65535 " SYNACK_OPTS "\n",
	    /* open */
	    "+10ms < S. 0:0(0) ack 1 win 65535 " SYNACK_OPTS "\n",
	    /* established */
	    "+1ms < P. 1:1001(1000) ack 1 win 512 " TS(200, 20) "\n"
	                                                        "+0 send 2000\n"
	                                                        "+40ms time\n",
	    /* data out */
	    "+5ms < . 1:1(0) ack 1461 win 512 " TS(200,
	                                           20) "\n"
	                                               "+0 < . 1:1(0) ack 1461 win 512 <nop,nop,TS "
	                                               "val 201 ecr 20,nop,nop,sack 2921:3001>\n"
	                                               "+300ms time\n",
	    /* data in with a hole */
	    "+1ms < . 1:1001(1000) ack 1 win 512 " TS(200, 20) "\n"
	                                                       "+0 read 4000\n",
	    /* CLOSE-WAIT */
	    "+0 send 100\n"
	    "+0 close\n"
	    "+5ms < . 2:2(0) ack 102 win 512 " TS(200, 20) "\n",
	    /* FIN-WAIT-1 */
	    "+5ms < F. 1:1(0) ack 2 win 512 " TS(200, 20) "\n"
	                                                  "+61s time\n",
	    /* TIME-WAIT */
	    "+1ms < S 1000:1000(0) win 65535 " SYN_OPTS "\n"
	    "+61s time\n",
	};
	for (unsigned role = 0; role < 2; role++)
		for (unsigned mode = 0; mode < 8; mode++) {
			char text[2048], name[64];
			snprintf(text, sizeof text, "%s%s", role ? "role server\n" : "",
			         role && mode == 0   ? "+0 listen\n"
			                               "+0 < S 0:0(0) win 65535 " SYN_OPTS "\n"
			                               "+1ms < . 1:1(0) ack 1 win 512\n"
			         : mode == 1 && role ? "+0 < S 0:0(0) win 65535 " SYN_OPTS "\n"
			                             : after[mode]);
			ptcp_script s;
			ptcp_script_error err;
			if (ptcp_script_parse_text("prefix", text, strlen(text), &s, &err)) {
				fprintf(stderr, "prefix seed %u/%u: %s\n", role, mode, err.msg);
				failures++;
				continue;
			}
			snprintf(name, sizeof name, "prefix-%s-%u", role ? "server" : "client",
			         mode);
			/* bit 4 (drain) on for half of them */
			put_conn(name, &s, (uint8_t)(mode << 1 | ((mode & 1) << 4)));
			ptcp_script_free(&s);
		}
}

/* The example scripts (text, with expect lines) into both corpora. */
static void examples(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d) {
		perror(dir);
		failures++;
		return;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0)
			continue;
		char path[1024], name[300];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		char buf[65536];
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		ptcp_script s;
		ptcp_script_error err;
		snprintf(name, sizeof name, "example-%s", de->d_name);
		put("fuzz_drill", name, buf, n);
		if (ptcp_script_parse_text(path, buf, n, &s, &err) == 0) {
			name[strlen(name) - 4] = 0;
			put_conn(name, &s, 0);
			ptcp_script_free(&s);
		} else {
			fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col, err.msg);
		}
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: ptcp-gen-seeds OUTDIR [EXAMPLES_DIR]\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	runner = ptcp_run_new();
	if (!runner)
		return 1;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		scenario(scenarios[i].name, scenarios[i].text);
	prefixes();
	for (size_t i = 0; i < sizeof drills / sizeof drills[0]; i++)
		put("fuzz_drill", drills[i].name, drills[i].text, strlen(drills[i].text));
	if (argc > 2)
		examples(argv[2]);
	ptcp_run_free(runner);
	if (failures)
		fprintf(stderr, "ptcp-gen-seeds: %d failures\n", failures);
	return failures ? 1 : 0;
}
