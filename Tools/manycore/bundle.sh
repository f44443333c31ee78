#!/usr/bin/env bash
# Builds .manycore/ in the checkout's root: what a many-core machine without a Swift toolchain
# needs to run the scaling sweep (issue 23) — a static release build of `allocshim` (traits
# Jemalloc and NIO, so the sweep has the nio-tenant form), the allocator libraries it loads, the
# C floor (cscale) and the tcmalloc consumer loop (tcpc). Carry .manycore/ with the checkout and
# run `bash .manycore/run.sh` there (OUT=folder for the results). `make manycore-bundle` runs this.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=.manycore
MULTIARCH=$(gcc -print-multiarch)
rm -rf "$D" && mkdir -p "$D/lib"
swift build -c release --static-swift-stdlib --product allocshim --traits Jemalloc,NIO --scratch-path .build-static
strip -o "$D/allocshim" .build-static/release/allocshim && gzip -9 "$D/allocshim"
for lib in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc.so.4 libtcmalloc_minimal.so.4; do
  cp "/usr/lib/$MULTIARCH/$lib" "$D/lib/"
done
cp "/lib/$MULTIARCH/libunwind.so.8" "$D/lib/" 2>/dev/null || cp "/usr/lib/$MULTIARCH/libunwind.so.8" "$D/lib/"
gcc -O2 -pthread ../shared/tools/manycore/cscale.c -o "$D/cscale" -ldl
gcc -O2 -pthread Tools/manycore/tcpc.c -o "$D/tcpc" -ldl
cp Tools/manycore/run.sh "$D/run.sh"
git rev-parse HEAD > "$D/commit.txt"
git status --porcelain --untracked-files=no | sed 's/^/changed: /' >> "$D/commit.txt"
du -sh "$D"
