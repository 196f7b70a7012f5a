"""Persona activation on a realistic library: accuracy, chit-chat, detect and load times.

The library is the bundled backend persona plus the agent files in
tests/fixtures/agents_real/ (written in the shapes people publish); the messages and the
persona an expert would pick for each are in bench/data/activation_messages.json, written
before this bench first ran. Each message is judged on its own, as a fresh conversation.

Prints each measure against its target and PASS/FAIL; exits 1 on any FAIL.
Run: .venv/bin/python bench/bench_activation.py [--misses]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, isolated_home, median, percentile, verdict

FIXTURES = ROOT / "tests" / "fixtures" / "agents_real"
MESSAGES = ROOT / "bench" / "data" / "activation_messages.json"
ACCURACY_TARGET = 0.85
CHITCHAT_TARGET = 0.0
DETECT_TARGET_MS = 50.0
LOAD_TARGET_MS = 300.0
BIG_LIBRARY = 150


def _library(config_dir: Path):  # noqa: ANN202 - PersonaLibrary, imported late
    from agent.persona.library import PersonaLibrary

    problems: list[str] = []
    library = PersonaLibrary.initial([], problems, strict=True)
    library, found = library.with_discovered(cwd=config_dir / "no-project", config_dir=config_dir)
    return library, problems + found


def _copy_library(target: Path, count: int) -> None:
    """`count` agent files: the fixtures, then renamed copies of them (name: x-2, ...)."""
    target.mkdir(parents=True, exist_ok=True)
    sources = sorted(FIXTURES.glob("*.md"))
    for n in range(count):
        source = sources[n % len(sources)]
        round_ = n // len(sources)
        text = source.read_text()
        if round_:
            stem = f"{source.stem}-{round_ + 1}"
            if text.startswith("---\nname:"):
                text = text.replace(f"name: {source.stem}", f"name: {stem}", 1)
            (target / f"{stem}.md").write_text(text)
        else:
            shutil.copy(source, target / source.name)


_LOAD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
import agent.persona.library, agent.persona.cache  # imports are not the load
from bench_activation import _library
start = time.perf_counter()
library, _ = _library(Path({folder!r}))
library.relevance()
print((time.perf_counter() - start) * 1000)
"""


def _load_in_a_new_process(folder: Path) -> float:
    code = _LOAD.format(bench=str(ROOT / "bench"), folder=str(folder))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    show_misses = "--misses" in sys.argv
    tmp, _env = isolated_home("bench-activation-")
    with tmp:
        home = Path(tmp.name)
        small = home / "small"
        shutil.copytree(FIXTURES, small / "agents")
        library, problems = _library(small)
        for problem in problems:
            print(f"  load note: {problem}")
        data = json.loads(MESSAGES.read_text())["messages"]
        ok = True
        print(f"library: {len(library.personas)} personas "
              f"({len(list(FIXTURES.glob('*.md')))} agent files + the bundled one)")
        for part in ("dev", "test"):
            rows = [m for m in data if m["set"] == part]
            named = [m for m in rows if m["expect"]]
            chat = [m for m in rows if not m["expect"]]
            right, fired, misses = 0, 0, []
            for m in rows:
                result = library.detect(m["text"])
                got = result.persona if result.active else None
                if m["expect"] and got == m["expect"]:
                    right += 1
                elif not m["expect"] and got is not None:
                    fired += 1
                if got != m["expect"]:
                    misses.append((m, got, result))
            accuracy = right / len(named)
            rate = fired / len(chat) if chat else 0.0
            if part == "test":
                good = accuracy >= ACCURACY_TARGET
                ok &= good
                print(f"top-1 accuracy ({part}, {len(named)} messages): {accuracy:.1%} "
                      f"(target >= {ACCURACY_TARGET:.0%}) {verdict(good)}")
                good = rate <= CHITCHAT_TARGET
                ok &= good
                print(f"chit-chat activation ({part}, {len(chat)} messages): {rate:.0%} "
                      f"(target {CHITCHAT_TARGET:.0%}) {verdict(good)}")
            else:
                print(f"top-1 accuracy ({part}, used for tuning, {len(named)} messages): "
                      f"{accuracy:.1%}; chit-chat activation {rate:.0%}")
            if show_misses:
                for m, got, result in misses:
                    print(f"    miss [{part}] {m['text']!r}: expected {m['expect']}, got {got} "
                          f"({result.persona} {result.score:.2f}; {result.reason})")

        big = home / "big"
        _copy_library(big / "agents", BIG_LIBRARY)
        # Two real runs (processes): the first parses every file and writes the cache file in
        # the data dir, the second reads it back. Each times the load itself, not the imports.
        cold_ms, warm_ms = _load_in_a_new_process(big), _load_in_a_new_process(big)
        library, _ = _library(big)
        good = warm_ms <= LOAD_TARGET_MS
        ok &= good
        print(f"library load, {BIG_LIBRARY} files: first run {cold_ms:.0f} ms, later runs "
              f"(cached by mtime) {warm_ms:.0f} ms (target <= {LOAD_TARGET_MS:.0f} ms) "
              f"{verdict(good)}")

        texts = [m["text"] for m in data]
        one_shot, fed = [], []
        for _ in range(3):
            for text in texts:
                start = time.perf_counter()
                library.detect(text)
                one_shot.append((time.perf_counter() - start) * 1000)
        activator = library.activator()
        for _ in range(3):
            for text in texts:
                start = time.perf_counter()
                activator.feed(text)
                fed.append((time.perf_counter() - start) * 1000)
        worst = percentile(one_shot, 95)
        good = median(one_shot) <= DETECT_TARGET_MS
        ok &= good
        print(f"detect with {len(library.personas)} personas loaded: one-shot median "
              f"{median(one_shot):.1f} ms (p95 {worst:.1f}), next message in a conversation "
              f"median {median(fed):.2f} ms (target <= {DETECT_TARGET_MS:.0f} ms) {verdict(good)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
