# Two commands on a fresh machine: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.10 2>/dev/null || echo $(HOME)/.pyenv/versions/3.10.13/bin/python)
VENV := .venv
BIN := $(VENV)/bin
# In CI no pip cache: the sentence-transformers extra brings a CUDA build of torch (several GB) and a
# cached copy of every wheel doubled the disk it needs (a CI run once ran out of space there).
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt $(if $(CI),--no-cache-dir)
SHARED_DATA ?= ../shared/data
CRAWL := $(SHARED_DATA)/dvcqg_tthc_2642.jsonl.gz

.PHONY: install install-st browser run prepare train test test-rasa bench bench-rest bench-nlu bench-frontend lint clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 10), "Python 3.10 is required (Rasa 3.6)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q "pip<25" "setuptools<71" wheel

# Reinstalled only when the dependency pins change: quick when nothing did.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e ".[dev]"
	@touch $@

$(VENV)/.installed-st: $(VENV)/.installed
	$(PIP) -e ".[dev,sentence-transformers]"
	$(BIN)/pip check
	@touch $@

install: $(VENV)/.installed
install-st: $(VENV)/.installed-st

# Import the national catalogue when it is on this machine (the project works without it), then
# build the search index if it is missing or stale.
prepare: install
	@if [ -f "$(CRAWL)" ] && [ ! -f var/catalogue.db ]; then $(BIN)/thutuc catalogue import "$(CRAWL)"; fi
	$(BIN)/thutuc index build --if-stale

# Rasa model: retrained only when config, domain or training data changed.
train: install
	$(BIN)/thutuc train --if-stale

# Action server and Rasa on 127.0.0.1, then the front end: the web chat at http://127.0.0.1:8080
# (THUTUC_WEB_PORT) and, when THUTUC_TELEGRAM_TOKEN is set, Telegram. Prints where to chat; Ctrl-C
# stops all three. (`thutuc serve` is the terminal chat without the front end.)
run: prepare train
	$(BIN)/thutuc run

# The web chat's browser test: Debian's Chromium (installed when missing; we run as root) driven by
# Playwright for Python (a dev dependency). `playwright install` is never run: no browser download.
browser: install
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi
	@$(BIN)/python -c 'import playwright' 2>/dev/null || $(PIP) "playwright==1.63.0"

# Everything, the Rasa end-to-end tests included (they train the model when stale and start both
# servers on loopback; the smoke test needs the index that `prepare` builds) and the web chat in
# headless Chromium (`browser`).
test: install-st prepare browser
	$(BIN)/thutuc catalogue validate
	$(BIN)/ruff check bot tests bench
	THUTUC_RASA_E2E=1 $(BIN)/pytest -q -rs

# The Rasa end-to-end tests: trains the model if stale, test stories, servers on loopback.
test-rasa: prepare
	THUTUC_RASA_E2E=1 $(BIN)/pytest -q -rs tests/test_rasa.py

bench: prepare
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/fee_bench.py

# The whole assistant through Rasa's REST channel: cold start, one sender, 20 concurrent senders, RSS.
bench-rest: prepare train
	$(BIN)/python bench/rest_bench.py

# Front-end overhead per message without Rasa's own time: the router alone, then the Telegram front end
# as its own process against the fake Bot API (polling).
bench-frontend: install
	$(BIN)/python bench/router_bench.py
	$(BIN)/python bench/telegram_bench.py

# Intent and entity figures per language on bench/nlu_holdout/ (never trained on): trains an NLU-only
# model from data/nlu in a temporary directory (MODEL=path.tar.gz evaluates an existing model instead).
bench-nlu: install
	RASA_TELEMETRY_ENABLED=false OMP_WAIT_POLICY=PASSIVE $(BIN)/python bench/nlu_eval.py $(if $(MODEL),--model $(MODEL)) $(if $(CV),--cv $(CV))

lint: install
	$(BIN)/ruff check bot tests bench

clean:
	rm -rf models/search models/rasa var/catalogue.db
