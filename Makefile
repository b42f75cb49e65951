# `make run` and `make test` are the two commands the README promises work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM_PATH ?= /usr/bin/chromium
# `make run PORT=8200`: the base URL (widget, mail links) and the demo site's allowed origin follow the port.
HOST ?= 127.0.0.1
PORT ?= 8000
BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint docs bench chromium page-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/portal db upgrade
	PORTAL_BASE_URL=$(BASE_URL) $(BIN)/portal demo
	PORTAL_BASE_URL=$(BASE_URL) $(BIN)/portal run --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium (Playwright cannot download its own browser here).
chromium:
	@test -x "$(CHROMIUM_PATH)" || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

# The page-quality tests' tools: axe-core (injected into pages) and the W3C Nu checker (vnu.jar, run with Java).
page-tools:
	@command -v java >/dev/null && command -v npm >/dev/null || { \
	  echo "Installing Debian's Java and npm for the page-quality tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q default-jre-headless npm >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q default-jre-headless npm >/dev/null; }; }

# --ignore-scripts: vnu-jar's install script would download a Java runtime; the machine's Java runs the jar.
tests/node_modules/.installed: tests/package.json tests/package-lock.json | page-tools
	cd tests && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

test: $(VENV)/.dev-installed chromium page-tools tests/node_modules/.installed
	CHROMIUM_PATH=$(CHROMIUM_PATH) $(BIN)/pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/intake.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cog --check --diff --check-fail-msg='run `make docs`' README.md
	$(BIN)/python -m portal.catalogs check

# README.md's settings table and command reference are generated from portal/settings.py and portal/cli.py.
docs: $(VENV)/.dev-installed
	$(BIN)/cog -r README.md

# Extract new strings into portal/locale/messages.pot and merge them into every language's catalog.
messages: $(VENV)/.dev-installed
	$(BIN)/python -m portal.catalogs update
