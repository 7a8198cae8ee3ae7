# SPDX-License-Identifier: MIT
# Thin wrapper around CMake so the quick start is two commands:
#   make demo    run the conformance suite against the bundled servers
#   make test    build everything and run every test (plain and ASan+UBSan)
#   make mutation  plant each mutant of targets/mutations/ and check it is caught
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build demo test test-plain test-asan bench fuzz mutation clean format

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/bin

test: test-plain test-asan

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

# libFuzzer on the case-language parser (seeded with the bundled cases)
# and on the servers' framing and handlers, FUZZ_SECONDS each.
fuzz:
	@scripts/deps.sh fuzz
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DSOCKSPEC_FUZZ=ON -DSOCKSPEC_TESTS=OFF \
		-DSOCKSPEC_BENCH=OFF -DSOCKSPEC_SANITIZE="address;undefined" >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_parse fuzz_frame
	@mkdir -p $(FUZZ_BUILD)/corpus-parse $(FUZZ_BUILD)/corpus-frame
	@find suite/cases -name '*.case' -exec cp {} $(FUZZ_BUILD)/corpus-parse/ \;
	$(FUZZ_BUILD)/bin/fuzz_parse -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-parse
	$(FUZZ_BUILD)/bin/fuzz_frame -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus-frame

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
