#!/usr/bin/env bash
# Bulk throughput of ptcp against the kernel's TCP, beside kernel <-> kernel
# over the same veth pair in the same run, and the CPU time the ptcp process
# spends per MiB (getrusage, user + system).
#
#   PTCP_BIN=<build>/adapters bench.sh        (or: meson test -C <build> --benchmark)
#
# PTCP_BENCH_SIZE bytes per transfer (default 200M), PTCP_BENCH_REPS runs per
# row (default 3; the median is shown).  Needs root (namespaces); exit 77
# otherwise.  Rows:
#   tun  kernel -> ptcp / ptcp -> kernel: one namespace, ptcp on tun0
#   afp  kernel -> ptcp / ptcp -> kernel: veth pair k0 -- p0, ptcp AF_PACKET on p0
#   veth kernel -> kernel: the same pair, the kernel of ptcp's namespace given an
#        address on p0 (wire-like: TSO/GSO/GRO and checksum offload off, as for
#        ptcp), and once more with the veth defaults (offloads on) for reference.
set -euo pipefail
. "$(dirname "$0")/../tests/lib.sh"

SIZE=${PTCP_BENCH_SIZE:-200M}
REPS=${PTCP_BENCH_REPS:-3}
need_env
mkdata src "$SIZE"
BYTES=$(stat -c %s "$TMP/src")

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# one ptcp run: RES="MIBS CPU_MS_PER_MIB" from ptcp-bulk's summary line
ptcp_k2p() {
	local port=$((5100 + RANDOM % 800)) p
	bg "$PNS" bench-k2p "$BIN/ptcp-bulk" "${LINK[@]}" --listen $port --timeout 120
	p=$LASTPID
	wait_log bench-k2p listening
	fg_run "$TMP/src" - timeout 120 ip netns exec "$KNS" nc -N "$P4" $port || die "nc failed"
	wait_pid "$p" 30 || die "ptcp-bulk (receive) failed"
	RES=$(sed -nE 's/.* ([0-9.]+) MiB\/s, cpu [0-9.]+ s \(([0-9.]+) ms\/MiB\).*/\1 \2/p' "$TMP/bench-k2p.log")
}

ptcp_p2k() {
	local port=$((5100 + RANDOM % 800)) rx
	bg "$KNS" bench-p2k-nc sh -c "exec nc -l $K4 $port >/dev/null"
	rx=$LASTPID
	wait_listen "$KNS" $port
	fg_run - "$TMP/bench-p2k.log" nsx "$PNS" "$BIN/ptcp-bulk" "${LINK[@]}" --connect "$K4:$port" \
		--send "$TMP/src" --timeout 120 || die "ptcp-bulk (send) failed"
	wait_pid "$rx" 30 || true
	RES=$(sed -nE 's/.* ([0-9.]+) MiB\/s, cpu [0-9.]+ s \(([0-9.]+) ms\/MiB\).*/\1 \2/p' "$TMP/bench-p2k.log")
}

# kernel -> kernel from KNS to ADDR in NS: RES="MIBS -" (wall clock around nc)
kernel_k2k() { # NS ADDR
	local port=$((6100 + RANDOM % 800)) rx t0 t1
	bg "$1" bench-k2k sh -c "exec nc -l $2 $port >/dev/null"
	rx=$LASTPID
	wait_listen "$1" $port
	t0=$(date +%s%N)
	fg_run "$TMP/src" - timeout 120 ip netns exec "$KNS" nc -N "$2" $port || die "kernel nc failed"
	wait_pid "$rx" 30 || true
	t1=$(date +%s%N)
	RES="$(awk -v b="$BYTES" -v ns=$((t1 - t0)) 'BEGIN {printf "%.1f", b / 1048576 / (ns / 1e9)}') -"
}

ROWS=()
row() { # PATH DIRECTION RUNS... ("MIBS CPU" pairs)
	local path=$1 dir=$2 mibs cpu
	shift 2
	mibs=$(printf '%s\n' "$@" | awk '{print $1}' | median)
	cpu=$(printf '%s\n' "$@" | awk '{print $2}' | median)
	ROWS+=("$path|$dir|$mibs|${cpu:--}")
}

run_ptcp_rows() { # PATH
	local r=() i
	for i in $(seq 1 "$REPS"); do
		ptcp_k2p
		r+=("$RES")
	done
	row "$1" "kernel -> ptcp" "${r[@]}"
	r=()
	for i in $(seq 1 "$REPS"); do
		ptcp_p2k
		r+=("$RES")
	done
	row "$1" "ptcp -> kernel" "${r[@]}"
}

log "bench: $SIZE per transfer, median of $REPS"
topo_tun
run_ptcp_rows "tun"
ip netns del "$KNS"
topo_afp
run_ptcp_rows "afpacket/veth"
# kernel <-> kernel over the same pair: ptcp's namespace kernel gets an address on p0
nsx "$PNS" sh -c "echo 0 > /proc/sys/net/ipv6/conf/p0/disable_ipv6"
nsx "$PNS" ip addr add 10.213.1.3/24 dev p0
r=()
for i in $(seq 1 "$REPS"); do
	kernel_k2k "$PNS" 10.213.1.3
	r+=("$RES")
done
row "veth (wire-like)" "kernel -> kernel" "${r[@]}"
nsx "$KNS" ethtool -K k0 tso on gso on gro on tx on >/dev/null 2>&1 || true
nsx "$PNS" ethtool -K p0 tso on gso on gro on tx on >/dev/null 2>&1 || true
r=()
for i in $(seq 1 "$REPS"); do
	kernel_k2k "$PNS" 10.213.1.3
	r+=("$RES")
done
row "veth (offloads on)" "kernel -> kernel" "${r[@]}"

REF=$(printf '%s\n' "${ROWS[@]}" | awk -F'|' '$1 == "veth (wire-like)" {print $3}')
printf '\n%-20s %-16s %10s %14s %16s\n' "path" "direction" "MiB/s" "ptcp CPU ms/MiB" "vs kernel<->kernel"
printf '%-20s %-16s %10s %14s %16s\n' "----" "---------" "-----" "---------------" "------------------"
for r in "${ROWS[@]}"; do
	IFS='|' read -r path dir mibs cpu <<<"$r"
	ratio=$(awk -v a="$mibs" -v b="$REF" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')
	printf '%-20s %-16s %10s %14s %16s\n' "$path" "$dir" "$mibs" "$cpu" "$ratio"
done
echo "(transfers of $SIZE, median of $REPS; ratio against kernel -> kernel over the same wire-like veth pair)"
