/*
 * drill_icmp.c - inbound ICMP lines ("< icmp unreachable port_unreachable [1:11(10)]").
 *
 * The line becomes a PTCP_IN_ICMP input for the connection under test (its 4-tuple: to the
 * core's table when a table-hosted listener owns the port, else to the socket's core).  The
 * type and code names are packetdrill's; an unknown name is looked up among the -D NAME=VALUE
 * definitions (upstream scripts write "CODE" and are run with -D CODE=host_unreachable etc.).
 * No code means code 0 (net_unreachable), as upstream.  The quoted TCP sequence number is
 * ours: the script writes it as in its '>' lines (relative to the script's ISN), so
 * "[0:10(10)]" after "> S. 0:0(0)" quotes our SYN-ACK.  No quote: sequence 0 (upstream).
 */
#include <string.h>

#include "drill_run_int.h"

struct code_name {
	const char *name;
	int kind; /* ptcp_icmp_kind, 0 = not modelled by the core */
};

/* ICMPv4 destination unreachable codes (RFC 792, RFC 1812 5.2.7.1), packetdrill's names. */
static const struct code_name unreach_codes[] = {
    {"net_unreachable", PTCP_ICMP_NET_UNREACH},
    {"host_unreachable", PTCP_ICMP_HOST_UNREACH},
    {"protocol_unreachable", PTCP_ICMP_PROTO_UNREACH},
    {"port_unreachable", PTCP_ICMP_PORT_UNREACH},
    {"frag_needed", PTCP_ICMP_FRAG_NEEDED},
    {"source_route_failed", PTCP_ICMP_HOST_UNREACH},
    {"net_unknown", PTCP_ICMP_NET_UNREACH},
    {"host_unknown", PTCP_ICMP_HOST_UNREACH},
    {"source_host_isolated", PTCP_ICMP_HOST_UNREACH},
    {"net_prohibited", PTCP_ICMP_ADMIN_PROHIBITED},
    {"host_prohibited", PTCP_ICMP_ADMIN_PROHIBITED},
    {"net_unreachable_for_tos", PTCP_ICMP_NET_UNREACH},
    {"host_unreachable_for_tos", PTCP_ICMP_HOST_UNREACH},
    {"packet_filtered", PTCP_ICMP_ADMIN_PROHIBITED},
    {"precedence_violation", PTCP_ICMP_ADMIN_PROHIBITED},
    {"precedence_cutoff", PTCP_ICMP_ADMIN_PROHIBITED},
};

static const char *define_of(const struct runner *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->cfg.n_defines; i++) {
		const char *d = r->cfg.defines[i];
		if (strncmp(d, name, n) == 0 && d[n] == '=')
			return d + n + 1;
	}
	return NULL;
}

static int unreach_kind(const char *code)
{
	for (size_t i = 0; i < sizeof(unreach_codes) / sizeof(unreach_codes[0]); i++)
		if (strcmp(unreach_codes[i].name, code) == 0)
			return unreach_codes[i].kind;
	return -1;
}

/* The core's kind for the line's type and code, or < 0 after reporting why not. */
static int icmp_kind(struct runner *r, const struct ptcp_drill_event *ev)
{
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	const char *type = pk->icmp_type, *code = pk->icmp_code;
	int kind;
	if (strcmp(type, "time_exceeded") == 0)
		return PTCP_ICMP_TIME_EXCEEDED;
	if (strcmp(type, "packet_too_big") == 0)
		return PTCP_ICMP_FRAG_NEEDED;
	if (strcmp(type, "unreachable") != 0 && strcmp(type, "destination_unreachable") != 0)
		return drill_unsupported(r, ev->line, "ICMP type", "ICMP type %s", type);
	if (!code)
		return PTCP_ICMP_NET_UNREACH; /* code 0 */
	if ((kind = unreach_kind(code)) >= 0)
		return kind;
	{
		const char *v = define_of(r, code);
		if (!v)
			return drill_unsupported(
			    r, ev->line, "ICMP code variable",
			    "ICMP code %s is a variable: run with -D %s=<code>", code, code);
		if ((kind = unreach_kind(v)) < 0)
			return drill_fail(r, ev->line, "unknown ICMP unreachable code %s=%s", code,
			                  v);
	}
	return kind;
}

int match_inbound_icmp(struct runner *r, const struct ptcp_drill_event *ev)
{
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	struct flow *f = r->sut;
	ptcp_input in = {.kind = PTCP_IN_ICMP};
	int kind = icmp_kind(r, ev);
	if (kind < 0)
		return -1;
	if (pk->echoed == PTCP_DRILL_ECHOED_UDP || pk->echoed == PTCP_DRILL_ECHOED_RAW)
		return drill_unsupported(r, ev->line, "ICMP quoting UDP or raw",
		                         "ICMP quoting a non-TCP packet");
	if (pk->n_layers)
		return drill_unsupported(r, ev->line, "encapsulation",
		                         "encapsulated packet (outer IP/GRE/MPLS header)");
	if (kind == PTCP_ICMP_FRAG_NEEDED && !pk->has_mtu)
		return drill_fail(r, ev->line, "%s needs an mtu",
		                  pk->icmp_code ? pk->icmp_code : pk->icmp_type);
	if (!f || f->state == FLOW_LISTENING)
		return drill_fail(r, ev->line, "no connection for the ICMP packet");
	in.icmp.type = (ptcp_icmp_kind)kind;
	in.icmp.mtu = pk->has_mtu ? pk->mtu : 0;
	/* our sequence space, as '>' lines write it (the SYN's seq is the script's ISN) */
	in.icmp.seq = (pk->echoed == PTCP_DRILL_ECHOED_TCP ? pk->echoed_seq : 0) + f->live_isn -
	              f->script_isn;
	drill_trace(r, "  < icmp %s %s seq %u (live) to %u > %u", pk->icmp_type,
	            pk->icmp_code ? pk->icmp_code : "", (unsigned)in.icmp.seq, (unsigned)f->rport,
	            (unsigned)f->lport);
	if (stack_icmp(r, f->lport, f->rport, &in) != 0)
		return -1;
	return pending_poll(r);
}
