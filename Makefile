# Postcards — one entry point for every job. `make` (or `make help`) lists the targets.
# Every target installs what it needs by itself; re-running with nothing changed does nothing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(abspath .)
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
PY := $(BIN)/python
TOOLS := $(ROOT)/.tools

# The functions run on Lambda's python3.13; develop and test on the same version when the machine
# has it (pyenv or PATH), else on any python3 >= 3.11.
PYTHON ?= $(shell for p in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3 python3; do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)

# Build target: Lambda architecture (arm64 | x86_64) and runtime. AWS deploys default to arm64;
# the local cloud builds for the host.
ARCH ?= arm64
RUNTIME ?= python3.13
HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')

# Terraform: with TF_PROVIDER_MIRROR set (a folder holding registry.terraform.io/...), providers
# come from that filesystem mirror; without it, from the registry as usual.
TF_DIR := $(ROOT)/terraform
TF_RC := $(ROOT)/build/terraform.rc
export TF_CLI_CONFIG_FILE := $(TF_RC)
export TF_IN_AUTOMATION := 1

CHECKOV_VERSION := 3.3.30
UV_VERSION := 0.13.8
AXE_CORE_VERSION := 4.14.1
AXE_CORE := $(TOOLS)/node_modules/axe-core/axe.min.js

.PHONY: help venv lock build lint fmt test test-unit test-build test-terraform test-local test-browser \
	chromium axe-core certutil trust untrust bench bench-readme load chaos up plan deploy destroy tf-init tf-modules docs figures clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- environment -------------------------------------------------------------------------------

$(BIN)/uv:
	@test -n "$(PYTHON)" || { echo "error: no python3 >= 3.11 found (set PYTHON=...)" >&2; exit 1; }
	@echo "==> creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# uv: an exact sync of a compiled lock in seconds, where pip takes minutes on a fresh machine.
$(VENV)/.synced: requirements-dev.txt | $(BIN)/uv
	@echo "==> syncing dev dependencies"
	@$(BIN)/uv pip sync --quiet --python $(PY) requirements-dev.txt
	@touch $@

venv: $(VENV)/.synced ## Create or update the dev virtualenv (.venv) from requirements-dev.txt

lock: | $(BIN)/uv ## Re-compile requirements-dev.txt from requirements-dev.in
	@$(BIN)/uv pip compile --quiet --python-version 3.13 requirements-dev.in -o requirements-dev.txt

# checkov pins its own dependency tree, so it lives in a venv of its own.
$(TOOLS)/checkov/bin/checkov: | $(BIN)/uv
	@echo "==> installing checkov $(CHECKOV_VERSION)"
	@$(BIN)/uv venv --quiet --python $(PY) $(TOOLS)/checkov
	@$(BIN)/uv pip install --quiet --python $(TOOLS)/checkov/bin/python checkov==$(CHECKOV_VERSION)

$(TF_RC): FORCE
	@mkdir -p $(dir $@)
	@if [ -n "$${TF_PROVIDER_MIRROR:-}" ]; then \
		printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/*/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n' "$$TF_PROVIDER_MIRROR"; \
	else echo '# TF_PROVIDER_MIRROR unset: providers come from the registry'; fi > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

# --- build -------------------------------------------------------------------------------------

build: venv ## Build function zips, the layer zip and build/manifest.json (ARCH=arm64|x86_64)
	@PATH="$(BIN):$$PATH" ./build.sh --arch $(ARCH) --runtime $(RUNTIME)

# --- docs --------------------------------------------------------------------------------------

docs: venv ## Regenerate the docs made from sources: Terraform modules' inputs/outputs, docs/quest/cost.md
	@$(PY) -m buildtools.docs

# The figures the docs quote are committed (docs/quest/figures/), so that `make docs` and its check
# give the same pages on every clone; this takes the latest bench results in, then regenerates.
FIGURES := coldstart lambda_reports
figures: venv ## Copy build/bench/{coldstart,lambda_reports}.json into docs/quest/figures/, then make docs
	@for name in $(FIGURES); do \
		test -f build/bench/$$name.json || { echo "error: no build/bench/$$name.json: make bench BENCH=$$name" >&2; exit 1; }; \
		cp build/bench/$$name.json docs/quest/figures/$$name.json; done
	@$(PY) -m buildtools.docs

# --- checks ------------------------------------------------------------------------------------

fmt: venv ## Format Python and Terraform in place
	@$(BIN)/ruff format --quiet functions local buildtools deploytools tests
	@$(BIN)/ruff check --quiet --fix functions local buildtools deploytools tests
	@terraform fmt -recursive $(TF_DIR) >/dev/null

lint: venv $(TOOLS)/checkov/bin/checkov tf-modules ## ruff, mypy, shellcheck, terraform fmt/validate, checkov (all frameworks, secrets)
	@echo "==> lint"
	@$(BIN)/ruff format --check --quiet functions local buildtools deploytools tests
	@$(BIN)/ruff check --quiet functions local buildtools deploytools tests
	@$(BIN)/mypy --no-error-summary functions local buildtools deploytools
	@$(BIN)/shellcheck build.sh .ci/run
	@# Generated docs (module READMEs' inputs and outputs, the cost page) must match their sources.
	@$(PY) -m buildtools.docs --check
	@terraform fmt -check -recursive $(TF_DIR)
	@# -no-tests: validate mis-reports the site module's us-east-1 alias in module-level test runs;
	@# `terraform test` (make test-terraform) validates and runs every test file itself.
	@TF_DATA_DIR=$(TF_TEST_DATA) terraform -chdir=$(TF_DIR) validate -no-tests -no-color >/dev/null
	@# checkov: the whole repository, every framework it detects, secrets in every file (.checkov.yaml).
	@cd $(ROOT) && $(TOOLS)/checkov/bin/checkov --config-file .checkov.yaml

test: lint test-unit test-build ## Lint, then every test suite
	@$(MAKE) --no-print-directory build ARCH=$(HOST_ARCH)
	@# The Terraform and local-cloud suites mostly wait (the AWS provider's fixed waits, cold starts),
	@# so they run side by side; each one's output is printed whole when it ends.
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-terraform test-local
	@echo "==> all tests passed"

test-unit: venv ## Unit tests of functions/ with moto (coverage >= 90 %)
	@echo "==> unit tests"
	@$(PY) -m pytest -q -n auto tests/unit --cov=functions --cov-report=term-missing:skip-covered --cov-fail-under=90

test-build: venv ## build.sh: determinism, target platform, zip contents
	@echo "==> build tests"
	@PATH="$(BIN):$$PATH" $(PY) -m pytest -q tests/build

test-terraform: venv tf-modules ## terraform test (mock provider) and apply to moto server
	@echo "==> terraform tests"
	@TF_DATA_DIR=$(TF_TEST_DATA) terraform -chdir=$(TF_DIR) test -no-color
	@PATH="$(BIN):$$PATH" $(PY) -m pytest -q tests/terraform

# local/ runs mostly in subprocesses of the tests (the cloud and its children): coverage follows them
# (tests/local/coverage.ini) and the combined figure must stay above this gate.
LOCAL_COVERAGE_MIN ?= 87
LOCAL_COVERAGE := $(ROOT)/build/coverage-local

test-local: venv $(TF_RC) chromium axe-core certutil ## The local cloud end to end, coverage of local/ >= LOCAL_COVERAGE_MIN %
	@echo "==> local cloud tests"
	@$(MAKE) build ARCH=$(HOST_ARCH)
	@rm -rf $(LOCAL_COVERAGE) && mkdir -p $(LOCAL_COVERAGE)
	@export COVERAGE_LOCAL_DATA_FILE=$(LOCAL_COVERAGE)/.coverage PATH="$(BIN):$$PATH"; \
		$(PY) -m coverage run --rcfile=tests/local/coverage.ini -m pytest -q --durations=25 tests/local; \
		$(PY) -m coverage combine --quiet --rcfile=tests/local/coverage.ini; \
		status=0; $(PY) -m coverage report --rcfile=tests/local/coverage.ini --sort=cover \
			--fail-under=$(LOCAL_COVERAGE_MIN) > $(LOCAL_COVERAGE)/report.txt || status=$$?; \
		echo "coverage of local/ (least covered first; all in $(LOCAL_COVERAGE)/report.txt):"; \
		head -n 14 $(LOCAL_COVERAGE)/report.txt; echo "..."; tail -n 3 $(LOCAL_COVERAGE)/report.txt; \
		exit $$status

test-browser: venv $(TF_RC) chromium axe-core certutil ## Only the browser tests: the site's and the console's (a local cloud of their own)
	@$(MAKE) build ARCH=$(HOST_ARCH)
	@PATH="$(BIN):$$PATH" $(PY) -m pytest -q $(addprefix tests/local/cloudfront/test_site_,browser.py lab.py resilience.py accessibility.py) \
		tests/local/console/test_console_browser.py

# The browser tests drive Debian's chromium through Playwright; Playwright's own browser downloads
# are never used. Installed with apt-get when this user may (root or passwordless sudo).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else \
			echo "error: $(CHROMIUM) is missing. The browser tests need Debian's chromium:" >&2; \
			echo "       sudo apt-get install chromium   (or CHROMIUM=/path/to/chromium)" >&2; exit 1; fi; \
		echo "==> installing chromium (apt-get)"; \
		$$sudo apt-get update -qq; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
		test -x "$(CHROMIUM)" || { echo "error: still no $(CHROMIUM) after apt-get install chromium" >&2; exit 1; }; \
	fi

# axe-core, the accessibility engine the browser tests inject into the page (tests/local/browser_support.py),
# from the npm registry, pinned; only its one file is used, so no package.json is kept.
axe-core: $(AXE_CORE)
$(AXE_CORE):
	@command -v npm >/dev/null || { echo "error: npm is missing (the browser tests need axe-core from npm): sudo apt-get install npm" >&2; exit 1; }
	@echo "==> installing axe-core $(AXE_CORE_VERSION) (npm)"
	@npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix $(TOOLS) axe-core@$(AXE_CORE_VERSION)
	@test -f $@ || { echo "error: npm installed no $@" >&2; exit 1; }
# certutil (Debian's libnss3-tools) writes the NSS databases Chromium and Firefox read; installed
# with apt-get like chromium, when this user may.
CERTUTIL ?= certutil
certutil:
	@if ! command -v "$(CERTUTIL)" >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else \
			echo "error: certutil is missing. make trust needs Debian's libnss3-tools:" >&2; \
			echo "       sudo apt-get install libnss3-tools" >&2; exit 1; fi; \
		echo "==> installing libnss3-tools (apt-get)"; \
		$$sudo apt-get update -qq; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libnss3-tools >/dev/null; \
		command -v "$(CERTUTIL)" >/dev/null || { echo "error: still no certutil after apt-get install libnss3-tools" >&2; exit 1; }; \
	fi

trust: venv certutil ## Trust the local CA in your browsers (NSS: Chromium, Firefox); prints the OS-store command
	@$(PY) -m local.tls trust

untrust: venv certutil ## Remove the local CA from your browsers' NSS databases
	@$(PY) -m local.tls untrust

bench: venv ## Benchmarks, JSON results in build/bench/ (one with its args: BENCH="coldstart --rounds 5")
	@PATH="$(BIN):$$PATH" $(PY) -m tests.bench $(BENCH)

bench-readme: venv ## The README's benchmark tables, regenerated from build/bench/*.json
	@$(PY) -m tests.bench._readme

# Bounded (count and time), loopback only, on a local cloud of its own that it stops. Options:
# LOAD="--clients 32 --seconds 60 --seed 7" (python -m tests.local.api --help).
load: venv $(TF_RC) ## Long load above reserved concurrency + schema fuzzing; figures in build/load/*.json
	@$(MAKE) build ARCH=$(HOST_ARCH)
	@PATH="$(BIN):$$PATH" $(PY) -m tests.local.api $(LOAD)

# With FAULT: one local fault on the running `make up` (FAULT="dynamodb-throttle --percent 30",
# FAULT=list, FAULT=clear; python -m local chaos --help). Without: every experiment of
# tests/local/chaos on a cloud of its own, each phase CHAOS_SCALE times longer than in make test
# (bounded in count and time, loopback only); results in build/chaos/*.json and REPORT.md. Its own
# temporary folder: the machine's shared pytest folder keeps only the last few runs.
CHAOS_SCALE ?= 4
chaos: venv $(TF_RC) ## Local faults (FAULT=... on a running make up), or every chaos experiment, longer
	@if [ -n "$(FAULT)" ]; then \
		$(PY) -m local chaos $(FAULT); \
	else \
		$(MAKE) build ARCH=$(HOST_ARCH) && \
		PATH="$(BIN):$$PATH" CHAOS_SCALE=$(CHAOS_SCALE) $(PY) -m pytest -q --basetemp="$$(mktemp -d)" tests/local/chaos; \
	fi

# --- terraform against AWS ---------------------------------------------------------------------

# Optional S3 backend: BACKEND_CONFIG=path/to/backend.hcl (docs/deploy.md). The root declares no
# backend, so state is local (terraform/terraform.tfstate) unless BACKEND_CONFIG is given: then a
# generated terraform/backend_override.tf adds `backend "s3" {}` and init reads the file's settings.
TF_BACKEND_OVERRIDE := $(TF_DIR)/backend_override.tf
TF_INIT_FLAGS := -input=false -no-color $(if $(BACKEND_CONFIG),-reconfigure -backend-config=$(abspath $(BACKEND_CONFIG)))
# AWS deploys build for ARCH (arm64 by default) and tell Terraform which build to take.
TF_ARCH_VAR := -var architecture=$(ARCH) -var runtime=$(RUNTIME)

tf-init: $(TF_RC) ## terraform init for AWS (providers from TF_PROVIDER_MIRROR; S3 state with BACKEND_CONFIG)
	@if [ -n "$(BACKEND_CONFIG)" ]; then \
		test -f "$(BACKEND_CONFIG)" || { echo "error: BACKEND_CONFIG=$(BACKEND_CONFIG) does not exist" >&2; exit 1; }; \
		printf '# Generated by make tf-init from BACKEND_CONFIG; not committed.\nterraform {\n  backend "s3" {}\n}\n' > $(TF_BACKEND_OVERRIDE); \
	elif [ -f $(TF_BACKEND_OVERRIDE) ]; then \
		echo "error: terraform/backend_override.tf exists: state is in S3 from an earlier BACKEND_CONFIG run." >&2; \
		echo "       Pass BACKEND_CONFIG again, or delete the file to use local state." >&2; exit 1; \
	fi
	@terraform -chdir=$(TF_DIR) init $(TF_INIT_FLAGS) >/dev/null

# Providers and modules only, in a data folder of their own: validate and terraform test need no
# backend, and never touch the working folder (and state settings) of AWS deploys.
TF_TEST_DATA := $(ROOT)/build/terraform-test-data
tf-modules: $(TF_RC)
	@TF_DATA_DIR=$(TF_TEST_DATA) terraform -chdir=$(TF_DIR) init -backend=false -input=false -no-color >/dev/null

plan: build tf-init ## terraform plan against AWS (ARCH=arm64 build)
	@terraform -chdir=$(TF_DIR) plan -input=false $(TF_ARCH_VAR)

deploy: build tf-init ## terraform apply against AWS (shows the plan, asks for confirmation)
	@terraform -chdir=$(TF_DIR) apply -input=false $(TF_ARCH_VAR)

# The pre-check stops before anything is deleted when destroy would fail part-way (a bucket that is
# not empty and not force-destroyed: deploytools/destroy_check.py says which and how to go on).
destroy: build tf-init ## terraform destroy against AWS (checks what would block it first, asks for confirmation)
	@$(PY) -m deploytools.destroy_check --terraform-dir $(TF_DIR)
	@terraform -chdir=$(TF_DIR) destroy -input=false $(TF_ARCH_VAR)

# --- local cloud -------------------------------------------------------------------------------

# Options: UP_FLAGS="--fresh --edge-port 5566 ..." (python -m local up --help).
up: venv $(TF_RC) ## The whole stack on the local cloud (no AWS, no Docker); prints the URLs
	@$(MAKE) build ARCH=$(HOST_ARCH)
	@PATH="$(BIN):$$PATH" $(PY) -m local up $(UP_FLAGS)

clean: ## Remove build outputs, caches and local state (keeps .venv)
	@rm -rf build .local .pytest_cache .mypy_cache .ruff_cache .coverage coverage.xml htmlcov
	@find . -name __pycache__ -type d -prune -not -path './.venv/*' -not -path './.tools/*' -exec rm -rf {} +
