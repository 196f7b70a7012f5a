"""Find keyword mentions in text with one compiled regex pass (linear in the text).

All forms of all keywords (see keywords/inflect.py) go into ONE alternation, arranged as a
trie so each position costs one character test. The text is lower-cased first so the
pattern is case-sensitive; that lets the regex engine skip, in C, every position whose
character cannot start a keyword — which is why a whole keyword set scans about as fast as
a single ``\\bapi\\b``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from keywords.inflect import SEPARATOR, forms, normalize

_SEP_PATTERN = r"(?:\s+|-)"
_SEP_TEXT = re.compile(r"(?:\s+|-)")
_NEVER = re.compile(r"(?!x)x")


@dataclass(slots=True)
class KeywordMatch:
    """One mention: which keyword, the text as written, where, and in which message.

    Treat as immutable; it is not ``frozen`` only because frozen dataclasses construct
    about 40% slower and a scan may build thousands of these.
    """

    keyword: str
    text: str
    start: int
    end: int
    message: int = 0  # index of the message in the window (0 for a one-off search)


def _escape(unit: str) -> str:
    return _SEP_PATTERN if unit == SEPARATOR else re.escape(unit)


def _trie(words: Iterable[str]) -> dict[str, dict]:
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return root


def _emit(node: dict[str, dict]) -> str:
    """Regex for the suffixes below node; longer alternatives first (greedy)."""
    alts = [_escape(ch) + _emit(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if "" in node:
        body = "(?:" + body + ")?"
    return body


def build_pattern(all_forms: Iterable[str]) -> str:
    """One alternation over all forms, on word boundaries.

    Each branch starts with a bare literal (so the engine can skip impossible positions);
    the left boundary is a look-behind placed after that first character.
    """
    top = _trie(all_forms)
    branches = []
    for first, child in sorted(top.items()):
        if not first:
            continue
        branches.append(_escape(first) + r"(?<!\w" + re.escape(first) + ")" + _emit(child))
    if not branches:
        return ""
    return "(?:" + "|".join(branches) + r")(?!\w)"


def _needles(all_forms: Iterable[str], limit: int = 16) -> tuple[str, ...] | None:
    """Prefixes such that every form starts with one of them (first words, deduplicated).

    Most chat messages mention no keyword; a few C-speed ``in`` tests rule them out before
    the regex runs. None when there would be too many to be worth it.
    """
    heads = sorted({f.split(SEPARATOR, 1)[0] for f in all_forms}, key=len)
    needles: list[str] = []
    for head in heads:
        if head and not head.startswith(tuple(needles)):
            needles.append(head)
    return tuple(needles) if 0 < len(needles) <= limit else None


class KeywordSet:
    """A compiled set of keywords; ``find`` returns every mention, left to right."""

    __slots__ = ("keywords", "_by_form", "_needles", "_pattern", "_pattern_i", "pattern")

    def __init__(self, keywords: Iterable[str]) -> None:
        canon: list[str] = []
        by_form: dict[str, str] = {}
        for raw in keywords:
            key = normalize(raw)
            if not key or key in canon:
                continue
            canon.append(key)
        for key in canon:  # a form that is itself a keyword belongs to that keyword
            by_form[key] = key
        for key in canon:
            for form in forms(key):
                by_form.setdefault(form, key)
        self.keywords: tuple[str, ...] = tuple(canon)
        self._by_form = by_form
        self.pattern = build_pattern(by_form)
        self._pattern = re.compile(self.pattern) if self.pattern else _NEVER
        self._pattern_i: re.Pattern[str] | None = None
        self._needles = _needles(by_form)

    def __len__(self) -> int:
        return len(self.keywords)

    def __repr__(self) -> str:
        return f"KeywordSet({list(self.keywords)!r})"

    def forms(self, keyword: str) -> tuple[str, ...]:
        """The forms that count as keyword (as matched, lower case)."""
        key = normalize(keyword)
        return tuple(f for f, k in self._by_form.items() if k == key)

    def _matches(self, text: str) -> Iterable[re.Match[str]]:
        """Non-overlapping regex matches, left to right, as ``finditer`` would give them."""
        low = text.lower()
        if len(low) != len(text):
            # Rare: lower-casing changed the length (e.g. "İ"); match case-insensitively.
            if self._pattern_i is None:
                self._pattern_i = (
                    re.compile(self.pattern, re.IGNORECASE) if self.pattern else _NEVER
                )
            return self._pattern_i.finditer(text)
        needles = self._needles
        if needles is not None:
            for needle in needles:
                if needle in low:
                    break
            else:
                return ()
        return self._pattern.finditer(low)

    def _keyword(self, found: str) -> str:
        key = self._by_form.get(found)
        if key is None:
            found = found.lower()
            key = self._by_form.get(found) or self._by_form[_SEP_TEXT.sub(SEPARATOR, found)]
        return key

    def find(self, text: str, message: int = 0) -> list[KeywordMatch]:
        """Every mention in text, left to right, non-overlapping (longest form wins)."""
        low = text.lower()
        needles = self._needles
        if needles is not None and len(low) == len(text):  # the common case, inlined
            for needle in needles:
                if needle in low:
                    break
            else:
                return []
            matches: Iterable[re.Match[str]] = self._pattern.finditer(low)
        else:
            matches = self._matches(text)
        by_form = self._by_form
        out: list[KeywordMatch] = []
        add = out.append
        for m in matches:
            start, end = m.span()
            found = m.group()
            key = by_form.get(found) or self._keyword(found)
            add(KeywordMatch(key, text[start:end], start, end, message))
        return out

    def keywords_in(self, text: str) -> list[str]:
        """The distinct keywords mentioned in text, in order of first mention."""
        by_form = self._by_form
        seen: dict[str, None] = {}
        for m in self._matches(text):
            found = m.group()
            seen[by_form.get(found) or self._keyword(found)] = None
        return list(seen)
