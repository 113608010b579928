# The two commands a newcomer needs (README): `make run` and `make test`. Both set up .venv on first use.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: run test bench lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" --config-settings editable_mode=compat
	touch $@

## run: set up, then run the nightly job end to end on the recorded SCB data (offline, loopback replay)
run: $(BIN)/.installed
	$(BIN)/oms run --replay

## test: set up, then run the whole test suite (test files spread over up to 4 cores; module fixtures stay whole)
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

## bench: API calls vs minimum, wall time vs rate-limit bound, load throughput, Prefect overhead
bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

lint: $(BIN)/.installed
	$(BIN)/ruff check .
