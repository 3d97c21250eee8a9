# Fixline: one entry point for set-up, the demo and every check.
# `make demo` and `make test` are the two commands the README promises; both set up
# everything they need on a fresh Debian 12 machine (as root; see README for non-root).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast checks check fmt fmt-check lint types imports ansible-lint system-deps venv bench clean help screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: apt-get install python3 python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "venv failed: apt-get install python3-venv, then retry"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@# Bytecode now, not at each start: where PYTHONDONTWRITEBYTECODE is set, every fixline
	@# process would otherwise compile about 2 s of imports again (uv compiles none itself).
	$(BIN)/python -m compileall -q runner_api lab
	touch $@

venv: $(STAMP) ## create .venv from the lock file

system-deps: ## install the Debian packages the lab needs (root)
	@bash scripts/system-deps.sh

demo: venv system-deps ## start the local lab and serve Fixline on http://127.0.0.1:8000
	$(BIN)/fixline demo

test: venv system-deps checks ## install what the tests need, run the checks, then every test
	bash scripts/run-tests.sh

# No root, no lab, no servers: the API, policy, audit and every package on in-process fakes.
FAST := not (lab or postgres or redis or rt or browser or server or cli or slow)
test-fast: venv ## the fast tier (about a minute and a half, no root): run it while you work
	$(BIN)/python -m pytest -p no:cacheprovider --durations=10 -m "$(FAST)"

checks: venv fmt-check lint types imports ansible-lint ## format, lint, types, import contracts, ansible-lint (seconds)

check: test ## everything CI checks (the same as make test)

fmt: venv ## reformat the code
	$(BIN)/ruff format runner_api lab tests bench
	$(BIN)/ruff check --fix runner_api lab tests bench

fmt-check:
	$(BIN)/ruff format --check runner_api lab tests bench

lint: venv
	$(BIN)/ruff check runner_api lab tests bench

types: venv
	$(BIN)/mypy runner_api lab

imports: venv ## the architecture's import contracts (pyproject.toml [tool.importlinter])
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports

ansible-lint: venv
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ansible-lint --offline --profile production playbooks roles

bench: venv system-deps ## run the benchmarks
	$(BIN)/python bench/playbook_overhead.py
	$(BIN)/python bench/directory.py

# The README's pictures of the agents' page, as the browser tests (tests/web) last saw it.
SHOTS := 40-fix-user-state 03-fix-confirm-reset 42-ticket-workspace
screenshots: ## copy the README's screenshots from the last browser test run (test-artifacts/web)
	@for shot in $(SHOTS); do test -f test-artifacts/web/$$shot.png || { \
	  echo "test-artifacts/web/$$shot.png is missing: run the browser tests first (make test)"; exit 1; }; done
	mkdir -p docs/screenshots
	for shot in $(SHOTS); do cp test-artifacts/web/$$shot.png docs/screenshots/; done

clean: ## remove the venv and local state
	rm -rf $(VENV) .fixline
