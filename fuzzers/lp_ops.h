/*
 * The operations of fuzz_listener's input, shared with its seed generator
 * (gen_corpus.c).  An input is 8 configuration bytes, then operations: one
 * byte (its value modulo LP_OP_COUNT picks the operation) and its argument
 * bytes.  Missing bytes read as 0.
 *
 *   config: flags (PTCP_TBL_* in the low nibble), pool - 1, SYN-queue
 *           entries - 1, listeners - 1, backlog cap - 1, core flags (bit 0
 *           no timestamps, 1 no window scale, 2 no SACK, 3 ECN, 4 NODELAY,
 *           5-7 SYN-ACK retries - 1), challenge-ACK limit (% 4: 1000, none,
 *           1, 2; bits 6-7 buffer size 1 KiB << n), Fast Open pending
 *           (% 8, 0 = 64; bit 7 the minimum action array)
 *   LISTEN   addr (% 4: any, 10.0.0.2, 10.0.0.3, 2001:db8::2), port (% 3:
 *            80, 443, 8080), backlog
 *   UNLISTEN slot
 *   SYN      peer (% 32), dst (bit 0 server address, bits 1.. port), opt
 *            (bit 0 MSS, 1 WS, 2 SACK-permitted, 3 TS, 4-5 Fast Open: none,
 *            request, the cookie the table gave, a wrong one; 6 ECN setup,
 *            7 new ISN), val (window, MSS / WS choice), len (% 80)
 *   REPLY    peer, var (bits 0-1 SEQ off by 0, 1, -1, 2^31; 2-3 ACK
 *            likewise; 4 FIN; 5 PSH; 6 no timestamps; 7 SYN), len
 *   RST      peer, var (bits 0-1 SEQ off by; 4 with ACK; 5 SEQ + 97 * len), len
 *   RAW      peer, dst, flags, seq (4 bytes), ack (4 bytes), len
 *   TIME     v (% 4: to the deadline, just before, just after, + (v >> 2)
 *            * 10 ms (x100 with bit 7))
 *   ACCEPT   slot
 *   APP      handle (bit 7: one not held), what (% 7: send, send x16,
 *            read, shutdown, close, abort, ICMP), len
 *   CONNECT  peer, d (local address, port; bit 4 Fast Open with data)
 *   FLOOD    n (1 + n % 64), kind (% 4: SYN, ACK with a guessed cookie, RST,
 *            Fast Open; bits 2-3 port, bit 4 server address)
 *   DRAIN    k: run the next 1 + k % 8 deadlines
 *   DUP      the last segment again
 */
#ifndef PTCP_FUZZ_LP_OPS_H
#define PTCP_FUZZ_LP_OPS_H

enum {
	LP_LISTEN,
	LP_UNLISTEN,
	LP_SYN,
	LP_REPLY,
	LP_RST,
	LP_RAW,
	LP_TIME,
	LP_ACCEPT,
	LP_APP,
	LP_CONNECT,
	LP_FLOOD,
	LP_DRAIN,
	LP_DUP,
	LP_REPLY2, /* REPLY again: answers are the common case */
	LP_REPLY3,
	LP_OP_COUNT
};

static inline const char *lp_op_name(int op)
{
	static const char *const n[LP_OP_COUNT] = {
	    "listen", "unlisten", "syn",   "reply", "rst", "raw",   "time", "accept",
	    "app",    "connect",  "flood", "drain", "dup", "reply", "reply"};
	return op >= 0 && op < LP_OP_COUNT ? n[op] : "?";
}

#endif
