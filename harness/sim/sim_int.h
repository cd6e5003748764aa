/*
 * ptcp-sim internals shared by sim.c (engine) and sim_app.c (application
 * models).
 */
#ifndef PTCP_SIM_INT_H
#define PTCP_SIM_INT_H

#include "sim.h"

#define NOPOS       UINT32_MAX
#define CLIENT_PORT 40000u
#define SERVER_PORT 10000u
#define IO_CHUNK    65536u /* largest send / read call of the models */

enum { EV_PKT = 0, EV_TIMER, EV_APP };

/* Heap entry, ordered by (t, seq). */
typedef struct hent {
	ptcp_time_t t;
	uint64_t seq;
	uint32_t kind; /* EV_* */
	uint32_t ref;  /* EV_PKT: packet slot; else core id */
} hent;

#define PKT_CORRUPT 0x01u
#define PKT_ICMP    0x02u
#define PKT_DUP     0x04u /* the link's copy (for the observer only) */
#define PKT_REORDER 0x08u /* held back by reordering (for the observer only) */

typedef struct pkt {
	uint32_t len;
	uint32_t conn; /* connection the packet belongs to (for in-flight counts) */
	uint8_t to;    /* 0: host A (clients), 1: host B (servers) */
	uint8_t flags; /* PKT_* */
	uint32_t core; /* PKT_ICMP: the core the error is about */
	uint32_t icmp_mtu, icmp_seq;
	uint32_t corrupt_pos; /* PKT_CORRUPT: the byte flipped */
	/* The packet as parsed when it was sent (payload pointing into data):
	 * an intact packet is handed over as is, a corrupted one is parsed again. */
	ptcp_ip ip;
	ptcp_seg seg;
	uint8_t data[]; /* sim->pkt_cap bytes */
} pkt;

typedef struct sim sim;
typedef struct sim_conn sim_conn;

typedef struct sim_core {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_config pc; /* the configuration c was made with */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	ptcp_check_conn chk;
	uint8_t *sbuf, *rbuf;
	ptcp_ooo_node *ooo; /* the lent reassembly pool (cfg.ooo_ranges), or NULL */
	sim_conn *conn;
	uint32_t id;   /* conn * 2 + side */
	uint8_t side;  /* 0 client, 1 server */
	uint32_t tpos; /* heap position of the deadline entry, NOPOS */
	uint32_t apos; /* heap position of the app wake-up entry, NOPOS */
	ptcp_time_t deadline;
	ptcp_sim_rng rng; /* the application's choices */
	uint32_t iss;     /* ISS for connect / listen */
	/* application state */
	uint64_t want;  /* bytes the application means to write (so far) */
	uint64_t wrote; /* bytes the core accepted */
	uint64_t got;   /* bytes read */
	uint32_t calls; /* random model: app calls made */
	uint8_t started, wr_done, closed, aborted, shut_rd, eof, final;
	int err; /* the first error an application call returned */
} sim_core;

struct sim_conn {
	sim_core e[2];
	ptcp_check_stream st[2]; /* [0] client->server, [1] server->client */
	uint32_t idx;
	uint32_t inflight; /* packets of this connection in the network */
	/* request/response model */
	uint64_t rr_req_end, rr_resp_end; /* stream offsets where the current transaction ends */
	uint64_t rr_req_total;
	uint32_t rr_started, rr_served, rr_done;
};

typedef struct sim_link {
	ptcp_sim_link cfg;
	ptcp_sim_rng rng;
	uint64_t loss_t, dup_t, reorder_t, corrupt_t;
	uint64_t busy_ns; /* the link is busy serializing until this time (ns) */
	uint64_t *q;      /* departure times (ns) of the packets queued, ring */
	uint32_t qcap, qhead, qn;
} sim_link;

struct sim {
	ptcp_sim_config cfg;
	ptcp_sim_result *res;
	ptcp_time_t now;
	/* the event heap */
	hent *heap;
	uint32_t hn, hcap;
	uint64_t hseq;
	/* packets */
	pkt **pkts;
	uint32_t npkts, pcap, *free_pkts, nfree;
	size_t pkt_cap;
	sim_link link[2];
	sim_conn *conns;
	unsigned nconns;
	ptcp_addr addr[2]; /* host A, host B */
	ptcp_action *act;
	size_t act_cap;
	uint8_t *pattern; /* 256 x 256 bytes: pattern[c * 256 + i] = i ^ c */
	uint8_t *iobuf;   /* IO_CHUNK bytes for sends and reads */
	uint64_t hash;
	int failed;
	int done_count;        /* connections finished (for an early stop) */
	ptcp_loss *loss_pool;  /* cfg.loss_areas areas, or NULL */
	ptcp_loss **loss_free; /* the free ones (a stack) */
	unsigned nloss_free;
	void *script; /* the event script recorder, when built in */
};

/* sim.c */
sim_core *sim_core_by_id(sim *s, uint32_t id);
/* One checked ptcp_step of k; handles the actions.  Returns ptcp_step's result. */
int sim_step(sim *s, sim_core *k, ptcp_input *in);
/* Schedule (or move) k's application wake-up at t. */
void sim_app_at(sim *s, sim_core *k, ptcp_time_t t);
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
void sim_fail(sim *s, sim_core *k, const char *fmt, ...);
void sim_fail_check(sim *s, sim_core *k, const ptcp_check_violation *v);
/* The stream bytes at offset off into buf (pattern). */
void sim_fill(const sim *s, uint8_t *buf, uint64_t off, size_t len);
void sim_hash(sim *s, uint64_t v);

/* sim_app.c */
void app_start(sim *s, sim_conn *c);
void app_pump(sim *s, sim_core *k);
void app_wake(sim *s, sim_core *k);
/* 1 when the application will still call in by itself (a wake-up is scheduled, or reads are off).
 */
int app_pending(const sim_core *k);
/* 1 when the connection's model completed; else 0 and why. */
int app_complete(const sim *s, const sim_conn *c, char *why, size_t cap);

#endif
