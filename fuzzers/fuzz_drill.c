/*
 * fuzz_drill: arbitrary text through the two script parsers.
 *   packetdrill (harness/drill: ptcp_drill_parse_string)
 *   ptcp event scripts, text form (harness/script: ptcp_script_parse_text)
 * Oracles: no crash (ASan/UBSan); a syntax error has line >= 1 and col >= 1
 * and a message; a script that parses prints back to text that parses, and
 * printing that gives the same text again (print -> parse -> print is
 * stable).  Event scripts also: the parsed scenario is valid
 * (ptcp_script_validate), parse(format(s)) == s, and the binary form round
 * trips (decode(encode(s)) == s).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"
#include "script.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_drill: " __VA_ARGS__);                               \
			fprintf(stderr, "\n");                                                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The normalized text of a packetdrill script (malloc'd), NULL when out of memory. */
static char *drill_text(const struct ptcp_drill_script *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	int rc = ptcp_drill_print_script(f, s);
	if (fclose(f) != 0 || rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void drill(const char *text, size_t len)
{
	struct ptcp_drill_script *s = NULL, *s2 = NULL;
	struct ptcp_drill_error err;
	memset(&err, 0, sizeof err);
	if (ptcp_drill_parse_string("fuzz", text, len, &s, &err) != 0) {
		CHECK(s == NULL, "drill: failed parse left a script");
		if (err.line == 0)
			return; /* out of memory */
		CHECK(err.line >= 1 && err.col >= 1, "drill: error at %d:%d: %s", err.line, err.col,
		      err.message);
		CHECK(err.message[0] != 0, "drill: error at %d:%d without a message", err.line,
		      err.col);
		char msg[PTCP_DRILL_ERROR_TEXT_MAX];
		ptcp_drill_error_format(&err, msg, sizeof msg);
		return;
	}
	CHECK(s != NULL, "drill: parse returned 0 without a script");
	size_t n1, n2;
	char *t1 = drill_text(s, &n1);
	if (!t1) {
		ptcp_drill_script_free(s);
		return;
	}
	memset(&err, 0, sizeof err);
	int rc = ptcp_drill_parse_string("fuzz-printed", t1, n1, &s2, &err);
	CHECK(rc == 0, "drill: the printed script does not parse: %d:%d: %s\n--- printed:\n%s",
	      err.line, err.col, err.message, t1);
	char *t2 = drill_text(s2, &n2);
	if (t2)
		CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0,
		      "drill: print -> parse -> print differs\n--- first:\n%s\n--- second:\n%s", t1,
		      t2);
	free(t1);
	free(t2);
	ptcp_drill_script_free(s);
	ptcp_drill_script_free(s2);
}

static void events(const char *text, size_t len)
{
	ptcp_script s, s2, s3;
	ptcp_script_error err;
	char why[256];
	memset(&err, 0, sizeof err);
	int rc = ptcp_script_parse_text("fuzz", text, len, &s, &err);
	if (rc == PTCP_SCRIPT_ENOMEM)
		return;
	if (rc) {
		CHECK(rc == PTCP_SCRIPT_ESYNTAX, "script: parse returned %d", rc);
		CHECK(err.line >= 1 && err.col >= 1, "script: error at %u:%u: %s", err.line,
		      err.col, err.msg);
		CHECK(err.msg[0] != 0, "script: error at %u:%u without a message", err.line,
		      err.col);
		char msg[512];
		ptcp_script_error_format(&err, msg, sizeof msg);
		return;
	}
	CHECK(ptcp_script_validate(&s, why, sizeof why) == 0,
	      "script: parsed an invalid scenario: %s", why);
	size_t n1, n2;
	char *t1 = ptcp_script_format_text_alloc(&s, &n1);
	if (!t1) {
		ptcp_script_free(&s);
		return;
	}
	rc = ptcp_script_parse_text("fuzz-printed", t1, n1, &s2, &err);
	CHECK(rc == 0, "script: the printed script does not parse: %u:%u: %s\n--- printed:\n%s",
	      err.line, err.col, err.msg, t1);
	CHECK(ptcp_script_compare(&s, &s2, why, sizeof why) == 0,
	      "script: parse(format(s)) != s: %s\n--- printed:\n%s", why, t1);
	char *t2 = ptcp_script_format_text_alloc(&s2, &n2);
	if (t2)
		CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0,
		      "script: print -> parse -> print differs\n--- first:\n%s\n--- second:\n%s",
		      t1, t2);
	free(t1);
	free(t2);
	/* the binary form */
	uint8_t *bin;
	size_t blen;
	if (ptcp_script_encode_binary(&s, &bin, &blen) == 0) {
		if (ptcp_script_decode_binary(bin, blen, &s3) == 0) {
			CHECK(ptcp_script_compare(&s, &s3, why, sizeof why) == 0,
			      "script: decode(encode(s)) != s: %s", why);
			ptcp_script_free(&s3);
		}
		free(bin);
	}
	ptcp_script_free(&s);
	ptcp_script_free(&s2);
}

static int skip_nul;

/* PTCP_FUZZ_DRILL_IGNORE=nul: no packetdrill parse of inputs with a NUL byte
 * (was an open finding, now corpus/regressions/fuzz_drill/nul-in-command). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *v = getenv("PTCP_FUZZ_DRILL_IGNORE");
	(void)argc;
	(void)argv;
	skip_nul = v && strstr(v, "nul") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!skip_nul || !memchr(data, 0, size))
		drill((const char *)data, size);
	events((const char *)data, size);
	return 0;
}
