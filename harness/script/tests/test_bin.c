/* Event scripts, binary form: any bytes decode; decode(encode(s)) == s. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "script.h"

static void roundtrip(const ptcp_script *s, const char *what, int with_text)
{
	char why[256];
	cr_assert_eq(ptcp_script_validate(s, why, sizeof why), 0, "%s: invalid: %s", what, why);
	uint8_t *bin;
	size_t n;
	cr_assert_eq(ptcp_script_encode_binary(s, &bin, &n), 0);
	ptcp_script b;
	cr_assert_eq(ptcp_script_decode_binary(bin, n, &b), 0);
	cr_assert_eq(ptcp_script_compare(s, &b, why, sizeof why), 0, "%s: %s", what, why);
	free(bin);
	ptcp_script_free(&b);
	if (with_text) {
		size_t tl;
		char *t = ptcp_script_format_text_alloc(s, &tl);
		cr_assert(t);
		ptcp_script_error err;
		int r = ptcp_script_parse_text("fmt", t, tl, &b, &err);
		cr_assert_eq(r, 0, "%s: %u:%u %s\n%s", what, err.line, err.col, err.msg, t);
		cr_assert_eq(ptcp_script_compare(s, &b, why, sizeof why), 0, "%s: text: %s", what,
		             why);
		ptcp_script_free(&b);
		free(t);
	}
}

Test(script_bin, random_bytes_decode)
{
	gen_rng r = {0xb17e5eed};
	uint8_t buf[1024];
	for (int i = 0; i < 100000; i++) {
		size_t len;
		switch (gen_below(&r, 4)) {
		case 0:
			len = (size_t)gen_below(&r, 16);
			break;
		case 1:
			len = (size_t)gen_below(&r, 64);
			break;
		case 2:
			len = (size_t)gen_below(&r, 256);
			break;
		default:
			len = (size_t)gen_below(&r, sizeof buf + 1);
			break;
		}
		/* exact-size heap copy so that ASan catches any over-read */
		uint8_t *in = malloc(len ? len : 1);
		cr_assert(in);
		int bias = (int)gen_below(&r, 3);
		for (size_t k = 0; k < len; k++) {
			uint64_t x = gen_next(&r);
			/* sometimes small bytes: more valid-looking opcodes and lengths */
			buf[k] = bias == 0   ? (uint8_t)x
			         : bias == 1 ? (uint8_t)(x % 24)
			                     : (uint8_t)(x % 3);
		}
		memcpy(in, buf, len);
		ptcp_script s;
		cr_assert_eq(ptcp_script_decode_binary(in, len, &s), 0);
		char what[32];
		snprintf(what, sizeof what, "input #%d", i);
		roundtrip(&s, what, i % 10 == 0);
		ptcp_script_free(&s);
		free(in);
	}
}

Test(script_bin, random_scenarios)
{
	gen_rng r = {0x5eed0002};
	for (int i = 0; i < 3000; i++) {
		ptcp_script s;
		cr_assert_eq(gen_scenario(&r, &s, 60), 0);
		char what[32];
		snprintf(what, sizeof what, "scenario #%d", i);
		roundtrip(&s, what, 0);
		ptcp_script_free(&s);
	}
}

Test(script_bin, prefixes_decode)
{
	gen_rng r = {0x5eed0003};
	for (int i = 0; i < 200; i++) {
		ptcp_script s;
		cr_assert_eq(gen_scenario(&r, &s, 20), 0);
		uint8_t *bin;
		size_t n;
		cr_assert_eq(ptcp_script_encode_binary(&s, &bin, &n), 0);
		for (size_t k = 0; k <= n; k++) {
			uint8_t *in = malloc(k ? k : 1);
			memcpy(in, bin, k);
			ptcp_script d;
			cr_assert_eq(ptcp_script_decode_binary(in, k, &d), 0);
			roundtrip(&d, "prefix", 0);
			ptcp_script_free(&d);
			free(in);
		}
		free(bin);
		ptcp_script_free(&s);
	}
}

Test(script_bin, empty_and_null)
{
	ptcp_script s, d;
	cr_assert_eq(ptcp_script_decode_binary(NULL, 0, &s), 0);
	ptcp_script_init(&d);
	cr_assert_eq(ptcp_script_compare(&s, &d, NULL, 0), 0);
	ptcp_script_free(&s);
	/* an empty scenario encodes to the 10-byte header of zeros */
	uint8_t *bin;
	size_t n;
	cr_assert_eq(ptcp_script_encode_binary(&d, &bin, &n), 0);
	cr_assert_eq(n, 10);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(bin[i], 0);
	free(bin);
}

Test(script_bin, layout)
{
	ptcp_script s;
	const char *t = "role server\nconfig mss=536 ts=0\nisn local=1 peer=0x01020304\n"
	                "+0 listen\n+10ms < S 0:0(0) win 258 <mss 1400>\n= ret EAGAIN\n";
	cr_assert_eq(ptcp_script_parse_text("t", t, strlen(t), &s, NULL), 0);
	uint8_t *bin;
	size_t n;
	cr_assert_eq(ptcp_script_encode_binary(&s, &bin, &n), 0);
	static const uint8_t want[] = {
	    1,  1,        1,    0,    0, 0, 4,    3,    2, 1, /* server, ts off, isns */
	    19, 0,        0x98, 0x04,                         /* CONFIG mss 536 */
	    6,  0,                                            /* LISTEN */
	    0,  0x90,     0x4e,                               /* DELAY 10000 */
	    1,  PTCP_SYN, 0,    0,    0, 0, 0,    0,    0, 0,  0,  2,
	    1,  0,        0,    4,    2, 4, 0x05, 0x78, 0, 18, 29, /* = ret -15 zigzag */
	};
	cr_assert_eq(n, sizeof want);
	cr_assert_eq(memcmp(bin, want, n), 0);
	free(bin);
	ptcp_script_free(&s);
}

/* Config flags above bit 7: a CONFIG op (field 23) after the header byte. */
Test(script_bin, config_flags_32)
{
	ptcp_script s;
	const char *t = "config prr=0 delivered=1 ts=0\n+0 connect\n";
	cr_assert_eq(ptcp_script_parse_text("t", t, strlen(t), &s, NULL), 0);
	uint8_t *bin;
	size_t n;
	cr_assert_eq(ptcp_script_encode_binary(&s, &bin, &n), 0);
	static const uint8_t want[] = {
	    0,  1,  0,    0,    0, 0, 0, 0, 0, 0, /* client, ts off, isns */
	    19, 23, 0x81, 0x50,                   /* CONFIG flags (0x2801 ^ default) */
	    5,                                    /* CONNECT */
	};
	cr_assert_eq(n, sizeof want);
	cr_assert_eq(memcmp(bin, want, n), 0);
	roundtrip(&s, "prr", 1);
	free(bin);
	ptcp_script_free(&s);
	/* decoding: the field id is taken % 24, unknown bits (0x8000, above 0x40000 and above
	 * bit 31) are dropped, and a later CONFIG flags op replaces the header's byte */
	static const uint8_t in[] = {
	    0,  0x0f,    0,    0,    0,    0,    0,    0,    0,
	    0,                                                     /* header: low flags flipped */
	    19, 23 + 24, 0x80, 0x80, 0x82, 0x80, 0x80, 0x80, 0x01, /* 0x8000 | 2^42 */
	    19, 23,      0x80, 0x90, 0x80, 0x80, 0x88, 0x01,       /* 0x80000800 | 2^35 */
	};
	cr_assert_eq(ptcp_script_decode_binary(in, 19, &s), 0);
	cr_assert_eq(s.cfg.flags, PTCP_SCRIPT_CFG_FLAGS_DEFAULT, "%#x", s.cfg.flags);
	ptcp_script_free(&s);
	cr_assert_eq(ptcp_script_decode_binary(in, sizeof in, &s), 0);
	cr_assert_eq(s.cfg.flags, PTCP_SCRIPT_CFG_FLAGS_DEFAULT ^ PTCP_CFG_PRR, "%#x", s.cfg.flags);
	ptcp_script_free(&s);
	cr_assert_eq(ptcp_script_decode_binary(in, 10, &s), 0);
	cr_assert_eq(s.cfg.flags, PTCP_SCRIPT_CFG_FLAGS_DEFAULT ^ 0x0fu);
	ptcp_script_free(&s);
}

Test(script_bin, clamping)
{
	/* out-of-range values are clamped into the domains */
	static const uint8_t in[] = {
	    0xff,   0xff, 0,    0,    0,    0,    0,    0,    0,    0,    19,
	    0,      0,                                  /* mss 0 -> 1 */
	    19,     1,    15,                           /* wscale 15 -> auto */
	    19,     13,   0xff, 0xff, 0xff, 0xff, 0x7f, /* sndbuf huge -> BUF_MAX */
	    0,      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* DELAY 2^64-1 */
	    3 + 23, 0xff, 0xff, 1,    2, /* RAW 65535 clamped to 2 bytes */
	};
	ptcp_script s;
	cr_assert_eq(ptcp_script_decode_binary(in, sizeof in, &s), 0);
	cr_assert_eq(s.role, PTCP_SCRIPT_SERVER);
	cr_assert_eq(s.cfg.flags,
	             (0xffu ^ PTCP_SCRIPT_CFG_FLAGS_DEFAULT) & PTCP_SCRIPT_CFG_FLAGS_ALL);
	cr_assert_eq(s.cfg.mss, 1);
	cr_assert_eq(s.cfg.wscale, PTCP_SCRIPT_WSCALE_AUTO);
	cr_assert_eq(s.cfg.sndbuf, PTCP_SCRIPT_BUF_MAX);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.ev[0].kind, PTCP_SCRIPT_RAW);
	cr_assert_eq(s.ev[0].delta, PTCP_SCRIPT_TIME_MAX);
	cr_assert_eq(s.ev[0].raw.len, 2);
	ptcp_script_free(&s);
}

Test(script_bin, copy)
{
	gen_rng r = {0x5eed0004};
	for (int i = 0; i < 200; i++) {
		ptcp_script s, c;
		cr_assert_eq(gen_scenario(&r, &s, 30), 0);
		cr_assert_eq(ptcp_script_copy(&c, &s), 0);
		ptcp_script_free(&s);
		roundtrip(&c, "copy", 1);
		ptcp_script_free(&c);
	}
}
