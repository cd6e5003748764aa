#!/usr/bin/env bash
# Interop tests: the ptcp core (through the TUN and AF_PACKET adapters)
# against the Linux kernel's own TCP, inside network namespaces this script
# creates and deletes.
#
#   PTCP_BIN=<build>/adapters interop.sh CASE
#
# CASE is LINK-WHAT, LINK tun or afp:
#   basic   ping (ICMP echo), nc echo, RST from a closed port, ICMPv6 echo
#   nc      BIG bytes kernel -> ptcp and ptcp -> kernel with nc, sha256 checked
#   apps    SMALL bytes: python http.server -> ptcp-get, ptcp-bulk --http -> curl,
#           Python socket peer <-> ptcp-echo (both ways at once), Python send/recv
#   ipv6    SMALL bytes each way over IPv6 (nc and the Python peer)
#   impair  SMALL and BIG bytes each way (nc) and an echo, with 2% loss, 1% reordering and
#           1% duplication in both directions (tc netem, or ptcp-impair without it)
#   pmtu    SMALL bytes each way over IPv4 and IPv6 across a 1280-byte link in the
#           middle that both ends must discover (ICMP frag-needed / packet too big)
# Sizes: PTCP_INTEROP_BIG (default 100M), PTCP_INTEROP_SMALL (default 10M).
# Exit 77 (skip) when root, /dev/net/tun, namespaces or a tool is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CASE=${1:?usage: interop.sh CASE (e.g. tun-nc; see the header)}
BIG=${PTCP_INTEROP_BIG:-100M}
SMALL=${PTCP_INTEROP_SMALL:-10M}
LINKKIND=${CASE%%-*}
WHAT=${CASE#*-}
case $LINKKIND in tun | afp) ;; *) echo "unknown link in $CASE" >&2; exit 2 ;; esac

need_env

case_basic() {
	topo_$LINKKIND
	bg "$PNS" echo "$BIN/ptcp-echo" "${LINK[@]}" --port 7
	wait_log echo listening
	nsx "$KNS" ping -c 3 -i 0.2 -W 2 "$P4" >"$TMP/ping.log" || die "ping $P4 failed"
	log "ping $P4: $(grep -o '[0-9]* received' "$TMP/ping.log")"
	nsx "$KNS" ping -6 -c 3 -i 0.2 -W 2 "$P6" >"$TMP/ping6.log" || die "ping -6 $P6 failed"
	log "ping -6 $P6: $(grep -o '[0-9]* received' "$TMP/ping6.log")"
	local got
	got=$(echo "hello ptcp" | timeout 10 ip netns exec "$KNS" nc -N "$P4" 7) || die "nc echo failed"
	[ "$got" = "hello ptcp" ] || die "echo returned '$got'"
	log "nc echo over IPv4: '$got' OK"
	got=$(echo "hello ptcp6" | timeout 10 ip netns exec "$KNS" nc -N "$P6" 7) || die "nc -6 echo failed"
	[ "$got" = "hello ptcp6" ] || die "echo returned '$got'"
	log "nc echo over IPv6: '$got' OK"
	# a closed port answers RST: the kernel reports "refused" at once, not a timeout
	local t0 t1 out
	t0=$(date +%s%N)
	if out=$(timeout 10 ip netns exec "$KNS" nc -z -w 5 "$P4" 9 2>&1); then
		die "connect to closed port 9 succeeded"
	fi
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 3000 ] || die "closed port: no RST (took $(((t1 - t0) / 1000000)) ms)"
	log "closed port 9: refused in $(((t1 - t0) / 1000000)) ms"
	# ten connections in a row, each echoing 64 KiB
	mkdata small 64K
	for i in $(seq 1 10); do
		timeout 10 ip netns exec "$KNS" nc -N "$P4" 7 <"$TMP/small" >"$TMP/small.out" ||
			die "echo connection $i failed"
		cmp -s "$TMP/small" "$TMP/small.out" || die "echo connection $i: data differs"
	done
	log "10 echo connections of 64 KiB: OK"
}

case_nc() {
	topo_$LINKKIND
	mkdata big "$BIG"
	xfer_k2p "k2p-nc-$BIG" "$TMP/big" "$P4" nc
	xfer_p2k "p2k-nc-$BIG" "$TMP/big" "$K4" nc
}

case_apps() {
	topo_$LINKKIND
	mkdata small "$SMALL"
	xfer_http_get "httpd-to-ptcp-get-$SMALL" "$TMP/small" "$K4"
	xfer_curl "ptcp-http-to-curl-$SMALL" "$TMP/small" "$P4"
	xfer_echo "python-echo-$SMALL" "$P4" "$(stat -c %s "$TMP/small")"
	xfer_k2p "k2p-python-$SMALL" "$TMP/small" "$P4" py
	xfer_p2k "p2k-python-$SMALL" "$TMP/small" "$K4" py
}

case_ipv6() {
	topo_$LINKKIND
	mkdata small "$SMALL"
	xfer_k2p "k2p-v6-nc-$SMALL" "$TMP/small" "$P6" nc
	xfer_p2k "p2k-v6-python-$SMALL" "$TMP/small" "$K6" py
	xfer_http_get "httpd-v6-to-ptcp-get-$SMALL" "$TMP/small" "$K6"
}

case_impair() {
	topo_impair "$LINKKIND"
	mkdata small "$SMALL"
	xfer_k2p "k2p-impair-$SMALL" "$TMP/small" "$P4" nc
	xfer_p2k "p2k-impair-$SMALL" "$TMP/small" "$K4" nc
	xfer_echo "echo-impair-$SMALL" "$P4" "$(stat -c %s "$TMP/small")"
	xfer_k2p "k2p-v6-impair-$SMALL" "$TMP/small" "$P6" py
	# and the big transfer each way under the same faults (issue 9)
	mkdata big "$BIG"
	xfer_k2p "k2p-impair-$BIG" "$TMP/big" "$P4" nc
	xfer_p2k "p2k-impair-$BIG" "$TMP/big" "$K4" nc
}

case_pmtu() {
	PMTU_LINK=$LINKKIND topo_pmtu
	mkdata small "$SMALL"
	xfer_p2k "p2k-pmtu-$SMALL" "$TMP/small" "$K4" nc
	grep -Eq "frag-needed [1-9][0-9]* \(last mtu 1280\)" "$TMP/p2k-pmtu-$SMALL.log" ||
		die "ptcp never got an ICMP frag-needed (mtu 1280)"
	log "ptcp got ICMP fragmentation-needed, mtu 1280"
	xfer_k2p "k2p-pmtu-$SMALL" "$TMP/small" "$P4" nc
	xfer_p2k "p2k-v6-pmtu-$SMALL" "$TMP/small" "$K6" py
	grep -Eq "frag-needed [1-9][0-9]* \(last mtu 1280\)" "$TMP/p2k-v6-pmtu-$SMALL.log" ||
		die "ptcp never got an ICMPv6 packet too big (mtu 1280)"
	log "ptcp got ICMPv6 packet-too-big, mtu 1280"
	xfer_k2p "k2p-v6-pmtu-$SMALL" "$TMP/small" "$P6" nc
	nsx "$KNS" ip route get "$P4" | grep -q "mtu 1280" && log "kernel learned path MTU 1280 to $P4" ||
		log "note: kernel route cache shows no mtu (it may have expired)"
}

case $WHAT in
basic | nc | apps | ipv6 | impair | pmtu) "case_$WHAT" ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
log "$CASE: PASS"
