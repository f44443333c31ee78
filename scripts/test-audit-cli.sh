#!/usr/bin/env bash
# `allocshim audit` as a program: exit statuses (0 clean, 1 findings with --fail-on, 2 bad
# input with a one-line message), --suggest leaving files untouched, SARIF 2.1.0 that parses.
set -euo pipefail
tool=${1:?usage: test-audit-cli.sh path/to/allocshim}
tool=$(cd "$(dirname "$tool")" && pwd)/$(basename "$tool")   # some checks run in another directory
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
# Output-span forms (issue 19, item 5): safe by construction, counted; an allocUnsafe gets the
# output-span suggestion and a SARIF fix whose region (UTF-16 columns) is exactly the call.
mkdir -p "$work/span"
cat >"$work/span/s.swift" <<'SWIFT'
func f(n: Int, payload: RawSpan) throws -> SharedBytes {
    let safe = try OwnedBytes(capacity: n) { output in output.append(contentsOf: payload) }
    let s = "é😀"; let b = try SharedBytes.allocUnsafe(n)
    b.withUnsafeMutableBytes { raw in for i in 0..<n / 2 { raw[i] = 1 } }
    return b
}
SWIFT
expect_status 0 "--suggest names the output-span form" "$tool" audit "$work/span" --suggest
grep -qF 'suggest: `let b = try SharedBytes(capacity: n) { output in' "$work/out" || { echo "FAIL: no output-span suggestion"; cat "$work/out"; exit 1; }
expect_status 0 "safe forms are counted" "$tool" audit "$work/span"
grep -q "; 1 safe by construction" "$work/out" || { echo "FAIL: safe form not counted"; cat "$work/out"; exit 1; }
expect_status 0 "SARIF with a fix" "$tool" audit "$work/span" --sarif "$work/span.sarif"
python3 - "$work/span.sarif" "$work/span/s.swift" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
run = log["runs"][0]
assert run["columnKind"] == "utf16CodeUnits" and run["properties"]["safeByConstruction"] == 1, run
[result] = run["results"]
[fix] = result["fixes"]
assert fix["description"]["text"]
[change] = fix["artifactChanges"]
assert change["artifactLocation"]["uri"] == result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
[replacement] = change["replacements"]
region, text = replacement["deletedRegion"], replacement["insertedContent"]["text"]
assert text == "SharedBytes.alloc(n)", text
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")
assert region["startLine"] == region["endLine"] == 3, region
line = lines[2].encode("utf-16-le")
deleted = line[2 * (region["startColumn"] - 1):2 * (region["endColumn"] - 1)].decode("utf-16-le")
assert deleted == "SharedBytes.allocUnsafe(n)", deleted
assert region["startColumn"] == result["locations"][0]["physicalLocation"]["region"]["startColumn"]
PY
# Hostile inputs (issue 21, item 4): each must end within the time limit, without a crash, with
# a finding or a one-line error. `timeout` turns a hang into a failure (exit 124).
hostile="$work/hostile"
mkdir -p "$hostile/tree"
cp "$work/dirty.swift" "$hostile/tree/a.swift"
ln -s . "$hostile/tree/self"
ln -s . "$hostile/tree/again"   # two cycles: 2^40 paths when followed
expect_status 1 "symbolic-link cycles are not followed" timeout 60 "$tool" audit "$hostile/tree" --fail-on unjustified
[[ $(grep -c "^$hostile/tree/a.swift:" "$work/out") == 1 ]] || { echo "FAIL: a.swift not reported exactly once"; cat "$work/out"; exit 1; }
grep -q "^$hostile/tree/self:1:1: unjustified: .*AS011 not-analysed.*symbolic link to a directory" "$work/out" \
    || { echo "FAIL: the directory link is not reported"; cat "$work/out"; exit 1; }

mkdir -p "$hostile/nested"
python3 - "$hostile/nested" <<'PY'
import sys
d = sys.argv[1]
for n in (20, 300, 3000):
    open(f"{d}/array{n}.swift", "w").write("let x = " + "[" * n + "a" + "]" * n + "\n")
open(f"{d}/parens.swift", "w").write("let x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
open(f"{d}/chain.swift", "w").write("let x = a" + ".b" * 3000 + "\n")
PY
expect_status 1 "deep nesting is a finding, not a hang or a crash" timeout 120 "$tool" audit "$hostile/nested" --fail-on unjustified
for f in array20 array300 array3000 parens chain; do
    grep -q "^$hostile/nested/$f.swift:1:1: unjustified: .*AS011 not-analysed\] not analysed: " "$work/out" \
        || { echo "FAIL: no not-analysed finding for $f.swift"; cat "$work/out"; exit 1; }
done

mkfifo "$hostile/tree/pipe.swift"
expect_status 1 "a FIFO named .swift is not read" timeout 60 "$tool" audit "$hostile/tree" --fail-on unjustified
grep -q "pipe.swift:1:1: .*not a regular file (a FIFO)" "$work/out" || { echo "FAIL: FIFO not reported"; cat "$work/out"; exit 1; }
rm "$hostile/tree/pipe.swift"

# File names a pull request may choose: URI-unsafe, line-breaking, terminal-controlling.
mkdir -p "$hostile/names"
for name in 'http:evil.swift' 'a#frag?q.swift' 'sp ace ü.swift' $'new\nline.swift' $'esc\e[31m.swift'; do
    cp "$work/dirty.swift" "$hostile/names/$name"
done
(cd "$hostile/names" && expect_status 0 "hostile names, SARIF" "$tool" audit . --sarif "$work/names.sarif")
[[ $(wc -l <"$work/out") == 6 ]] || { echo "FAIL: text output is not one line per finding"; cat -A "$work/out"; exit 1; }
if grep -q $'\e' "$work/out"; then echo "FAIL: an escape character reached the terminal"; exit 1; fi
python3 - "$work/names.sarif" <<'PY'
import json, re, sys
log = json.load(open(sys.argv[1]))
run = log["runs"][0]
assert run["columnKind"] == "utf16CodeUnits", run.get("columnKind")
uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"])
# RFC 3986 relative-ref: pchar and "/" only, "%" only before two hex digits, no ":" in the first segment.
pchar = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$")
for uri in uris:
    assert pchar.match(uri), uri
    assert ":" not in uri.split("/")[0] or uri.startswith("./"), uri
assert uris == sorted(["./http:evil.swift", "a%23frag%3Fq.swift", "sp%20ace%20%C3%BC.swift", "new%0Aline.swift",
                       "esc%1B%5B31m.swift"]), uris
PY

bad=$'missing\nline\e[2J.swift'
expect_status 2 "a bad path is one escaped line" "$tool" audit "$work/$bad"
[[ $(wc -l <"$work/err") == 1 ]] || { echo "FAIL: error for a newline path is not one line"; cat -A "$work/err"; exit 1; }
grep -qF 'missing\nline\u{1B}[2J.swift' "$work/err" || { echo "FAIL: error does not show the escaped path"; cat -A "$work/err"; exit 1; }
expect_status 2 "an unwritable SARIF path is one escaped line" "$tool" audit "$work/clean.swift" --sarif "$work/no/such/dir/$bad"
[[ $(wc -l <"$work/err") == 1 ]] || { echo "FAIL: SARIF error is not one line"; cat -A "$work/err"; exit 1; }
echo "audit CLI checks passed"
