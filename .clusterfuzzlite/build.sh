#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of ptcp's fuzz targets.
# Uses the environment OSS-Fuzz gives: CC, CXX, CFLAGS (with the sanitizer
# flags), LIB_FUZZING_ENGINE, OUT, SRC, WORK.  Writes to $OUT, per target:
#   <target>                    the fuzzer (linked with $LIB_FUZZING_ENGINE)
#   <target>_seed_corpus.zip    corpus/<target> + corpus/regressions/<target>
#   <target>.dict, <target>.options   from fuzzers/ when present
# scripts/check-oss-fuzz-build runs this script outside Docker.
src=${PTCP_SRC:-$SRC/ptcp}
build=${WORK:-/tmp}/ptcp-build
cd "$src"
rm -rf "$build"
# CFLAGS go to meson as options (the environment's would be read only once);
# the sanitizer flags are needed when linking too.  No -Werror: OSS-Fuzz's
# clang is newer than the ones the project is warning-clean with.
env -u CFLAGS -u CXXFLAGS -u LDFLAGS CC="$CC" meson setup "$build" \
	-Dfuzz_engine=oss-fuzz -Dtests=false -Dbuildtype=plain -Dwerror=false \
	-Ddefault_library=static -Db_lundef=false \
	-Dc_args="$CFLAGS" -Dc_link_args="$CFLAGS"
# only the fuzz targets (not the adapters, benchmarks or tools)
mapfile -t targets < <(meson introspect --targets "$build" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz_") and "/fuzzers/" in t["filename"][0]:
        print(t["name"])')
[ ${#targets[@]} -gt 0 ] || { echo "build.sh: no fuzz targets found" >&2; exit 1; }
ninja -C "$build" "${targets[@]/#/fuzzers/}"
for t in "${targets[@]}"; do
	cp "$build/fuzzers/$t" "$OUT/"
	dirs=()
	for d in corpus/$t corpus/regressions/$t; do
		[ -d "$d" ] && dirs+=("$d")
	done
	rm -f "$OUT/${t}_seed_corpus.zip"
	[ ${#dirs[@]} -gt 0 ] && find "${dirs[@]}" -type f -print | zip -q -j "$OUT/${t}_seed_corpus.zip" -@
	[ -f "fuzzers/$t.dict" ] && cp "fuzzers/$t.dict" "$OUT/"
	[ -f "fuzzers/$t.options" ] && cp "fuzzers/$t.options" "$OUT/"
done
echo "build.sh: ${targets[*]} in $OUT"
