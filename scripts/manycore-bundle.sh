#!/usr/bin/env bash
# Builds .manycore/: everything the many-core run needs on a machine without a Swift toolchain
# (../shared/tools/manycore/README.md): a static release allocshim (traits Jemalloc and NIO, so
# the sweep has the nio-tenant form), the allocator libraries it loads, the C floor (cscale) and
# the run script. Carry the folder to the many-core machine in the checkout and run, from the
# checkout's root there: OUT=/some/folder bash .manycore/manycore-run.sh
#   SCRATCH=.build-static  the build folder (default)
#   TRAITS=Jemalloc,NIO    the package traits of the build (default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
D=$ROOT/.manycore
SCRATCH=${SCRATCH:-.build-static}
TRAITS=${TRAITS:-Jemalloc,NIO}
# The folder is the build's output, never committed.
if [ -d .git ] && ! grep -qx '/.manycore/' .git/info/exclude 2>/dev/null && ! git check-ignore -q .manycore; then
  echo '/.manycore/' >> .git/info/exclude
fi
mkdir -p "$D/lib"
swift build -c release --static-swift-stdlib --product allocshim --scratch-path "$SCRATCH" --traits "$TRAITS"
strip -o "$D/allocshim" "$SCRATCH/release/allocshim"
gzip -9 -f "$D/allocshim"
# The libraries AllocShim loads (mimalloc, tcmalloc: dlopen) or links (jemalloc), and tcmalloc's unwinder.
libs=(libjemalloc.so.2 libmimalloc.so.2 libtcmalloc.so.4 libtcmalloc_minimal.so.4 libunwind.so.8)
for lib in "${libs[@]}"; do
  found=
  for dir in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu; do
    if [ -f "$dir/$lib" ]; then cp -L "$dir/$lib" "$D/lib/"; found=1; break; fi
  done
  [ -n "$found" ] || echo "manycore-bundle: $lib not found; its backend will be unavailable there" >&2
done
CSCALE_SOURCE=${CSCALE_SOURCE:-$ROOT/../shared/tools/manycore/cscale.c}
gcc -O2 -pthread "$CSCALE_SOURCE" -o "$D/cscale" -ldl
cp scripts/manycore-run.sh "$D/manycore-run.sh"
# The static build must not need the toolchain's shared Swift libraries there.
if ldd "$SCRATCH/release/allocshim" | grep -q 'libswift'; then
  echo "manycore-bundle: allocshim still links a shared Swift library:" >&2
  ldd "$SCRATCH/release/allocshim" | grep libswift >&2
  exit 1
fi
du -sh "$D" "$D"/* "$D"/lib/*
echo "Bundle ready in $D; run there: OUT=/some/folder bash .manycore/manycore-run.sh"
