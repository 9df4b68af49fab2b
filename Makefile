# Buurt WhatsApp sign-up backend. GNU make.
# On a fresh clone `make test` and `make dev` do all set-up first (see PRODUCT.md, "Local run").

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
NPM_DIR := devstack/firestore-npm
VNU_DIR := devstack/vnu
LINT_PATHS := functions devstack infra tests bench
PYTEST_ARGS ?=

# Stamps live inside what they describe, so deleting .venv or node_modules redoes the step.
VENV_STAMP := $(VENV)/.stamp-requirements-dev
NPM_STAMP := $(NPM_DIR)/node_modules/.stamp-npm-ci
VNU_STAMP := $(VNU_DIR)/node_modules/.stamp-npm-ci
# Debian's Chromium, driven by Playwright in the end-to-end tests (Playwright's own browser
# download does not work on our machines), and shellcheck for the shell scripts. The files
# themselves are the stamps.
CHROMIUM := /usr/bin/chromium
SHELLCHECK := /usr/bin/shellcheck
# Poppler (pdftotext, pdftoppm, pdfinfo) and zbar read the printed poster and letter back in
# the tests: their text, their page count, and the QR code decoded from a rendered image.
PDFTOTEXT := /usr/bin/pdftotext
ZBARIMG := /usr/bin/zbarimg
# A Python 3.11 or newer, for the venv and for the deploy (which needs nothing else).
FIND_PYTHON := py="$$(command -v python3.11 || true)"; \
	if [ -z "$$py" ] && python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  py="$$(command -v python3)"; \
	fi; \
	if [ -z "$$py" ]; then echo "error: need python3.11 (or a python3 >= 3.11) on PATH" >&2; exit 1; fi

.PHONY: help setup test lint format clean dev outbox bench deploy

help:
	@echo "make setup   create .venv (Python 3.11+), install the npm Firestore emulator, the HTML"
	@echo "             checker (vnu), chromium, shellcheck and (if missing) the Google Cloud CLI"
	@echo "make test    run all tests (PYTEST_ARGS=... passes arguments to pytest)"
	@echo "make lint    ruff, the import contracts (import-linter) and mypy --strict"
	@echo "make format  sort imports and format with ruff"
	@echo "make dev     serve every function on http://localhost:8080"
	@echo "make outbox  the newest mail make dev delivered, with its links"
	@echo "make bench   the benchmarks: cold start, latency, Firestore operations, memory, mail"
	@echo "make clean   remove .venv, node_modules, .local and caches"
	@echo "make deploy  PROJECT=... DEPLOYMENT=... ENV_FILE=... [DRY_RUN=1]: see README, Deploy"

# ---- set-up ----------------------------------------------------------------

setup: $(VENV_STAMP) $(NPM_STAMP) $(VNU_STAMP) $(CHROMIUM) $(SHELLCHECK) $(PDFTOTEXT) $(ZBARIMG)
	@devstack/install-gcloud.sh
	@if ! command -v java >/dev/null; then \
	  echo "warning: java is not on PATH; the tests run the Nu HTML Checker (vnu.jar) with it" \
	    "and fail without it: install Java 11 or newer (Debian: default-jre-headless)" >&2; \
	fi

$(PY):
	@$(FIND_PYTHON); \
	echo "creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

$(VENV_STAMP): requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# The npm emulator is the fallback when Google's (gcloud + java) is not installed. Without node
# the step is skipped with a warning; the tests then fail if no emulator at all is available.
$(NPM_STAMP): $(NPM_DIR)/package.json $(NPM_DIR)/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  echo "warning: npm not on PATH; the npm Firestore emulator is not installed" >&2; \
	else \
	  echo "npm ci in $(NPM_DIR)"; \
	  cd $(NPM_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	  touch $(CURDIR)/$@; \
	fi

# The Nu HTML Checker (vnu.jar from the npm package vnu-jar) checks every page and mail in the
# tests, and axe-core (same folder) the accessibility of pages in the browser tests; vnu runs
# with the machine's java (setup warns when there is none): --ignore-scripts skips
# the package's own download of a Java runtime. Without npm the step is skipped with a warning,
# as above; the HTML tests then fail, naming what is missing.
$(VNU_STAMP): $(VNU_DIR)/package.json $(VNU_DIR)/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  echo "warning: npm not on PATH; the Nu HTML Checker (vnu-jar) is not installed" >&2; \
	else \
	  echo "npm ci in $(VNU_DIR)"; \
	  cd $(VNU_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	  touch $(CURDIR)/$@; \
	fi

# Installed with apt only when missing (a file target: nothing runs once it exists). As root
# directly, otherwise through sudo; without either the set-up stops with what to run by hand.
# $(call apt_install,PACKAGE,FILE,WHY)
define apt_install
	@if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else \
	  echo "error: $(2) is missing ($(3)) and installing it needs root or sudo;" \
	    "as root run: apt-get update && apt-get install -y --no-install-recommends $(1)" >&2; \
	  exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "error: $(2) is missing ($(3)) and there is no apt-get here to install Debian's $(1);" \
	    "install $(1) so that $(2) runs it" >&2; \
	  exit 1; \
	fi; \
	echo "installing Debian's $(1) ($(3))$${sudo:+ (with sudo)}"; \
	$$sudo apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(1); \
	if [ ! -x $(2) ]; then echo "error: $(1) installed, but $(2) is missing" >&2; exit 1; fi
endef

$(CHROMIUM):
	$(call apt_install,chromium,$(CHROMIUM),the end-to-end tests drive it)

$(SHELLCHECK):
	$(call apt_install,shellcheck,$(SHELLCHECK),the tests check every shell script with it)

$(PDFTOTEXT):
	$(call apt_install,poppler-utils,$(PDFTOTEXT),the tests read the printed poster and letter back)

$(ZBARIMG):
	$(call apt_install,zbar-tools,$(ZBARIMG),the tests decode the printed QR code)

# ---- checks ----------------------------------------------------------------

test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff; the layers and who may import what (import-linter, pyproject.toml); mypy, strict, on
# the functions' package.
lint: setup
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	PYTHONPATH=functions $(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --select I --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

clean:
	rm -rf $(VENV) build $(NPM_DIR)/node_modules $(VNU_DIR)/node_modules .local \
	  .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# ---- local run ---------------------------------------------------------------
# dev and bench live here.

dev: setup
	PYTHONPATH=functions $(PY) -m devstack.serve

# The newest mail make dev delivered, with its links (LAST=n for more).
outbox: setup
	@PYTHONPATH=functions $(PY) -m devstack.outbox --last $(or $(LAST),5)

# One table of cold starts, warm latency, Firestore operations and cost per journey, memory and
# mail latency, each beside its baseline (bench/__main__.py). BENCH_SOURCE=DIR measures another
# checkout with this bench (say, the code before a change); BENCH_ARGS=--quick for development.
# The functions' package is deliberately not on the path: it comes from the tree measured.
BENCH_SOURCE ?= $(CURDIR)
bench: $(VENV_STAMP) $(NPM_STAMP)
	PYTHONPATH=$(CURDIR) $(PY) -m bench --source "$(BENCH_SOURCE)" $(BENCH_ARGS)

# ---- deploy ------------------------------------------------------------------
# No dev set-up: only Python 3.11+ and gcloud (infra/deploy.py makes its own venv).

REGION ?= europe-west4
deploy:
	@if [ -z "$(PROJECT)" ] || [ -z "$(DEPLOYMENT)" ] || [ -z "$(ENV_FILE)" ]; then \
	  echo "usage: make deploy PROJECT=my-project DEPLOYMENT=infra/deployments/NAME.toml" \
	    "ENV_FILE=my-env.yaml [REGION=europe-west4] [DRY_RUN=1]" >&2; exit 2; fi
	@$(FIND_PYTHON); \
	"$$py" infra/deploy.py deploy --project="$(PROJECT)" --region="$(REGION)" \
	  --deployment="$(DEPLOYMENT)" --env-file="$(ENV_FILE)" $(if $(DRY_RUN),--dry-run,)
