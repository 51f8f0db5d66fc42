# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Off for `make run` (an idle shop costs almost nothing); `make dev` turns both on.
SERVER_RELOAD ?= --noreload
WORKER_RELOAD ?= --no-reload
HOST ?= 127.0.0.1
# With REDIS_URL (from the environment, else .env) the tasks are RQ jobs in Redis: `make run`
# starts RQ's worker, with the scheduler that runs deferred retries, instead of db_worker.
REDIS_URL ?= $(shell sed -n "s/^REDIS_URL=[\"']*\([^\"' ]*\).*/\1/p" .env 2>/dev/null | tail -n 1)
TASK_WORKER = $(if $(REDIS_URL),rqworker default --with-scheduler --verbosity 0,db_worker $(WORKER_RELOAD) --interval 2)

.PHONY: install run run-redis dev test test-rq lint messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Migrate, seed the demo catalog, then serve the shop with the task worker beside it and,
# every minute, the release of expired unpaid orders (stock back, PaymentIntent canceled) and
# the e-mail safety net (due retries, lost tasks, crashed sends marked for checking).
# Links in e-mails point at this server unless SHOP_BASE_URL says otherwise.
run: export SHOP_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	@mkdir -p var
	@# Quiet set-up: a first start applies some 250 migrations, one line each otherwise.
	@$(PY) manage.py migrate --noinput --verbosity 0
	@$(PY) manage.py createcachetable --verbosity 0
	@$(PY) manage.py seed_demo
	@echo "Shop: http://$(HOST):$(PORT)/ar/   Admin: http://$(HOST):$(PORT)/admin/"
	@$(PY) manage.py $(TASK_WORKER) & worker=$$!; \
	$(PY) manage.py release_expired_orders --every 60 & expiry=$$!; \
	$(PY) manage.py send_pending_emails --every 60 & mail=$$!; \
	trap 'kill $$worker $$expiry $$mail 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(SERVER_RELOAD) $(HOST):$(PORT)

# `make run` in the scale-out profile: caches, sessions and tasks in a local Redis.
run-redis:
	@$(MAKE) --no-print-directory run REDIS_URL=$(or $(REDIS_URL),redis://127.0.0.1:6379/0)

# `make run` with the code reloaded on every change (Django's reloader polls every file each
# second: about 8 % CPU per process while idle, so `make run` leaves it off).
dev:
	$(MAKE) run SERVER_RELOAD= WORKER_RELOAD=--reload

# The layers contract first (apps import one way only, see docs/architecture.md), then the suite.
test: install
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest $(PYTEST_ARGS)

# The scale-out profile's tests (CI's third pass): tasks through RQ and Redis, on PostgreSQL.
# TEST_REDIS_URL's database is emptied before each test: never the shop's own REDIS_URL.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/5
RQ_TEST_PATHS ?= apps/payments apps/emails apps/backoffice/tests/test_refunds.py \
	apps/operations tests/e2e/test_rq_worker.py
test-rq: install
	@test -n "$(DATABASE_URL)" || (echo "make test-rq needs DATABASE_URL=postgres://..." >&2; exit 1)
	TEST_TASKS=rq REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(RQ_TEST_PATHS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# Re-extract the Arabic catalogue after changing UI strings, then compile it.
messages: install
	$(PY) manage.py makemessages -l ar --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages -l ar --ignore=.venv

clean:
	rm -rf $(VENV) var

# The shop under load in production settings: wrk against gunicorn, pages and the Stripe
# webhook, beside a bare Django view (docs/performance.md). SQLite in var/bench/ by default;
# DATABASE_URL=postgres://... make bench fills that database. BENCH_ARGS="--duration 20s".
.PHONY: bench
bench: install
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(PY) bench/run.py $(BENCH_ARGS)
