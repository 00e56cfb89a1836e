# One command to set up, index and serve: `make run`.  One command to test: `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data/reports
INDEX  ?= data/index
HOST   ?= 127.0.0.1
PORT   ?= 8000
SIZE   ?= 100000
SCALE  ?= 3000000
CLIENTS ?= 1,8,32,64
SECONDS ?= 10

.PHONY: setup doc-tool browser index run serve test bench scale loadtest clean

setup: $(VENV)/.installed doc-tool

# requirements-bench.txt (Tantivy) too: `make bench` races it and tests/test_bench.py checks it agrees.
$(VENV)/.installed: requirements.txt requirements-bench.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-bench.txt -r requirements-dev.txt
	touch $@

# antiword reads Word 97–2003 .doc files; installed only when missing, and only where apt-get
# works (without it .doc files are skipped with a hint to save them as .docx).
doc-tool:
	@if ! command -v antiword >/dev/null 2>&1 && ! command -v catdoc >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing antiword (for .doc files)"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq antiword >/dev/null; } \
				|| echo "could not install antiword: .doc files will be skipped with a hint"; \
		else \
			echo "antiword missing and apt-get unavailable: .doc files will be skipped with a hint"; \
		fi; \
	fi

# Debian's Chromium and a CJK font for the browser tests, and poppler's pdftoppm for making scans
# (tests/fixtures/make_scans.py; installed only when missing).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk" || ! command -v pdftoppm >/dev/null; then \
		echo "installing chromium, fonts-noto-cjk and poppler-utils"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	fi

index: setup
	$(BIN)/python -m indexer build --data $(DATA) --index $(INDEX)

# Builds the index when it is missing or older than the reports, then serves with waitress.
run: setup
	$(BIN)/python -m search_app --data $(DATA) --index $(INDEX) --host $(HOST) --port $(PORT)

serve: run

test: setup browser
	$(BIN)/ruff check indexer search_app tests
	$(BIN)/ruff format --check indexer search_app tests
	$(BIN)/python -m pytest -q

# Ours against brute force, SQLite FTS5 and Tantivy on a generated corpus of SIZE paragraphs, the cost of
# similar paragraphs, building from files + updating, 4,000 reports filed in 省/市/县 folders, and reading scans
# by OCR, locally and on a Dask cluster of 1 and 2 workers (README: Benchmarks; the scans need `make browser`).
bench: setup browser
	$(BIN)/python -m indexer.bench --size $(SIZE)
	$(BIN)/python -m indexer.bench.similar_cost --size $(SIZE)
	$(BIN)/python -m indexer.bench.build_cost --size $(SIZE)
	$(BIN)/python -m indexer.bench.integrity_cost --size $(SIZE) --index data/bench/work/index
	$(BIN)/python -m indexer.bench.proximity_cost --index data/bench/work/index
	$(BIN)/python -m indexer.bench.places_cost --count 4000
	$(BIN)/python -m indexer.bench.site_cost --size $(SIZE)
	$(BIN)/python -m indexer.bench.ocr_cost
	$(BIN)/python -m indexer.bench.cluster_cost --workers 1,2

# The largest corpus measured on one machine: build from SCALE paragraphs of files, update, serve (about 25 minutes).
scale: setup
	$(BIN)/python -m indexer.bench.scale --size $(SCALE)

# Starts the real server (building the index when stale) and drives it with CLIENTS concurrent clients,
# SECONDS per level: req/s, p50/p95/p99, errors and the server's RSS (indexer/bench/load.py).
loadtest: setup
	$(BIN)/python -m indexer.bench.load --data $(DATA) --index $(INDEX) --clients $(CLIENTS) --seconds $(SECONDS)

clean:
	rm -rf $(INDEX) data/bench tests/artifacts
