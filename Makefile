# SPDX-License-Identifier: MIT
# Thin wrapper around CMake so the quick start is two commands:
#   make demo    run the conformance suite against the bundled servers
#   make test    build everything and run every test (plain and ASan+UBSan)
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build demo test test-plain test-asan bench clean format

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

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
