# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ARTICLES ?= 300

.PHONY: install demo test bench accuracy clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m newscrawl.demo --articles $(ARTICLES) --db archive/demo.db

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
test: install
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$rc

# Not a test: crawls the bundled portal (1,000 and 10,000 articles) and prints view-count figures.
bench: install
	$(PY) bench/viewcounts_bench.py

clean:
	rm -rf $(VENV) archive/demo.db archive/demo.db-* *.egg-info
