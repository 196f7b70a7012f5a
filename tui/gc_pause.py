"""Full garbage collections put off while an answer streams.

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
