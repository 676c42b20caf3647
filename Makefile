# make demo: set up .venv and run npukit on built-in defaults.  make test: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pinned: an unpinned torch pulls a multi-GB CUDA build
TORCH_VERSION := 2.13.0

.PHONY: demo test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "npukit needs Python 3.11 or newer; $(PYTHON) is older (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(BIN)/python -m pip install --quiet -e '.[dev]' torch==$(TORCH_VERSION)
	touch $@

demo: $(VENV)/.base
	$(BIN)/npukit survey
	$(BIN)/npukit analyze resnet50
	$(BIN)/npukit map resnet50 --arch eyeriss --dataflow row-stationary

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks scripts

test: lint
	$(BIN)/python -m pytest

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/counting.py
	$(BIN)/python benchmarks/runtime.py
	$(BIN)/python benchmarks/model.py
	$(BIN)/python benchmarks/mapper.py
	$(BIN)/python benchmarks/systolic.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
