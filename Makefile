# faxnum: `make run` serves the embedded default, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fuzz bench bench-import bench-inventory format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/faxnum serve --demo

test: $(STAMP)
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples deploy/hylafax/faxnum-faxrcvd
	$(BIN)/ruff format --check src tests bench examples deploy/hylafax/faxnum-faxrcvd
	$(BIN)/mypy

fuzz: $(STAMP)
	FAXNUM_FUZZ_EXAMPLES=300 $(BIN)/pytest tests/integration/test_fuzz_openapi.py

format: $(STAMP)
	$(BIN)/ruff format src tests bench examples
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/provision.py

bench-import: $(STAMP)
	$(BIN)/python bench/import_dids.py

bench-inventory: $(STAMP)
	$(BIN)/python bench/inventory_scale.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
