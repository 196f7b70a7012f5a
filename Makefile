# Every install step lives here: a fresh machine needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-web test-mcp test-llm lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/backend-copilot

test: $(STAMP)
	$(BIN)/python -m pytest

# The browser test: serves the app with --web and drives it in headless Chromium
# (Debian's package; installed here when missing), saving screenshots/web.png.
test-web: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
		|| (apt-get update && apt-get install -y chromium)
	WEB_SCREENSHOT=$(CURDIR)/screenshots $(BIN)/python -m pytest -m web tests/web

# The persona's secondary MCP server, the real one from npm (needs node and npm).
test-mcp: $(STAMP)
	npm install --prefix .mcp-servers --no-audit --no-fund --silent @modelcontextprotocol/server-sequential-thinking
	$(BIN)/python -m pytest tests/mcp_real

# A real model on a real server: llama-cpp-python's OpenAI-compatible server (built once from
# source, its wheel cached in .cache/) running SmolLM2-135M on 127.0.0.1. Not part of `make test`.
test-llm: $(STAMP)
	PYTHON=$(PYTHON) bash tests/llm_real/build_env.sh
	BACKEND_COPILOT_TEST_LLM=1 $(BIN)/python -m pytest tests/llm_real -v -s -rs -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .

# Every benchmark runs (one failing does not hide the others); the target fails if any did.
bench: $(STAMP)
	@failed=""; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "FAIL:$$failed"; exit 1; else echo "all benchmarks PASS"; fi

screenshots: $(STAMP)
	$(BIN)/python -m tui.screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
