# Crisis Desk. `make run` serves the embedded product; `make test` runs the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-quick bench-compare vendor lint messages

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev,servers]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py serve

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/run_all.py

bench-quick: $(STAMP)
	$(PY) bench/run_all.py --quick

# This commit against the previous one (BASE=<rev> for another), interleaved in one run.
bench-compare: $(STAMP)
	$(PY) bench/compare.py --base $(or $(BASE),HEAD~1)

vendor:
	./scripts/vendor_static.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

messages: $(STAMP)
	$(PY) manage.py makemessages -l es -l en --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv
