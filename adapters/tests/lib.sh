# Shared by the interop tests: namespaces, topologies, processes, transfers.
# Sourced by interop.sh (bash, set -euo pipefail).
#
# Everything a test creates lives in network namespaces named ptcp-<pid>-*:
# the host's own interfaces and routes are never touched.  The EXIT trap
# kills the processes the test started (by PID), deletes its namespaces
# (which deletes their TUN and veth devices) and its temporary folder.

ID=$$
NSES=()
PIDS=()
TMP=
LASTPID=
BIN=${PTCP_BIN:?PTCP_BIN must name the folder with ptcp-echo, ptcp-bulk, ptcp-get, ptcp-impair}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PTCP_PYTHON:-python3}

log() { echo "== $*" >&2; }
skip() {
	echo "SKIP: $*" >&2
	exit 77
}
die() {
	echo "FAIL: $*" >&2
	for f in "$TMP"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f")" >&2
		tail -n 25 "$f" >&2
	done
	exit 1
}

forget_pid() { # a reaped PID may be reused: never signal it again
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

stop_pid() {
	local p=$1 i
	kill "$p" 2>/dev/null || return 0
	for i in $(seq 1 40); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	forget_pid "$p"
}

cleanup() {
	local rc=$? p n
	set +e
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	PIDS=()
	for n in "${NSES[@]}"; do ip netns del "$n" 2>/dev/null; done
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Skip (77) with the reason and the fix when the machine cannot run the tests.
need_env() {
	local t missing=()
	[ "$(id -u)" = 0 ] ||
		skip "needs root (network namespaces, TUN, AF_PACKET). Fix: sudo meson test -C <build> --suite interop"
	[ -c /dev/net/tun ] ||
		skip "/dev/net/tun is missing. Fix: modprobe tun (kernel CONFIG_TUN), or in a container: --device /dev/net/tun"
	for t in ip nc curl ping ss ethtool "$PY"; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] ||
		skip "missing tools: ${missing[*]}. Fix: apt-get install iproute2 netcat-openbsd curl iputils-ping ethtool python3 (scripts/deps.sh lists them)"
	nc -h 2>&1 | grep -q OpenBSD ||
		skip "nc is not netcat-openbsd. Fix: apt-get install netcat-openbsd"
	# namespaces of an earlier test that was killed outright (SIGKILL skips its trap)
	local n owner
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^ptcp-[0-9]+-' || true); do
		owner=${n#ptcp-}
		owner=${owner%%-*}
		kill -0 "$owner" 2>/dev/null || ip netns del "$n" 2>/dev/null || true
	done
	ip netns add "ptcp-$ID-probe" 2>/dev/null ||
		skip "cannot create network namespaces (ip netns add failed; a container needs CAP_SYS_ADMIN)"
	ip netns del "ptcp-$ID-probe"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/ptcp-interop.XXXXXX")
}

# newns NAME: a namespace ptcp-<pid>-NAME with lo up; the name goes to $NS.
newns() {
	NS=ptcp-$ID-$1
	ip netns add "$NS"
	NSES+=("$NS")
	ip -n "$NS" link set lo up
}

nsx() { # nsx NS CMD...: run CMD in namespace NS
	local n=$1
	shift
	ip netns exec "$n" "$@"
}

# bg NS LOGNAME CMD...: start CMD in NS, output to $TMP/LOGNAME.log; PID in $LASTPID.
bg() {
	local n=$1 name=$2
	shift 2
	ip netns exec "$n" "$@" >"$TMP/$name.log" 2>&1 &
	LASTPID=$!
	PIDS+=("$LASTPID")
}

# fg_run IN OUT CMD...: run CMD with stdin IN and output OUT ("-": /dev/null,
# inherited) as a job we wait for, so that a signal runs our trap at once
# (bash holds traps while a foreground command runs).  Returns CMD's status.
fg_run() {
	local in=$1 out=$2 p rc=0
	shift 2
	[ "$in" = - ] && in=/dev/null
	if [ "$out" = - ]; then
		"$@" <"$in" &
	else
		"$@" <"$in" >"$out" 2>&1 &
	fi
	p=$!
	PIDS+=("$p")
	wait "$p" || rc=$?
	forget_pid "$p"
	return $rc
}

# wait_log NAME PATTERN [SECONDS]: until the log of NAME contains PATTERN.
wait_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		grep -q "$2" "$TMP/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	die "$1 did not log '$2'"
}

# wait_listen NS PORT: until a kernel socket listens on PORT in NS.
wait_listen() {
	local i
	for i in $(seq 1 200); do
		[ -n "$(nsx "$1" ss -Hltn "sport = :$2")" ] && return 0
		sleep 0.05
	done
	die "nothing listens on port $2 in $1"
}

# wait_pid PID SECONDS: wait for a started process; its exit status in $?.
wait_pid() {
	local p=$1 t=$2 i
	for i in $(seq 1 $((t * 20))); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$p" 2>/dev/null; then
		stop_pid "$p"
		return 124
	fi
	local rc=0
	wait "$p" || rc=$?
	forget_pid "$p"
	return $rc
}

# Kernel-side veth ends: no TSO/GSO/GRO and checksums computed in software,
# so frames on the pair look like frames on a real wire (MTU-sized, with
# correct checksums that ptcp verifies).
wire_like() { # NS DEV
	nsx "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || true
}

veth() { # veth NS_A DEV_A NS_B DEV_B
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	wire_like "$1" "$2"
	wire_like "$3" "$4"
}

no_ip() { # the kernel must ignore a device that ptcp (or the impairer) owns
	nsx "$1" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$2/disable_ipv6"
	ip -n "$1" link set "$2" up
}

forwarding() {
	nsx "$1" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
}

# ---- topologies ----------------------------------------------------------
# Each sets: KNS (kernel peer namespace), PNS (ptcp namespace), LINK (ptcp
# link and address options), K4/K6 (kernel peer), P4/P6 (ptcp).

# One namespace: the kernel's side of tun0 is 10.213.0.1, ptcp is 10.213.0.2.
topo_tun() {
	newns a
	KNS=$NS PNS=$NS
	nsx "$NS" ip tuntap add dev tun0 mode tun
	nsx "$NS" ip addr add 10.213.0.1/24 dev tun0
	nsx "$NS" ip -6 addr add fd00:213::1/64 dev tun0 nodad
	nsx "$NS" ip link set tun0 up
	K4=10.213.0.1 P4=10.213.0.2 K6=fd00:213::1 P6=fd00:213::2
	LINK=(--tun tun0 --addr "$P4" --addr "$P6" --stats)
}

# Two namespaces, one veth pair: k0 (kernel, 10.213.1.1) -- p0 (ptcp, AF_PACKET, no kernel address).
topo_afp() {
	newns k
	KNS=$NS
	newns p
	PNS=$NS
	veth "$KNS" k0 "$PNS" p0
	nsx "$KNS" ip addr add 10.213.1.1/24 dev k0
	nsx "$KNS" ip -6 addr add fd00:213:1::1/64 dev k0 nodad
	ip -n "$KNS" link set k0 up
	no_ip "$PNS" p0
	K4=10.213.1.1 P4=10.213.1.2 K6=fd00:213:1::1 P6=fd00:213:1::2
	LINK=(--afpacket p0 --addr "$P4/24" --addr "$P6/64" --stats)
}

netem_works() {
	local n=ptcp-$ID-netem ok=1
	ip netns add "$n" || return 1
	ip -n "$n" link add d0 type veth peer name d1 2>/dev/null &&
		ip netns exec "$n" tc qdisc add dev d0 root netem loss 1% 2>/dev/null && ok=0
	ip netns del "$n"
	return $ok
}

# kernel -- [middle namespace: 2% loss, 1% reordering, 1% duplication, both ways] -- ptcp.
# With sch_netem: a bridge with netem on both ports; without: ptcp-impair.
# PTCP_IMPAIR=netem|user|bridge forces one (bridge: no impairment at all).
# $1: tun or afp.
topo_impair() {
	local mode=${PTCP_IMPAIR:-auto}
	newns k
	KNS=$NS
	newns m
	MNS=$NS
	newns p
	PNS=$NS
	veth "$KNS" k0 "$MNS" m0
	veth "$MNS" m1 "$PNS" p0
	no_ip "$MNS" m0
	no_ip "$MNS" m1
	if [ "$mode" = auto ]; then
		if netem_works; then mode=netem; else mode=user; fi
	fi
	if [ "$mode" = netem ] || [ "$mode" = bridge ]; then
		ip -n "$MNS" link add br0 type bridge
		ip -n "$MNS" link set m0 master br0
		ip -n "$MNS" link set m1 master br0
		ip -n "$MNS" link set br0 up
		if [ "$mode" = netem ]; then
			log "impairment: tc netem (loss 2%, reorder 1%, duplicate 1%, delay 1ms) on both bridge ports"
			for d in m0 m1; do
				nsx "$MNS" tc qdisc add dev $d root netem loss 2% reorder 1% duplicate 1% delay 1ms
			done
		else
			log "impairment: none (PTCP_IMPAIR=bridge: a plain bridge, to check the topology)"
		fi
	else
		log "impairment: sch_netem is not available in this kernel; using ptcp-impair (userspace bridge: loss 2%, reorder 1%, duplicate 1%, both ways)"
		bg "$MNS" impair "$BIN/ptcp-impair" --a m0 --b m1 --loss 2 --reorder 1 --dup 1 --seed "$ID"
	fi
	nsx "$KNS" ip addr add 10.213.1.1/24 dev k0
	nsx "$KNS" ip -6 addr add fd00:213:1::1/64 dev k0 nodad
	ip -n "$KNS" link set k0 up
	K4=10.213.1.1 K6=fd00:213:1::1
	if [ "$1" = tun ]; then
		# ptcp's namespace routes between the wire (p0) and its TUN device
		forwarding "$PNS"
		nsx "$PNS" ip addr add 10.213.1.2/24 dev p0
		nsx "$PNS" ip -6 addr add fd00:213:1::2/64 dev p0 nodad
		ip -n "$PNS" link set p0 up
		nsx "$PNS" ip tuntap add dev tun0 mode tun
		nsx "$PNS" ip addr add 10.213.0.1/24 dev tun0
		nsx "$PNS" ip -6 addr add fd00:213::1/64 dev tun0 nodad
		nsx "$PNS" ip link set tun0 up
		nsx "$KNS" ip route add 10.213.0.0/24 via 10.213.1.2
		nsx "$KNS" ip -6 route add fd00:213::/64 via fd00:213:1::2
		P4=10.213.0.2 P6=fd00:213::2
		LINK=(--tun tun0 --addr "$P4" --addr "$P6" --stats)
	else
		no_ip "$PNS" p0
		P4=10.213.1.2 P6=fd00:213:1::2
		LINK=(--afpacket p0 --addr "$P4/24" --addr "$P6/64" --stats)
	fi
}

# kernel (MTU 1500) -- r1 ==(MTU 1280)== r2 -- ptcp (MTU 1500): neither end
# knows the small link, so both must do path MTU discovery from the routers'
# ICMP "fragmentation needed" / "packet too big".  $1: tun or afp.
topo_pmtu() {
	newns k
	KNS=$NS
	newns r1
	R1=$NS
	newns r2
	R2=$NS
	newns p
	PNS=$NS
	veth "$KNS" k0 "$R1" r1k
	veth "$R1" r1n "$R2" r2n
	veth "$R2" r2p "$PNS" p0
	forwarding "$R1"
	forwarding "$R2"
	ip -n "$R1" link set r1n mtu 1280
	ip -n "$R2" link set r2n mtu 1280
	nsx "$KNS" ip addr add 10.213.1.1/24 dev k0
	nsx "$KNS" ip -6 addr add fd00:213:1::1/64 dev k0 nodad
	nsx "$R1" ip addr add 10.213.1.254/24 dev r1k
	nsx "$R1" ip -6 addr add fd00:213:1::fe/64 dev r1k nodad
	nsx "$R1" ip addr add 10.213.2.1/24 dev r1n
	nsx "$R1" ip -6 addr add fd00:213:2::1/64 dev r1n nodad
	nsx "$R2" ip addr add 10.213.2.2/24 dev r2n
	nsx "$R2" ip -6 addr add fd00:213:2::2/64 dev r2n nodad
	nsx "$R2" ip addr add 10.213.3.1/24 dev r2p
	nsx "$R2" ip -6 addr add fd00:213:3::1/64 dev r2p nodad
	for d in "$KNS k0" "$R1 r1k" "$R1 r1n" "$R2 r2n" "$R2 r2p"; do
		set -- $d
		ip -n "$1" link set "$2" up
	done
	nsx "$KNS" ip route add default via 10.213.1.254
	nsx "$KNS" ip -6 route add default via fd00:213:1::fe
	nsx "$R1" ip route add default via 10.213.2.2
	nsx "$R1" ip -6 route add default via fd00:213:2::2
	nsx "$R2" ip route add 10.213.1.0/24 via 10.213.2.1
	nsx "$R2" ip -6 route add fd00:213:1::/64 via fd00:213:2::1
	K4=10.213.1.1 K6=fd00:213:1::1
	if [ "${PMTU_LINK:-afp}" = tun ]; then
		forwarding "$PNS"
		nsx "$PNS" ip addr add 10.213.3.2/24 dev p0
		nsx "$PNS" ip -6 addr add fd00:213:3::2/64 dev p0 nodad
		ip -n "$PNS" link set p0 up
		nsx "$PNS" ip route add default via 10.213.3.1
		nsx "$PNS" ip -6 route add default via fd00:213:3::1
		nsx "$PNS" ip tuntap add dev tun0 mode tun
		nsx "$PNS" ip addr add 10.213.0.1/24 dev tun0
		nsx "$PNS" ip -6 addr add fd00:213::1/64 dev tun0 nodad
		nsx "$PNS" ip link set tun0 up
		nsx "$R2" ip route add 10.213.0.0/24 via 10.213.3.2
		nsx "$R2" ip -6 route add fd00:213::/64 via fd00:213:3::2
		P4=10.213.0.2 P6=fd00:213::2
		LINK=(--tun tun0 --addr "$P4" --addr "$P6" --stats)
	else
		no_ip "$PNS" p0
		P4=10.213.3.2 P6=fd00:213:3::2
		LINK=(--afpacket p0 --addr "$P4/24" --addr "$P6/64" --gw 10.213.3.1 --gw fd00:213:3::1 --stats)
	fi
}

# ---- data and checks -------------------------------------------------------
# mkdata NAME SIZE: a file of SIZE random bytes (K/M suffixes as head -c).
mkdata() {
	head -c "$2" /dev/urandom >"$TMP/$1"
}

same() { # same FILE_A FILE_B WHAT
	local a b
	a=$(sha256sum <"$1" | cut -d' ' -f1)
	b=$(sha256sum <"$2" | cut -d' ' -f1)
	[ "$a" = "$b" ] || die "$3: sha256 differs ($a sent, $b received; $(stat -c %s "$2") of $(stat -c %s "$1") bytes)"
	log "$3: sha256 $a OK"
}

host() { # host ADDR: bracket IPv6 for URLs and HOST:PORT
	case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac
}

summary() { # the ptcp program's last summary line
	grep -E "^ptcp-(bulk|get): .*(MiB/s|drops:)" "$TMP/$1.log" | tail -n 2 >&2 || true
}

T_XFER=${PTCP_INTEROP_TIMEOUT:-120}

# kernel -> ptcp: nc (or the Python peer) sends FILE, ptcp-bulk receives it.
xfer_k2p() { # NAME FILE ADDR TOOL(nc|py)
	local name=$1 file=$2 addr=$3 tool=${4:-nc} port=5001 rc=0
	bg "$PNS" "$name" "$BIN/ptcp-bulk" "${LINK[@]}" --listen $port --recv "$TMP/$name.out" \
		--timeout "$T_XFER"
	local ptcp=$LASTPID
	wait_log "$name" listening
	if [ "$tool" = nc ]; then
		fg_run "$file" - timeout "$T_XFER" ip netns exec "$KNS" nc -N "$addr" $port || rc=$?
	else
		fg_run - - timeout "$T_XFER" ip netns exec "$KNS" "$PY" "$HERE/peer.py" send "$addr" $port "$file" || rc=$?
	fi
	[ $rc = 0 ] || die "$name: kernel sender ($tool) failed ($rc)"
	wait_pid "$ptcp" 30 || die "$name: ptcp-bulk failed ($?)"
	summary "$name"
	same "$file" "$TMP/$name.out" "$name"
	rm -f "$TMP/$name.out"
}

# ptcp -> kernel: ptcp-bulk sends FILE to nc -l (or the Python peer).
xfer_p2k() { # NAME FILE KADDR TOOL(nc|py)
	local name=$1 file=$2 addr=$3 tool=${4:-nc} port=5002 rc=0 rx
	if [ "$tool" = nc ]; then
		bg "$KNS" "$name-nc" sh -c "exec nc -l $addr $port > $TMP/$name.out"
	else
		bg "$KNS" "$name-py" sh -c "exec $PY $HERE/peer.py recv $addr $port > $TMP/$name.sha"
	fi
	rx=$LASTPID
	wait_listen "$KNS" $port
	fg_run - "$TMP/$name.log" nsx "$PNS" timeout "$T_XFER" "$BIN/ptcp-bulk" "${LINK[@]}" \
		--connect "$(host "$addr"):$port" --send "$file" --timeout "$T_XFER" || rc=$?
	[ $rc = 0 ] || die "$name: ptcp-bulk failed ($rc)"
	wait_pid "$rx" 30 || die "$name: kernel receiver ($tool) failed ($?)"
	summary "$name"
	if [ "$tool" = nc ]; then
		same "$file" "$TMP/$name.out" "$name"
		rm -f "$TMP/$name.out"
	else
		[ "$(sha256sum <"$file" | cut -d' ' -f1)" = "$(cat "$TMP/$name.sha")" ] ||
			die "$name: sha256 differs"
		log "$name: sha256 $(cat "$TMP/$name.sha") OK"
	fi
}

# kernel HTTP server -> ptcp-get.
xfer_http_get() { # NAME FILE KADDR
	local name=$1 file=$2 addr=$3 port=8000 srv
	mkdir -p "$TMP/www"
	ln -sf "$file" "$TMP/www/data"
	bg "$KNS" "$name-httpd" "$PY" -m http.server --bind "$addr" --directory "$TMP/www" $port
	srv=$LASTPID
	wait_listen "$KNS" $port
	fg_run - "$TMP/$name.log" nsx "$PNS" timeout "$T_XFER" "$BIN/ptcp-get" "${LINK[@]}" \
		"http://$(host "$addr"):$port/data" -o "$TMP/$name.out" || die "$name: ptcp-get failed"
	summary "$name"
	same "$file" "$TMP/$name.out" "$name"
	stop_pid "$srv"
	rm -f "$TMP/$name.out"
}

# ptcp-bulk --http -> curl.
xfer_curl() { # NAME FILE PADDR
	local name=$1 file=$2 addr=$3 port=8080 ptcp
	bg "$PNS" "$name" "$BIN/ptcp-bulk" "${LINK[@]}" --listen $port --http --send "$file" \
		--timeout "$T_XFER"
	ptcp=$LASTPID
	wait_log "$name" listening
	fg_run - - nsx "$KNS" curl -sS --max-time "$T_XFER" -o "$TMP/$name.out" \
		"http://$(host "$addr"):$port/" || die "$name: curl failed"
	wait_pid "$ptcp" 30 || die "$name: ptcp-bulk --http failed ($?)"
	summary "$name"
	same "$file" "$TMP/$name.out" "$name"
	rm -f "$TMP/$name.out"
}

# The Python peer against ptcp-echo: SIZE bytes both ways at once.
xfer_echo() { # NAME PADDR SIZE_BYTES
	local name=$1 addr=$2 size=$3 ptcp
	bg "$PNS" "$name" "$BIN/ptcp-echo" "${LINK[@]}" --port 7 --once
	ptcp=$LASTPID
	wait_log "$name" listening
	fg_run - - timeout "$T_XFER" ip netns exec "$KNS" "$PY" "$HERE/peer.py" echo "$addr" 7 "$size" ||
		die "$name: echo through ptcp-echo failed"
	wait_pid "$ptcp" 30 || die "$name: ptcp-echo failed ($?)"
	grep "connection ended" "$TMP/$name.log" >&2 || true
}
