# CESIP developer commands. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
CHROMIUM ?= /usr/bin/chromium

# Local development runs with DEBUG on (a dev-only secret key); production sets its own.
export DEBUG ?= true
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install system-packages run serve bootstrap test lint format check messages bench loadtest db-stop clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ (Debian: apt-get install -y nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed

## What the browser tests need from the system: Chromium, CJK fonts (Chinese renders as
## empty boxes without them) and npm (for axe-core). Installed with apt-get when this user
## may (root, or sudo without a password); otherwise the command to run is printed.
system-packages:
	@need=""; \
	test -x "$(CHROMIUM)" || need="$$need chromium"; \
	{ dpkg-query -W -f='$${Status}' fonts-noto-cjk | grep -q "ok installed" || fc-list | grep -qi "noto sans cjk"; } >/dev/null 2>&1 || need="$$need fonts-noto-cjk"; \
	command -v npm >/dev/null || need="$$need nodejs npm"; \
	[ -z "$$need" ] && exit 0; \
	if ! command -v apt-get >/dev/null; then \
	  echo "make test needs:$$need (Chromium at $(CHROMIUM), or set CHROMIUM=/path; CJK fonts; npm). Install them with your package manager."; exit 1; \
	elif [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "make test needs:$$need. Install them, then run make test again: sudo apt-get install -y$$need"; exit 1; fi; \
	echo "Installing$$need with apt-get (about two minutes)"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$need >/dev/null

## Migrate, load the reference data, and the demo catalogue on an empty database; build
## the search index when there is none for this database (the task worker keeps it current).
bootstrap: install
	$(MANAGE) migrate --no-input
	$(MANAGE) load_reference_data
	$(MANAGE) load_demo --if-empty
	$(MANAGE) rebuild_search --index-only --if-missing

## The site on http://127.0.0.1:8000 with the task worker beside it; Ctrl-C stops both.
run: bootstrap serve

serve:
	@$(MANAGE) db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

## The whole suite: lint, system checks, missing migrations, unit, integration, browser.
test: install system-packages node_modules/.package-lock.json
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	CHROMIUM_PATH=$(CHROMIUM) $(BIN)/pytest --durations=15

## Performance figures on scratch databases (see cesip/bench.py); prints, never fails on time.
bench: install
	$(BIN)/python -m cesip.bench

## gunicorn in production settings under Locust, page cache off then on (cesip/loadtest/):
## about four minutes; prints requests/s, latencies and CPU per request, never fails on time.
loadtest: install
	$(BIN)/python -m cesip.loadtest

## Refresh the Chinese catalogue from the code (needs GNU gettext) and compile it.
messages: install
	$(MANAGE) makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*' --ignore 'node_modules/*' --ignore 'tests/*'
	$(MANAGE) compilemessages -l zh_Hans

## Stop the embedded PostgreSQL server (it keeps running between commands).
db-stop: install
	$(BIN)/python -c "from pathlib import Path; from cesip import embedded_db; print('stopped' if embedded_db.stop(Path('var')) else 'not running')"

clean: db-stop
	rm -rf var artifacts
