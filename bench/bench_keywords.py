"""Keyword engine speed: full keyword scan vs one precompiled ``\\bapi\\b`` pass, and feed().

Prints measured ratios against targets and PASS/FAIL; exits 1 on any FAIL.
Run: .venv/bin/python bench/bench_keywords.py
"""

from __future__ import annotations

import gc
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keywords import Activator, KeywordSet  # noqa: E402

KEYWORDS = ["api", "database", "service", "backend", "microservice", "authentication", "security"]

ON_TOPIC = [
    "Our REST API needs authentication and real-time notifications.",
    "The database migration locks the orders table for too long during deploys.",
    "Should the payment service call the ledger microservice synchronously or via a queue?",
    "We keep sessions in Redis behind the backend, with a TTL of thirty minutes.",
    "Rate limiting belongs at the gateway, not inside each service.",
    "How do we secure the admin endpoints without breaking the mobile clients?",
    "The back-end returns 500s when the connection pool is exhausted.",
    "Which APIs should be versioned in the URL and which in a header?",
    "Authenticated users can read invoices; admins can also refund them.",
    "Security review flagged missing input validation on the upload endpoint.",
]
OFF_TOPIC = [
    "We had pizza for lunch and the service was slow.",
    "The weather is lovely this weekend, let's go hiking in the hills.",
    "Can you review the slides for Monday's meeting before noon?",
    "My cat knocked the plant off the shelf again this morning.",
    "The train was late, so I missed the first talk of the conference.",
    "Rapid prototyping in the capital was fun, and the apiary tour was great.",
    "Thanks, that makes sense — talk tomorrow!",
    "I'll be out on Friday for a dentist appointment.",
]

SCAN_TARGET = 2.0  # KeywordSet.find over 1 MB / one `\bapi\b` findall pass
FEED_MESSAGES = 10_000
FEED_TARGET_S = 0.100  # total for FEED_MESSAGES typical messages
RUNS = 9


def corpus(size: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        sentence = rng.choice(ON_TOPIC if rng.random() < 0.4 else OFF_TOPIC)
        parts.append(sentence)
        total += len(sentence) + 1
    return " ".join(parts)[:size]


def messages(count: int, seed: int = 11) -> list[str]:
    """Typical chat: stretches on topic, stretches off topic, 1-3 sentences each."""
    rng = random.Random(seed)
    out: list[str] = []
    on_topic = True
    for _ in range(count):
        if rng.random() < 0.1:
            on_topic = not on_topic
        pool = ON_TOPIC if on_topic else OFF_TOPIC
        out.append(" ".join(rng.choice(pool) for _ in range(rng.randint(1, 3))))
    return out


def median_time(fn: Callable[[], object], runs: int = RUNS) -> float:
    """Median wall time; GC paused while timing, as ``timeit`` does."""
    fn()  # warm up
    times = []
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return statistics.median(times)


def median_ratio(ours: Callable[[], object], base: Callable[[], object], runs: int = RUNS):
    """Median of per-round ratios, the two timed back to back so both see the same load."""
    ours()
    base()
    ratios, ours_t, base_t = [], [], []
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            base()
            mid = time.perf_counter()
            ours()
            end = time.perf_counter()
            base_t.append(mid - start)
            ours_t.append(end - mid)
            ratios.append((end - mid) / (mid - start))
    finally:
        gc.enable()
    return statistics.median(ratios), statistics.median(ours_t), statistics.median(base_t)


def main() -> int:
    text = corpus(1_000_000)
    kws = KeywordSet(KEYWORDS)
    baseline_re = re.compile(r"\bapi\b", re.I)
    found = len(kws.find(text))
    ratio, ours, baseline = median_ratio(lambda: kws.find(text), lambda: baseline_re.findall(text))
    scan_ok = ratio <= SCAN_TARGET
    print(
        f"scan 1 MB: KeywordSet.find {ours * 1000:.1f} ms ({found} matches), "
        f"one \\bapi\\b pass {baseline * 1000:.1f} ms -> ratio {ratio:.2f} "
        f"(target <= {SCAN_TARGET:.1f}) {'PASS' if scan_ok else 'FAIL'}"
    )

    msgs = messages(FEED_MESSAGES)

    def run_feed() -> None:
        activator = Activator({"backend": KEYWORDS})
        feed = activator.feed
        for message in msgs:
            feed(message)

    feed_s = median_time(run_feed, runs=7)
    feed_ratio = feed_s / FEED_TARGET_S
    feed_ok = feed_ratio <= 1.0
    print(
        f"feed: {FEED_MESSAGES} messages through Activator.feed in {feed_s * 1000:.1f} ms "
        f"({feed_s / FEED_MESSAGES * 1e6:.1f} us each) -> {feed_ratio:.2f} of the "
        f"{FEED_TARGET_S * 1000:.0f} ms target {'PASS' if feed_ok else 'FAIL'}"
    )
    ok = scan_ok and feed_ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
