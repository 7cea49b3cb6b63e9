# The front door. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
BUILD := .build
export TF_CLI_CONFIG_FILE := $(abspath $(BUILD)/terraformrc)
export TF_IN_AUTOMATION := 1
PYTEST := $(BIN)/python -m pytest

.PHONY: help setup demo bench sandbox sandbox-stop iam-report test test-sandbox test-deployer test-terraform-unit test-terraform-static test-terraform-apply test-e2e test-bench test-sandbox-newest-moto checkov lint lint-py docs clean

help: ## List every target
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-22s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python python/sandbox/pyproject.toml python/deployer/pyproject.toml requirements-dev.txt
	$(BIN)/pip install -q -e python/sandbox -e python/deployer -r requirements-dev.txt
	touch $@

$(BUILD)/terraformrc: scripts/terraformrc.sh
	scripts/terraformrc.sh $@

$(CHECKOV_VENV)/bin/checkov: scripts/checkov.sh
	scripts/checkov.sh --install-only

setup: $(VENV)/.installed $(CHECKOV_VENV)/bin/checkov $(BUILD)/terraformrc ## Create .venv (deployer, sandbox, dev tools), .venv-checkov, and the Terraform CLI config (idempotent)

sandbox: setup ## Start the local AWS sandbox in the background (.sandbox/ holds pid and log)
	$(BIN)/python -m sandbox start
	@echo "Point AWS clients at it with: eval \"\$$($(BIN)/python -m sandbox env)\""

iam-report: ## Least-privilege report of the background sandbox: per role, calls allowed, denied (why), grants unused
	$(BIN)/python -m sandbox iam-report

sandbox-stop: ## Stop the background sandbox
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m sandbox stop; fi

demo: setup ## Sandbox end to end, two models: apply 4 accounts, ship churn and fraud v1 to prod; churn v2 canaries to prod, fraud v2 is rejected and rolled back (KEEP=1 keeps the sandbox)
	$(BIN)/python scripts/demo.py --timings $(BUILD)/demo-timings.json

bench: setup ## Benchmarks on the sandbox: bench/results.{json,md} (QUICK=1: a short run into .build/bench/)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick,)

test-sandbox: setup ## Sandbox tests: every extension driven with boto3
	$(PYTEST) tests/sandbox -q

test-deployer: setup ## Deployer tests against the sandbox: rollouts, promotion, faults, CLI
	$(PYTEST) tests/deployer -q

test-terraform-apply: setup ## Every env root applies to a fresh sandbox, re-plans clean, destroys
	$(PYTEST) tests/terraform -q

test-e2e: setup ## The demo scenario end to end, with its outcome checked
	$(PYTEST) tests/e2e -q

test-bench: setup ## Unit tests of the benchmark's counting and report
	$(PYTEST) tests/bench -q

test-sandbox-newest-moto: $(BUILD)/terraformrc ## Early warning, not in `test`: sandbox tests against the newest moto (own venv in .build/newest-moto/, at most ~15 min)
	PYTHON=$(PYTHON) scripts/newest-moto.sh

test-terraform-unit: $(BUILD)/terraformrc ## terraform test (mock_provider) for every module
	scripts/tf-unit.sh

test-terraform-static: setup ## terraform fmt -check and validate for every module, env root and example; module READMEs current
	scripts/tf-static.sh

checkov: ## checkov over modules/ and envs/ (own virtualenv: checkov pins an old boto3)
	scripts/checkov.sh

test: setup lint test-sandbox test-deployer test-terraform-unit test-terraform-apply test-e2e test-bench ## Every suite, installing what it needs from nothing

lint-py: setup ## ruff and mypy over the Python packages and tests
	$(BIN)/ruff check python tests scripts bench modules
	$(BIN)/ruff format --check python tests scripts bench modules
	$(BIN)/mypy python/sandbox/src python/deployer/src scripts bench

docs: setup ## Regenerate the inputs and outputs tables of every module README (checked by test-terraform-static)
	$(BIN)/python scripts/tf_docs.py

lint: lint-py test-terraform-static checkov ## ruff, mypy, terraform fmt -check and validate, checkov

clean: sandbox-stop ## Remove virtual environments, build output and sandbox state
	rm -rf $(VENV) $(CHECKOV_VENV) $(BUILD) .sandbox .pytest_cache .mypy_cache .ruff_cache

# Deployer supply chain (docs/supply-chain.md): one reproducible wheel, a hash-pinned lock, an optional wheelhouse.
.PHONY: wheel wheelhouse lock

wheel: $(BIN)/python ## Build the deployer wheel reproducibly, with its hash-pinned requirements.lock, into dist/
	$(BIN)/python scripts/deployer_dist.py wheel

wheelhouse: $(VENV)/.installed ## Download the locked dependency wheels into .build/wheelhouse/ (deployer_dependencies = "bundled")
	$(BIN)/python scripts/deployer_dist.py wheelhouse

lock: $(VENV)/.installed ## Re-resolve python/deployer/requirements.lock from PyPI (after changing the deployer's dependencies)
	$(BIN)/python scripts/lock_deployer.py
	cp python/deployer/requirements.lock modules/stage/tests/fixtures/dist/requirements.lock
