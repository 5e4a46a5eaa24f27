# openbid: `make demo` runs the bidder on its embedded defaults; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit audit bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/openbid demo

# The deploy loop on this machine: stable tasks behind HAProxy, traffic, a good canary promoted,
# a slow one rolled back by the analysis; prints where the chart of canary vs stable is.
.PHONY: demo-deploy
demo-deploy: $(STAMP) system-deps
	$(BIN)/openbid deploy local demo --dir demo-deploy

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

unit: $(STAMP) system-deps
	$(BIN)/pytest

test: lint unit

# Known vulnerabilities in the installed dependencies (pip-audit). Fails on a finding; says so,
# without failing, when the advisory service cannot be reached (OPENBID_AUDIT_REQUIRED=1 fails).
audit: $(STAMP)
	$(BIN)/python scripts/audit.py

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

.PHONY: fuzz
fuzz: $(STAMP)
	mkdir -p .fuzz-corpus
	for seed in tests/fixtures/openrtb/bid-request/*/*.json; do \
		cp "$$seed" ".fuzz-corpus/$$(basename $$(dirname $$seed))-$$(basename $$seed)"; done
	$(BIN)/python tests/fuzz/fuzz_decode.py -max_total_time=$${FUZZ_SECONDS:-300} -max_len=4096 \
		-dict=tests/fuzz/openrtb.dict -artifact_prefix=.fuzz-corpus/ .fuzz-corpus

clean:
	rm -rf $(VENV) .fuzz-corpus .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
