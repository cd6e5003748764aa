/*
 * ptcp-replay: pcap output through libpcap (pcap_open_dead + pcap_dump).
 *
 * Link type Ethernet (DLT_EN10MB) with made-up MAC addresses: the core's
 * end is PTCP_REPLAY_MAC_CORE, the peer's PTCP_REPLAY_MAC_PEER, so that
 * --import can tell the core's packets from the peer's.  The EtherType
 * follows the IP version nibble (6: IPv6, anything else: IPv4), so a packet
 * with a bad version shows as the malformed IPv4 packet it is.  Packets go
 * in exactly as recorded: emitted ones were built by the wire codec (correct
 * checksums), injected ones are the bytes the core was given.
 * libpcap (1.10) writes pcap only, not pcapng, so packets the network
 * dropped go to a second file instead of carrying a pcapng comment.
 */
#define _DEFAULT_SOURCE /* u_int, u_char for pcap.h under -std=c11 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define SNAPLEN  262144u
#define ETH_HLEN 14u

static int dump(pcap_dumper_t *d, const ptcp_replay_pkt *p, uint8_t *frame)
{
	static const uint8_t core[6] = PTCP_REPLAY_MAC_CORE, peer[6] = PTCP_REPLAY_MAC_PEER;
	struct pcap_pkthdr h;
	size_t len = p->len;
	int v6 = len > 0 && (p->data[0] >> 4) == 6;
	if (len > SNAPLEN - ETH_HLEN)
		len = SNAPLEN - ETH_HLEN;
	memcpy(frame, p->dir == PTCP_REPLAY_OUT ? peer : core, 6);
	memcpy(frame + 6, p->dir == PTCP_REPLAY_OUT ? core : peer, 6);
	frame[12] = v6 ? 0x86 : 0x08;
	frame[13] = v6 ? 0xdd : 0x00;
	if (len)
		memcpy(frame + ETH_HLEN, p->data, len);
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(p->t / 1000000u);
	h.ts.tv_usec = (suseconds_t)(p->t % 1000000u);
	h.caplen = (bpf_u_int32)(len + ETH_HLEN);
	h.len = (bpf_u_int32)(p->len + ETH_HLEN);
	pcap_dump((u_char *)d, &h, frame);
	return 0;
}

static long write_one(const ptcp_replay_rec *r, const char *path, int dropped, char *err,
                      size_t errcap)
{
	pcap_t *pd;
	pcap_dumper_t *d;
	uint8_t *frame;
	long n = 0;
	pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)SNAPLEN,
	                                          PCAP_TSTAMP_PRECISION_MICRO);
	if (!pd) {
		snprintf(err, errcap, "pcap_open_dead failed");
		return -1;
	}
	d = pcap_dump_open(pd, path);
	if (!d) {
		snprintf(err, errcap, "%s", pcap_geterr(pd));
		pcap_close(pd);
		return -1;
	}
	frame = malloc(SNAPLEN);
	if (!frame) {
		snprintf(err, errcap, "out of memory");
		pcap_dump_close(d);
		pcap_close(pd);
		return -1;
	}
	for (size_t i = 0; i < r->npkt; i++) {
		if (r->pkt[i].dropped != dropped)
			continue;
		dump(d, &r->pkt[i], frame);
		n++;
	}
	free(frame);
	if (pcap_dump_flush(d) != 0) {
		snprintf(err, errcap, "%s: write error", path);
		n = -1;
	}
	pcap_dump_close(d);
	pcap_close(pd);
	return n;
}

long ptcp_replay_write_pcap(const ptcp_replay_rec *r, const char *path, const char *drops_path,
                            char *err, size_t errcap)
{
	long n = write_one(r, path, 0, err, errcap);
	int any = 0;
	if (n < 0 || !drops_path)
		return n;
	for (size_t i = 0; i < r->npkt; i++)
		any |= r->pkt[i].dropped;
	if (any && write_one(r, drops_path, 1, err, errcap) < 0)
		return -1;
	return n;
}
