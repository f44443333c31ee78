# AllocShim: the two commands of the README, and their parts.
#   make report   installs what is missing, builds in release, runs the main job
#   make test     installs what is missing, runs the tests with and without jemalloc, and with
#                 the SwiftNIO and metrics integrations (traits NIO, Metrics)
SWIFT ?= swift
NO_JEMALLOC_BUILD := .build-nojemalloc
INTEGRATIONS_BUILD := .build-integrations

.PHONY: test-run soak manycore-bundle
.PHONY: deps build tools service report test test-default test-shared-writes test-compile-checks test-snippets test-docs test-hummingbird test-without-jemalloc test-integrations test-example test-tools test-asan test-tsan test-ubsan-c test-cli test-fuzz fuzz test-audit example leaks clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product allocshim

# The C-only residue probes (glibc and, with musl-tools, musl) that join the residue report.
tools: deps
	bash Tools/residue-c/build.sh

# The example service without the Jemalloc trait, so its process allocator can be chosen with
# `allocshim run`: the report's "Your service's allocator" section soaks it briefly.
service: deps
	cd Examples/EchoService && $(SWIFT) build -c release --disable-default-traits --scratch-path .build-nojemalloc

report: build tools service
	$(SWIFT) run -c release --skip-build allocshim report --output report

# What a many-core machine without Swift needs for the scaling sweep (.manycore/; carry it with
# the checkout and run `bash .manycore/run.sh` there: Tools/manycore/run.sh says what it writes).
manycore-bundle: deps
	bash Tools/manycore/bundle.sh

# What CI runs (.ci/run): the three builds, type-system and CLI checks, the C probe, both
# examples, the README's snippets, the API docs, the audit of our own sources, sanitizers and
# bounded fuzzing. Timed on a fresh clone: see docs/results.md, "Figures behind the design".
test: test-default test-without-jemalloc test-integrations test-compile-checks test-cli \
	test-tools test-example test-hummingbird test-snippets test-docs test-audit \
	test-shared-writes test-asan test-tsan test-ubsan-c test-fuzz

test-default: deps
	$(SWIFT) test

# The same suite in a build without the Jemalloc trait: jemalloc backends must report
# themselves unavailable, everything else must still pass.
test-without-jemalloc: deps
	$(SWIFT) test --disable-default-traits --scratch-path $(NO_JEMALLOC_BUILD)

# AllocShimNIO and AllocShimMetrics exist only with their (off by default) traits.
test-integrations: deps
	$(SWIFT) test --traits Jemalloc,NIO,Metrics --scratch-path $(INTEGRATIONS_BUILD)

# AddressSanitizer over the whole suite with the integrations; jemalloc off, since ASan must
# own malloc (linked beside it, frees cross allocators: bad-free). allocator_may_return_null:
# tests ask for impossible sizes and expect a typed error, not ASan's abort. The static TLS
# room lets the ASan tests that need it load jemalloc with dlopen (jemalloc_sanitizer.c). Leaks of third-party libraries are suppressed in Tests/lsan-suppressions.txt.
test-asan: deps
	ASAN_OPTIONS=allocator_may_return_null=1 GLIBC_TUNABLES=glibc.rtld.optional_static_tls=65536 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt:fast_unwind_on_malloc=0 \
	  $(SWIFT) test --sanitize=address --disable-default-traits --traits NIO,Metrics --scratch-path .build-asan

# ThreadSanitizer, same setup as test-asan. Third-party false positives (the Swift concurrency
# runtime is not instrumented) are suppressed in Tests/tsan-suppressions.txt.
test-tsan: deps
	TSAN_OPTIONS=suppressions=$(CURDIR)/Tests/tsan-suppressions.txt \
	  $(SWIFT) test --sanitize=thread --disable-default-traits --traits NIO,Metrics --scratch-path .build-tsan

# The command line: every bad argument or environment value is one line on standard error
# and exit status 2, checked before measuring; --version, empty variables, progress
# (scripts/test-cli.sh: about 5 s after the debug build).
test-cli: deps
	$(SWIFT) build --product allocshim
	bash scripts/test-cli.sh "$$($(SWIFT) build --show-bin-path)/allocshim"

# libFuzzer fuzzers (Fuzz/, a package of their own): decoders against Foundation and a reference,
# the allocator/pool/arena/tenant API against a model. test-fuzz replays the checked-in corpora
# and fuzzes each for FUZZ_TEST_SECONDS (CI); fuzz runs each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 600
FUZZ_TEST_SECONDS ?= 30

test-fuzz: deps
	SWIFT=$(SWIFT) bash Fuzz/run.sh test $(FUZZ_TEST_SECONDS)

fuzz: deps
	SWIFT=$(SWIFT) bash Fuzz/run.sh fuzz $(FUZZ_SECONDS)

# UndefinedBehaviorSanitizer over the C layer (Swift has no UBSan on Linux): CShims compiled
# with -fsanitize=undefined, aborting at the first report, jemalloc on (its flag helpers are
# what UBSan must see). The whole AllocShimTests suite runs against it, and the thread
# workloads (in AllocShimMeasureTests), which drive the C thread loops.
UBSAN_RUNTIME_DIR = $(dir $(shell find $(dir $(realpath $(shell which $(SWIFT))))../lib/clang -name 'libclang_rt.ubsan_standalone-x86_64.so' 2>/dev/null | head -1))
test-ubsan-c: deps
	$(SWIFT) test --scratch-path .build-ubsan --filter 'AllocShimTests|ThreadWorkloadTests' \
	  -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined \
	  -Xlinker $(UBSAN_RUNTIME_DIR)libclang_rt.ubsan_standalone-x86_64.so -Xlinker -rpath -Xlinker $(UBSAN_RUNTIME_DIR)

# No shared write on a same-thread path (issue 23): Tools/SharedWriteGuard's loops under callgrind,
# retains, releases, allocObject, malloc calls and atomics per buffer against the budgets in
# scripts/check-shared-writes.sh (needs valgrind; about 2 min with the release build).
test-shared-writes: deps
	SWIFT=$(SWIFT) bash scripts/check-shared-writes.sh

# Promises the type system keeps: files in Tests/CompileChecks must compile, or must not.
test-compile-checks: deps
	bash scripts/check-compile.sh

# The example service builds, serves every available backend, and stops cleanly.
test-example: deps
	bash Examples/EchoService/smoke.sh

# The example service under load, once per backend (Examples/EchoService/load.sh).
example: deps
	cd Examples/EchoService && ./load.sh

# The leak defences' measurements (docs/leaks.md, docs/residue.md): false positives, costs,
# hardened allocators under LD_PRELOAD, heap history. About 40 s on 2 shared cores.
leaks: build tools
	$(SWIFT) run -c release --skip-build allocshim leaks

# The C probe validates itself against allocators whose reuse behaviour is known.
test-tools: tools
	.build-tools/residue-probe-glibc --self-test
	@if [ -x .build-tools/residue-probe-musl ]; then .build-tools/residue-probe-musl --self-test; fi

# Every ```swift block of README.md, docs/*.md and the DocC catalogs, built without warnings in
# a consumer package that depends on this checkout (scripts/check-snippets.sh; blocks marked
# <!-- snippet: partial --> skipped).
test-snippets: deps
	bash scripts/check-snippets.sh

# DocC for each product, with the integrations' traits so their modules are not empty; any
# DocC warning fails it.
DOCS_BUILD := .build-docs
test-docs: deps
	@mkdir -p $(DOCS_BUILD); for target in AllocShim AllocShimNIO AllocShimMetrics; do \
	  echo "docs: $$target"; \
	  $(SWIFT) package --traits Jemalloc,NIO,Metrics --scratch-path $(DOCS_BUILD) \
	    generate-documentation --target $$target --warnings-as-errors >$(DOCS_BUILD)/docs-$$target.log 2>&1 \
	    || { grep -E "warning|error" $(DOCS_BUILD)/docs-$$target.log | head -20; exit 1; }; \
	  if grep -q "warning:" $(DOCS_BUILD)/docs-$$target.log; then grep "warning:" $(DOCS_BUILD)/docs-$$target.log | head -20; exit 1; fi; \
	done

# AllocShimHummingbird (trait Hummingbird: the only build that compiles Hummingbird): its
# live-server tests, then the Hummingbird 2 example builds, serves on the AllocShim allocator
# and tenant arenas, keeps its HTTP/1 configuration, and stops on SIGTERM.
HUMMINGBIRD_BUILD := .build-hummingbird
test-hummingbird: deps
	$(SWIFT) test --traits Jemalloc,Hummingbird --scratch-path $(HUMMINGBIRD_BUILD) --filter AllocShimHummingbirdTests
	bash Examples/HummingbirdService/smoke.sh

# `allocshim run` and the trim/purge API, fast (under a minute once built): the child's malloc is
# each installed allocator's, refusals are one line. Once with jemalloc linked (the refusal
# paths), once without (glibc in the child for `--backend system`).
RUN_TESTS := ProcessAllocatorRunTests|FreeMemoryReleaseTests|SoakWorkloadTests|SoakReplotTests
test-run: deps
	$(SWIFT) test --filter '$(RUN_TESTS)'
	$(SWIFT) test --disable-default-traits --scratch-path $(NO_JEMALLOC_BUILD) --filter '$(RUN_TESTS)'

# The service soak (not part of `make test`): the example service built without the Jemalloc
# trait, under each process allocator, 180 s each by default (SOAK_ARGS to change, e.g.
# SOAK_ARGS="--duration 60 --repeat 3"). Writes soak-results/ (JSON, SVGs, Markdown).
SOAK_ARGS ?=
soak: deps
	cd Examples/EchoService && $(SWIFT) build -c release --disable-default-traits --scratch-path .build-nojemalloc
	$(SWIFT) build -c release --disable-default-traits --scratch-path $(NO_JEMALLOC_BUILD) --product allocshim
	$(NO_JEMALLOC_BUILD)/release/allocshim soak --output soak-results $(SOAK_ARGS)

clean:
	rm -rf .build $(NO_JEMALLOC_BUILD) $(INTEGRATIONS_BUILD) .build-asan .build-tsan .build-ubsan .build-tools .build-audit .build-snippets .build-shared-writes $(DOCS_BUILD) Fuzz/.build-*

# `allocshim audit` (docs/audit.md): the analyzer's snippet corpus, the command line's exit
# statuses, and AllocShim's own sources, which must have no unjustified uninitialized allocation.
# The audit needs swift-syntax, so it is behind the trait `Audit` (off by default: `make report`,
# the other test builds and users who embed the library never build swift-syntax).
AUDIT_BUILD ?= .build-audit
test-audit: deps
	$(SWIFT) build --traits Jemalloc,Audit --scratch-path $(AUDIT_BUILD) --product allocshim
	$(SWIFT) test --traits Jemalloc,Audit --scratch-path $(AUDIT_BUILD) --filter AllocShimAuditTests
	bash scripts/test-audit-cli.sh $(AUDIT_BUILD)/debug/allocshim
	$(AUDIT_BUILD)/debug/allocshim audit Sources --unjustified-only --fail-on unjustified
