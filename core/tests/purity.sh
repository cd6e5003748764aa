#!/bin/sh
# The core library must need nothing but mem* functions and must hold no
# writable globals (its state belongs to the caller).  Usage: purity.sh LIB.a
lib=$1
if [ "${2:-}" = sanitized ]; then
	echo "SKIP: a sanitizer build adds its own globals and runtime calls; purity is checked in the plain builds"
	exit 77
fi
[ -f "$lib" ] || { echo "purity: no library at $lib"; exit 2; }
command -v nm >/dev/null || { echo "purity: nm not found (install binutils)"; exit 77; }
defined=$(nm --defined-only "$lib" | awk "NF==3 {print \$3}" | sort -u)
bad=$(nm -u "$lib" | awk "NF>=2 {print \$NF}" | sort -u | grep -vxF "$defined" | grep -v "^$" |
	grep -Ev '^(memcpy|memmove|memset|memcmp|__stack_chk_fail|__stack_chk_guard|_GLOBAL_OFFSET_TABLE_|__asan_.*|__ubsan_.*|__sanitizer_.*|__sancov_.*|__start___sancov.*|__stop___sancov.*|__llvm_.*|__afl_.*|__cmplog_.*)$' |
	grep -v '^ptcp_')
echo "undefined symbols of $lib:"; nm -u "$lib" | awk '{print "  " $NF}' | sort -u
# Writable data = objects in .data or .bss; .data.rel.ro is constant after relocation.
data=$(objdump -t "$lib" | awk '$0 ~ / O / {for (i = 1; i <= NF; i++) if ($i ~ /^\.(data|bss)/ && $i !~ /^\.data\.rel\.ro/) print $NF}')
status=0
if [ -n "$bad" ]; then echo "FAIL: the core calls outside itself: $bad"; status=1; fi
if [ -n "$data" ]; then echo "FAIL: writable globals in the core: $data"; status=1; fi
[ $status = 0 ] && echo "PASS: only mem* functions, no writable globals"
exit $status
