"""The activation rule in words, worked out from the engine's own numbers.

The sentence a user reads ("`api` alone is enough; `service` needs …") must never drift from
what the engine does, so it is computed here from the threshold, the decay and each keyword's
weight in `keywords.activation` — change a number there and the sentence follows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from keywords.activation import DEFAULT_DECAY, DEFAULT_ON_THRESHOLD, keyword_weight
from keywords.inflect import normalize


def keyword_groups(
    keywords: Sequence[str], weights: Mapping[str, float] | None = None
) -> list[tuple[float, list[str]]]:
    """(weight, keywords) heaviest first, each keyword once, in the order given."""
    given = {normalize(k): v for k, v in weights.items()} if weights else None
    groups: dict[float, list[str]] = {}
    seen: set[str] = set()
    for word in keywords:
        key = normalize(word)
        if key in seen:
            continue
        seen.add(key)
        groups.setdefault(keyword_weight(key, given), []).append(word)
    return sorted(groups.items(), key=lambda item: -item[0])


def needed_in_one_message(weight: float, threshold: float = DEFAULT_ON_THRESHOLD) -> int:
    """How many different keywords of this weight one message needs to switch on."""
    return max(1, math.ceil(threshold / weight - 1e-9)) if weight > 0 else 0


def two_in_a_row_enough(
    weight: float, threshold: float = DEFAULT_ON_THRESHOLD, decay: float = DEFAULT_DECAY
) -> bool:
    """True when one keyword of this weight in each of two messages in a row is enough."""
    return weight + weight * decay >= threshold - 1e-9


def activation_rule(
    keywords: Sequence[str],
    weights: Mapping[str, float] | None = None,
    *,
    threshold: float = DEFAULT_ON_THRESHOLD,
    decay: float = DEFAULT_DECAY,
    quote: str = "`",
) -> str:
    """One or two sentences: which keywords switch a persona on, and how many it takes."""
    parts: list[str] = []
    for weight, words in keyword_groups(keywords, weights):
        listed = ", ".join(f"{quote}{w}{quote}" for w in words)
        if weight <= 0:
            continue
        need = needed_in_one_message(weight, threshold)
        if need == 1:
            how = "one alone in a message is enough" if len(words) > 1 else "alone is enough"
        else:
            how = f"{need} different ones in one message"
            if two_in_a_row_enough(weight, threshold, decay):
                how += ", or one in each of two messages in a row"
        parts.append(f"{listed} ({_num(weight)} each): {how}")
    if not parts:
        return "It has no keywords: it comes on only when you pin it."
    return (
        f"It switches on when what you write reaches a score of {_num(threshold)} "
        f"(the message before counts {_num(decay)}×): " + "; ".join(parts) + "."
    )


def _num(value: float) -> str:
    return f"{value:g}"
