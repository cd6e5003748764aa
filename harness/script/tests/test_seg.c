/* Event scripts: segment events <-> ptcp_seg through the wire codec. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "script.h"

static void one(const ptcp_script *s, const ptcp_script_seg *g, ptcp_script_dir dir, int *parsed)
{
	uint8_t pkt[70000];
	ptcp_ip ip;
	ptcp_seg seg;
	int r = ptcp_script_seg_to_ptcp(s, g, dir, pkt, sizeof pkt, &ip, &seg);
	if (r != 0) {
		/* only option bytes the codec rejects may fail */
		cr_assert(r == PTCP_EOPTLEN || r == PTCP_EOPTSIZE || r == PTCP_EOPTDUP,
		          "to_ptcp: %d", r);
		return;
	}
	(*parsed)++;
	const ptcp_addr *src = dir == PTCP_SCRIPT_IN ? &s->peer_addr : &s->local_addr;
	cr_assert(ptcp_addr_eq(&ip.src, src));
	cr_assert_eq(ip.tos & 3, g->ecn);
	cr_assert_eq(seg.seq, g->seq + (dir == PTCP_SCRIPT_IN ? s->isn_peer : s->isn_local));
	cr_assert_eq(seg.ack, g->ack + (dir == PTCP_SCRIPT_IN ? s->isn_local : s->isn_peer));
	cr_assert_eq(seg.payload_len, g->len);
	ptcp_script_seg back;
	r = ptcp_script_seg_from_ptcp(s, &seg, dir, 1, &back);
	cr_assert_eq(r, 0);
	back.ecn = g->ecn;
	cr_assert_eq(back.flags, g->flags);
	cr_assert_eq(back.reserved, g->reserved);
	cr_assert_eq(back.seq, g->seq);
	cr_assert_eq(back.ack, g->ack);
	cr_assert_eq(back.win, g->win);
	cr_assert_eq(back.urp, g->urp);
	cr_assert_eq(back.len, g->len);
	/* the option bytes come back padded with zeros to a multiple of 4 */
	uint8_t padded[PTCP_TCP_OPT_MAX] = {0};
	memcpy(padded, g->opt, g->opt_len);
	cr_assert_eq(back.opt_len, (g->opt_len + 3u) & ~3u);
	cr_assert_eq(memcmp(back.opt, padded, back.opt_len), 0);
	if (g->payload)
		cr_assert_eq(memcmp(back.payload, g->payload, g->len), 0);
	else
		for (uint32_t k = 0; k < g->len; k++)
			cr_assert_eq(back.payload[k],
			             ptcp_script_pattern(ptcp_script_seg_offset(g) + k));
	if (g->has_ports)
		cr_assert(back.has_ports ? (back.sport == g->sport && back.dport == g->dport) : 1);
	free(back.payload);
}

Test(script_seg, roundtrip_random)
{
	gen_rng r = {0x5eed0005};
	int parsed = 0;
	for (int i = 0; i < 500; i++) {
		ptcp_script s;
		cr_assert_eq(gen_scenario(&r, &s, 30), 0);
		for (size_t k = 0; k < s.n; k++) {
			const ptcp_script_event *e = &s.ev[k];
			if (e->kind == PTCP_SCRIPT_SEGMENT)
				one(&s, &e->seg, PTCP_SCRIPT_IN, &parsed);
			else if (e->kind == PTCP_SCRIPT_EXPECT_SEG && !e->seg.wild)
				one(&s, &e->seg, PTCP_SCRIPT_OUT, &parsed);
		}
		ptcp_script_free(&s);
	}
	cr_assert_gt(parsed, 100);
}

Test(script_seg, example_segments)
{
	static const char *const names[] = {"client.txt", "server.txt"};
	for (size_t i = 0; i < 2; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", SCRIPT_EXAMPLES, names[i]);
		size_t len;
		char *text = gen_read_file(path, &len);
		cr_assert(text);
		ptcp_script s;
		cr_assert_eq(ptcp_script_parse_text(path, text, len, &s, NULL), 0);
		int parsed = 0, segs = 0;
		for (size_t k = 0; k < s.n; k++) {
			const ptcp_script_event *e = &s.ev[k];
			if (e->kind == PTCP_SCRIPT_SEGMENT) {
				one(&s, &e->seg, PTCP_SCRIPT_IN, &parsed);
				segs++;
			}
		}
		cr_assert_eq(parsed, segs, "%s", names[i]);
		ptcp_script_free(&s);
		free(text);
	}
}

Test(script_seg, push_action)
{
	ptcp_script s, rec;
	const char *t = "isn local=1000 peer=5000\n> S. 0:0(0) ack 1 win 100 <mss 1460,sackOK,nop,"
	                "nop,sack 1:5> ecn=ect0 payload=\n";
	cr_assert_eq(ptcp_script_parse_text("t", t, strlen(t), &s, NULL), 0);
	cr_assert_eq(ptcp_script_copy(&rec, &s), 0);
	ptcp_script_free(&rec);
	ptcp_script_init(&rec);
	rec.isn_local = 1000;
	rec.isn_peer = 5000;
	uint8_t pkt[200];
	ptcp_ip ip;
	ptcp_action a;
	memset(&a, 0, sizeof a);
	a.kind = PTCP_ACT_EMIT;
	cr_assert_eq(ptcp_script_seg_to_ptcp(&s, &s.ev[0].seg, PTCP_SCRIPT_OUT, pkt, sizeof pkt,
	                                     &ip, &a.emit.seg),
	             0);
	cr_assert_eq(a.emit.seg.seq, 1000);
	cr_assert_eq(a.emit.seg.ack, 5001);
	a.emit.ecn = 2;
	cr_assert_eq(ptcp_script_push_action(&rec, &a, 0, 7, 1), 0);
	memset(&a, 0, sizeof a);
	a.kind = PTCP_ACT_STATE;
	a.state.from = PTCP_LISTEN;
	a.state.to = PTCP_SYN_RECEIVED;
	cr_assert_eq(ptcp_script_push_action(&rec, &a, 0, 0, 0), 0);
	a.kind = PTCP_ACT_DEADLINE;
	a.deadline = PTCP_SEC(3);
	cr_assert_eq(ptcp_script_push_action(&rec, &a, PTCP_SEC(1), 0, 0), 0);
	a.deadline = PTCP_TIME_NEVER;
	cr_assert_eq(ptcp_script_push_action(&rec, &a, PTCP_SEC(1), 0, 0), 0);
	a.kind = PTCP_ACT_EVENT;
	a.event.ev = PTCP_EV_RESET;
	a.event.err = PTCP_ECONNREFUSED;
	cr_assert_eq(ptcp_script_push_action(&rec, &a, 0, 0, 0), 0);
	a.kind = PTCP_ACT_READABLE;
	a.readable.avail = 12;
	cr_assert_eq(ptcp_script_push_action(&rec, &a, 0, 0, 0), 0);
	a.kind = (ptcp_action_kind)99;
	cr_assert_eq(ptcp_script_push_action(&rec, &a, 0, 0, 0), PTCP_EINVAL);
	cr_assert_eq(rec.n, 6);
	char line[256];
	ptcp_script_format_event(&rec.ev[0], line, sizeof line);
	cr_assert_str_eq(
	    line, "> S. 0:0(0) ack 1 win 100 <mss 1460,sackOK,nop,nop,sack 1:5,eol,eol> ecn=ect0 "
	          "payload=");
	cr_assert_eq(rec.ev[0].delta, 7);
	cr_assert(ptcp_script_seg_match(&s.ev[0].seg, &rec.ev[0].seg));
	ptcp_script_format_event(&rec.ev[1], line, sizeof line);
	cr_assert_str_eq(line, "= state LISTEN -> SYN-RECEIVED");
	ptcp_script_format_event(&rec.ev[2], line, sizeof line);
	cr_assert_str_eq(line, "= deadline 2s");
	ptcp_script_format_event(&rec.ev[3], line, sizeof line);
	cr_assert_str_eq(line, "= deadline never");
	ptcp_script_format_event(&rec.ev[4], line, sizeof line);
	cr_assert_str_eq(line, "= event reset ECONNREFUSED");
	ptcp_script_format_event(&rec.ev[5], line, sizeof line);
	cr_assert_str_eq(line, "= readable 12");
	char why[128];
	cr_assert_eq(ptcp_script_validate(&rec, why, sizeof why), 0, "%s", why);
	ptcp_script_free(&rec);
	ptcp_script_free(&s);
}
