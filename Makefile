# Every install step lives here: a fresh machine needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-web test-mcp test-llm lint bench screenshots clean

$(BIN)/python:
	@echo "Creating $(VENV) ..."
	@$(PYTHON) -m venv $(VENV)

# pip's own chatter goes to a log; on failure the log is shown, otherwise one line says it is done.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing backend-copilot and its dependencies into $(VENV) (once; about a minute) ..."
	@$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[test]' >$(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "Install failed: the log above is also in $(VENV)/install.log"; exit 1; }
	@touch $(STAMP)
	@echo "Installed."

run: $(STAMP)
	@$(BIN)/backend-copilot

# The layer contract first (seconds), then the suite on every core.
test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n auto

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
	$(BIN)/lint-imports --no-cache

# Every benchmark runs (one failing does not hide the others); the target fails if any did.
bench: $(STAMP)
	@failed=""; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "FAIL:$$failed"; exit 1; else echo "all benchmarks PASS"; fi

screenshots: $(STAMP)
	$(BIN)/python -m tui.screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
