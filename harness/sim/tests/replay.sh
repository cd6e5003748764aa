#!/bin/sh
# sim-trace-replay: the event script ptcp-sim records of connection 0's
# client (--trace) replays against a single core with the script runner
# (ptcp-run --strict: every expected action, every emitted segment matched).
# Usage: replay.sh PTCP_SIM PTCP_RUN.  Skips (77) without the runner.
sim=$1
run=$2
if [ ! -x "$run" ]; then
	echo "skip: no script runner at $run"
	exit 77
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0
n=0
while read -r flags; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	"$sim" $flags --trace "$dir/t$n.txt" >"$dir/sim$n.log" 2>&1
	if "$run" --strict "$dir/t$n.txt" >"$dir/run$n.log" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: ptcp-sim $flags --trace t.txt; ptcp-run --strict t.txt:"
		cat "$dir/run$n.log"
	fi
done <<'CASES'
--seed 3 --bytes 100k
--seed 3 --bytes 300k --loss 5 --reorder 3 --dup 2
--seed 7 --app echo --bytes 300k --loss 5 --mtu 1000 --corrupt 2
--seed 11 --app rr --bytes 100k --loss 2 --conns 3 --jitter 2
--seed 5 --app random --bytes 200k --loss 2
--seed 9 --ipv6 --app echo --bytes 100k --loss 3 --bw 20 --queue 10
--seed 4 --bytes 200k --buf 8k --loss 2 --cc reno --delack 0
CASES
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
