/*
 * ptcp-script: convert and check event scripts.
 *   ptcp-script to-bin IN.txt OUT.bin   text -> binary
 *   ptcp-script to-text IN.bin          binary -> text on stdout
 *   ptcp-script fmt IN.txt              text -> canonical text on stdout
 *   ptcp-script check IN.txt...         parse; errors as file:line:col: msg
 *   ptcp-script roundtrip IN.txt...     check text -> binary -> text identity
 * "-" reads standard input.  Exit status: 0 ok, 1 script error, 2 usage or I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap);
	while (b) {
		if (n == cap) {
			uint8_t *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		size_t k = fread(b + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int err = !b || ferror(f);
	if (f != stdin)
		fclose(f);
	if (err) {
		fprintf(stderr, "%s: read error\n", path);
		free(b);
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

static int load_text(const char *path, ptcp_script *s)
{
	uint8_t *b;
	size_t n;
	if (read_all(path, &b, &n))
		return 2;
	ptcp_script_error err;
	int r = ptcp_script_parse_text(path, (const char *)b, n, s, &err);
	free(b);
	if (r == PTCP_SCRIPT_ESYNTAX) {
		char msg[512];
		ptcp_script_error_format(&err, msg, sizeof msg);
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	if (r) {
		fprintf(stderr, "%s: out of memory\n", path);
		return 2;
	}
	return 0;
}

/* text -> scenario -> binary -> scenario -> text: 0 when the identity holds */
static int roundtrip(const char *path, const ptcp_script *s)
{
	char why[256];
	uint8_t *b;
	size_t n, n1, n2;
	ptcp_script d;
	if (ptcp_script_encode_binary(s, &b, &n))
		return 2;
	int r = ptcp_script_decode_binary(b, n, &d);
	free(b);
	if (r)
		return 2;
	int bad = ptcp_script_compare(s, &d, why, sizeof why);
	char *t1 = ptcp_script_format_text_alloc(s, &n1);
	char *t2 = ptcp_script_format_text_alloc(&d, &n2);
	ptcp_script_free(&d);
	if (!t1 || !t2) {
		free(t1);
		free(t2);
		return 2;
	}
	if (!bad && (n1 != n2 || memcmp(t1, t2, n1) != 0)) {
		bad = 1;
		snprintf(why, sizeof why, "the text differs");
	}
	if (!bad) {
		ptcp_script p;
		ptcp_script_error err;
		if (ptcp_script_parse_text(path, t1, n1, &p, &err)) {
			bad = 1;
			ptcp_script_error_format(&err, why, sizeof why);
		} else {
			bad = ptcp_script_compare(s, &p, why, sizeof why);
			ptcp_script_free(&p);
		}
	}
	free(t1);
	free(t2);
	if (bad) {
		fprintf(stderr, "%s: round trip failed: %s\n", path, why);
		return 1;
	}
	printf("%s: ok (%zu bytes binary)\n", path, n);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: ptcp-script to-bin IN.txt OUT.bin\n"
	                "       ptcp-script to-text IN.bin\n"
	                "       ptcp-script fmt IN.txt\n"
	                "       ptcp-script check IN.txt...\n"
	                "       ptcp-script roundtrip IN.txt...\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const char *cmd = argv[1];
	ptcp_script s;
	int r;
	if (strcmp(cmd, "check") == 0) {
		int rc = 0;
		for (int i = 2; i < argc; i++) {
			r = load_text(argv[i], &s);
			if (r == 0)
				ptcp_script_free(&s);
			if (r > rc)
				rc = r;
		}
		return rc;
	}
	if (strcmp(cmd, "roundtrip") == 0) {
		int rc = 0;
		for (int i = 2; i < argc; i++) {
			if ((r = load_text(argv[i], &s))) {
				rc = r > rc ? r : rc;
				continue;
			}
			r = roundtrip(argv[i], &s);
			ptcp_script_free(&s);
			rc = r > rc ? r : rc;
		}
		return rc;
	}
	if (strcmp(cmd, "to-bin") == 0) {
		if (argc != 4)
			return usage();
		if ((r = load_text(argv[2], &s)))
			return r;
		uint8_t *b;
		size_t n;
		r = ptcp_script_encode_binary(&s, &b, &n);
		ptcp_script_free(&s);
		if (r) {
			fprintf(stderr, "out of memory\n");
			return 2;
		}
		FILE *f = strcmp(argv[3], "-") == 0 ? stdout : fopen(argv[3], "wb");
		if (!f) {
			perror(argv[3]);
			free(b);
			return 2;
		}
		int bad = fwrite(b, 1, n, f) != n;
		if (f != stdout)
			bad |= fclose(f) != 0;
		else
			bad |= fflush(f) != 0;
		free(b);
		if (bad) {
			fprintf(stderr, "%s: write error\n", argv[3]);
			return 2;
		}
		return 0;
	}
	if (strcmp(cmd, "to-text") == 0 || strcmp(cmd, "fmt") == 0) {
		if (argc != 3)
			return usage();
		if (cmd[0] == 't') {
			uint8_t *b;
			size_t n;
			if (read_all(argv[2], &b, &n))
				return 2;
			r = ptcp_script_decode_binary(b, n, &s);
			free(b);
			if (r) {
				fprintf(stderr, "out of memory\n");
				return 2;
			}
		} else if ((r = load_text(argv[2], &s))) {
			return r;
		}
		r = ptcp_script_format_text(&s, stdout);
		ptcp_script_free(&s);
		if (r || fflush(stdout)) {
			fprintf(stderr, "write error\n");
			return 2;
		}
		return 0;
	}
	return usage();
}
