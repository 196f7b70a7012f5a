"""BM25 relevance over a small corpus: pure standard library.

Both the persona activation profiles and the offline playbook rank documents by how well a
message matches them. BM25 gives rare, specific terms weight and words every document uses
almost none, which is the property both need. A hand-written index (a few hundred documents
at most) avoids pulling numpy/scipy into the first frame, which a packaged BM25 would.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*")

# Words that carry no topic in English prose or in agent files ("you are an expert ...").
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    use using used uses via etc eg ie e g i e like one two also may might must shall need needs
    want wants get gets make makes let lets please thanks thank hi hello hey okay ok yes
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A light suffix strip so 'caching'/'cached'/'caches' and 'queues'/'queue' meet."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            if suffix == "s" and word.endswith("ss"):
                return word
            if suffix == "es" and not word[: -2].endswith(("s", "x", "z", "ch", "sh")):
                return word[:-1]
            return word[: -len(suffix)] + keep
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop words dropped, lightly stemmed terms of `text`."""
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]


def tokenize_with_words(text: str) -> list[tuple[str, str]]:
    """(term, the word as written, lower case) pairs, for explaining what matched."""
    return [
        (stem(t), t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1
    ]


@dataclass
class BM25Index:
    """Okapi BM25 (k1, b) over weighted fields of each document.

    A document is a mapping of field text to a weight: a term in a weight-3 field counts as
    three occurrences, so a description can outweigh a body without a second index.
    """

    k1: float = 1.2
    b: float = 0.75
    _docs: list[Counter[str]] = field(default_factory=list)
    _lengths: list[float] = field(default_factory=list)
    _df: Counter[str] = field(default_factory=Counter)
    _postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    _avg: float = 0.0

    @classmethod
    def build(cls, documents: Iterable[Mapping[str, float] | str], **kw: float) -> BM25Index:
        index = cls(**kw)
        for doc in documents:
            index.add(doc)
        index.finish()
        return index

    def add(self, document: Mapping[str, float] | str) -> None:
        fields = {document: 1.0} if isinstance(document, str) else document
        counts: Counter[str] = Counter()
        for text, weight in fields.items():
            for term in tokenize(text):
                counts[term] += weight
        self.add_counts(counts)

    def add_counts(self, counts: Mapping[str, float]) -> None:
        """Add a document already counted (term -> weighted occurrences), e.g. from a cache."""
        counts = counts if isinstance(counts, Counter) else Counter(counts)
        self._docs.append(counts)
        self._lengths.append(sum(counts.values()))
        self._df.update(counts.keys())

    def finish(self) -> None:
        """Build the postings; call once after the last `add`."""
        self._avg = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        postings: dict[str, list[tuple[int, float]]] = {}
        k1, b, avg = self.k1, self.b, self._avg or 1.0
        top = k1 + 1
        for i, counts in enumerate(self._docs):
            norm = k1 * (1 - b + b * self._lengths[i] / avg)
            for term, tf in counts.items():
                posting = postings.get(term)
                if posting is None:
                    postings[term] = posting = []
                posting.append((i, tf * top / (tf + norm)))
        self._postings = postings

    def __len__(self) -> int:
        return len(self._docs)

    def posting(self, term: str) -> list[tuple[int, float]]:
        """(document, BM25 term-frequency part) for every document holding `term`."""
        return self._postings.get(term, [])

    def idf(self, term: str) -> float:
        """Non-negative IDF: a term in every document is worth (almost) nothing."""
        n, df = len(self._docs), self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: str | Sequence[str]) -> list[float]:
        """BM25 score of every document for `query` (text, or terms already tokenized)."""
        terms = tokenize(query) if isinstance(query, str) else list(query)
        out = [0.0] * len(self._docs)
        for term in set(terms):
            posting = self._postings.get(term)
            if not posting:
                continue
            weight = self.idf(term) * terms.count(term)
            for i, part in posting:
                out[i] += weight * part
        return out

    def matched_terms(self, query: str | Sequence[str], doc: int) -> list[str]:
        """The query's terms that document `doc` holds, most informative first."""
        terms = tokenize(query) if isinstance(query, str) else list(query)
        held = {t for t in terms if t in self._docs[doc]}
        return sorted(held, key=lambda t: -self.idf(t))

    def top(self, query: str | Sequence[str], k: int = 3) -> list[tuple[int, float]]:
        """The k best (document, score) pairs with a positive score, best first."""
        ranked = sorted(enumerate(self.scores(query)), key=lambda p: -p[1])
        return [(i, s) for i, s in ranked[:k] if s > 0]
