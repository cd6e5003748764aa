#!/bin/sh
# Differential test of the reassembly: the trace of the core with ooo.c (a
# tree) must equal the trace of the core with the list it replaced
# (ooo_list.c), byte for byte.  Usage: ooo_diff.sh TREE_TRACE LIST_TRACE [SEEDS]
set -u
tree=$1 list=$2 seeds=${3:-400}
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
"$tree" "$seeds" >"$dir/tree" || { echo "FAIL: $tree exited with $?"; exit 1; }
"$list" "$seeds" >"$dir/list" || { echo "FAIL: $list exited with $?"; exit 1; }
tail -n 1 "$dir/tree"
if ! cmp -s "$dir/tree" "$dir/list"; then
	echo "FAIL: the traces differ (tree < > list), first differences:"
	diff "$dir/tree" "$dir/list" | head -20
	exit 1
fi
# Not vacuous: ranges were queued (SACK blocks sent) and pools filled up.
sack=$(tail -n 1 "$dir/tree" | sed -n 's/.* \([0-9][0-9]*\) segments with SACK.*/\1/p')
full=$(tail -n 1 "$dir/tree" | sed -n 's/.* \([0-9][0-9]*\) ooo-full drops.*/\1/p')
if [ "${sack:-0}" -lt 1000 ] || [ "${full:-0}" -lt 10 ]; then
	echo "FAIL: the scenarios did not exercise reassembly (sack ${sack:-?}, full ${full:-?})"
	exit 1
fi
echo "PASS: $(wc -l <"$dir/tree") identical trace lines"
