"""Cue words: how talk that never uses a file's exact wording still finds its option or item."""

from __future__ import annotations

import re

# --- vocabulary -----------------------------------------------------------------------------
# Generic backend synonyms, keyed by a cue that the file itself yields (an edge condition, a
# use-case word, a checklist area or item, all lower-cased). When a derived cue matches a key,
# its words join the cues, so talk that never uses the file's exact wording still points to
# the right option or item. Add rows here; the parser knows nothing about them.
# fmt: off
CUE_VOCABULARY: dict[str, tuple[str, ...]] = {
    # decision options (keyed by edge condition or option name)
    "real-time": ("realtime", "real time", "live", "push", "pushed", "notifications",
                  "streaming", "websocket", "websockets"),
    "high performance": ("low latency", "throughput", "fast", "binary", "microservices"),
    "complex relations": ("nested", "relationships", "graph", "flexible queries"),
    "simple crud": ("crud", "create", "read", "update", "delete", "resource", "resources"),
    "grpc": ("protobuf", "protocol buffers"),
    "rest": ("restful", "endpoints"),
    # checklist areas
    "authentication": ("auth", "authentication", "authenticate", "login"),
    "input validation": ("validate", "validation", "validator"),
    "data protection": ("privacy", "pii"),
    # checklist items (keyed by the item or one of its words)
    "jwt": ("token", "tokens"),
    "oauth2/oidc": ("oauth", "openid", "sso", "login"),
    "rbac": ("roles", "role-based", "permissions"),
    "sanitization": ("sanitize", "sanitise", "escaping", "xss", "injection"),
    "encryption": ("tls", "https", "encrypt", "encrypted"),
    "audit logging": ("audit", "audit log", "audit trail"),
    "rate limiting": ("rate limit", "throttle", "throttling"),
    "security headers": ("hsts", "csp", "content-security-policy"),
    "cors": ("cross-origin",),
}

# Words too general to point anywhere on their own.
STOPWORDS: frozenset[str] = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to",
    "with", "simple", "standard", "needs", "need", "requirements", "requirement", "operations",
    "operation", "data", "high", "complex", "low", "based", "support", "security",
})
# fmt: on

_WORD_SPLIT = re.compile(r"[\s,/;:()]+")
# "word", 'word', “word” - short phrases only, so prose in quotes is not taken for a keyword


def slug(text: str) -> str:
    """Stable id fragment: lower-case ascii letters and digits joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def unique(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        v = v.strip()
        if v and v not in seen:
            seen[v] = None
    return tuple(seen)


def _with_vocabulary(cues: list[str]) -> tuple[str, ...]:
    out = list(cues)
    for cue in cues:
        out.extend(CUE_VOCABULARY.get(cue, ()))
    return unique(out)


def _words(text: str, *, min_len: int = 1) -> list[str]:
    return [
        w.strip("-.")
        for w in _WORD_SPLIT.split(text.lower())
        if len(w.strip("-.")) >= min_len and w.strip("-.") not in STOPWORDS
    ]


def option_cues(recommendation: str, condition: str, use_case: str) -> tuple[str, ...]:
    """Cues for a decision option: its condition and use case, word by word, and its name."""
    cues = [condition.lower(), *_words(condition), *_words(use_case), recommendation.lower()]
    return _with_vocabulary(cues)


def item_cues(area: str, item: str) -> tuple[str, ...]:
    """Cues for a checklist item: the item, its distinctive words, and its area."""
    cues = [item.lower(), *_words(item, min_len=5), area.lower()]
    return _with_vocabulary(cues)
