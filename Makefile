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

.PHONY: help setup sandbox sandbox-stop test test-sandbox test-deployer test-terraform-unit test-terraform-static checkov lint lint-py clean

help: ## List every target
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python python/sandbox/pyproject.toml requirements-dev.txt
	$(BIN)/pip install -q -e python/sandbox -r requirements-dev.txt
	touch $@

$(BUILD)/terraformrc: scripts/terraformrc.sh
	scripts/terraformrc.sh $@

setup: $(VENV)/.installed $(BUILD)/terraformrc ## Create .venv with the packages and dev tools, and the Terraform CLI config (idempotent)

sandbox: setup ## Start the local AWS sandbox in the background (.sandbox/ holds pid and log)
	$(BIN)/python -m sandbox start
	@echo "Point AWS clients at it with: eval \"\$$($(BIN)/python -m sandbox env)\""

sandbox-stop: ## Stop the background sandbox
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m sandbox stop; fi

test-sandbox: setup ## Sandbox tests: every extension driven with boto3
	$(PYTEST) tests/sandbox -q

test-terraform-unit: $(BUILD)/terraformrc ## terraform test (mock_provider) for every module
	scripts/tf-unit.sh

test-terraform-static: $(BUILD)/terraformrc ## terraform fmt -check and validate for every module and env root
	scripts/tf-static.sh

checkov: ## checkov over modules/ and envs/ (own virtualenv: checkov pins an old boto3)
	scripts/checkov.sh

test: setup lint test-sandbox test-terraform-unit ## Every suite, installing what it needs from nothing

lint-py: setup ## ruff and mypy over the Python packages and tests
	$(BIN)/ruff check python tests
	$(BIN)/ruff format --check python tests
	$(BIN)/mypy python/sandbox/src

lint: lint-py test-terraform-static checkov ## ruff, mypy, terraform fmt -check and validate, checkov

clean: sandbox-stop ## Remove virtual environments, build output and sandbox state
	rm -rf $(VENV) $(CHECKOV_VENV) $(BUILD) .sandbox .pytest_cache .mypy_cache .ruff_cache
