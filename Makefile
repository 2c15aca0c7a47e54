# Weishang. `make run` serves a demo brand on http://127.0.0.1:8000; `make test` runs the suite.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
export PYTHONDONTWRITEBYTECODE := 1

# granian's master restarts a worker that dies (crash, OOM kill) instead of exiting with it;
# in production a supervisor restarts the master itself (deploy/weishang.service).
GRANIAN_OPTS := --interface wsgi weishang.wsgi:application --blocking-threads $${GRANIAN_BLOCKING_THREADS:-2} --no-ws \
  --respawn-failed-workers --respawn-interval 1

.PHONY: prod-up prod-down run serve install test test-sqlite test-postgres lint typecheck bench migrate demo clean messages

$(BIN)/python:
	@command -v $(PY) >/dev/null || PY=python3; $${PY:-$(PY)} -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)

# Reinstall only when the requirement files change.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput -v0

demo: migrate
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py load_demo

# `make run` is the demo: the top bar shows the demo brand unless BRAND_NAME is set.
run: export BRAND_NAME ?= 澜溪 LANXI
run: demo serve

serve: install
	@mkdir -p staticfiles  # WhiteNoise warns when STATIC_ROOT is missing; files are served from the finders
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/granian $(GRANIAN_OPTS) --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-sqlite: test

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/weishang_test_$$$$} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check weishang tests bench

typecheck: install
	$(BIN)/mypy weishang

# BENCH=name runs one script (bench/<name>.py); default: all of them.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk >/dev/null 2>&1; } \
	  || command -v wrk >/dev/null || echo "wrk not installed: the Python load generator is used (lower figures)"
	@set -e; for f in $${BENCH:+bench/$$BENCH.py} $$( [ -z "$$BENCH" ] && ls bench/*.py | grep -v '/_' ); do \
	  echo "== $$f"; $(BIN)/python $$f; done

# Project-level translations (weishang/locale) for templates, core, accounts, catalog and
# shop; the other apps keep their own weishang/<app>/locale.
APP_LOCALES := agents certificates codes earnings inventory ledger orders payments recruitment regions
messages: install
	cd weishang && ../$(BIN)/django-admin makemessages -l zh_Hans -l zh_Hant -l en --no-obsolete \
	  $(foreach d,$(APP_LOCALES),--ignore=$(d)) --ignore=static --ignore=locale
	cd weishang && ../$(BIN)/django-admin compilemessages $(foreach d,$(APP_LOCALES),--ignore=$(d))

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache .mypy_cache

# The production topology on one machine (deploy/, README "Production deployment").
prod-up: install  # deploy/stack.py: PostgreSQL (DATABASE_URL) + Redis, 2 granian, nginx, Celery worker + beat
	python3 deploy/stack.py up

prod-down:
	python3 deploy/stack.py down
