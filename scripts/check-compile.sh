#!/usr/bin/env bash
# Compile checks: promises the type system keeps (issue 11, item 9: no data race on buffer
# bytes without `unsafe` in the caller's code). Each file in Tests/CompileChecks says on its
# first line whether it must compile (`// expect-success`) or fail with a given diagnostic
# (`// expect-error: TEXT`). Compiled to SIL against the debug build's AllocShim module:
# region-based isolation is checked in a SIL pass, which -typecheck would skip.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product allocshim >/dev/null
bin=$(swift build --show-bin-path)
flags=(-I "$bin/Modules" -Xcc -fmodule-map-file="$bin/CAllocShims.build/module.modulemap" -I CShims/CAllocShims/include)
passed=0 failed=0
for file in Tests/CompileChecks/*.swift; do
    expectation=$(head -n 1 "$file")
    if output=$(swiftc -emit-sil -o /dev/null -swift-version 6 "${flags[@]}" "$file" 2>&1); then status=0; else status=1; fi
    case "$expectation" in
    "// expect-success")
        if [ $status -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $file: should compile:"; echo "$output"; fi ;;
    "// expect-error: "*)
        wanted=${expectation#// expect-error: }
        if [ $status -ne 0 ] && grep -qF "$wanted" <<<"$output"; then passed=$((passed + 1)); else
            failed=$((failed + 1)); echo "FAIL $file: should fail with '$wanted', got:"; echo "$output" | head -20; fi ;;
    *) failed=$((failed + 1)); echo "FAIL $file: first line must be an expectation" ;;
    esac
done
echo "compile checks: $passed passed, $failed failed"
[ $failed -eq 0 ]
