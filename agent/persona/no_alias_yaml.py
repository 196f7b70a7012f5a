"""YAML for agent-file frontmatter: safe loading that refuses aliases before expanding them.

Its own module so that `import yaml` (about 10 ms) is paid only when a file is parsed, not at
every start: a persona served from the parse cache never needs it.
"""

from __future__ import annotations

from typing import Any

import yaml

YAMLError = yaml.YAMLError


class AliasRefused(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that stops at the first alias, before anything is expanded.

    A few hundred bytes of nested aliases ("billion laughs") expand to gigabytes once walked;
    no agent file needs them, so refusing them bounds the work by the text's size.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise AliasRefused(self.peek_event().start_mark.line)
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """The YAML value of `text`; AliasRefused at the first alias, YAMLError when invalid."""
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


__all__ = ["AliasRefused", "NoAliasLoader", "YAMLError", "load"]
