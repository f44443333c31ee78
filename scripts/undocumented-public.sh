#!/usr/bin/env bash
# Lists public declarations without a doc comment (`///` or `/** */` just above them, attributes
# such as @inlinable allowed in between): file:line and the declaration.
# Usage: scripts/undocumented-public.sh [paths...]   (default: Sources)
# Heuristic by line, not a parser: `public extension` lines and enum cases of a documented
# public enum are reported like any other declaration. Exit status 0 either way; the count is
# printed last.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- Sources
find "$@" -name '*.swift' -not -path '*/.build*' | sort | xargs awk '
    FNR == 1 { documented = 0 }
    /^[[:space:]]*(\/\/\/|\*\/|\/\*\*)/ { documented = 1; next }
    /^[[:space:]]*@[A-Za-z_]+(\([^)]*\))?[[:space:]]*$/ { next }   # attribute lines keep the state
    /^[[:space:]]*((@[A-Za-z_]+(\([^)]*\))?|final|nonisolated|static|override|mutating|consuming|borrowing)[[:space:]]+)*public[[:space:]]/ {
        if (!documented && $0 !~ /public[[:space:]]+extension/) { sub(/^[[:space:]]+/, ""); print FILENAME ":" FNR ": " $0; count++ }
        documented = 0; next
    }
    /^[[:space:]]*$/ { next }
    { documented = 0 }
    END { print count + 0 " undocumented public declarations" > "/dev/stderr" }
'
