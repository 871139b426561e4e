# The two commands of the README: `make demo` and `make test`. Each creates the local virtualenv
# (.venv) and installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test test-fast build data install clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

install: $(INSTALLED)

# Build the assignment from solutions/, then grade the reference solution and the blank student
# template with the built autograder and print their scores.
demo: $(INSTALLED)
	$(BIN)/optgrade build

test: $(INSTALLED)
	$(BIN)/python -m pytest

# The quick subset (no whole-notebook grading runs).
test-fast: $(INSTALLED)
	$(BIN)/python -m pytest -m "not slow"

build: $(INSTALLED)
	$(BIN)/optgrade build

data: $(INSTALLED)
	$(BIN)/optgrade data

clean:
	rm -rf $(VENV) .pytest_cache
