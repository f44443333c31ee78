#!/usr/bin/env bash
# Builds the C residue probe for glibc (gcc) and musl (musl-gcc, static) into .build-tools/.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .build-tools
gcc -O2 -Wall -Wextra -pthread -o .build-tools/residue-probe-glibc Tools/residue-c/residue_probe.c
echo ".build-tools/residue-probe-glibc"
if command -v musl-gcc >/dev/null 2>&1; then
    musl-gcc -O2 -Wall -Wextra -static -pthread -o .build-tools/residue-probe-musl Tools/residue-c/residue_probe.c
    echo ".build-tools/residue-probe-musl"
else
    echo "build.sh: musl-gcc not found (Debian: apt-get install musl-tools); the musl column is skipped" >&2
fi
