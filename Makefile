# Incasso developer commands. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INCASSO := $(BIN)/incasso
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
VENDOR := src/incasso/web/static/vendor
DEMO_DIR := var/demo

.PHONY: help venv assets system-deps messages demo demo-data test test-sqlite test-postgres check bench postgres clean

help:
	@echo "make demo   - install, build the demo database and serve http://127.0.0.1:8000"
	@echo "make test   - install what tests need and run the suite on SQLite and PostgreSQL"
	@echo "make check  - ruff, import-linter contracts, missing migrations"
	@echo "make bench  - benchmarks (results in docs/benchmarks.md)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev,bench]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

venv: $(STAMP)

# Front-end packages come from npm with the lockfile; only the built files are copied to static/.
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/chart.js/dist/chart.umd.js $(VENDOR)/
	cp node_modules/modern-normalize/modern-normalize.css $(VENDOR)/
	touch $@

assets: $(VENDOR)/.stamp

# Debian packages the suite needs: chromium for the browser tests, gettext for translations.
system-deps:
	@command -v chromium >/dev/null && command -v msgfmt >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext)

# Compiled .mo files are build output (gitignored); LOCALE_PATHS points at src/incasso/locale.
messages: venv
	@if ls src/incasso/locale/*/LC_MESSAGES/django.po >/dev/null 2>&1; then \
	  $(INCASSO) compilemessages --ignore .venv --ignore node_modules --ignore var -v 0; fi

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
	  (pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2)
	@pg_isready -h 127.0.0.1 -p 5432

demo: venv assets messages
	$(INCASSO) demo --out $(DEMO_DIR)

test: venv assets system-deps messages postgres check test-sqlite test-postgres

test-sqlite:
	INCASSO_DATABASE_URL= $(BIN)/pytest -n 2 -q

test-postgres:
	INCASSO_DATABASE_URL=$(PG_URL) INCASSO_REQUIRE_DB=postgresql $(BIN)/pytest -n 2 -q

check: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(INCASSO) makemigrations --check --dry-run -v 0

bench: venv postgres
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
