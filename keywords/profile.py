"""Activation profiles: what a persona is about, scored against a message over the library.

Every persona gets a profile from its own text, keywords section or not: its explicit keywords
(weighted most), its name and description (what Claude Code routes on), its headings, and its
body (weighted least). Profiles are scored with BM25 over the whole library, so a word every
agent uses ("api", "code", "review") counts little and a rare, specific one ("terraform",
"playwright") decides. Scores are made comparable across libraries of any size by dividing
each term's idf by the largest idf possible, so one rare term from a description scores about
the same with 5 personas loaded as with 150.

A body-only match never counts on its own: a message must hit a persona's keywords, name,
description or headings before words from its body add anything. Chit-chat that happens to
share a word with some long prompt ("day", "good") then switches nothing on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from keywords.relevance import BM25Index, tokenize, tokenize_with_words

# field -> weight (a term in a weight-3 field counts as three occurrences)
FIELD_WEIGHTS: dict[str, float] = {
    "keywords": 4.0,
    "name": 3.0,
    "description": 3.0,
    "headings": 1.0,
    "body": 0.25,
}
STRONG_FIELDS = frozenset({"keywords", "name", "description", "headings"})
# A message's relevance score is sum(normalised idf x BM25 tf part) x GAIN. With GAIN 1, one
# rare word from a description gives about 1.6: over the default threshold of 1.5 alone.
DEFAULT_GAIN = 1.0


@dataclass(frozen=True, slots=True)
class Profile:
    """A persona's weighted terms and, for each, the field where it weighs most."""

    name: str
    terms: dict[str, float]
    sources: dict[str, str]
    words: dict[str, str] = field(default_factory=dict)  # term -> a word as written (strong)

    def top(self, n: int = 12) -> list[tuple[str, str]]:
        """The heaviest words from the strong fields, with where each comes from."""
        strong = [(t, w) for t, w in self.terms.items() if self.sources[t] in STRONG_FIELDS]
        strong.sort(key=lambda p: (-p[1], p[0]))
        return [(self.words.get(t, t), self.sources[t]) for t, _ in strong[:n]]

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "terms": dict(self.terms), "sources": dict(self.sources),
                "words": dict(self.words)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Profile:
        terms, sources, words = data["terms"], data["sources"], data.get("words") or {}
        assert isinstance(terms, dict) and isinstance(sources, dict) and isinstance(words, dict)
        return cls(str(data["name"]), {str(k): float(v) for k, v in terms.items()},
                   {str(k): str(v) for k, v in sources.items()},
                   {str(k): str(v) for k, v in words.items()})


def build_profile(name: str, fields: Mapping[str, str | Sequence[str]]) -> Profile:
    """Weighted term counts from named fields (keys of FIELD_WEIGHTS; lists are joined)."""
    terms: Counter[str] = Counter()
    best: dict[str, tuple[float, str]] = {}
    words: dict[str, str] = {}
    for field_name, value in fields.items():
        weight = FIELD_WEIGHTS.get(field_name, 1.0)
        text = value if isinstance(value, str) else "\n".join(value)
        pairs = tokenize(text) if field_name == "body" else tokenize_with_words(text)
        counted = Counter(p if isinstance(p, str) else p[0] for p in pairs)
        if field_name != "body":
            for term, word in pairs:
                words.setdefault(term, word)
        for term, count in counted.items():
            terms[term] += weight * count
            if term not in best or weight > best[term][0]:
                best[term] = (weight, field_name)
    return Profile(name, dict(terms), {t: f for t, (_, f) in best.items()}, words)


@dataclass(slots=True)
class Hit:
    """One persona's relevance for one message: its score and the words that made it."""

    score: float = 0.0
    words: list[tuple[str, str]] = field(default_factory=list)  # (word as written, field)


class RelevanceModel:
    """BM25 over the library's profiles; `hits(text)` is one Hit per profile, in order."""

    def __init__(self, profiles: Sequence[Profile], gain: float = DEFAULT_GAIN) -> None:
        self.profiles = tuple(profiles)
        self.gain = gain
        self._index = BM25Index()
        for profile in self.profiles:
            self._index.add_counts(profile.terms)
        self._index.finish()
        n = len(self.profiles)
        self._max_idf = math.log(1 + (n - 0.5) / 1.5) if n else 1.0

    def __len__(self) -> int:
        return len(self.profiles)

    def hits(self, text: str) -> list[Hit]:
        """Per profile: normalised BM25 of the message's distinct terms (body terms only
        count once a strong field matched)."""
        out = [Hit() for _ in self.profiles]
        pairs = tokenize_with_words(text)
        if not pairs:
            return out
        words = dict(reversed(pairs))  # term -> first word as written
        strong: set[int] = set()
        parts: dict[int, list[tuple[float, str, str]]] = {}
        index = self._index
        for term, word in words.items():
            posting = index.posting(term)
            if not posting:
                continue
            weight = index.idf(term) / self._max_idf * self.gain
            for doc, part in posting:
                source = self.profiles[doc].sources.get(term, "body")
                if source in STRONG_FIELDS:
                    strong.add(doc)
                parts.setdefault(doc, []).append((weight * part, word, source))
        for doc, found in parts.items():
            if doc not in strong:
                continue
            hit = out[doc]
            found.sort(key=lambda p: -p[0])
            hit.score = sum(p[0] for p in found)
            hit.words = [(word, source) for _, word, source in found]
        return out

    def idf(self, term: str) -> float:
        return self._index.idf(term)


def describe(words: Iterable[tuple[str, str]]) -> str:
    """ "playwright, e2e — from its description; ci — from its headings" """
    by_field: dict[str, list[str]] = {}
    for word, source in words:
        listed = by_field.setdefault(source, [])
        if word not in listed:
            listed.append(word)
    order = [f for f in FIELD_WEIGHTS if f in by_field]
    return "; ".join(f"{', '.join(by_field[f])} — from its {f}" for f in order)
