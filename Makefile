# The two quick-start commands; each sets itself up on a fresh clone
# (a virtual environment in .venv with the project and its test extras).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: verify test deep clean

$(BIN)/.installed: pyproject.toml setup.py checker/analysis/_csearch.c checker/analysis/_cgraph.c \
		checker/analysis/_growable.h
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@$(BIN)/python -c 'import checker.analysis._csearch' 2>/dev/null || \
	  echo "note: the explorer's compiled loop did not build (no C compiler?); it runs in pure Python, slower" >&2
	touch $@

verify: $(BIN)/.installed
	$(BIN)/python -m checker verify

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

deep: $(BIN)/.installed
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
