# cxkit: the two commands are `make demo` and `make test` (.ci/run calls `make test`).
# Everything they need is installed by scripts/bootstrap.sh (Debian packages + .venv).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT      := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV      := $(ROOT)/.venv
PY        := $(VENV)/bin/python
# The venv's cmake/ninja (installed by bootstrap) come first, then the system's.
export PATH := $(VENV)/bin:$(PATH)

JOBS      ?= 2
CPP_BUILD ?= build/cpp
CMAKE_ARGS ?=
BENCH_MIN_TIME ?= 0.01
PY_BENCH  := $(sort $(wildcard benchmarks/compare_*.py))

.PHONY: help bootstrap demo test test-cpp bench-cpp-smoke bench-py-smoke test-py bench bench-cpp clean

help:
	@echo "make demo    install what is missing, build cxkit into .venv, run 'python -m cxkit demo'"
	@echo "make test    C++ tests (ctest) + benchmark smoke runs + Python tests (pytest)"
	@echo "make bench   full-size Python benchmarks (benchmarks/compare_*.py); make bench-cpp for C++ kernels"
	@echo "make clean   remove build/ (keeps .venv; rm -rf .venv for a full reset)"

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	$(PY) -m cxkit demo

# Sequential on purpose (even under make -j): pytest runs last, so its summary is the last line.
test:
	@$(MAKE) --no-print-directory bootstrap
	@$(MAKE) --no-print-directory test-cpp
	@$(MAKE) --no-print-directory bench-cpp-smoke
	@$(MAKE) --no-print-directory bench-py-smoke
	@$(MAKE) --no-print-directory test-py

test-cpp:
	cmake -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	    -DCXKIT_BUILD_TESTS=ON -DCXKIT_BUILD_BENCHMARKS=ON $(CMAKE_ARGS)
	cmake --build $(CPP_BUILD) -j$(JOBS)
	ctest --test-dir $(CPP_BUILD) --output-on-failure -j$(JOBS)

# Google Benchmark 1.7.1 (Debian 12) wants a plain number of seconds: --benchmark_min_time=0.01
# (the "0.01s" form is only accepted from 1.8 on).
bench-cpp-smoke:
	@shopt -s nullglob; benches=($(CPP_BUILD)/bench/bench_*); \
	if [ $${#benches[@]} -eq 0 ]; then \
	    echo "error: no C++ benchmarks in $(CPP_BUILD)/bench (benchmarks/cpp/bench_*.cpp)" >&2; exit 1; fi; \
	for b in "$${benches[@]}"; do \
	    echo "== $$b (smoke)"; \
	    "$$b" --benchmark_min_time=$(BENCH_MIN_TIME); \
	done

bench-py-smoke:
	@test -n "$(PY_BENCH)" || { echo "error: no benchmarks/compare_*.py" >&2; exit 1; }
	@for b in $(PY_BENCH); do echo "== $$b --smoke"; $(PY) "$$b" --smoke; done

test-py:
	$(PY) -m pytest

bench: bootstrap
	@test -n "$(PY_BENCH)" || { echo "error: no benchmarks/compare_*.py" >&2; exit 1; }
	@for b in $(PY_BENCH); do echo "== $$b"; $(PY) "$$b"; done

bench-cpp: bootstrap
	cmake -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCXKIT_BUILD_BENCHMARKS=ON $(CMAKE_ARGS)
	cmake --build $(CPP_BUILD) -j$(JOBS)
	@for b in $(CPP_BUILD)/bench/bench_*; do [ -x "$$b" ] && "$$b"; done

clean:
	rm -rf build
