# kringloop: `make serve` runs the service with demo data, `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime
# setuptools reports every editable install with a warning that asks nothing of the user.
PIP    := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip --quiet \
          --disable-pip-version-check

.PHONY: install runtime sysdeps serve test lint typecheck pytest bench bench-hol bench-eforms \
        bench-census bench-shared clean

# The service and the command line only: what `make serve` needs.
$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $(RUNTIME)

# Everything the tests, linters and benchmarks need as well (playwright, schemathesis, ...).
$(STAMP): $(RUNTIME)
	$(PIP) install -e ".[dev]"
	touch $(STAMP)

runtime: $(RUNTIME)

install: $(STAMP)

# Java for the reasoner, Chromium for the browser tests (installed with apt-get as root).
sysdeps:
	.ci/sysdeps

serve: runtime
	$(BIN)/kringloop serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install sysdeps
	$(BIN)/pytest

test: lint typecheck pytest

# Benchmarks at scale (bench/RESULTS.md): 100k and 1M triples in ~15 min; BENCH_10M=1 adds 10M.
# Needs wrk and chromium (apt-get install wrk chromium); peers go to a venv under bench/work/.
bench: install
	test -x bench/work/peers/bin/oxigraph || ( $(PYTHON) -m venv bench/work/peers && \
	  bench/work/peers/bin/pip install --quiet oxigraph rdflib-endpoint click uvicorn )
	$(BIN)/python bench/run.py
	$(BIN)/python bench/head_of_line.py
	$(BIN)/python bench/shared.py
	$(BIN)/python bench/census.py

# Lookups alongside runaway queries, on its own (~1 min; bench/RESULTS.md, its own section).
bench-hol: install
	$(BIN)/python bench/head_of_line.py

# eForms notices imported per second, on its own (~1 min; bench/RESULTS.md, its own section).
bench-eforms: install
	$(BIN)/python bench/eforms.py

# The census once per store version, asked by the command line, the service and its pages
# (1k, 10k and 100k organisations; ~15 min; bench/RESULTS.md, its own section).
bench-census: install
	$(BIN)/python bench/census.py

# What one process computed, the next finds: first matches and the census (1M and 6M triples).
bench-shared: install
	$(BIN)/python bench/shared.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
