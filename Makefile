# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

INSTALLED := $(VENV)/.installed
AXE := tests/e2e/browser/node_modules/axe-core/axe.min.js
DEMO_DB := instance/dashboard.db

.PHONY: install run reset-demo test screenshots bench load lock audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs again only when the dependencies change, so a second `make run` serves within seconds.
$(INSTALLED): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(INSTALLED)

# axe-core for the browser suite's accessibility checks (injected by the tests, never served).
$(AXE): tests/e2e/browser/package.json tests/e2e/browser/package-lock.json
	npm ci --prefix tests/e2e/browser --no-audit --no-fund --loglevel=error
	touch $@

# Re-pin every dependency from a clean install of pyproject.toml's ranges (then run `make test`).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ head -2 requirements.lock; .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

# pip-audit's own services (PyPI's JSON per version, OSV) do not answer from the build machines; .ci/audit_lock.py
# audits every pin that is PyPI's latest release against PyPI's current advisories and names the rest.
audit: install
	$(BIN)/bandit -r dashboard -ll -q
	$(BIN)/python .ci/audit_lock.py --strict requirements.lock

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo seed --if-empty
	PORT=$(PORT) $(BIN)/python wsgi.py

# Start the demo again from an empty SQLite database (stop `make run` with Ctrl+C first).
reset-demo:
	rm -f $(DEMO_DB)
	$(MAKE) run

test: install $(AXE)
	$(BIN)/python -m pytest

# The README's pictures (docs/screenshot.png, docs/screenshot-phone.png), drawn by the browser suite from demo data.
screenshots: install $(AXE)
	SCREENSHOT_DIR=docs $(BIN)/python -m pytest -q tests/e2e/test_browser.py -k "readme_screenshots and sqlite"

# The whole benchmark in one run (under 20 minutes at the default BENCH_ROWS=1000000; BENCH_ROWS=100000 for a quick
# one; BENCH_PEER=0 leaves out Fava): writes bench/results.json and prints one table. See bench/bench.py.
bench: install
	$(BIN)/python bench/bench.py

# Not part of `make test`: a minute of locust against two gunicorn workers on loopback.
load: install
	$(BIN)/python bench/load_test.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis tests/e2e/browser/node_modules
