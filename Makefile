# SPDX-License-Identifier: MIT
# Thin wrapper around CMake so the quick start is two commands:
#   make demo    run the conformance suite against the bundled servers
#   make test    build everything and run every test (plain, ASan+UBSan, fuzz smoke)
#   make mutation  plant each mutant of targets/mutations/ and check it is caught
#   make install PREFIX=/usr/local DESTDIR=   build, then install (README.md: Install)
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
PREFIX     ?= /usr/local

.PHONY: all deps build install demo test test-plain test-asan test-fuzz bench fuzz fuzz-smoke fuzz-run \
	fuzz-bench fuzz-coverage mutation clean format

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# sockspec in $(PREFIX)/bin, the reference servers in $(PREFIX)/libexec/sockspec,
# the man page, the bash completion and the docs; staged under $(DESTDIR) when
# given (the installed sockspec finds its servers relative to itself).
install: build
	DESTDIR='$(DESTDIR)' cmake --install $(BUILD) --prefix '$(PREFIX)'

demo: build
	@scripts/demo.sh $(BUILD)/bin

test: test-plain test-asan test-fuzz

test-plain: build
	ctest --test-dir $(BUILD) --output-on-failure

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSOCKSPEC_BENCH=OFF \
		-DSOCKSPEC_SANITIZE="address;undefined" $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure

bench:
	@scripts/deps.sh bench
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCKSPEC_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	$(BUILD)/bin/echo-bench

# Mutation testing: every mutant of targets/mutations/ planted in a copy
# of reference/, rebuilt, and run against its profiles; the matrix and
# the score (killed / (total - equivalent)) go to $(BUILD)/mutation.md.
mutation: build
	python3 targets/mutation.py --bin $(BUILD)/bin --markdown $(BUILD)/mutation.md

# libFuzzer harnesses (fuzz/README.md). fuzz/build.sh follows the
# OSS-Fuzz build contract; these are its local settings: clang with
# ASan, UBSan and libFuzzer, the fuzzers and their seed corpora, dicts
# and options in $(FUZZ_BUILD)/out.
FUZZ_CFLAGS ?= -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link
FUZZ_ENV = CC=clang CXX=clang++ CFLAGS="$(FUZZ_CFLAGS)" CXXFLAGS="$(FUZZ_CFLAGS)" \
	LIB_FUZZING_ENGINE=-fsanitize=fuzzer

fuzz:
	@scripts/deps.sh fuzz
	@$(FUZZ_ENV) OUT=$(FUZZ_BUILD)/out SOCKSPEC_FUZZ_BUILD=$(FUZZ_BUILD) fuzz/build.sh

# The OSS-Fuzz contract check (every expected file in $OUT, each fuzzer
# runs its seed corpus), the committed crash inputs, each harness for
# $(FUZZ_RUNS) runs from its corpus, and the live fuzzer's smoke test
# (its cases are run by the plain build's runner).
FUZZ_RUNS ?= 10000
fuzz-smoke: fuzz build
	fuzz/run.sh check $(FUZZ_BUILD)/out
	SOCKSPEC_FUZZ_RUNS=$(FUZZ_RUNS) SOCKSPEC_RUNNER=$(abspath $(BUILD))/bin/sockspec \
		ctest --test-dir $(FUZZ_BUILD) --output-on-failure -L 'fuzz-'

# Fuzzing proper: each harness for FUZZ_SECONDS, its corpus growing in
# $(FUZZ_BUILD)/live/NAME, crash inputs in $(FUZZ_BUILD)/live/crashes/NAME.
fuzz-run: fuzz
	@for f in $(FUZZ_BUILD)/out/fuzz_*; do \
		case $$f in *.*) continue;; esac; n=$$(basename $$f); \
		mkdir -p $(FUZZ_BUILD)/live/$$n; cp -n $(FUZZ_BUILD)/corpus/$$n/* $(FUZZ_BUILD)/live/$$n/; \
		fuzz/run.sh fuzz $$f $(FUZZ_BUILD)/live/$$n $(FUZZ_SECONDS) || exit 1; \
	done

# execs/s of each harness without sanitizers, against libFuzzer driving
# an empty target in the same run (fuzz/README.md: the targets).
fuzz-bench:
	@scripts/deps.sh fuzz
	@CC=clang CXX=clang++ CFLAGS="-g -O2 -fsanitize=fuzzer-no-link" \
		CXXFLAGS="-g -O2 -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
		OUT=$(FUZZ_BUILD)-bench/out SOCKSPEC_FUZZ_BUILD=$(FUZZ_BUILD)-bench fuzz/build.sh >/dev/null
	@cmake --build $(FUZZ_BUILD)-bench --target fuzz_bench_peer >/dev/null
	@fuzz/bench.sh $(FUZZ_BUILD)-bench
	@fuzz/live/bench.sh $(FUZZ_BUILD)-bench

# Line and branch coverage of the code under test, from the corpora.
fuzz-coverage:
	@scripts/deps.sh fuzz
	@fuzz/coverage.sh $(FUZZ_BUILD) $(FUZZ_BUILD)-coverage

# make test runs the fuzz smoke tests when clang can be had: installed,
# or installable (scripts/deps.sh as root).
test-fuzz:
	@if scripts/deps.sh fuzz; then $(MAKE) --no-print-directory fuzz-smoke; \
	else echo "make test: fuzz tests skipped: clang with libFuzzer is not installed" \
		"(scripts/deps.sh fuzz says how to install it)"; fi

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(FUZZ_BUILD)-bench $(FUZZ_BUILD)-coverage
