#!/usr/bin/env bash
# Installs the Debian packages AllocShim needs, only those missing. Safe to run repeatedly.
#   required: libjemalloc-dev (the Jemalloc trait), pkg-config (SwiftPM finds jemalloc with it),
#             curl (the example service's smoke test)
#             valgrind, binutils (objdump): the shared-write guard, make test-shared-writes
#   optional: libmimalloc-dev, libgoogle-perftools-dev (tcmalloc), musl-tools (the musl
#             residue probe), libclang-rt-14-dev (Scudo: `allocshim run --backend scudo`, and
#             preloaded into the C probe for the hardened-allocator rows of the residue table);
#             a missing optional package only makes that backend or row unavailable.
set -euo pipefail

required=(libjemalloc-dev pkg-config curl valgrind binutils)
optional=(libmimalloc-dev libgoogle-perftools-dev musl-tools libclang-rt-14-dev)

missing() {
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
    done
}

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: no apt-get here; install jemalloc (and optionally mimalloc, gperftools) yourself" >&2
    exit 0
fi

need_required=$(missing "${required[@]}")
need_optional=$(missing "${optional[@]}")
[ -z "$need_required$need_optional" ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
        echo "install-deps: missing packages: $need_required $need_optional; run this script as root" >&2
        [ -z "$need_required" ] && exit 0 || exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing $need_required $need_optional" >&2
"${as_root[@]}" apt-get update -qq
if [ -n "$need_required" ]; then
    # shellcheck disable=SC2086
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends $need_required
fi
for package in $need_optional; do
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "$package" ||
        echo "install-deps: optional $package could not be installed; its backend will be reported unavailable" >&2
done
