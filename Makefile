# napkin: `make run` and `make test` bootstrap everything they need from python3 alone.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: run test setup lint typecheck pytest bench goldens clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON) --quiet
	@touch $@

setup: .venv/.synced

run: setup
	@$(UV) run --no-sync napkin run

test: setup lint typecheck pytest

lint: setup
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync hadolint Dockerfile
	$(UV) run --no-sync lint-imports

typecheck: setup
	$(UV) run --no-sync mypy .

pytest: setup
	$(UV) run --no-sync pytest -q

# Rewrite tests/golden/ (and README.md's screenshots) from napkin's real answers; review `git diff` before committing.
goldens: setup
	NAPKIN_UPDATE_GOLDENS=1 $(UV) run --no-sync pytest -q tests/test_goldens.py

bench: setup
	$(UV) run --no-sync python -m bench

clean:
	rm -rf .venv $(TOOLS) .mypy_cache .ruff_cache .pytest_cache .hypothesis
