# openbid: `make demo` runs the bidder on its embedded defaults; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/openbid demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

unit: $(STAMP) system-deps
	$(BIN)/pytest

test: lint unit

system-deps:
	./scripts/install-system-deps.sh

bench: $(STAMP) system-deps
	$(BIN)/python bench/bid_throughput.py

.PHONY: bench-targeting
bench-targeting: $(STAMP) system-deps
	$(BIN)/python bench/targeting_scale.py

.PHONY: bench-generator
bench-generator: $(STAMP)
	$(BIN)/python bench/generator_throughput.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
