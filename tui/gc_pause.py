"""Full garbage collections: put off while an answer streams, and kept off the long-lived.

A full (oldest-generation) collection walks every object the app holds. Once a long answer's
widgets exist that takes 0.3-1 s on a shared two-core machine, and a key pressed meanwhile
waits for all of it (measured: 21 of them in one 20,000-token answer, 8 s in all). Young
collections still run and free most short-lived garbage; the full one runs as soon as the
answer is done. Textual makes the same trade for smooth scrolling (`App.PAUSE_GC_ON_SCROLL`
turns the collector off outright).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# gen2 is collected after this many gen1 collections: effectively never while it is set.
PUT_OFF = 1_000_000


@contextmanager
def full_collections_put_off() -> Iterator[None]:
    first, second, third = gc.get_threshold()
    gc.set_threshold(first, second, PUT_OFF)
    try:
        yield
    finally:
        gc.set_threshold(first, second, third)


def leave_long_lived_alone() -> None:
    """Objects alive now (modules, the persona, a resumed session's thousands of messages)
    are left out of every later full collection (`gc.freeze`).

    They live as long as the app, yet each full collection walked them all again: 35-110 ms
    per collection with 5,000 messages resumed, landing in the middle of scroll steps and
    keystrokes. Frozen objects are still freed by reference counting when they go; only a
    reference cycle among them would outlive its use (the session's models hold none).
    Called once the session is loaded and before its entries are mounted, so widgets (which
    do form cycles, and come and go with the transcript's window) stay collectable.
    """
    gc.freeze()


def collect_long_lived_again() -> None:
    """The app is closing: what it froze may be collected again (tests run many apps in
    one process, and each one's frozen cycles would otherwise stay for good)."""
    gc.unfreeze()
