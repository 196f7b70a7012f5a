"""`backend-copilot probe URL`: a bounded latency sample of one endpoint the user names.

It sends at most MAX_REQUESTS GET requests to exactly that URL, one at a time or a small fixed
number at once, and reports p50/p95/p99 and errors. It never scans, follows links or looks for
other hosts; redirects are not followed either (the user named this URL).
"""

from __future__ import annotations

import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from agent.audit.models import DEFAULT_TARGET_MS, ProbeResult

DEFAULT_REQUESTS = 50
MAX_REQUESTS = 1000
MAX_CONCURRENCY = 4
TIMEOUT_S = 10.0


class ProbeError(ValueError):
    """The probe was asked for something it will not do; the message says what to change."""


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile: a value that was actually measured."""
    if not sorted_ms:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_ms)))
    return sorted_ms[rank - 1]


def target_from(text: str, default: float = DEFAULT_TARGET_MS) -> float:
    """'<200ms' -> 200.0; '<1s' -> 1000.0; anything else -> default."""
    match = re.search(r"(\d+(?:\.\d+)?)\s*(ms|s)\b", text.lower())
    if not match:
        return default
    value = float(match.group(1))
    return value * 1000 if match.group(2) == "s" else value


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"'{url}' is not an http(s) URL with a host; give the endpoint to probe")
    return url


def _worker(url: str, count: int, timeout: float) -> list[tuple[float | None, str]]:
    """`count` requests over one kept-alive connection (reopened after an error)."""
    import http.client  # stdlib: no client library needed for a GET

    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = None
    out: list[tuple[float | None, str]] = []
    for _ in range(count):
        if connection is None:
            connection = kind(parts.hostname, parts.port, timeout=timeout)
        start = time.perf_counter()
        try:
            connection.request("GET", path, headers={"User-Agent": "backend-copilot-probe"})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            out.append((None, f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]))
            connection.close()
            connection = None
            continue
        elapsed = (time.perf_counter() - start) * 1000
        if response.status >= 400:
            out.append((None, f"HTTP {response.status}"))
        else:
            out.append((elapsed, ""))
        if response.will_close:
            connection.close()
            connection = None
    if connection is not None:
        connection.close()
    return out


def probe(url: str, n: int = DEFAULT_REQUESTS, *, concurrency: int = 1,
          target_ms: float = DEFAULT_TARGET_MS, timeout: float = TIMEOUT_S) -> ProbeResult:
    """Send n GET requests to url (bounded) and measure each one's full response time."""
    check_url(url)
    if not 1 <= n <= MAX_REQUESTS:
        raise ProbeError(f"-n must be between 1 and {MAX_REQUESTS} (got {n})")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ProbeError(f"concurrency must be between 1 and {MAX_CONCURRENCY} (got {concurrency})")
    timings: list[float] = []
    errors: list[str] = []
    counts = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    if concurrency == 1:
        outcomes = _worker(url, counts[0], timeout)
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            outcomes = [o for batch in pool.map(lambda k: _worker(url, k, timeout), counts)
                        for o in batch]
    for elapsed, error in outcomes:
        if elapsed is None:
            errors.append(error)
        else:
            timings.append(elapsed)
    timings.sort()
    samples = list(dict.fromkeys(errors))[:3]
    return ProbeResult(
        url=url, requests=n, ok=len(timings), errors=len(errors),
        p50_ms=round(percentile(timings, 50), 2), p95_ms=round(percentile(timings, 95), 2),
        p99_ms=round(percentile(timings, 99), 2), max_ms=round(timings[-1], 2) if timings else 0.0,
        target_ms=target_ms, error_samples=samples,
    )
