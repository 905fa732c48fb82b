# Two commands: `make run` serves a demo workspace; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi
export FEEDBACK_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: install run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $@

install: $(VENV)/.installed

# axe-core, which the browser tests inject into pages to check accessibility, and
# oidc-provider, the OpenID provider the single sign-on tests run on loopback.
AXE := tests/browser/node/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/node/package.json tests/browser/node/package-lock.json
	npm ci --prefix tests/browser/node --no-audit --no-fund
	touch $@

# Development: the app makes a random secret key once under instance/ and serves /demo.
run: export FEEDBACK_ENV ?= development
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask feedback seed-demo
	FEEDBACK_RUN_JOBS=true $(BIN)/flask run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One worker per core (pytest-xdist): each has its own PostgreSQL schema, live servers and ports.
test: lint $(AXE)
	$(BIN)/pytest -n auto

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
