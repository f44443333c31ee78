# AllocShim: the two commands of the README, and their parts.
#   make report   installs what is missing, builds in release, runs the main job
#   make test     installs what is missing, runs the tests with and without jemalloc
SWIFT ?= swift
NO_JEMALLOC_BUILD := .build-nojemalloc

.PHONY: deps build report test test-default test-without-jemalloc clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product allocshim

report: build
	$(SWIFT) run -c release --skip-build allocshim report --output report

test: test-default test-without-jemalloc

test-default: deps
	$(SWIFT) test

# The same suite in a build without the Jemalloc trait: jemalloc backends must report
# themselves unavailable, everything else must still pass.
test-without-jemalloc: deps
	$(SWIFT) test --disable-default-traits --scratch-path $(NO_JEMALLOC_BUILD)

clean:
	rm -rf .build $(NO_JEMALLOC_BUILD)
