# The two commands a new user needs: `make run` (the demo app) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test benchmark

# The virtualenv is rebuilt when the declared dependencies change.
$(VENV)/installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

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

test: $(VENV)/installed
	scripts/install-system-packages
	$(BIN)/python -m pytest -m "not postgresql" $(PYTEST_ARGS)
	scripts/with-postgresql $(BIN)/python -m pytest -m postgresql $(PYTEST_ARGS)

# Figures for docs/benchmarks.md: `make benchmark BENCHMARK_ARGS="--guests 3 --latency 3"`.
benchmark: $(VENV)/installed
	$(BIN)/python -m benchmarks.checkin_flow $(BENCHMARK_ARGS)
