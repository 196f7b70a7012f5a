"""Probe (not a target): what one transcript entry costs against a plain Markdown widget.

Two columns in one app with the co-pilot's stylesheet: five `MessageView`s are mounted at the
top of one, five plain `Markdown`s of the same texts at the top of the other, turn about, each
timed (CPU time of the process) until the screen has settled; a window of 30 is kept in each.
Measured side by side in one app, the ratio holds still (±0.05) while the machine's noise
moves whole-app timings by ±30%: use it to try a change to the entry's widgets or CSS.

Run: .venv/bin/python bench/probe_entry_cost.py [--reps N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT  # noqa: E402
from bench_long_session import _settle, answer, question  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Horizontal, VerticalScroll  # noqa: E402
from textual.widgets import Markdown  # noqa: E402

from agent.session.models import Message  # noqa: E402
from tui.transcript.message import MessageView  # noqa: E402

WINDOW, BATCH = 30, 5


def messages(first: int) -> list[Message]:
    return [
        Message(id=f"m{i}", role="assistant" if i % 2 else "user",
                content=answer(i) if i % 2 else question(i), ts="")
        for i in range(first, first + BATCH)
    ]


class TwoColumns(App[None]):
    CSS = (ROOT / "tui" / "app.tcss").read_text() + "\n#ours, #plain { width: 1fr; }\n"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield VerticalScroll(id="ours")
            yield VerticalScroll(id="plain")


async def probe(reps: int) -> tuple[float, float]:
    app = TwoColumns()
    times: dict[str, list[float]] = {"ours": [], "plain": []}
    async with app.run_test(size=(160, 40)):
        await _settle(app)
        for rep in range(reps):
            order = ("ours", "plain") if rep % 2 else ("plain", "ours")
            for kind in order:
                column = app.query_one(f"#{kind}", VerticalScroll)
                batch = messages(rep * BATCH)
                widgets = ([MessageView(m, "backend") for m in batch] if kind == "ours"
                           else [Markdown(m.content) for m in batch])
                start = time.process_time()
                with app.batch_update():
                    await column.mount_all(widgets, before=0)
                await _settle(app)
                times[kind].append(time.process_time() - start)
                extra = list(column.children)[WINDOW:]
                if extra:
                    await column.remove_children(extra)
                    await _settle(app)
    warm = reps // 4  # the first mounts fill the window and warm caches
    return statistics.median(times["ours"][warm:]), statistics.median(times["plain"][warm:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40)
    args = parser.parse_args()
    ours, plain = asyncio.run(probe(args.reps))
    print(f"five entries mounted and settled: MessageView {ours * 1000:.1f} ms, plain Markdown "
          f"{plain * 1000:.1f} ms (CPU, medians) -> {ours / plain:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
