"""Which cards answer a message: BM25 over the cards, the newest message first.

Earlier messages only help a follow-up ("and how do I test that?") that matches nothing on its
own. A card counts only above an absolute score and when the message names its topic: a whole
tag, or two words of its title and tags. A chance word in a card's body (or "running" for
"long-running") does not make an answer; below
that the caller says "No playbook entry" and names the nearest cards.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ConfigDict

from agent.lazy_model import LazyModel
from agent.playbook.cards import Card
from keywords.relevance import BM25Index, tokenize

MIN_SCORE = 4.0  # below this the best card is only "nearest", not an answer
KEEP_RATIO = 0.5  # a second or third card must score at least half of the best one
MAX_CARDS = 3
FIELD_WEIGHTS = {"title": 3.0, "tags": 3.0, "when": 1.5, "how": 1.0, "rest": 0.5}


class Hit(LazyModel):
    model_config = ConfigDict(frozen=True)
    card: Card
    score: float
    terms: tuple[str, ...] = ()  # matched query terms, most informative first


class Retrieval(LazyModel):
    """The cards an answer uses (best first), or the nearest ones when none is good enough."""

    model_config = ConfigDict(frozen=True)
    hits: tuple[Hit, ...] = ()
    nearest: tuple[Hit, ...] = ()
    follow_up: bool = False  # the newest message alone matched nothing; earlier ones helped
    query: str = ""

    @property
    def cards(self) -> list[Card]:
        return [h.card for h in self.hits]


def _fields(card: Card) -> dict[str, float]:
    rest = " ".join([*card.pitfalls, *card.check, *card.phases.values()])
    texts = {
        "title": card.title,
        "tags": " ".join(card.tags),
        "when": card.when,
        "how": " ".join(card.how),
        "rest": rest,
    }
    fields: dict[str, float] = {}
    for name, text in texts.items():
        if text:  # two fields with equal text add up, as the same words twice would
            fields[text] = fields.get(text, 0.0) + FIELD_WEIGHTS[name]
    return fields


class Playbook:
    """The cards and their index; built once, searched per message."""

    def __init__(self, cards: Sequence[Card]) -> None:
        self.cards: tuple[Card, ...] = tuple(cards)
        self.index = BM25Index.build(_fields(c) for c in self.cards)
        self._topic = [set(tokenize(f"{c.title} {' '.join(c.tags)}")) for c in self.cards]
        self._tag_terms = [[set(tokenize(t)) for t in c.tags] for c in self.cards]

    def __len__(self) -> int:
        return len(self.cards)

    def get(self, card_id: str) -> Card | None:
        return next((c for c in self.cards if c.id == card_id), None)

    def _ranked(self, query: str, k: int) -> list[tuple[int, Hit]]:
        terms = tokenize(query)
        return [
            (i, Hit(card=self.cards[i], score=round(s, 3),
                    terms=tuple(self.index.matched_terms(terms, i))))
            for i, s in self.index.top(terms, k)
        ]

    def search(self, query: str, k: int = MAX_CARDS) -> list[Hit]:
        """The k best cards with a positive score, best first (no threshold)."""
        return [hit for _, hit in self._ranked(query, k)]

    def _good(self, index: int, hit: Hit) -> bool:
        terms = set(hit.terms)
        whole_tag = any(tag and tag <= terms for tag in self._tag_terms[index])
        return hit.score >= MIN_SCORE and (whole_tag or len(self._topic[index] & terms) >= 2)

    def _answerable(self, query: str) -> tuple[list[Hit], list[Hit]]:
        ranked = self._ranked(query, MAX_CARDS + 2)
        good = [hit for i, hit in ranked if self._good(i, hit)]
        if good:
            best = good[0].score
            good = [h for h in good if h.score >= best * KEEP_RATIO][:MAX_CARDS]
        return good, [hit for _, hit in ranked[:MAX_CARDS]]

    def retrieve(self, texts: Sequence[str]) -> Retrieval:
        """Cards for the newest of `texts` (oldest first); the one before helps a follow-up."""
        texts = [t for t in texts if t.strip()]
        if not texts:
            return Retrieval()
        newest = texts[-1]
        hits, nearest = self._answerable(newest)
        if hits:
            return Retrieval(hits=tuple(hits), query=newest)
        if len(texts) > 1 and len(tokenize(newest)) <= 8:
            joined = f"{texts[-2]}\n{newest}"
            more, _ = self._answerable(joined)
            if more:
                return Retrieval(hits=tuple(more), follow_up=True, query=joined)
        return Retrieval(nearest=tuple(nearest), query=newest)
