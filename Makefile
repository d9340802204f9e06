# The two commands a new user needs: `make run` (the demo app) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Every installed package, pinned with its hashes; setup.cfg keeps the ranges it is resolved from.
LOCK_FILE := requirements.lock
# Test processes in parallel: the suite waits on locks, servers and browsers more than on the CPU.
TEST_WORKERS ?= 4

.PHONY: run test test-sqlite test-postgresql test-fast lock benchmark

# The virtualenv is rebuilt from scratch when the pins change. pip refuses any package, or any
# file, the lock file does not name; the project itself then installs on top, with nothing more.
$(VENV)/installed: $(LOCK_FILE) setup.cfg pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_FILE)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Refresh the pins after a change to setup.cfg's dependencies: `make lock` (keeps every pin
# that still fits; `make lock LOCK_ARGS=--upgrade` moves every package to its newest release).
# pip-tools runs from a throwaway virtualenv, so it needs only python3 and PyPI.
lock:
	rm -rf .lock-tools
	$(PYTHON) -m venv .lock-tools
	.lock-tools/bin/pip install --quiet 'pip-tools>=7.4'
	.lock-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --extra test --build-deps-for editable \
		$(LOCK_ARGS) -o $(LOCK_FILE) pyproject.toml
	rm -rf .lock-tools

# A per-install secret key, never committed (instance/ is git-ignored).
instance/config.py:
	printf '# Written by make run. Keep this file private.\nSECRET_KEY = "%s"\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(32))')" > $@

# The demo on plain HTTP on this machine, so the session cookie may not require HTTPS here,
# and on simulated locks, chosen on purpose: a real server must choose its LOCK_BACKEND.
run: $(VENV)/installed instance/config.py
	CHECKIN_LOCK_BACKEND=simulated $(BIN)/flask --app wsgi demo --url http://$(HOST):$(PORT)/
	CHECKIN_LOCK_BACKEND=simulated CHECKIN_SESSION_COOKIE_SECURE=false \
		$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# The whole suite on SQLite (the default install), then every test that reaches the database
# again on a throw-away PostgreSQL cluster (scripts/with-postgresql), where the tests marked
# postgresql run too. The browser tests check pages, not the database, and the sqlite_file test
# reads SQLite's files in either pass: they run once, in the SQLite pass. The generated form
# inputs go through in full on SQLite and a tenth of them on PostgreSQL.
test: test-sqlite test-postgresql

test-sqlite: $(VENV)/installed
	scripts/install-system-packages
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m 'not postgresql' $(PYTEST_ARGS)

test-postgresql: $(VENV)/installed
	scripts/install-system-packages
	scripts/with-postgresql $(BIN)/python -m pytest -n $(TEST_WORKERS) -m 'not browser and not sqlite_file' \
		--hypothesis-profile=quick $(PYTEST_ARGS)

# The quick loop while coding: on SQLite, everything but the browser and gunicorn tests, and a
# tenth of the generated form inputs.
test-fast: $(VENV)/installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m 'not browser and not gunicorn and not postgresql' \
		--hypothesis-profile=quick $(PYTEST_ARGS)

# Figures for docs/benchmarks.md: `make benchmark BENCHMARK_ARGS="--guests 3 --latency 3"`.
benchmark: $(VENV)/installed
	$(BIN)/python -m benchmarks.checkin_flow $(BENCHMARK_ARGS)
