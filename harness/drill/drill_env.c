/*
 * drill_env.c - the script's shell commands, as far as they configure TCP.
 *
 * IMPLEMENTATION NOTES
 * There is no shell: a command is split into lines (backslash continuations joined, '#'
 * comments dropped), each line into words (double quotes group), and recognised as
 *   .../defaults.sh                      the Linux profile (the runner's starting point)
 *   sysctl [-q|-e|-w] name=value ...     a sysctl (net.ipv4.x or net/ipv4/x)
 *   .../set_sysctls.py /proc/sys/...=v   the same, as a path
 *   ethtool -K tun0 tso off gso off      nothing to do (no TSO here: see drill_match.c)
 *   nstat ...                            nothing to do (counters are not checked)
 *   ip [-4|-6] route change|replace|add DEST [via A] [dev D] [advmss N] [mtu [lock] N]
 *      [initcwnd N]                      route metrics of the one remote host: the MSS we
 *                                        advertise and send with (advmss, and the path MTU
 *                                        less the headers) and the initial window, for the
 *                                        sockets created afterwards (a live connection
 *                                        learns a larger path only by probing, RFC 4821)
 * Sysctls change the configuration of the sockets created afterwards (ptcp_config, default
 * buffer sizes).  Knobs of features the core does not have (TSO sizing, pacing) are accepted
 * when they do not change what the script can observe; the others, and any other command, are
 * UNSUPPORTED with their name.  Cleanup commands (after the last event) are not run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"

#define MAX_WORDS 32

struct words {
	char *v[MAX_WORDS];
	size_t n;
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Split a line in place into words; "..." groups (quotes removed). */
static void split(char *line, struct words *w)
{
	char *p = line;
	w->n = 0;
	while (*p && w->n < MAX_WORDS) {
		char *out;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w->v[w->n++] = out = p;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				p++;
				while (*p && *p != '"')
					*out++ = *p++;
				if (*p)
					p++;
			} else {
				*out++ = *p++;
			}
		}
		if (*p)
			p++;
		*out = '\0';
	}
}

static int flag(struct runner *r, uint32_t bit, const char *v)
{
	if (atoi(v))
		r->base_cfg.flags |= bit;
	else
		r->base_cfg.flags &= ~bit;
	return 0;
}

/* "a b c" -> b */
static int middle(const char *v)
{
	long a, b;
	char *e;
	a = strtol(v, &e, 10);
	b = strtol(e, NULL, 10);
	(void)a;
	return (int)b;
}

static int sysctl(struct runner *r, int line, const char *name, const char *v)
{
	static const struct {
		const char *name, *value; /* accepted as a no-op with this value (NULL: any) */
	} noop[] = {
	    {"tcp_tso_win_divisor", NULL},
	    {"tcp_min_tso_segs", NULL},
	    {"tcp_pacing_ss_ratio", NULL},
	    {"tcp_pacing_ca_ratio", NULL},
	    {"tcp_frto", "2"},
	    {"tcp_dsack", "1"},
	    {"tcp_fack", "0"},
	    {"tcp_reordering", "3"},
	    {"tcp_recovery", "1"},
	    {"tcp_ecn_option", NULL},
	    {"tcp_notsent_lowat", "4294967295"},
	};
	char feat[96];
	if (strncmp(name, "net.ipv4.", 9) != 0)
		goto unsupported;
	name += 9;
	for (size_t i = 0; i < sizeof(noop) / sizeof(noop[0]); i++)
		if (strcmp(noop[i].name, name) == 0 &&
		    (!noop[i].value || strcmp(noop[i].value, v) == 0))
			return 0;
	if (strcmp(name, "tcp_timestamps") == 0)
		return flag(r, PTCP_CFG_TIMESTAMPS, v);
	if (strcmp(name, "tcp_early_retrans") == 0) /* 0: no TLP; 3, 4: TLP (RACK: the core's) */
		return flag(r, PTCP_CFG_TLP, v);
	if (strcmp(name, "tcp_sack") == 0)
		return flag(r, PTCP_CFG_SACK, v);
	if (strcmp(name, "tcp_window_scaling") == 0)
		return flag(r, PTCP_CFG_WSCALE, v);
	if (strcmp(name, "tcp_slow_start_after_idle") == 0)
		return flag(r, PTCP_CFG_SS_IDLE, v);
	if (strcmp(name, "tcp_ecn") == 0) /* 1: ask and accept, 2: accept (one core flag) */
		return flag(r, PTCP_CFG_ECN, v);
	if (strcmp(name, "tcp_syn_retries") == 0) {
		r->base_cfg.syn_retries = (uint8_t)atoi(v);
		return 0;
	}
	if (strcmp(name, "tcp_synack_retries") == 0) {
		r->base_cfg.synack_retries = (uint8_t)atoi(v);
		return 0;
	}
	if (strcmp(name, "tcp_retries2") == 0) {
		r->base_cfg.max_retries = (uint8_t)atoi(v);
		return 0;
	}
	if (strcmp(name, "tcp_fin_timeout") == 0) {
		r->base_cfg.fin_wait2_timeout = PTCP_SEC((ptcp_time_t)atoi(v));
		return 0;
	}
	if (strcmp(name, "tcp_wmem") == 0) {
		r->def_sndbuf = middle(v);
		return 0;
	}
	if (strcmp(name, "tcp_rmem") == 0) {
		r->def_rcvbuf = middle(v);
		return 0;
	}
	if (strcmp(name, "tcp_congestion_control") == 0) {
		if (strcmp(v, "cubic") == 0)
			r->base_cfg.cc = &ptcp_cc_cubic;
		else if (strcmp(v, "reno") == 0)
			r->base_cfg.cc = &ptcp_cc_reno;
		else
			goto unsupported;
		return 0;
	}
	if (strcmp(name, "tcp_fastopen") == 0 || strcmp(name, "tcp_fastopen_key") == 0)
		return tfo_sysctl(r, line, name, v);
	if (strcmp(name, "tcp_syncookies") == 0 || strcmp(name, "tcp_abort_on_overflow") == 0)
		return dtbl_sysctl(r, line, name, v);
	if (strcmp(name, "tcp_mtu_probing") == 0) {
		/* 2: RFC 4821 probing from the start; 1 (only after a black hole
		 * is suspected) is not in the core */
		if (strcmp(v, "1") == 0)
			goto unsupported;
		return flag(r, PTCP_CFG_MTU_PROBE, strcmp(v, "2") == 0 ? "1" : "0");
	}
	if (strcmp(name, "tcp_base_mss") == 0) {
		r->base_cfg.mtu_probe_base = (uint16_t)atoi(v);
		return 0;
	}
	if (strcmp(name, "tcp_challenge_ack_limit") == 0) {
		/* RFC 5961 7: the core's limit is per connection, Linux's per host */
		r->base_cfg.challenge_ack_limit = (uint32_t)strtoul(v, NULL, 0);
		return 0;
	}
unsupported:
	snprintf(feat, sizeof(feat), "sysctl %s", name);
	return drill_unsupported(r, line, feat, "sysctl %s=%s", name, v);
}

static int sysctl_word(struct runner *r, int line, char *w, bool proc)
{
	char *eq = strchr(w, '=');
	if (!eq)
		return drill_unsupported(r, line, "sysctl read", "sysctl read of %s", w);
	*eq = '\0';
	if (proc) {
		if (strncmp(w, "/proc/sys/", 10) != 0)
			return drill_unsupported(r, line, "set_sysctls.py", "set_sysctls.py %s", w);
		w += 10;
	}
	for (char *p = w; *p; p++)
		if (*p == '/')
			*p = '.';
	return sysctl(r, line, w, eq + 1);
}

/* `ip route change ...`: the route to the remote host (see the notes above). */
static int ip_route(struct runner *r, int line, const struct words *w, const char *shown)
{
	size_t i = 1;
	long advmss = 0, mtu = 0, initcwnd = 0;
	int v6 = r->ipv6;
	if (i < w->n && (strcmp(w->v[i], "-6") == 0 || strcmp(w->v[i], "-4") == 0))
		v6 = w->v[i++][1] == '6';
	if (i + 2 >= w->n || strcmp(w->v[i], "route") != 0 ||
	    (strcmp(w->v[i + 1], "change") != 0 && strcmp(w->v[i + 1], "replace") != 0 &&
	     strcmp(w->v[i + 1], "add") != 0))
		return drill_unsupported(r, line, "ip", "ip command: `%s`", shown);
	for (i += 3; i < w->n; i++) {
		const char *k = w->v[i];
		long *dst = strcmp(k, "advmss") == 0     ? &advmss
		            : strcmp(k, "mtu") == 0      ? &mtu
		            : strcmp(k, "initcwnd") == 0 ? &initcwnd
		                                         : NULL;
		if ((strcmp(k, "via") == 0 || strcmp(k, "dev") == 0) && i + 1 < w->n) {
			i++;
			continue;
		}
		if (dst && strcmp(k, "mtu") == 0 && i + 1 < w->n &&
		    strcmp(w->v[i + 1], "lock") == 0)
			i++;
		if (!dst || i + 1 >= w->n || (*dst = strtol(w->v[i + 1], NULL, 10)) <= 0 ||
		    *dst > 65535) {
			char feat[64];
			snprintf(feat, sizeof(feat), "ip route %s", k);
			return drill_unsupported(r, line, feat, "route metric %s: `%s`", k, shown);
		}
		i++;
	}
	if (mtu && mtu - (v6 ? 60 : 40) < 64)
		return drill_fail(r, line, "route mtu %ld too small", mtu);
	if (advmss)
		r->base_cfg.mss = (uint16_t)advmss;
	if (mtu && mtu - (v6 ? 60 : 40) < r->base_cfg.mss)
		r->base_cfg.mss = (uint16_t)(mtu - (v6 ? 60 : 40));
	if (initcwnd)
		r->base_cfg.init_cwnd = (uint16_t)initcwnd;
	return 0;
}

static int one(struct runner *r, int line, char *text)
{
	struct words w;
	const char *cmd;
	char shown[64];
	snprintf(shown, sizeof(shown), "%s", text);
	split(text, &w);
	if (w.n == 0)
		return 0;
	cmd = base_name(w.v[0]);
	if (strcmp(cmd, "defaults.sh") == 0 && w.n == 1)
		return 0;
	if (strcmp(cmd, "sysctl") == 0 || strcmp(cmd, "set_sysctls.py") == 0) {
		bool proc = cmd[0] == 's' && cmd[1] == 'e';
		for (size_t i = 1; i < w.n; i++) {
			if (w.v[i][0] == '-')
				continue;
			if (sysctl_word(r, line, w.v[i], proc))
				return -1;
		}
		return 0;
	}
	if (strcmp(cmd, "ethtool") == 0 && w.n >= 3 && strcmp(w.v[1], "-K") == 0) {
		for (size_t i = 3; i + 1 < w.n; i += 2)
			if (strcmp(w.v[i + 1], "off") != 0 ||
			    (strcmp(w.v[i], "tso") != 0 && strcmp(w.v[i], "gso") != 0))
				return drill_unsupported(r, line, "ethtool", "ethtool %s %s",
				                         w.v[i], w.v[i + 1]);
		return 0;
	}
	if (strcmp(cmd, "nstat") == 0)
		return 0;
	if (strcmp(cmd, "tc") == 0)
		return drill_unsupported(r, line, "tc qdisc", "traffic control: `%s`", shown);
	if (strcmp(cmd, "ip") == 0)
		return ip_route(r, line, &w, shown);
	return drill_unsupported(r, line, "shell command", "shell command `%s`", shown);
}

int env_command(struct runner *r, int line, const char *text)
{
	size_t n = strlen(text);
	char *buf = malloc(n + 1), *p, *q;
	int ret = 0;
	if (!buf)
		return drill_fail(r, line, "out of memory");
	/* join continuations, drop comments */
	for (p = buf, q = (char *)text; *q; q++) {
		if (q[0] == '\\' && q[1] == '\n') {
			q++;
			*p++ = ' ';
			continue;
		}
		*p++ = *q;
	}
	*p = '\0';
	for (p = buf; p && *p && ret == 0;) {
		char *nl = strchr(p, '\n'), *hash;
		if (nl)
			*nl = '\0';
		hash = strchr(p, '#');
		if (hash)
			*hash = '\0';
		ret = one(r, line, p);
		p = nl ? nl + 1 : NULL;
	}
	free(buf);
	return ret;
}
