# `make test` and `make demo` work on a fresh machine that has Python 3.11:
# they create .venv, install the pinned stack and the plug-in, then run.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The install re-runs only when a requirements file or the package metadata changes.
STAMP := $(VENV)/.installed

# Formatter and linters (OpenMMLab's yapf, isort, flake8; settings in setup.cfg).
LINT_STAMP := $(VENV)/.lint-installed
PY_SRC := clcr_plugin configs tools tests

.PHONY: install test test-fast demo lint format clean

install: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/tests.txt setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements/tests.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# Lint needs only the three tools, not the training stack.
$(LINT_STAMP): requirements/lint.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements/lint.txt
	touch $@

lint: $(LINT_STAMP)
	$(BIN)/python -m flake8 $(PY_SRC)
	$(BIN)/python -m isort --check-only --diff $(PY_SRC)
	$(BIN)/python -m yapf --diff --recursive $(PY_SRC)

# Rewrite files in place: isort first, then yapf (yapf has the last word).
format: $(LINT_STAMP)
	$(BIN)/python -m isort $(PY_SRC)
	$(BIN)/python -m yapf --in-place --recursive $(PY_SRC)

# Generate the synthetic audio-visual set if absent, train CLCR, test it, summarise.
demo: $(STAMP)
	$(BIN)/python tools/demo.py

clean:
	rm -rf $(VENV) work_dirs .pytest_cache
