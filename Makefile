# The two README commands. Each installs what it needs: the Python venv and the npm test tools.
VENV := .venv
PY := $(VENV)/bin/python
NPM_TOOLS := tests/evm/node_modules/.bin/anvil

.PHONY: demo test setup lint bench system-packages

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(NPM_TOOLS): tests/evm/package.json tests/evm/package-lock.json
	cd tests/evm && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages for the tests' real parts (PostgreSQL, cron); installs only what is missing.
system-packages:
	bash tests/support/system-packages.sh

setup: system-packages $(VENV)/.installed $(NPM_TOOLS)

demo: setup
	$(PY) -m tests.demo

lint: setup
	$(VENV)/bin/ruff check tempoctl
	$(VENV)/bin/mypy tempoctl
	$(VENV)/bin/ruff check ci
	$(VENV)/bin/mypy --strict ci/gitops

test: setup lint
	$(VENV)/bin/pytest -q

# DESIGN §10 benchmark (several minutes): plan vs --no-batch vs the runbook loop (cast call / stellar contract
# invoke) behind a 50 ms proxy, anvil and the Soroban emulator, at 10 to 5,000 items. Writes bench/results/ (table, JSON, chart) and the README's benchmark section.
bench: setup
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench --update-readme
