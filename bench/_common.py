"""Small helpers the bench scripts share: medians, verdict lines, an isolated home."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def isolated_home(prefix: str) -> tuple[tempfile.TemporaryDirectory, dict[str, str]]:
    """A temp dir with data/config/export folders and the env vars that point there."""
    tmp = tempfile.TemporaryDirectory(prefix=prefix)
    env = {
        "BACKEND_COPILOT_DATA_DIR": os.path.join(tmp.name, "data"),
        "BACKEND_COPILOT_CONFIG_DIR": os.path.join(tmp.name, "config"),
        "BACKEND_COPILOT_EXPORT_DIR": os.path.join(tmp.name, "exports"),
        "HOME": os.path.join(tmp.name, "home"),
    }
    for path in env.values():
        os.makedirs(path, exist_ok=True)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENROUTER_API_KEY",
                 "BACKEND_COPILOT_MODEL", "BACKEND_COPILOT_PROVIDER"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return tmp, env
