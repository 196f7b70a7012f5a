"""When full garbage collections run: only once the user pauses, never while an answer streams."""

from __future__ import annotations

import gc

from tui.gc_pause import DUE, IDLE_AFTER, OVERDUE, PUT_OFF, IdleFullCollections


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def full_collections_during(action) -> int:
    seen: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(record)
    try:
        action()
    finally:
        gc.callbacks.remove(record)
    return len(seen)


def young_collections(n: int) -> None:
    """n gen1 collections: each one counts towards the next full collection."""
    for _ in range(n):
        gc.collect(1)


def test_full_collections_wait_for_a_pause_and_never_run_while_answering() -> None:
    clock = Clock()
    collections = IdleFullCollections(clock)
    saved = gc.get_threshold()
    # From a count of zero: the tests before this one in the same process leave some young
    # collections counted, and from 40 on, DUE more make a collection overdue.
    gc.collect()
    collections.start()
    try:
        assert gc.get_threshold()[2] == PUT_OFF  # Python's own trigger is off
        young_collections(DUE)
        collections.note_input()
        # The user is typing or scrolling: not now.
        assert full_collections_during(lambda: collections.tick(busy=False)) == 0
        clock.now += IDLE_AFTER
        # An answer is streaming: not now either.
        assert full_collections_during(lambda: collections.tick(busy=True)) == 0
        # Paused, nothing streaming: the collection runs, once.
        assert full_collections_during(lambda: collections.tick(busy=False)) == 1
        assert full_collections_during(lambda: collections.tick(busy=False)) == 0
        # Garbage piling up while the user never pauses: it runs anyway.
        young_collections(OVERDUE)
        collections.note_input()
        assert full_collections_during(lambda: collections.tick(busy=False)) == 1
    finally:
        collections.stop()
    assert gc.get_threshold() == saved  # the app closed: Python's trigger is back
