# The two commands of the README: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint format bench docs screenshots install clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "crowdset needs Python 3.11 or newer: run make with PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# byte-compiled now, as a wheel install would be: where PYTHONDONTWRITEBYTECODE is set,
	@# every command would otherwise compile crowdset's modules again (0.1 s of each start)
	$(BIN)/python -m compileall -q src >/dev/null
	@touch $@

install: $(BIN)/.installed

run: install  ## serve on 127.0.0.1:8000 with a SQLite file and demo data
	$(BIN)/crowdset init --demo
	CROWDSET_PAYMENTS_RAIL=simulated $(BIN)/crowdset serve  # the demo pretends to take payments

test: install  ## the whole suite; PostgreSQL tests skip when no server answers (not on CI)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install  ## ruff, mypy --strict and the import contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

docs: install  ## regenerate docs/cli.md from the commands' --help
	$(BIN)/python -m crowdset.cli.reference > docs/cli.md

screenshots: install  ## retake docs/screenshots/*.png in Debian's chromium (apt-get install chromium)
	CROWDSET_SCREENSHOTS=docs/screenshots $(BIN)/pytest -p no:cacheprovider tests/web/test_browser.py tests/web/test_browser_labeling.py tests/web/test_browser_review.py

bench: install  ## side-by-side benchmarks against the peers (see docs/benchmarks.md)
	$(MAKE) -C bench all

.PHONY: bench-http bench-ledger
BENCH_HTTP_ARGS ?=
bench-http: install  ## the worker API under load beside pgbench, both databases (bench/http_load; BENCH_HTTP_ARGS=--quick)
	$(MAKE) -C bench http-load BENCH_HTTP_ARGS="$(BENCH_HTTP_ARGS)"

bench-ledger: install  ## ledger appends per second: one head row vs streams vs group commit (bench/ledger)
	$(MAKE) -C bench ledger

.PHONY: weighted-review
weighted-review: install  ## SPEC §4 weighted review on MLQE-PE's real ratings, simulated spammers (bench/weighted_review)
	$(BIN)/python bench/weighted_review/review.py --sweep

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
