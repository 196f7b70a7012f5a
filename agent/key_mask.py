"""The configured API key never reaches a file: masked in answers and tool output.

Why: a model (or a hostile server) can echo the key back, a command's output can hold it,
and either may come as base64. Everything the Copilot records passes through a KeyMask:
the key and its base64 forms (standard and URL-safe, at each of the three byte alignments a
key can have inside longer encoded data) become `***`. Streamed answers arrive in pieces, so
`StreamMask` holds back the last few characters until the next piece shows whether they
start a key: a key split across pieces is still caught.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

MASK = "***"
MIN_SECRET = 8  # shorter "keys" would mask ordinary words


def _base64_cores(secret: bytes) -> set[str]:
    """Substrings every base64 encoding of data containing `secret` must contain."""
    cores: set[str] = set()
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * pad + secret).decode("ascii")
            start = -(-pad * 4 // 3)  # chars touched by the padding bytes before the key
            core = text[start + 1 : len(text) - 4]  # the last group depends on what follows
            if len(core) >= MIN_SECRET:
                cores.add(core)
    return cores


class KeyMask:
    """Replaces each secret (and its base64 forms) in text with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if not secret or len(secret) < MIN_SECRET:
                continue
            forms.add(secret)
            forms |= _base64_cores(secret.encode("utf-8"))
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self.longest = len(ordered[0]) if ordered else 0
        # Every proper beginning of a form: only such a tail of a piece is held back.
        self._starts = {form[:n] for form in ordered for n in range(1, len(form))}

    def unfinished_tail(self, text: str) -> int:
        """Length of the longest end of `text` that could be the start of a secret form."""
        for n in range(min(len(text), self.longest - 1), 0, -1):
            if text[-n:] in self._starts:
                return n
        return 0

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def stream(self) -> StreamMask:
        return StreamMask(self)


class StreamMask:
    """Masks a text that arrives in pieces; `feed` returns what is safe to pass on now.

    Only an end of the text that could begin a secret is held back (usually nothing), so a
    model that stalls mid-sentence still has all its text on disk."""

    def __init__(self, mask: KeyMask) -> None:
        self._mask = mask
        self._held = ""

    def feed(self, piece: str) -> str:
        if not self._mask:
            return piece
        text = self._mask.mask(self._held + piece)
        keep = self._mask.unfinished_tail(text)  # a key that starts there is not complete yet
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep] if keep else text

    def flush(self) -> str:
        """The held-back tail (the answer ended or was stopped)."""
        text, self._held = self._mask.mask(self._held), ""
        return text
