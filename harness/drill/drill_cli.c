/*
 * ptcp-drill-parse FILE... : parse packetdrill scripts and print them back normalized (one event
 * per line), or print "file:line:col: message" for the ones that do not parse.
 *
 *   -q  quiet: print only errors and a summary line "parsed N of M scripts"
 *
 * Exit status: 0 when every file parsed, 1 otherwise, 2 on bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "drill.h"

int main(int argc, char **argv)
{
	bool quiet = false;
	int first = 1, total = 0, good = 0;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		quiet = true;
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [-q] FILE...\n", argv[0]);
		return 2;
	}
	for (int i = first; i < argc; i++) {
		struct ptcp_drill_script *s;
		struct ptcp_drill_error err;
		total++;
		if (ptcp_drill_parse_file(argv[i], &s, &err) != 0) {
			char msg[PTCP_DRILL_ERROR_TEXT_MAX];
			ptcp_drill_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			continue;
		}
		good++;
		if (!quiet) {
			printf("// %s: %zu events\n", argv[i], s->n_events);
			ptcp_drill_print_script(stdout, s);
		}
		ptcp_drill_script_free(s);
	}
	if (quiet || total > 1)
		fprintf(quiet ? stdout : stderr, "parsed %d of %d scripts\n", good, total);
	return good == total ? 0 : 1;
}
