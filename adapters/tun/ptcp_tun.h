/*
 * ptcp_tun: a ptcp_link over a Linux TUN device (IFF_TUN | IFF_NO_PI).
 *
 * IMPLEMENTATION NOTES
 * The device carries bare IP packets: one read() is one packet in, one
 * write() one packet out.  The fd is non-blocking; recv() reads until
 * EAGAIN or the batch is full.  The device may exist already (ip tuntap add,
 * persistent, configured by the caller) or is created by TUNSETIFF and
 * disappears with the process.  The kernel side of the device is the peer:
 * give it an address on the same subnet as ours.  When the device is up,
 * open waits (at most 2 s) until the kernel runs its queue: our attach
 * brings the carrier, and until the kernel notices it drops what it sends.
 */
#ifndef PTCP_TUN_H
#define PTCP_TUN_H

#include <net/if.h>

#include "ptcp_stack.h"

typedef struct ptcp_tun {
	ptcp_link link;
	char name[IFNAMSIZ];
	uint8_t buf[65536];
} ptcp_tun;

/* Attach to (or create) TUN device name; the MTU is read from the device.
 * Returns 0 or -errno. */
int ptcp_tun_open(ptcp_tun *t, const char *name);

#endif
