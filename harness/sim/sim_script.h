/*
 * ptcp-sim: the event script recorder of connection 0's client
 * (sim_script.c; only built with the script library, PTCP_SIM_HAVE_SCRIPT).
 */
#ifndef PTCP_SIM_SCRIPT_H
#define PTCP_SIM_SCRIPT_H

#include "sim_int.h"

/* A recorder for s (after setup: the ISNs and addresses are known); NULL when out of memory. */
void *sim_script_new(const sim *s);
/* One step of connection 0's client: its input, ptcp_step's result and the actions. */
void sim_script_step(sim *s, const ptcp_input *in, int ret, const ptcp_actions *out);
/* Write the script to f (when non-NULL) and free the recorder.  0, or -1 and why. */
int sim_script_finish(sim *s, FILE *f, char *why, size_t cap);

#endif
