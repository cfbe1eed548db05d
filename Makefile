# `make run` starts natobot (the Slack app when Slack tokens are configured, else the terminal shell).
# `make test` runs ruff, mypy and pytest. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/natobot run

lint: $(STAMP)
	$(BIN)/ruff check bot knowledge handlers tests

typecheck: $(STAMP)
	$(BIN)/mypy bot knowledge handlers

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/natobot bench
	$(BIN)/python -m bot.bench_digest

eval: $(STAMP)
	$(BIN)/natobot eval

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
