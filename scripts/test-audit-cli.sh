#!/usr/bin/env bash
# `allocshim audit` as a program: exit statuses (0 clean, 1 findings with --fail-on, 2 bad
# input with a one-line message), --suggest leaving files untouched, SARIF 2.1.0 that parses.
set -euo pipefail
tool=${1:?usage: test-audit-cli.sh path/to/allocshim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect_status() {  # expected-status description command...
    local want=$1 what=$2; shift 2
    set +e; "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
    if [[ $got != "$want" ]]; then
        echo "FAIL: $what: exit $got, want $want"; cat "$work/out" "$work/err"; exit 1
    fi
}

cat >"$work/clean.swift" <<'SWIFT'
func f() { let b = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 8); b.initialize(repeating: 0); use(b) }
SWIFT
cat >"$work/dirty.swift" <<'SWIFT'
func f(n: Int) -> UnsafeMutableRawPointer { let p = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 1); return p }
SWIFT
echo "not swift" >"$work/notes.txt"

expect_status 0 "clean file passes --fail-on unjustified" "$tool" audit "$work/clean.swift" --fail-on unjustified
expect_status 1 "dirty file fails --fail-on unjustified" "$tool" audit "$work/dirty.swift" --fail-on unjustified
grep -q "AS006 untrusted-size" "$work/out" || { echo "FAIL: rule missing from text output"; cat "$work/out"; exit 1; }
expect_status 1 "--fail-on any counts overwritten sites" "$tool" audit "$work/clean.swift" --fail-on any
expect_status 0 "no --fail-on: findings do not fail" "$tool" audit "$work/dirty.swift"

for bad in "$work/missing.swift" "$work/notes.txt"; do
    expect_status 2 "bad path $bad" "$tool" audit "$bad"
    [[ $(wc -l <"$work/err") == 1 ]] || { echo "FAIL: error for $bad is not one line"; cat "$work/err"; exit 1; }
    grep -q "$bad" "$work/err" || { echo "FAIL: error does not name $bad"; exit 1; }
done
expect_status 2 "bad --fail-on value" "$tool" audit "$work/clean.swift" --fail-on sometimes
grep -q "sometimes" "$work/err" && grep -q "unjustified, any" "$work/err" || { echo "FAIL: --fail-on message"; cat "$work/err"; exit 1; }
expect_status 2 "--json with --sarif -" "$tool" audit "$work/clean.swift" --json --sarif -

before=$(sha256sum "$work/dirty.swift")
expect_status 0 "--suggest" "$tool" audit "$work/dirty.swift" --suggest
grep -q "suggest: UnsafeMutableRawPointer.allocate" "$work/out" || { echo "FAIL: no suggestion"; cat "$work/out"; exit 1; }
[[ $(sha256sum "$work/dirty.swift") == "$before" ]] || { echo "FAIL: --suggest changed the file"; exit 1; }

expect_status 1 "SARIF to a file" "$tool" audit "$work" --sarif "$work/audit.sarif" --fail-on unjustified
python3 - "$work/audit.sarif" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
assert log["version"] == "2.1.0", log["version"]
run = log["runs"][0]
rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
kinds = sorted(r["kind"] for r in run["results"])
assert kinds == ["fail", "pass"], kinds
for r in run["results"]:
    assert rules[r["ruleIndex"]] == r["ruleId"]
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
PY
expect_status 0 "JSON output" "$tool" audit "$work/dirty.swift" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["unjustified"] == 1, d' "$work/out"
echo "audit CLI checks passed"
