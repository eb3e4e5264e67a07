# leadwire: `make run` starts the whole stack locally; `make test` installs what it needs and runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 3000

.PHONY: run test lint unit bench-test integration contract e2e browser screenshots template openapi openapi-check bench chaos clean

run: $(STAMP)
	PORT=$(PORT) $(PY) -m local_stack --demo

test: $(STAMP) lint unit bench-test integration contract e2e openapi-check template
	@echo "make test: every check passed"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "leadwire needs Python 3.11 or newer")'
	@echo "==> creating $(VENV) and installing leadwire with its dev tools"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

lint: $(STAMP)
	@echo "==> ruff"
	$(VENV)/bin/ruff check .

unit: $(STAMP)
	@echo "==> unit tests (no sockets)"
	$(PY) -m pytest tests/unit -q

bench-test: $(STAMP)
	@echo "==> benchmark tests (no sockets)"
	$(PY) -m pytest bench/tests -q

integration: $(STAMP)
	@echo "==> integration tests (moto)"
	$(PY) -m pytest tests/integration -q

contract: $(STAMP)
	@echo "==> contract tests (one suite: DynamoDB on moto, and the in-memory table without sockets)"
	$(PY) -m pytest tests/contract -q

e2e: $(STAMP)
	@echo "==> end-to-end tests (local stack over HTTP, headless Chromium)"
	bash scripts/ensure-chromium.sh
	$(PY) -m pytest tests/e2e -q

screenshots: $(STAMP)
	@echo "==> the README's screenshots, taken in headless Chromium into docs/"
	bash scripts/ensure-chromium.sh
	LEADWIRE_SCREENSHOTS=docs $(PY) -m pytest tests/e2e/test_browser.py -q -k "saved_for_the_readme or phone"
	LEADWIRE_SCREENSHOTS=docs $(PY) -m pytest tests/e2e/test_console.py -q
	LEADWIRE_SCREENSHOTS=docs $(PY) -m pytest tests/e2e/test_console_outbound.py tests/e2e/test_meta_sources.py -q
	LEADWIRE_SCREENSHOTS=docs $(PY) -m pytest tests/e2e/test_console_outbound.py -q

openapi: $(STAMP)
	$(PY) -m devtools.openapi > openapi.json

openapi-check: $(STAMP)
	@echo "==> openapi.json matches the routes"
	$(PY) -m devtools.openapi --check openapi.json

template: $(STAMP)
	@echo "==> template: cfn-lint, sam validate --lint, sam build"
	bash scripts/template-check.sh

bench: $(STAMP)
	$(PY) -m bench

chaos: $(STAMP)
	@echo "==> chaos: 2,000 leads at 10% faults on SES, EventBridge, DynamoDB and the Graph API (bench/results/chaos.json)"
	$(PY) -m bench.chaos

clean:
	rm -rf $(VENV) .venv-sam .aws-sam .pytest_cache .ruff_cache
