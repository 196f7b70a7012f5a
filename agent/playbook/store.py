"""The playbook the app answers from: the bundled cards plus <config dir>/playbook/*.md.

Built once per process and rebuilt when the user's folder changes (a card added or edited),
so a new card is used at the next answer without a restart.
"""

from __future__ import annotations

import threading
from pathlib import Path

from agent import paths
from agent.playbook.cards import USER_FOLDER, load_cards
from agent.playbook.retrieval import Playbook

_lock = threading.Lock()
_cache: dict[str, tuple[tuple, Playbook, tuple[str, ...]]] = {}


def user_folder(config_dir: Path | None = None) -> Path:
    return (config_dir if config_dir is not None else paths.config_dir()) / USER_FOLDER


def _stamp(folder: Path) -> tuple:
    try:
        files = sorted(p for p in folder.glob("*.md"))
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    except OSError:
        return ()


def get_playbook(config_dir: Path | None = None) -> tuple[Playbook, list[str]]:
    """The playbook and the problem lines of the cards that did not load."""
    folder = user_folder(config_dir)
    stamp = _stamp(folder)
    key = str(folder)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1], list(cached[2])
        problems: list[str] = []
        playbook = Playbook(load_cards(user_folder=folder, problems=problems))
        _cache[key] = (stamp, playbook, tuple(problems))
        return playbook, problems
