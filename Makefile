# The two commands of the README: `make demo` and `make test`. Each creates the local virtualenv
# (.venv) and installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test test-fast build data install images bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

install: $(INSTALLED)

# Build the assignment from solutions/ (this grades the reference solution and the blank template
# and prints their scores), then grade the sample class in examples/submissions/ in the hardened
# containers: `images` sets up the engine and the grader image first, or stops saying what is
# missing. The demo never runs the samples unisolated. demo-output/ is a class record: a second
# `make demo` grades only what changed.
demo: $(INSTALLED) images
	$(BIN)/optgrade build
	$(BIN)/optgrade grade examples/submissions -o demo-output --workers 2 --timeout 180

# The grader image for the container backend: starts a Docker engine if none answers (root).
images:
	scripts/docker-engine.sh start >/dev/null
	scripts/build-images.sh

# Cost benchmark (see README "What grading costs": 20 to 51 minutes on 2 cores with these settings;
# the hardened parts need the grader image, which `images` sets up).
bench: $(INSTALLED) images
	$(BIN)/python -m optgrade.bench --repeats 3 --full-notebook-repeats 1 --class-size 10 -o bench.json

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
