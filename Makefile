# `make run` starts natobot (the Slack app when Slack tokens are configured, else the terminal shell).
# `make test` runs ruff, mypy, hadolint and pytest. Both create .venv on first use, from the lock files
# (every package pinned and checked against its hash); `make lock` remakes them after pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
REPORT := docs/benchmarks
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
UV_COMPILE := pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --no-header --quiet

.PHONY: run test lint typecheck hadolint pytest lock fit bench bench-compare bench-framing bench-growth bench-load bench-digest bench-cards bench-soak eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# uv resolves the same set for every platform (--universal) and records every file's hash.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv $(UV_COMPILE) -o $(LOCK)
	$(BIN)/uv $(UV_COMPILE) --extra dev -o $(DEV_LOCK)

# torch first and pinned: pip then takes the machine's CPU wheel, not the registry's CUDA build.
$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP) $(STAMP)

run: $(STAMP)
	$(BIN)/natobot run

lint: $(STAMP)
	$(BIN)/ruff check bot knowledge handlers benchmarks scripts tests

typecheck: $(STAMP)
	$(BIN)/mypy bot knowledge handlers benchmarks

hadolint: $(STAMP)
	$(BIN)/hadolint Dockerfile

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck hadolint pytest

# `make bench` writes every figure and plot of docs/benchmarks.md into $(REPORT)/ (about 20 minutes).
bench: eval bench-compare bench-framing bench-growth bench-load bench-digest bench-cards bench-soak

bench-compare: $(BENCH_STAMP)
	$(BIN)/natobot bench
	HF_HUB_OFFLINE=1 $(BIN)/python -m benchmarks.compare --json-out $(REPORT)/compare.json

# Held-out questions wrapped in chat framing ("morning all! ...", "... (EOD is fine)"): how many stay right.
bench-framing: $(STAMP)
	$(BIN)/python -m benchmarks.framing

bench-growth: $(STAMP)
	$(BIN)/python -m benchmarks.growth --out $(REPORT)

bench-load: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.load --json-out $(REPORT)/load.json --plot $(REPORT)/load.png

# 1k, 10k and 100k channels on SQLite and on a throw-away PostgreSQL (scripts/postgres.sh), about 10 minutes.
bench-digest: $(STAMP)
	eval "$$(scripts/postgres.sh)" && $(BIN)/python -m benchmarks.digest --json-out $(REPORT)/digest.json

# 10 minutes at 50 events/s, two replicas, one fault of each kind (benchmarks/soak.py); exits 1 if any event
# was lost or doubled.
bench-soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak --json-out $(REPORT)/soak.json
# How tall answer cards are (blocks, characters, estimated lines) over the catalogue's questions.
bench-cards: $(STAMP)
	$(BIN)/python -m benchmarks.cards

eval: $(STAMP)
	$(BIN)/natobot eval --report $(REPORT)

# How model.yaml is fitted (bot/evaluation/fit.py states the procedure); the order of the sets matters, as
# the seeded variants follow it. The shipped model.yaml is this command's output as of b2e8336: the fifth
# lexicon round and blind set AD's duplicates changed its input since, and that refit was measured and not
# shipped (README, "Evening of 2026-12-03").
# Mined sets AA-AC are lexicon sources only: as training data they lowered held-out conversation turns
# with both seeds tried (tests/data/mined/README.md); so are AJ and AK (every set_a*), never tried as such.
FIT_SETS := $(sort $(wildcard tests/data/train/*.yaml)) \
	$(sort $(filter-out tests/data/mined/set_a%.yaml,$(wildcard tests/data/mined/*.yaml)))
fit: $(STAMP)
	$(BIN)/natobot eval --fit --no-report $(addprefix --train ,$(FIT_SETS))

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
