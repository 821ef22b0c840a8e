# Two entry points for a fresh clone: `make demo` and `make test`.
# Each creates .venv with the machine's Python and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@sh scripts/ensure-system-packages.sh
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/station demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check station portal_sync_api cantine_contract cantine_harness tests bench
	$(BIN)/ruff format --check station portal_sync_api cantine_contract cantine_harness tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker per core; a test file stays on one worker (its module's portal process and
# browser are shared by its tests). PYTEST_ARGS="-n 0" runs everything in one process.
pytest: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
