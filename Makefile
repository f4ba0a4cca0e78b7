# Every target does its own set-up: a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Settings of the running stack, written by `python -m stack up`.
ENV := set -a; [ -f .stack/env ] && . .stack/env; set +a;

.PHONY: bench bench-recovery bench-e2e bench-framework help venv stack-up stack-down stack-status lint format typecheck unit integration test run clean register-schemas crash-test faults soak seed

help:
	@echo "make run          stack up + sync worker + Siebel activity simulator, with a live summary"
	@echo "make test         stack up + ruff + mypy + pytest (unit and integration)"
	@echo "make stack-up | stack-down | stack-status"
	@echo "make crash-test   only the tests that kill workers mid-stream (also part of make test)"
	@echo "make faults       only the several-workers fault harness (also part of make test)"
	@echo "make soak         the fault harness at length: 100+ faults, about 45 minutes"
	@echo "make register-schemas   register avro/ schemas (BACKWARD) in the registry"
	@echo "make seed FILE=x.csv    go-live: publish the CC&B cross-reference (README, Go-live)"
	@echo "make bench        (a) worker, (b) plain loop, (c) core; BENCH_CUSTOMERS=2000 (bench/RESULTS.md)"
	@echo "make bench-recovery  table recovery: empty store and after a crash; BENCH_CUSTOMERS"
	@echo "make bench-e2e    end to end through PostgreSQL and Debezium; BENCH_CUSTOMERS"
	@echo "make bench-framework  what faust alone moves per second: the ceiling of (a)"
	@echo "make lint | format | typecheck | unit | integration | clean"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

venv: $(STAMP)

stack-up: $(STAMP)
	$(PY) -m stack up

stack-down: $(STAMP)
	$(PY) -m stack down

stack-status: $(STAMP)
	$(PY) -m stack status

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest -m "not integration"

integration: stack-up
	$(ENV) $(PY) -m pytest -m integration

# The decisions of the product (reducer, mapping) stay at 95 % line coverage or better.
CORE_COVERAGE := streams/core/reducer.py,streams/core/mapping.py

test: stack-up lint typecheck
	$(ENV) $(PY) -m pytest --cov=streams --cov-report=term-missing
	$(VENV)/bin/coverage report --include="$(CORE_COVERAGE)" --fail-under=95

crash-test: stack-up
	$(ENV) $(PY) -m pytest -m crash_recovery

faults: stack-up
	$(ENV) $(PY) -m pytest -m reliability -rP

# 32 rounds of kill -9 / rolling restart / stall plus the rest: 104 faults (not in CI)
SOAK_ROUNDS ?= 32
SOAK_GAP ?= 8
soak: stack-up
	$(ENV) $(PY) -m tests.reliability.scenario --rounds $(SOAK_ROUNDS) --gap $(SOAK_GAP)

seed: stack-up
	@test -n "$(FILE)" || { echo "usage: make seed FILE=cross-reference.csv"; exit 2; }
	$(ENV) $(PY) -m streams.seeding "$(FILE)" --execute

BENCH_CUSTOMERS ?= 2000
bench: stack-up
	$(ENV) $(PY) -m bench.run --customers $(BENCH_CUSTOMERS)

bench-recovery: stack-up
	$(ENV) $(PY) -m bench.recovery --customers $(BENCH_CUSTOMERS)

bench-e2e: stack-up
	$(ENV) $(PY) -m bench.end_to_end --customers $(BENCH_CUSTOMERS)

bench-framework: stack-up
	$(ENV) $(PY) -m bench.framework --customers $(BENCH_CUSTOMERS)

register-schemas: stack-up
	$(ENV) $(PY) -m streams.avro_codec register

run: stack-up
	$(ENV) $(PY) -m streams.tools.live

clean: stack-down
	rm -rf .stack $(VENV)
