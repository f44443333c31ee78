#!/usr/bin/env bash
# Compiles every ```swift block of README.md, docs/*.md and the DocC catalogs
# (Sources/*/*.docc) the way a new user would: in a throw-away consumer package
# (.build-snippets/, or $SNIPPETS_BUILD) that depends on this checkout by path. Warnings are
# errors (a block that compiles with a warning, such as an unawaited future, is wrong), and the
# consumer declares only the platforms the documented manifest declares.
#
# A block is read by the HTML comment on the line just before its fence:
#   <!-- snippet: manifest -->  a Package.swift (or a fragment of one). Its `.package(...)` lines
#                               become the consumer's dependencies (AllocShim's line replaced by
#                               this checkout's path, its traits kept), its `platforms:` line the
#                               consumer's platforms, and its `.product(...)` lines the
#                               dependencies of every code block after it in the same file. A
#                               block that starts with `.package(` or `import PackageDescription`
#                               is a manifest without the marker (DocC shows no comments).
#   <!-- snippet: partial -->   deliberately incomplete: skipped.
#   <!-- snippet: run -->       code that is also run: it must exit 0 by itself, or shut down
#                               gracefully (status 0) on SIGTERM (run_snippet below).
#   (none)                      code: compiled as the main.swift of an executable target,
#                               against the last manifest block of its file (the core library
#                               alone when there is none).
# DocC overview blocks are fragments that take their imports and a few names as given: the
# table `docc_context` below says what each catalog builds against and declares those names
# before the block. Blocks under the same manifest share one consumer package, one target
# each. Exit status 1 when a block fails to compile, naming the file and line of its fence. A
# manifest whose AllocShim requirement names a version that is not a tag here gets a WARN line
# (it cannot resolve for a user).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${SNIPPETS_BUILD:-.build-snippets}
mkdir -p "$OUT"
rm -rf "$OUT"/pkg-*/Sources "$OUT"/pkg-*/Package.swift

python3 - "$ROOT" "$OUT" README.md docs/*.md Sources/*/*.docc/*.md <<'PY'
import hashlib, os, re, sys
root, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
core_manifest = ('.package(name: "AllocShim", path: ROOT)', ['.product(name: "AllocShim", package: "AllocShim")'], None)

# DocC overview snippets are fragments: they take their imports and a few names as given.
# What each catalog's blocks are built against ('embedding': the manifest of docs/embedding.md,
# section 1, which names every integration), and the names each article takes as given
# (declared before the block, so the block itself is checked as written).
def first_manifest_of(path):
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        if line.strip() == '<!-- snippet: manifest -->' and lines[i + 1].strip() == '```swift':
            j = i + 2
            while lines[j].strip() != '```': j += 1
            return '\n'.join(lines[i + 2:j])
    raise SystemExit('%s has no manifest block' % path)
docc_context = {
    'Sources/AllocShim/AllocShim.docc/': (core_manifest, {
        'Tenants.md': 'import AllocShim\nlet requestBytes: [UInt8] = Array("hello".utf8)\nlet tenantID = "acme"\n',
    }),
    'Sources/AllocShimNIO/AllocShimNIO.docc/': ('embedding', {
        'AllocShimNIO.md': 'import AllocShim\nimport AllocShimNIO\nimport NIOCore\nimport NIOPosix\n',
    }),
    'Sources/AllocShimMetrics/AllocShimMetrics.docc/': ('embedding', {
        'AllocShimMetrics.md': 'import AllocShim\nimport AllocShimMetrics\nimport Logging\nimport ServiceLifecycle\n'
                               'struct Server: Service { func run() async throws {} }\n'
                               'let server = Server()\nlet logger = Logger(label: "docs")\nlet tenants = try TenantArenas(maximumTenants: 4)\n',
    }),
}

def is_manifest(body):
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith('//'): continue
        return line.startswith('.package(') or line.startswith('import PackageDescription')
    return False

def convert(manifest_text):
    deps, products, platforms = [], [], None
    for line in manifest_text.splitlines():
        line = re.sub(r'\s+//.*$', '', line).strip().rstrip(',')  # a trailing comment, not a URL's //
        if line.startswith('.package('):
            if re.search(r'AllocShim(\.git)?"', line):
                traits = re.search(r'traits:\s*(\[[^\]]*\])', line)
                line = '.package(name: "AllocShim", path: ROOT' + (', traits: ' + traits.group(1) if traits else '') + ')'
            deps.append(line)
        elif line.startswith('.product('):
            products.append(line)
        elif line.startswith('platforms:'):
            platforms = line
    if not deps:
        raise SystemExit('manifest block without .package lines')
    return ('\n'.join(deps), products, platforms)

packages = {}  # key -> dict(deps, products, platforms, targets)
count = 0
for path in files:
    lines = open(path).read().splitlines()
    manifest, preludes = core_manifest, {}
    for catalog, (catalog_manifest, catalog_preludes) in docc_context.items():
        if path.startswith(catalog):
            manifest, preludes = catalog_manifest, catalog_preludes
            if manifest == 'embedding': manifest = convert(first_manifest_of('docs/embedding.md'))
    prelude = preludes.get(os.path.basename(path), '')
    i = 0
    while i < len(lines):
        if lines[i].strip() != '```swift':
            i += 1; continue
        start = i + 1
        j = start
        while lines[j].strip() != '```': j += 1
        body = '\n'.join(lines[start:j])
        marker = lines[i - 1].strip() if i > 0 else ''
        i = j + 1
        if marker == '<!-- snippet: partial -->':
            continue
        if marker == '<!-- snippet: manifest -->' or is_manifest(body):
            manifest = convert(body)
            # The consumer is built from this checkout whatever the line says; say when the
            # documented requirement could not resolve (a version that is not a tag here).
            for version in re.findall(r'AllocShim(?:\.git)?"[^)]*?(?:from|exact):\s*"([^"]+)"', body):
                if not os.popen('git -C "%s" tag -l "%s"' % (root, version)).read().strip():
                    print('snippets: WARN %s:%d: the AllocShim requirement names version %s, which is not a tag: it cannot resolve' % (path, start, version))
            continue
        key = hashlib.sha1((manifest[0] + '|'.join(sorted(manifest[1])) + str(manifest[2])).encode()).hexdigest()[:10]
        pkg = packages.setdefault(key, dict(deps=manifest[0], products=sorted(set(manifest[1])), platforms=manifest[2], targets=[]))
        name = 'Snippet_%s_L%d' % (re.sub(r'\W', '_', os.path.splitext(path)[0]), start)
        pkg['targets'].append((name, path, start, prelude + body, marker == '<!-- snippet: run -->'))
        count += 1
for key, pkg in packages.items():
    base = os.path.join(out, 'pkg-' + key)
    targets = []
    for name, path, line, body, run in pkg['targets']:
        os.makedirs(os.path.join(base, 'Sources', name), exist_ok=True)
        with open(os.path.join(base, 'Sources', name, 'main.swift'), 'w') as f:
            f.write('// From %s, the block starting at line %d.\n%s\n' % (path, line, body))
        # Warnings are errors: a snippet that compiles with a warning (an unawaited future) is wrong.
        targets.append('        .executableTarget(name: "%s", dependencies: [\n            %s\n        ], swiftSettings: [.treatAllWarnings(as: .error)]),'
                       % (name, ',\n            '.join(pkg['products'])))
        with open(os.path.join(base, 'origins.txt'), 'a') as f:
            f.write('%s %s:%d%s\n' % (name, path, line, ' run' if run else ''))
    # Platforms only where the documented manifest names them: the docs must say what a consumer needs.
    platforms = '    %s,\n' % pkg['platforms'] if pkg['platforms'] else ''
    with open(os.path.join(base, 'Package.swift'), 'w') as f:
        f.write('// swift-tools-version:6.2\n// Generated by scripts/check-snippets.sh: do not edit.\nimport PackageDescription\n\n'
                'let ROOT = "%s"\n\nlet package = Package(\n    name: "Snippets",\n%s'
                '    dependencies: [\n        %s,\n    ],\n    targets: [\n%s\n    ]\n)\n' % (root, platforms, pkg['deps'].replace('\n', ',\n        '), '\n'.join(targets)))
print('snippets: %d code blocks in %d consumer package(s)' % (count, len(packages)))
PY

# Runs a built snippet: it must exit with status 0 by itself within 20 s, or, if it serves until
# told to stop (a ServiceGroup), shut down gracefully with status 0 within 20 s of SIGTERM.
run_snippet() {
    local binary
    binary="$(swift build --package-path "$1" --show-bin-path)/$2"
    "$binary" >"$1/$2.out" 2>&1 &
    local pid=$! waited=0 code=0
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 200 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        waited=0
        while kill -0 "$pid" 2>/dev/null && [ $waited -lt 200 ]; do sleep 0.1; waited=$((waited + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid"; wait "$pid" 2>/dev/null
            echo "did not stop within 20 s of SIGTERM" >"$1/$2.status"; return 1
        fi
    fi
    wait "$pid" || code=$?
    echo "exited with status $code" >"$1/$2.status"
    [ "$code" -eq 0 ]
}

status=0
for package in "$OUT"/pkg-*/; do
    [ -f "$package/Package.swift" ] || continue
    for target in $(sed -n 's/.*executableTarget(name: "\([^"]*\)".*/\1/p' "$package/Package.swift"); do
        origin=$(grep "^$target " "$package/origins.txt" | tail -1 | cut -d' ' -f2)
        if swift build --package-path "$package" --product "$target" >"$package/$target.log" 2>&1; then
            if grep -q "^$target .* run$" "$package/origins.txt"; then
                if run_snippet "$package" "$target"; then echo "snippets: ran  $origin"; else
                    echo "snippets: FAIL $origin: running it $(cat "$package/$target.status") (output: $package$target.out)"
                    tail -5 "$package/$target.out" | sed 's/^/    /'
                    status=1
                fi
            else
                echo "snippets: ok   $origin"
            fi
        else
            echo "snippets: FAIL $origin (log: $package$target.log)"
            grep -E "error:" "$package/$target.log" | head -10 | sed 's/^/    /'
            status=1
        fi
    done
    rm -f "$package/origins.txt"
done
exit $status
