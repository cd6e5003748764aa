/* placeholder: written next */
#include "replay.h"

int ptcp_replay_import(const char *path, const ptcp_replay_import_opts *o, ptcp_script *out,
                       ptcp_replay_import_stats *st, char *err, size_t errcap)
{
	(void)path;
	(void)o;
	(void)out;
	(void)st;
	snprintf(err, errcap, "not yet");
	return -1;
}
