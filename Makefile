# kringloop: `make serve` runs the service with demo data, `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install sysdeps serve test lint typecheck pytest bench bench-hol bench-eforms clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Java for the reasoner, Chromium for the browser tests (installed with apt-get as root).
sysdeps:
	.ci/sysdeps

serve: install
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

# Lookups alongside runaway queries, on its own (~1 min; bench/RESULTS.md, its own section).
bench-hol: install
	$(BIN)/python bench/head_of_line.py

# eForms notices imported per second, on its own (~1 min; bench/RESULTS.md, its own section).
bench-eforms: install
	$(BIN)/python bench/eforms.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
