"""Long sessions: resume 5,000 messages vs an empty session; memory; scrolling to the top and back.

1. Paint: `backend-copilot --resume ID` in a tmux pane (120x40) until the newest answer is on
   screen, against `backend-copilot` until its welcome text is, interleaved, medians of >= 5.
   Target: resumed <= 1.5x empty + 0.5 s.
2. RSS of the resumed app once painted (max of samples over a second). Target: <= 250 MB.
3. Scrolling under Pilot, same session: to the top (a batch of older entries mounts lazily
   and as many newer ones leave), then down a screen, four times a round once the window is
   full, then back to the bottom. Each step is timed until the screen has settled (every layout, scroll and paint
   it caused is done: `_settle`). The baseline is a
   bare Textual app doing the same step with the same texts (bare_transcript.py), in
   short alternating rounds (the machine drifts). Target: the median step to the top <= 1.5x the bare app's, and at
   most max_mounted + one batch of entries in the DOM.
4. One answer of many streamed pieces: 20,000 pieces of 500 bytes (10 MB of log), one line
   each. Resume (`Copilot.start(resume=ID)`: read, fold) and export (open read-only and write
   the file, as `backend-copilot export` does) in md, html and json. Target: <= 2 s each.
   The same with 40,000 pieces must take at most 2.5x as long + 0.25 s (linear, not
   quadratic: a fold that concatenates takes 4x).
   Listing the sessions reads only what it needs: <= 0.5 s and <= 4 MB of Python memory.
Exits 1 on any FAIL.  Run: .venv/bin/python bench/bench_long_session.py [--runs N]
[--scroll-rounds N] [--pieces-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import isolated_home, median, percentile, verdict  # noqa: E402
from bench_first_paint import BIN, first_paint, tmux  # noqa: E402

MESSAGES = 5_000
PAINT_FACTOR, PAINT_SLACK = 1.5, 0.5
RSS_TARGET_MB = 250.0
STEP_FACTOR = 1.5  # a step to the top, median: <= 1.5x the bare Textual app's same step
TOP_VISITS = 4  # per round: to the top (a batch loads), then down a screen


def question(i: int) -> str:
    return f"Question {i}: how should the orders API page results and cache them?"


def answer(i: int) -> str:
    return (
        f"Answer {i}: page with a cursor, not an offset.\n\n"
        "- sort by `(created_at, id)` and return `next_cursor`\n"
        "- cache the first page for **30 s**; invalidate on write\n\n"
        "```python\nrows = db.fetch(after=cursor, limit=50)\n```\n"
    )


def make_session() -> str:
    """A saved session of MESSAGES messages (half questions, half answers), via the Session."""
    from agent.session.journal import Session

    session = Session.create("backend")
    for i in range(MESSAGES // 2):
        session.add_user_message(
            question(i),
            persona_active=True, phase="Architecture",
        )
        answer_id = session.start_answer(
            "offline", "", persona_active=True, phase="Architecture", persona="backend"
        )
        session.append_chunk(answer_id, answer(i))
        session.finish(answer_id, "complete")
    session_id = session.id
    session.close()
    return session_id


PIECES, PIECE_BYTES = 20_000, 500
PIECES_TARGET_S = 2.0
LINEAR_FACTOR = 2.5  # twice the pieces: at most this many times the time (quadratic: 4x)
LINEAR_SLACK = 0.25  # seconds: sub-second timings on a shared machine jitter
LIST_TARGET_S, LIST_TARGET_MB = 0.5, 4.0


def piece(i: int) -> str:
    """500 bytes of an answer's Markdown, different each time."""
    text = (f"Step {i}: keep the **orders** table keyed by `(tenant_id, id)`; page with a "
            "cursor and cache the first page for 30 s. ")
    return (text * 5)[: PIECE_BYTES - 1] + "\n"


def make_pieces_session(pieces: int) -> str:
    """One question and one answer streamed as `pieces` lines of PIECE_BYTES each."""
    from agent.session.journal import Session

    ticks = [0.0]

    def clock() -> float:  # past the batching interval every time: one line per piece
        ticks[0] += 1.0
        return ticks[0]

    session = Session.create("backend", clock=clock)
    session.add_user_message("Write the whole orders service design", persona_active=True,
                             phase="Architecture")
    answer_id = session.start_answer("offline", "", persona_active=True, phase="Architecture",
                                     persona="backend")
    for i in range(pieces):
        session.append_chunk(answer_id, piece(i))
    session.finish(answer_id, "complete")
    session.close()
    return session.id


def pieces_case(pieces: int, repeats: int = 3) -> dict[str, float]:
    """Seconds to resume and to export (md, html, json) a session of `pieces` pieces: the
    best of `repeats` runs each (the machine is shared; the best run is the code's cost)."""
    import tempfile

    from agent.copilot import Copilot
    from agent.export.render import write_export
    from agent.session.journal import Session

    session_id = make_pieces_session(pieces)
    times: dict[str, float] = {}

    def best(label: str, seconds: float) -> None:
        times[label] = min(times.get(label, seconds), seconds)

    for _ in range(repeats):
        start = time.perf_counter()
        copilot = Copilot.start(cli={"provider": "offline"}, resume=session_id, strict=False,
                                discover=False)
        best("resume", time.perf_counter() - start)
        assert len(copilot.state.messages[-1].content) == pieces * PIECE_BYTES
        copilot.session.close()
        with tempfile.TemporaryDirectory(prefix="bench-pieces-") as out:
            for fmt in ("md", "html", "json"):
                start = time.perf_counter()
                state = Session.open(session_id, read_only=True).state
                write_export(state, fmt, Path(out))  # type: ignore[arg-type]
                best(f"export {fmt}", time.perf_counter() - start)
    return times


def listing_case() -> tuple[float, float, int]:
    """Seconds and peak Python memory (MB) to list the saved sessions; bytes on disk."""
    import tracemalloc

    from agent import paths
    from agent.session.catalogue import list_sessions

    size = sum(p.stat().st_size for p in paths.sessions_dir().glob("*.jsonl"))
    tracemalloc.start()
    start = time.perf_counter()
    list_sessions()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, size


def pieces_report() -> bool:
    """Print the many-pieces case (part 4) and return whether it passed."""
    size_mb = PIECES * PIECE_BYTES / 1e6
    pieces_case(200, repeats=1)  # warm-up: imports, caches
    one = pieces_case(PIECES)
    two = pieces_case(2 * PIECES)
    ok = True
    for label, seconds in one.items():
        passed = seconds <= PIECES_TARGET_S
        ok &= passed
        print(f"{label}, one answer of {PIECES} pieces ({size_mb:.0f} MB): {seconds:.2f} s "
              f"(target <= {PIECES_TARGET_S:.0f} s) {verdict(passed)}")
    for label, seconds in two.items():
        limit = LINEAR_FACTOR * one[label] + LINEAR_SLACK
        passed = seconds <= limit
        ok &= passed
        print(f"{label}, {2 * PIECES} pieces: {seconds:.2f} s (target <= {LINEAR_FACTOR} x "
              f"{one[label]:.2f} + {LINEAR_SLACK} = {limit:.2f} s: linear, not quadratic) "
              f"{verdict(passed)}")
    seconds, peak, size = listing_case()
    passed = seconds <= LIST_TARGET_S and peak <= LIST_TARGET_MB
    ok &= passed
    print(f"listing {size / 1e6:.0f} MB of sessions: {seconds:.2f} s, peak Python memory "
          f"{peak:.1f} MB (target <= {LIST_TARGET_S} s, <= {LIST_TARGET_MB:.0f} MB) "
          f"{verdict(passed)}")
    return ok


def rss_mb(socket: str, name: str) -> float:
    """Resident memory of the pane's process (the app), in MB."""
    pid = tmux(socket, "display-message", "-p", "-t", name, "#{pane_pid}").stdout.strip()
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def paint_runs(session_id: str, env: dict[str, str], runs: int) -> tuple[list, list, float]:
    socket = f"bench-long-{os.getpid()}"
    # A session that lives until the end keeps the server up between runs (a bare
    # start-server may exit before the first run's new-session reaches it).
    tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "keep-alive", "sleep 100000")
    tmux(socket, "set-option", "-g", "exit-empty", "off")
    copilot = str(BIN / "backend-copilot")
    cases = {
        "empty": (copilot, "Ask a backend question"),
        "resumed": (f"{copilot} --resume {session_id}", f"Answer {MESSAGES // 2 - 1}:"),
    }
    times: dict[str, list[float]] = {"empty": [], "resumed": []}
    rss = 0.0
    try:
        for kind, (command, marker) in cases.items():  # warm-up: caches, .pyc files
            first_paint(socket, f"warm-{kind}", command, marker, (), env)
        for run in range(runs):
            order = list(cases) if run % 2 == 0 else list(reversed(cases))
            for kind in order:
                command, marker = cases[kind]
                name = f"{kind}-{run}"
                keep = kind == "resumed" and run == 0
                seen, _whole = first_paint(socket, name, command, marker, (), env, keep=keep)
                times[kind].append(seen)
                if keep:
                    samples = []
                    for _ in range(10):
                        samples.append(rss_mb(socket, name))
                        time.sleep(0.1)
                    rss = max(samples)
                    tmux(socket, "kill-session", "-t", name)
    finally:
        tmux(socket, "kill-server")
    return times["empty"], times["resumed"], rss


def _settled(app) -> bool:
    """Nothing left to do: no worker running, no message waiting, nothing to lay out,
    scroll, paint or call back after a refresh, on the screen or any widget."""
    screen = app.screen
    if any(not worker.is_finished for worker in app.workers):
        return False
    if (screen._layout_required or screen._scroll_required or screen._dirty_widgets
            or screen._callbacks or screen._layout_widgets):
        return False
    return app._message_queue.empty() and all(
        node._message_queue.empty() and not node._layout_required
        and not node._repaint_required
        for node in (screen, *screen.walk_children())
    )


async def _settle(app) -> None:
    """Run the app until it has settled: every layout and paint the last change asked for
    is done (new widgets take two layouts in Textual, and a view kept still is one more
    scroll). Polled every half millisecond: a step is timed to its last frame's paint."""
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        # A short sleep, not a spin: a Markdown body is parsed in a thread meanwhile.
        await asyncio.sleep(0.0005)
        app.screen._on_timer_update()  # lay out and paint what is pending now
        if _settled(app):
            return
    raise RuntimeError("the app did not settle within 30 s")


async def _timed(app, action) -> float:
    """Seconds from `action` until the screen has settled with its effect."""
    start = time.perf_counter()
    result = action()
    if asyncio.iscoroutine(result):
        await result
    await _settle(app)
    return time.perf_counter() - start


MISPLACED: list[str] = []  # steps that did not keep the reader's place (the comparison is void)


def _row(widget, view) -> int:
    """The widget's row inside the scrolling view's visible area."""
    return widget.region.y - view.content_region.y


async def _step_to_top(app, view, first, action) -> float:
    """Time one step to the top and check it did the whole job: the entry that was first
    before it is still on the row it takes at the top, with the new batch above it."""
    row = first.virtual_region.y  # its row once scrolled to the top, before the batch came
    seconds = await _timed(app, action)
    if first.parent is not view or _row(first, view) != row:
        MISPLACED.append(f"{type(app).__name__}: row {_row(first, view)}, expected {row}")
    return seconds


async def our_steps(session_id: str, visits: int) -> tuple[list[float], list[tuple[str, float]], int, int, int]:
    """The co-pilot resumed: seconds of each step to the top (a batch mounts lazily), every
    other step (label, seconds), entries mounted at most, max_mounted, batch."""
    from agent.copilot import Copilot
    from tui.app import CopilotApp
    from tui.transcript.window import ChatView

    def factory():
        return Copilot.start(cli={"provider": "offline"}, resume=session_id, strict=False)

    app = CopilotApp(copilot_factory=factory, theme="textual-dark")
    loads: list[float] = []
    others: list[tuple[str, float]] = []
    most = 0
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(2000):
            await pilot.pause()
            if app.ready:
                break
        await _settle(app)
        chat = app.query_one(ChatView)
        # Untimed: up until the window is full, as the bare app's is from the start.
        while len(chat.entry_widgets()) < chat.max_mounted and chat.hidden_count:
            await _timed(app, lambda: chat.scroll_home(animate=False, immediate=True))
            await _timed(app, lambda: chat.scroll_relative(y=40, animate=False, immediate=True))
        for visit in range(visits):
            # The user's hand is on the mouse: the app sees input, as when a wheel scrolls.
            await pilot.hover(ChatView, offset=(10 + visit % 2, 5))
            loads.append(await _step_to_top(
                app, chat, chat.entry_widgets()[0],
                lambda: chat.scroll_home(animate=False, immediate=True)))
            most = max(most, len(chat.entry_widgets()))
            await _settle(app)
            others.append(("back down a screen", await _timed(
                app, lambda: chat.scroll_relative(y=40, animate=False, immediate=True))))
            await _settle(app)
        others.append(("back to the bottom", await _timed(
            app, lambda: chat.scroll_end(animate=False, immediate=True))))
        most = max(most, len(chat.entry_widgets()))
        return loads, others, most, chat.max_mounted, chat.batch


async def bare_steps(visits: int, window: int, batch: int) -> list[float]:
    """The bare Textual baseline doing the same step: seconds of each load at the top."""
    from bare_transcript import BareTranscript, entries_from

    app = BareTranscript(entries_from(question, answer, MESSAGES // 2), window=window, batch=batch)
    loads: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one("#transcript")
        view.scroll_end(animate=False, immediate=True)
        await _settle(app)
        for visit in range(visits):
            await pilot.hover("#transcript", offset=(10 + visit % 2, 5))

            def to_top():
                view.scroll_home(animate=False, immediate=True)
                return app.load_earlier()

            loads.append(await _step_to_top(app, view, view.children[0], to_top))
            await _settle(app)
            await _timed(app, lambda: view.scroll_relative(y=40, animate=False, immediate=True))
            await _settle(app)
    return loads


async def scroll_rounds(session_id: str, rounds: int) -> dict:
    """Rounds of the co-pilot and the bare baseline, alternating (the machine drifts)."""
    ours: list[float] = []
    bare: list[float] = []
    others: list[tuple[str, float]] = []
    most = max_mounted = batch = 0
    for _ in range(rounds):
        loads, more, round_most, max_mounted, batch = await our_steps(session_id, TOP_VISITS)
        ours += loads
        others += more
        most = max(most, round_most)
        bare += await bare_steps(TOP_VISITS, max_mounted, batch)
    return {"ours": ours, "bare": bare, "others": others, "most": most,
            "max_mounted": max_mounted, "batch": batch}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scroll-rounds", type=int, default=6)
    parser.add_argument("--scroll-only", action="store_true",
                        help="only the scrolling part (no tmux paint runs)")
    parser.add_argument("--pieces-only", action="store_true",
                        help="only the one-answer-of-many-pieces case (part 4)")
    args = parser.parse_args()
    if args.pieces_only:
        tmp, _ = isolated_home("bench-long-pieces-")
        try:
            ok = pieces_report()
        finally:
            tmp.cleanup()
        print(verdict(ok))
        return 0 if ok else 1
    if shutil.which("tmux") is None:
        print("long session: tmux is not installed (apt-get install tmux) FAIL")
        return 1
    tmp, env = isolated_home("bench-long-session-")
    env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor",
           "PATH": os.environ.get("PATH", "")}
    try:
        start = time.perf_counter()
        session_id = make_session()
        size = sum(p.stat().st_size for p in Path(env["BACKEND_COPILOT_DATA_DIR"]).rglob("*.jsonl"))
        print(f"session of {MESSAGES} messages written ({size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
        empty: list[float] = []
        resumed: list[float] = []
        rss = 0.0
        if not args.scroll_only:
            empty, resumed, rss = paint_runs(session_id, env, args.runs)
        scroll = asyncio.run(scroll_rounds(session_id, args.scroll_rounds))
    finally:
        tmp.cleanup()
    ok_paint = ok_rss = True
    if args.scroll_only:
        print("resume paint and RSS: not measured (--scroll-only)")
    else:
        e, r = median(empty), median(resumed)
        limit = PAINT_FACTOR * e + PAINT_SLACK
        ok_paint = r <= limit
        print(f"paint runs empty (s):   {', '.join(f'{t:.2f}' for t in empty)}")
        print(f"paint runs resumed (s): {', '.join(f'{t:.2f}' for t in resumed)}")
        print(f"resume {MESSAGES} messages: painted in {r:.2f} s, empty session {e:.2f} s -> "
              f"limit {PAINT_FACTOR} x {e:.2f} + {PAINT_SLACK} = {limit:.2f} s {verdict(ok_paint)}")
        ok_rss = 0 < rss <= RSS_TARGET_MB
        print(f"RSS with {MESSAGES} messages resumed: {rss:.0f} MB "
              f"(target <= {RSS_TARGET_MB:.0f} MB) {verdict(ok_rss)}")
    ours, bare = scroll["ours"], scroll["bare"]
    print(f"  scroll to the top, a batch of {scroll['batch']} older entries mounted (ms): "
          f"{', '.join(f'{t * 1000:.0f}' for t in ours)}")
    print(f"  bare Textual app, the same step (ms):         "
          f"{', '.join(f'{t * 1000:.0f}' for t in bare)}")
    for label in dict(scroll["others"]):
        times = [t for name, t in scroll["others"] if name == label]
        print(f"  scroll {label} (ms): {', '.join(f'{t * 1000:.0f}' for t in times)}")
    step, base = median(ours), median(bare)
    ratio = step / base
    bound = scroll["max_mounted"] + scroll["batch"]  # the window: older in, as many newer out
    for miss in MISPLACED:
        print(f"  a step to the top did not keep the reader's place ({miss})")
    ok_scroll = ratio <= STEP_FACTOR and scroll["most"] <= bound and not MISPLACED
    print(f"scrolling: a step to the top takes {step * 1000:.0f} ms (median; p90 "
          f"{percentile(ours, 90) * 1000:.0f} ms), the bare Textual app's {base * 1000:.0f} ms "
          f"(p90 {percentile(bare, 90) * 1000:.0f} ms) -> {ratio:.2f}x (target <= {STEP_FACTOR}x); "
          f"at most {scroll['most']} entries in the DOM of {MESSAGES} (bound {bound}) "
          f"{verdict(ok_scroll)}")
    tmp, _ = isolated_home("bench-long-pieces-")
    try:
        ok_pieces = pieces_report()
    finally:
        tmp.cleanup()
    ok = ok_paint and ok_rss and ok_scroll and ok_pieces
    print(verdict(ok))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
