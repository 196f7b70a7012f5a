"""When Python's full garbage collections run: while the app is idle, not in the middle of a
keystroke, a scroll step or a streamed answer.

A full (oldest-generation) collection walks every container object the app holds. Textual
keeps many: each rendered line is a `Strip` with six small caches of its own, about 250,000
objects with a long transcript on screen. One full collection took 100-190 ms here, and
Python started one every second or third scroll step (1.65 s of them in 30 steps), and 21 of
them (8 s) during one 20,000-token answer. So the automatic trigger is switched off while the
app runs and `IdleFullCollections.tick` runs the collection once the user has paused. Young
collections still run as usual and free most short-lived garbage. Textual makes the same
trade for smooth scrolling (`App.PAUSE_GC_ON_SCROLL` turns the collector off outright).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# gen2 is collected after this many gen1 collections: effectively never while it is set.
PUT_OFF = 1_000_000
# A full collection is due after this many young (gen1) collections: Python's own default.
DUE = 10
# So much garbage may have piled up that it runs even while the user is active: about every
# ninth step of non-stop scrolling through a long session (five times Python's own interval;
# memory stays bounded). Not while an answer streams: that ends soon, and a collection then
# would stall the stream and the keys.
OVERDUE = 50
# The user has paused when no key, mouse or paste event came for this long.
IDLE_AFTER = 1.0


class IdleFullCollections:
    """Full collections moved from "whenever Python counts enough" to "when the user pauses"."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_input = clock()
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            first, second, _ = self._saved
            gc.set_threshold(first, second, PUT_OFF)

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def note_input(self) -> None:
        self._last_input = self._clock()

    def tick(self, *, busy: bool) -> bool:
        """Run a full collection if one is due and this is a good moment; True if it ran."""
        if self._saved is None or busy:
            return False
        due = gc.get_count()[2]
        idle = self._clock() - self._last_input >= IDLE_AFTER
        if due >= OVERDUE or (idle and due >= DUE):
            gc.collect()
            return True
        return False


def hold_for_start() -> None:
    """No automatic collections at all until the whole first screen is drawn (`start_done`).

    A start allocates mostly objects that live as long as the app (modules, classes, pydantic
    schemas, the persona, the widgets) and nearly no garbage, yet Python ran about 240 young
    collections over them: 30-40 ms of CPU, 6-7% of the time to the whole first screen.
    Everything alive at the end is frozen (`leave_long_lived_alone`) anyway.
    """
    gc.disable()


def start_done() -> None:
    """The first screen is complete: Python's collector runs again (thresholds as set)."""
    gc.enable()


def leave_long_lived_alone() -> None:
    """Objects alive now (modules, the persona, a resumed session's thousands of messages)
    are left out of every later full collection (`gc.freeze`).

    They live as long as the app, yet each full collection walked them all again: 35-110 ms
    per collection with 5,000 messages resumed. Frozen objects are still freed by reference
    counting when they go; only a reference cycle among them would outlive its use (the
    session's models hold none). Called once the session is loaded and before its entries
    are mounted, so widgets (which do form cycles, and come and go with the transcript's
    window) stay collectable.
    """
    gc.freeze()


def collect_long_lived_again() -> None:
    """The app is closing: what it froze may be collected again (tests run many apps in
    one process, and each one's frozen cycles would otherwise stay for good)."""
    gc.unfreeze()
