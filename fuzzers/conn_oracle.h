/*
 * fuzz_conn's extra oracles, run from the runner's observer on every note
 * (harness/run/run.h: ptcp_run_note).  Each is a real check of a documented
 * property; any violation is reported in why (one line) and the caller
 * aborts:
 *
 *  - names: every state, event, error and drop reason the core reports has a
 *    name (ptcp_state_name / ptcp_event_name / ptcp_drop_name not "?",
 *    ptcp_strerror not "unknown error"), so that a trace is printable; every
 *    packet the codec drops has a documented PTCP_E* reason;
 *  - codec, injected packets: a packet that parses builds back (same IP
 *    header fields, parse(build(parse(x))) == parse(x)), also as a bare TCP
 *    segment over the other address family's pseudo-header, and a build
 *    into one byte less than it needs (or less than an IP header) is
 *    PTCP_ENOBUFS; the packet one byte short does not parse (PTCP_EIPHDR),
 *    cut inside its IP header PTCP_ESHORT, and a checksum check over two
 *    families' addresses is PTCP_EINVAL;
 *  - codec, emitted segments: each builds over IPv6 as well as IPv4 and
 *    parses back equal (payload spans joined, the core's own option layout
 *    replaced by the parsed one); mismatched families are PTCP_EINVAL;
 *  - codec, option layouts (both): the parsed layout rebuilds the same
 *    option bytes and ptcp_wire_opts_len() is the option area; the
 *    inconsistent explicit layouts wire.h documents are refused with its
 *    code (a known item without its present bit or twice, an item after
 *    EOL, padding without EOL, an unknown item of a known kind or of length
 *    1, too many items: PTCP_EINVAL; no SACK block, a 3-byte Fast Open
 *    cookie: PTCP_EOPTSIZE); Fast Open moved to the experimental kind 254
 *    builds and parses back as the same cookie; the codec's NULL-argument
 *    and payload-without-bytes calls are PTCP_EINVAL;
 *  - API misuse: on a copy of the connection after each step, ptcp_step()
 *    with a NULL input, NULL/short action array, an unknown input kind or a
 *    segment input without a segment returns PTCP_EINVAL and leaves the
 *    copy unchanged; ptcp_conn_establish() on a connection that is not
 *    CLOSED returns PTCP_ESTATE unchanged, with bad arguments PTCP_EINVAL.
 */
#ifndef PTCP_FUZZ_CONN_ORACLE_H
#define PTCP_FUZZ_CONN_ORACLE_H

#include <stddef.h>

#include "run.h"

/* 0 when the note passes every check; else 1 and a description in why. */
int conn_oracle_note(const ptcp_run_note *note, char *why, size_t cap);

/*
 * ptcp_conn_init() with the scenario's configuration: NULL connection or
 * buffers, a zero or over 2^30 buffer size, and each configuration field
 * out of the domain ptcp_conn_init() enforces alone (mss 63, init_cwnd 0,
 * rto_min 0, rto_initial 0, rto_max < rto_min, wscale 15) are PTCP_EINVAL;
 * the configuration in
 * its domain and the default one (NULL) initialise.  0, or 1 and why.
 */
int conn_oracle_config(const ptcp_script *s, char *why, size_t cap);

#endif
