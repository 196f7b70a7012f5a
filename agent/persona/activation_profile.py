"""Persona -> its activation profile (keywords/profile.py), and the library's relevance model.

The profile is what a persona is about even when its file has no keywords section: its name,
description (what Claude Code routes on), headings and body, with explicit keywords weighing
most. Built once per persona object and reused by every library that holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from agent.persona.models import Persona
from keywords.profile import Profile, RelevanceModel, build_profile

_CACHE: dict[int, tuple[Persona, Profile]] = {}
_LOCK = threading.Lock()


def profile_of(persona: Persona) -> Profile:
    """The persona's weighted terms (cached per persona object)."""
    with _LOCK:
        cached = _CACHE.get(id(persona))
        if cached is not None and cached[0] is persona:
            return cached[1]
    profile = build_profile(
        persona.name,
        {
            "keywords": list(persona.keywords),
            "name": persona.name.replace("-", " ").replace("_", " "),
            "description": persona.description,
            "headings": [persona.title, *persona.headings],
            "body": persona.prompt,
        },
    )
    with _LOCK:
        _CACHE[id(persona)] = (persona, profile)
    return profile


def remember_profile(persona: Persona, profile: Profile) -> None:
    """Seed the cache with a profile read back from disk (agent/persona/cache.py)."""
    with _LOCK:
        _CACHE[id(persona)] = (persona, profile)


def relevance_model(personas: Sequence[Persona]) -> RelevanceModel:
    return RelevanceModel([profile_of(p) for p in personas])
