# Two commands: `make run` (the product) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: install services migrate demo run test lint fmt bench vendor system-deps clean-db typecheck

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet pip==26.3
	@$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

## install: create .venv and install the pinned dependencies (safe to run again)
install: $(VENV)/.installed

## services: check PostgreSQL and Redis; create the roles and the database
services: install
	@$(PY) scripts/prepare_services.py

migrate: services
	@$(PY) manage.py migrate --no-input -v 0

demo: migrate
	@$(PY) manage.py seed_demo --quiet-logins

## run: web + Celery worker + Celery beat under one process manager
run: demo
	@mkdir -p var
	@echo ""
	@echo "  SAM is starting at $(SITE_URL)/"
	@$(PY) manage.py seed_demo | sed -n '2,$$p'
	@echo "  Emails appear in this console (dev). Stop with Ctrl-C."
	@echo ""
	@HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start

## test: linters, migration check and the whole suite against real PostgreSQL and Redis
test: install
	@bash scripts/system_deps.sh
	@$(PY) scripts/prepare_services.py
	@$(MAKE) --no-print-directory lint typecheck
	@SAM_ENV=test $(PY) manage.py makemigrations --check --dry-run -v 1
	@SAM_ENV=test $(PY) -m pytest

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

typecheck: install
	@$(VENV)/bin/mypy

fmt: install
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

## bench: benchmarks against a real gunicorn on loopback (results in bench/results/latest.json)
bench: demo
	@$(PY) bench/run.py

## vendor: refresh the pinned front-end files in static/vendor (needs npm)
vendor:
	@bash scripts/vendor.sh

system-deps:
	@bash scripts/system_deps.sh
