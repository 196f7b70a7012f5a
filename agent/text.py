"""Make untrusted text (model output, files, user input) safe to show or export.

A model or a file can carry terminal escape sequences: OSC 52 writes the user's clipboard,
OSC 8 hides a link target, CSI moves the cursor or repaints lines. Everything displayed or
exported passes through `safe_text` so such bytes can never reach a terminal or a document.
All patterns are single-pass regular expressions without nested repetition: linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# One alternation, tried left to right at each ESC / 8-bit introducer.
_SEQUENCE = re.compile(
    # CSI: ESC [ or 8-bit CSI, parameter bytes, intermediate bytes, final byte.
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    # OSC (title, OSC 8 links, OSC 52 clipboard): ends at BEL or ST (ESC \ or 8-bit ST).
    # An unterminated string stops at the next ESC or newline so following lines survive.
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x9c|\x1b\\)?"
    # DCS, SOS, PM, APC: strings ended by ST.
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c\n]*(?:\x9c|\x1b\\)?"
    # Any other escape sequence (ESC intermediates final, e.g. ESC ( B, ESC c) or a lone ESC.
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
# C0 controls except \t and \n, DEL, and C1 controls (\r is normalised before this runs).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def strip_terminal_escapes(s: str) -> str:
    """Remove escape sequences and control characters, keeping \\n and \\t.

    \\r\\n and a lone \\r become \\n (a lone \\r would overwrite the line on a terminal).
    """
    if not _CONTROL.search(s):
        return s
    s = _SEQUENCE.sub("", s)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", s)


def safe_text(s: str) -> str:
    """`strip_terminal_escapes` plus invalid surrogates replaced (valid pairs are joined)."""
    s = strip_terminal_escapes(s)
    if _SURROGATE.search(s):
        s = s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return s


# Anything shaped like an API key or a bearer token, whatever the configured key is.
KEY_SHAPED = re.compile(r"\b(?:sk|pk|rk|gsk|xai)[-_][A-Za-z0-9_\-*.]{6,}|(?i:bearer)\s+\S+")


def mask_secrets(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Known secrets (4+ characters) and key-shaped words become ***; lines are kept."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return KEY_SHAPED.sub("***", text)


# Bidi overrides/isolates and zero-width characters: invisible, yet they change how a name
# reads ("evil\u202egpj.sh" shows as "evilhs.jpg"). In paths and titles they are shown.
_HIDDEN = re.compile(r"[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def visible_controls(s: str) -> str:
    """`safe_text`, with bidi and zero-width characters written out as <U+202E> and the like
    (for paths, file names and titles, where such a character can only be a disguise)."""
    return _HIDDEN.sub(lambda m: f"<U+{ord(m.group()):04X}>", safe_text(s))
