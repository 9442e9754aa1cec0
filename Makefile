# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv and install the project into it first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := workbooks/demo_city_2025.xlsx

.PHONY: demo test lint format bench workbooks templates golden clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(BIN)/perf-excel score $(DEMO) -o out/结果.xlsx
	$(BIN)/perf-excel report $(DEMO) -o out --letters --merged

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

workbooks: $(STAMP)
	$(BIN)/python scripts/make_demo_workbooks.py

# Word templates (templates/*.docx) from scripts/build_templates.py, then the golden files they imply.
templates: $(STAMP)
	$(BIN)/python scripts/build_templates.py
	$(BIN)/python scripts/refresh_golden.py

# Rewrite tests/golden/ after an intended change to a document; review `git diff tests/golden`.
golden: $(STAMP)
	$(BIN)/python scripts/refresh_golden.py

# The six performance benchmarks side by side (a few minutes); figures into docs/BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python scripts/run_benchmarks.py --write-doc docs/BENCHMARKS.md

clean:
	rm -rf out .pytest_cache
