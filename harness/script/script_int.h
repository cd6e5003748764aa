/* Internal helpers shared by the script sources (not part of the public API). */
#ifndef PTCP_SCRIPT_INT_H
#define PTCP_SCRIPT_INT_H

#include "script.h"

/* Configuration fields, by id (the binary CFG op uses the same ids). */
enum {
	CFG_MSS = 0,
	CFG_WSCALE,
	CFG_SYN_RETRIES,
	CFG_SYNACK_RETRIES,
	CFG_MAX_RETRIES,
	CFG_INIT_CWND,
	CFG_RTO_INITIAL,
	CFG_RTO_MIN,
	CFG_RTO_MAX,
	CFG_MSL,
	CFG_FIN_WAIT2,
	CFG_USER_TIMEOUT,
	CFG_TS_OFFSET,
	CFG_SNDBUF,
	CFG_RCVBUF,
	CFG_START,
	CFG_DELACK,
	CFG_QUICKACK,
	CFG_KEEPALIVE_IDLE,
	CFG_KEEPALIVE_INTVL,
	CFG_KEEPALIVE_CNT,
	CFG_CC,
	CFG_CHALLENGE_ACK_LIMIT,
	CFG_COUNT
};

enum { CFGT_UINT = 0, CFGT_TIME, CFGT_WSCALE, CFGT_CC };

/* Congestion control names (config cc=), by ptcp_script_config.cc value. */
extern const char *const ptcp_script__cc_name[PTCP_SCRIPT_CC_COUNT];

struct ptcp_script_cfg_field {
	const char *name;
	unsigned type;
	uint64_t min, max;
};

extern const struct ptcp_script_cfg_field ptcp_script__cfg[CFG_COUNT];

/* Config flag names in the text ("ts", "ws", ...) and their bits. */
#define PTCP_SCRIPT_NFLAGS 25
extern const char *const ptcp_script__flag_name[PTCP_SCRIPT_NFLAGS];
extern const uint32_t ptcp_script__flag_bit[PTCP_SCRIPT_NFLAGS];

uint64_t ptcp_script__cfg_get(const ptcp_script_config *c, unsigned id);
/* Store v, clamped into the field's domain. */
void ptcp_script__cfg_set(ptcp_script_config *c, unsigned id, uint64_t v);

/* ECN names in the text, by code point. */
extern const char *const ptcp_script__ecn_name[4];

/* Error names (index -err) */
#define PTCP_SCRIPT_NERR (-(PTCP_ERR_MIN) + 1)

#endif
