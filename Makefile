# `make run` and `make test` are the two commands the README promises work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM_PATH ?= /usr/bin/chromium

.PHONY: run test lint docs bench chromium

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
	$(BIN)/portal demo
	$(BIN)/portal run --host 127.0.0.1 --port 8000

# Browser tests drive Debian's chromium (Playwright cannot download its own browser here).
chromium:
	@test -x "$(CHROMIUM_PATH)" || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

test: $(VENV)/.dev-installed chromium
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
