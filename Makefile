# Two commands set everything up: `make run` (the whole system) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The environment first, then .env, then the default: as the settings read them.
from_dotenv = $(shell sed -n 's/^$(1)=//p' .env 2>/dev/null | tail -n 1 | tr -d "\"'")
PORT ?= $(or $(call from_dotenv,PORT),8000)
# Hosted pages (the 3-D Secure challenge, checkout) are linked at this address.
PUBLIC_BASE_URL ?= $(or $(call from_dotenv,PUBLIC_BASE_URL),http://127.0.0.1:$(PORT))
export PORT PUBLIC_BASE_URL

.PHONY: run test lint format migrate install clean

$(BIN)/.installed: requirements/base.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

## The API on http://127.0.0.1:$(PORT), the Celery workers and beat (Procfile); Ctrl-C stops all.
run: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo_merchant
	rm -rf var/metrics && mkdir -p var/metrics  # counters start from zero with the system
	PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/metrics $(BIN)/honcho start -f Procfile -p $(PORT)

## The test suite: SQLite by default, PostgreSQL when DATABASE_URL is set.
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var
