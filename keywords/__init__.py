"""Keyword auto-activation: pure standard library, no third-party imports.

``KeywordSet`` finds mentions (one regex pass); ``Activator`` turns a stream of user messages
into on/off decisions with hysteresis; ``detect`` is the stateless one-shot.
"""

from keywords.activation import (
    DEFAULT_OFF_AFTER,
    DEFAULT_ON_THRESHOLD,
    DEFAULT_WINDOW,
    ActivationResult,
    Activator,
    Mode,
    detect,
)
from keywords.engine import KeywordMatch, KeywordSet
from keywords.inflect import forms, normalize

__all__ = [
    "DEFAULT_OFF_AFTER",
    "DEFAULT_ON_THRESHOLD",
    "DEFAULT_WINDOW",
    "ActivationResult",
    "Activator",
    "KeywordMatch",
    "KeywordSet",
    "Mode",
    "detect",
    "forms",
    "normalize",
]
