# The two commands: `make run` (the product, with a demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# `make run` defaults to a local development run on the embedded default (SQLite, in-process tasks).
RUN_ENV := DEBUG=$${DEBUG:-1}
# `make test` runs against the real services (see .ci/run, which starts them when they are down).
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-tests-only-not-secret} \
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/undersigned} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	CELERY_BROKER_URL=$${TEST_CELERY_BROKER_URL:-redis://127.0.0.1:6379/14} \
	EMAIL_URL=memorymail:// DEBUG=0 ALLOWED_HOSTS=testserver,localhost,127.0.0.1

.PHONY: install run serve test bench lint messages catalogues

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed catalogues

# The translations Django reads (.mo), compiled from the .po files in git by Babel (no gettext needed); only
# those whose .po changed. `make messages` re-extracts the strings: see README, "Languages".
catalogues: $(VENV)/.installed
	$(PY) -m undersigned.catalogues compile

messages: install
	$(PY) -m undersigned.catalogues update

run: install
	$(RUN_ENV) $(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) seed_demo
	$(RUN_ENV) ./bin/serve

# `make serve` runs production on this machine from the environment's settings (docs/production.md): DEBUG off,
# migrate and collectstatic, then granian (the web server), a Celery worker and celery beat, stopped together by Ctrl-C or TERM.
serve: install
	./bin/production

test: install
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# Figures, printed: the issue-9 table, before (main) and after (this checkout), with the production web server (bin/web), a real worker and a
# load generator (bench/web.py; BENCH_QUICK=1 for a short run; Redis databases 2-5 of REDIS_BENCH_URL); the CSV export at 1M rows; the name index at 100k entries; verification quality on a labelled
# harness; claim checks per second with 2 worker processes against a 100k roster (its own broker db, /12); roster
# import time and memory at 100k rows; signing's timing for new and known addresses; the outage drills (a private
# redis-server, an SMTP sink, web, worker and beat as real processes: what was lost, which must be nothing; the mail
# server is down for the issue's 10 minutes, 20 s with BENCH_QUICK=1).
bench: install
	$(TEST_ENV) $(PY) bench/web.py
	$(TEST_ENV) $(PY) bench/run.py
	$(TEST_ENV) $(PY) bench/candidates.py
	$(TEST_ENV) EMAIL_URL=memorymail:// $(PY) bench/verification_quality.py
	$(TEST_ENV) CELERY_BROKER_URL=redis://127.0.0.1:6379/12 REDIS_URL=redis://127.0.0.1:6379/13 $(PY) bench/claim_throughput.py
	$(TEST_ENV) CELERY_BROKER_URL=redis://127.0.0.1:6379/12 REDIS_URL=redis://127.0.0.1:6379/13 $(PY) bench/roster_import.py --sqlite
	$(TEST_ENV) CELERY_BROKER_URL=redis://127.0.0.1:6379/12 REDIS_URL=redis://127.0.0.1:6379/13 $(PY) bench/sign_timing.py
	$(TEST_ENV) $(PY) bench/outage_drills.py
	$(TEST_ENV) $(PY) bench/letter_pdf.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
