"""The base of the app's pydantic models: each one builds its validation schema when it is
first used, not when its module is imported.

Why: pydantic builds a model's core schema at class creation, about 1 ms a model and 40-60 ms
for the first one. The first screen imports some ninety models (sessions, agent files,
tools, audit, exports) and uses a handful (the persona, the settings, the session's state);
the rest were built for nothing while the user waited for the panels.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LazyModel(BaseModel):
    """A BaseModel whose schema is built at first use (`defer_build`); a subclass's own
    `model_config` is merged with this one, as pydantic merges configs down a class tree."""

    model_config = ConfigDict(defer_build=True)


__all__ = ["LazyModel"]
