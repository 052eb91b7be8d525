# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# pywb (the web-archive replayer the WACZ tests open exports in) lives in a venv of its own,
# as pipx would keep it: it pins redis==2.10.6, which the cluster's redis-py cannot share.
PYWB_VENV ?= .venv-pywb
ARTICLES ?= 300
CMS ?= vsb

.PHONY: install demo test bench bench-archive bench-crawl accuracy clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(PYWB_VENV)/.installed:
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install -q 'pywb>=2.10,<2.11'
	touch $@

install: $(VENV)/.installed $(PYWB_VENV)/.installed

demo: install
	$(PY) -m newscrawl.demo --articles $(ARTICLES) --cms $(CMS) --db archive/demo.db

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
test: install
	PYWB_BIN=$(abspath $(PYWB_VENV))/bin $(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$rc

# Not a test: a first crawl (bare fetch, VIEW_COUNTS off, auto, browser on 1,000) and a count-only refresh of
# bundled portals of 2,000 and 10,000 articles: wall, CPU, requests/article, memory, counts (about 20 min).
bench: install
	$(PY) bench/viewcounts_bench.py

# Field accuracy of NewsCrawl, trafilatura and GNE on the real captures (prints a table).
accuracy: install
	$(PY) bench/accuracy.py

# Median times of search, show and export on a generated 100,000-article archive (built
# once into bench/archive_bench.db; pass BENCH_ARGS=--rebuild to start over).
bench-archive: install
	$(PY) bench/archive_bench.py $(BENCH_ARGS)

# Not a test: time and requests of a full crawl and of cron runs, 10,000 articles.
bench-crawl: install
	$(PY) bench/crawl_bench.py

clean:
	rm -rf $(VENV) $(PYWB_VENV) archive/demo.db archive/demo.db-* bench/archive_bench.db* *.egg-info

# Not a test: kill -9 a crawl of 1,000 articles 20 times at random moments, resume each
# time, then check that nothing was lost or stored twice (pass KILL_LOOP_ARGS=--help for options).
.PHONY: kill-loop
kill-loop: install
	$(PY) bench/kill_loop.py $(KILL_LOOP_ARGS)

# Not a test: wall and CPU seconds of NewsCrawl (VIEW_COUNTS off, auto) against a bare Scrapy
# fetch of the same pages, 2,000 articles (pass CPU_BENCH_ARGS="--repeat 3" for medians).
.PHONY: bench-cpu
bench-cpu: install
	$(PY) bench/cpu_bench.py $(CPU_BENCH_ARGS)

# Not a test: redis-server on a free port, the bundled portal (50 ms a page), two workers
# and the one writer, into a fresh archive/cluster-demo.db; prints each one's summary.
.PHONY: demo-cluster
demo-cluster: install
	$(PY) -m newscrawl.cluster.demo --articles $(ARTICLES) --db archive/cluster-demo.db

# Not a test: 1, 2 and 4 workers over 20 bundled portals (VSB and WebPlus, crawled by home
# page) with latency: articles/s and speed-up, each portal's concurrency as it saw it, the
# writer's articles/s beside the crawl's, Redis memory per queued request.
.PHONY: bench-cluster
bench-cluster: install
	$(PY) bench/cluster_bench.py $(CLUSTER_BENCH_ARGS)
