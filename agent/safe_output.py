"""Standard output and error for the commands (not the TUI): every write is made safe.

Why: `persona show`, `detect`, `sessions`, problem lines and the rest print text that came
from agent files, session logs and models. One OSC 52 in a persona's name would set the
user's clipboard. Rather than trust each print call to remember `safe_text`, the commands
write through this wrapper, which strips terminal escapes and control characters from
everything (the TUI and --web draw with escapes of their own and are left alone).
"""

from __future__ import annotations

import sys
from typing import TextIO

from agent.text import safe_text


class SafeWriter:
    """A text stream that passes every write through `safe_text` (\\n and \\t kept)."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(safe_text(text))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):  # flush, fileno, isatty, encoding, buffer, ...
        return getattr(self._inner, name)


def make_output_safe() -> None:
    """Wrap sys.stdout and sys.stderr (once)."""
    if not isinstance(sys.stdout, SafeWriter):
        sys.stdout = SafeWriter(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, SafeWriter):
        sys.stderr = SafeWriter(sys.stderr)  # type: ignore[assignment]
