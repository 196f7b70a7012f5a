"""Switch a persona on when the talk is about its keywords, and off when the talk moves on.

Scoring (per persona, over a sliding window of the last ``window`` user messages)::

    score = sum over messages m of  decay ** age(m)  x  sum of weight(k) for distinct k in m

with ``age`` 0 for the newest message and ``decay`` 0.5, so the recency weights are 1, 0.5,
0.25, 0.125. A keyword repeated inside one message counts once.

Keyword weight: 1.0, except words that are hardly ever said outside technical talk, which
weigh 1.5 (``SPECIFIC_KEYWORDS``: api, database, backend, microservice, authentication).
Everyday words that also name backend things (service, security) and every keyword of other
personas weigh 1.0 unless the caller passes ``weights``. The default ``on_threshold`` is 1.5:

======================================================  ==========  ===========
talk                                                    score       switches on
======================================================  ==========  ===========
"...updates pushed to the browser from our API"         1.5         yes
one message with two keywords ("service" + "security")  2.0         yes
an everyday keyword in each of two consecutive messages  1.0 + 0.5   yes
one incidental "service" in a chat about lunch          1.0         no
everyday keywords two messages apart                    1.0 + 0.25  no
======================================================  ==========  ===========

Hysteresis: once on, a persona stays on while the talk stays on topic — even when the score
sinks below the threshold — and switches off only after ``off_after`` consecutive messages
with none of its keywords. A user pin ("on"/"off") overrides all of this until "auto".

Several personas: the best score wins; ties go to more distinct keywords in the window, then
to the order the personas were given. An active persona is replaced only by one that reaches
the threshold with a strictly higher score.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import mul
from typing import Any, Literal

from keywords.engine import KeywordMatch, KeywordSet
from keywords.inflect import normalize
from keywords.profile import Hit, RelevanceModel, describe

Mode = Literal["auto", "on", "off"]
MODES: tuple[Mode, ...] = ("auto", "on", "off")

DEFAULT_WINDOW = 4
DEFAULT_ON_THRESHOLD = 1.5
DEFAULT_OFF_AFTER = 3
DEFAULT_DECAY = 0.5
SPECIFIC_KEYWORDS = frozenset({"api", "database", "backend", "microservice", "authentication"})
SPECIFIC_WEIGHT = 1.5


def keyword_weight(keyword: str, weights: Mapping[str, float] | None = None) -> float:
    """How much one mention of keyword counts (see the table in the module docstring)."""
    if weights is not None and keyword in weights:
        return weights[keyword]
    return SPECIFIC_WEIGHT if keyword in SPECIFIC_KEYWORDS else 1.0


@dataclass(slots=True)
class ActivationResult:
    """What the engine decided after one message (or a pin), and why."""

    persona: str | None  # the active persona, else the best candidate (None: no personas)
    active: bool
    score: float
    threshold: float
    matches: list[KeywordMatch]  # the persona's mentions in the window, oldest first
    changed: bool  # active state or active persona differs from before this call
    mode: Mode = "auto"
    # The reason, or how to word it: worded on first read, since most results are never
    # shown (feed() runs on every message; wording each one was a third of its time).
    why: str | Callable[[], str] = ""
    runner_up: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    # profile words behind the score, (word as written, field), most telling first
    terms: list[tuple[str, str]] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """One line: "matched api, authentication (score 2.0 ≥ 1.5)"."""
        why = self.why
        if not isinstance(why, str):
            why = self.why = why()
        return why

    @property
    def keywords(self) -> list[str]:
        """Distinct matched keywords, in order of first mention."""
        return list(dict.fromkeys(m.keyword for m in self.matches))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "persona": self.persona,
            "active": self.active,
            "score": self.score,
            "threshold": self.threshold,
            "matches": [
                {
                    "keyword": m.keyword,
                    "text": m.text,
                    "start": m.start,
                    "end": m.end,
                    "message": m.message,
                }
                for m in self.matches
            ],
            "keywords": self.keywords,
            "changed": self.changed,
            "mode": self.mode,
            "reason": self.reason,
            "runner_up": self.runner_up,
            "scores": dict(self.scores),
            "terms": [{"word": w, "from": f} for w, f in self.terms],
        }


def _fmt(score: float) -> str:
    return str(round(score, 2))


class Activator:
    """Stateful activation over a conversation; feed it each user message in order.

    ``KeywordMatch.message`` in results is the message's number since this Activator began
    (0-based) — stable while the window slides, and equal to the index in the list given to
    ``from_history`` (or, for ``detect``, the index in ``[*window, text]``).
    """

    def __init__(
        self,
        personas: Mapping[str, Sequence[str]],
        window: int = DEFAULT_WINDOW,
        on_threshold: float = DEFAULT_ON_THRESHOLD,
        off_after: int = DEFAULT_OFF_AFTER,
        decay: float = DEFAULT_DECAY,
        weights: Mapping[str, float] | None = None,
        relevance: RelevanceModel | None = None,
    ) -> None:
        if window < 1 or off_after < 1:
            raise ValueError("window and off_after must be at least 1")
        self.names: tuple[str, ...] = tuple(personas)
        if relevance is not None and [p.name for p in relevance.profiles] != list(self.names):
            raise ValueError("relevance profiles must be the personas, in the same order")
        self._relevance = relevance
        self._sets = tuple(KeywordSet(personas[name]) for name in self.names)
        self._single = len(self.names) == 1 and relevance is None
        self.window = window
        self.on_threshold = on_threshold
        self.off_after = off_after
        self._recency = tuple(decay**age for age in range(window))
        # each entry: (per persona: its matches in the message, per persona: distinct keywords,
        # per persona: its profile's relevance to the message, or None without profiles)
        self._entries: deque[
            tuple[list[list[KeywordMatch]], list[list[str]], list[Hit] | None]
        ] = deque(maxlen=window)
        # keyword -> weight, per persona (keys are the normalised keywords)
        given = {normalize(k): v for k, v in weights.items()} if weights else None
        self._weight = tuple(
            {k: keyword_weight(k, given) for k in kws.keywords} for kws in self._sets
        )
        self._counts: deque[float] = deque(maxlen=window)  # single persona: message weight
        self._threshold_text = _fmt(on_threshold)
        self._seq = 0  # number of the next message
        self.mode: Mode = "auto"
        self._active: int | None = None
        self._misses = 0

    # ------------------------------------------------------------------ public API
    @property
    def active(self) -> str | None:
        return None if self._active is None else self.names[self._active]

    def feed(self, text: str) -> ActivationResult:
        """Add one user message to the window and decide."""
        seq = self._seq
        self._seq = seq + 1
        if self._single:
            found = self._sets[0].find(text, seq)
            total = 0.0
            keys: list[str] = []
            if found:
                weight = self._weight[0]
                for m in found:
                    key = m.keyword
                    if key not in keys:
                        keys.append(key)
                        total += weight[key]
            words = [keys]
            self._entries.append(([found], words, None))
            self._counts.append(total)
            hits = None
        else:
            founds = [kws.find(text, seq) for kws in self._sets]
            words = [list(dict.fromkeys([m.keyword for m in f])) for f in founds]
            hits = self._relevance.hits(text) if self._relevance is not None else None
            self._entries.append((founds, words, hits))
        before = active = self._active
        scores = self._scores()
        best = 0 if self._single else self._best(scores)
        note = ""
        if self.mode == "auto":
            if active is not None:
                if words[active] or (hits is not None and hits[active].score > 0):
                    self._misses = 0
                else:
                    self._misses += 1
                    if self._misses >= self.off_after:
                        what = "keyword" if self._relevance is None else "word on topic"
                        note = f"no {what} in the last {self._misses} messages"
                        active = None
            if best is not None and scores[best] >= self.on_threshold and (
                active is None or (best != active and scores[best] > scores[active])
            ):
                active = best
                self._misses = 0
                note = ""
            self._active = active
        return self._result(scores, best, before, note)

    def pin(self, mode: Mode, persona: str | None = None) -> ActivationResult:
        """User override: "on" (this persona, else the current/best/first), "off", "auto"."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of auto, on, off (got {mode!r})")
        if persona is not None and persona not in self.names:
            raise ValueError(f"unknown persona {persona!r}; known: {', '.join(self.names)}")
        before = self._active
        scores = self._scores()
        best = self._best(scores)
        self.mode = mode
        self._misses = 0
        if mode == "on" and self.names:
            if persona is not None:
                self._active = self.names.index(persona)
            elif self._active is None:
                self._active = best if best is not None and scores[best] > 0 else 0
        elif mode == "off":
            self._active = None
        return self._result(scores, best, before, "")

    def restore(self, mode: Mode, active: str | None) -> None:
        """Put back a saved decision (resume) without a new message: the mode and who is on.

        A replay alone cannot know about pins given and lifted along the way, so the saved
        outcome wins. An unknown name counts as nobody active.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of auto, on, off (got {mode!r})")
        self.mode = mode
        self._active = self.names.index(active) if active in self.names else None
        self._misses = 0
        if self._active is not None:
            for _, words, hits in reversed(self._entries):
                if words[self._active] or (hits is not None and hits[self._active].score > 0):
                    break
                self._misses += 1

    def replay(self, texts: Iterable[str]) -> ActivationResult | None:
        """Feed texts in order; the last result (None when texts is empty)."""
        result = None
        for text in texts:
            result = self.feed(text)
        return result

    def replay_tail(self, texts: Sequence[str]) -> ActivationResult | None:
        """Replay only the messages the window can still hold; the older ones are counted
        (match indices stay those of the whole list) but not scanned. Resuming a session of
        thousands of messages then costs a window's worth of scanning; the decision itself
        is put back with `restore`."""
        skip = max(0, len(texts) - self.window)
        self._seq += skip
        return self.replay(texts[skip:])

    @classmethod
    def from_history(
        cls,
        personas: Mapping[str, Sequence[str]],
        texts: Iterable[str],
        mode: Mode = "auto",
        persona: str | None = None,
        **options: Any,
    ) -> Activator:
        """Rebuild the state a resumed session had: replay its user messages, then re-pin."""
        activator = cls(personas, **options)
        activator.replay(texts)
        if mode != "auto":
            activator.pin(mode, persona)
        return activator

    def state(self) -> dict[str, Any]:
        """A JSON-ready snapshot (for debugging and session notes)."""
        return {
            "mode": self.mode,
            "active": self.active,
            "misses": self._misses,
            "messages": self._seq,
            "scores": dict(zip(self.names, self._scores(), strict=True)),
            "window": [
                {
                    name: list(words[i]) for i, name in enumerate(self.names)
                }
                for _, words, _hits in self._entries
            ],
        }

    # ------------------------------------------------------------------ internals
    def _scores(self) -> list[float]:
        recency = self._recency
        n = len(self._entries) - 1
        if self._single:
            return [sum(map(mul, recency, reversed(self._counts)))]
        scores = [0.0] * len(self.names)
        for pos, (_, words, hits) in enumerate(self._entries):
            w = recency[n - pos]
            for i, found in enumerate(words):
                if found:
                    weight = self._weight[i]
                    scores[i] += w * sum([weight[k] for k in found])
            if hits is not None:
                for i, hit in enumerate(hits):
                    if hit.score:
                        scores[i] += w * hit.score
        return scores

    def _distinct(self, index: int) -> int:
        found = {k for _, words, _h in self._entries for k in words[index]}
        for _, _w, hits in self._entries:
            if hits is not None:
                found.update(word for word, _ in hits[index].words)
        return len(found)

    def _ranked(self, scores: list[float]) -> list[int]:
        if len(scores) == 1:
            return [0]
        return sorted(range(len(scores)), key=lambda i: (-scores[i], -self._distinct(i), i))

    def _best(self, scores: list[float]) -> int | None:
        if self._single:
            return 0
        return self._ranked(scores)[0] if scores else None

    def _result(
        self, scores: list[float], best: int | None, before: int | None, note: str
    ) -> ActivationResult:
        now = self._active
        shown = now if now is not None else best
        matches: list[KeywordMatch] = []
        keywords: list[str] = []
        terms: list[tuple[str, str]] = []
        if self._single:
            runner_up = None
            score = scores[0]
            all_scores = {self.names[0]: score}
            for found, words, _hits in self._entries:
                if words[0]:
                    matches += found[0]
                    keywords += words[0]
        else:
            runner_up = next(
                (self.names[i] for i in self._ranked(scores) if i != shown and scores[i] > 0),
                None,
            )
            score = scores[shown] if shown is not None else 0.0
            all_scores = dict(zip(self.names, scores, strict=True))
            if shown is not None:
                for _found, _words, hits in reversed(self._entries):
                    if hits is not None and hits[shown].score:
                        terms += [t for t in hits[shown].words if t not in terms]
                for found, words, _hits in self._entries:
                    if words[shown]:
                        matches += found[shown]
                        keywords += words[shown]
        mode = self.mode
        threshold = self.on_threshold
        if mode != "auto":
            reason = f"pinned {mode} by user"
        elif note:
            reason = note
        elif keywords or terms:
            reason = partial(
                _matched_reason, keywords, now is not None and score < threshold, score,
                threshold, self._threshold_text, self._misses, self.off_after, terms,
            )
        elif now is not None:
            reason = f"no keyword in {self._misses} messages; stays on until {self.off_after}"
        else:
            reason = "no keywords"
        return ActivationResult(
            None if shown is None else self.names[shown],
            now is not None,
            score,
            threshold,
            matches,
            now != before,
            mode,
            reason,
            runner_up,
            all_scores,
            terms,
        )


def _matched_reason(keywords: list[str], still_on: bool, score: float, threshold: float,
                    threshold_text: str, misses: int, off_after: int,
                    terms: Sequence[tuple[str, str]] = ()) -> str:
    if terms:  # words from the profile: say which field each came from
        shown = [(k, "keywords") for k in dict.fromkeys(keywords)]
        shown += [t for t in terms if t[1] != "keywords" or t[0] not in keywords]
        listed = describe(shown[:8])
    else:
        listed = ", ".join(dict.fromkeys(keywords)) if len(keywords) > 1 else keywords[0]
    if still_on:
        return (f"still on topic: matched {listed} "
                f"({misses} of {off_after} messages without a keyword)")
    sign = "≥" if score >= threshold else "<"
    return f"matched {listed} (score {_fmt(score)} {sign} {threshold_text})"


def detect(
    text: str,
    keywords: Sequence[str] | Mapping[str, Sequence[str]],
    window: Sequence[str] = (),
    *,
    persona: str = "persona",
    **options: Any,
) -> ActivationResult:
    """One-shot: would text (after the earlier messages in window, oldest first) switch on?

    keywords is one persona's list (named ``persona`` in the result) or a mapping of several.
    """
    personas = keywords if isinstance(keywords, Mapping) else {persona: keywords}
    activator = Activator(personas, **options)
    activator.replay(window)
    return activator.feed(text)
