"""Apply an ast-grep rule object fast: structure in ast-grep, regexes in Python.

ast-grep-py compiles a rule's regexes on every `find_all` call (about 1 ms each), which over
thousands of files costs far more than parsing them. So each rule runs in two steps: its
regex-free skeleton (kinds, patterns, relations: a superset of the matches) goes to
`find_all`, and the full rule is then checked on each candidate node here, with Python's
cached `re`. The rule language and its meaning stay ast-grep's; keys this checker does not
know are handed back to ast-grep (`node.matches`) for that node.
"""

from __future__ import annotations

import functools
import re
from typing import Any

RELATIONAL = ("has", "inside")
EXTRAS = ("stopBy", "field")


@functools.lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def skeleton(rule: dict[str, Any]) -> dict[str, Any] | None:
    """The rule without its regexes and negations: it matches at least what the rule does.
    None when nothing structural is left (then the whole rule goes to ast-grep)."""
    out: dict[str, Any] = {}
    for key, value in rule.items():
        if key in ("regex", "not"):
            continue
        if key in RELATIONAL and isinstance(value, dict):
            sub = skeleton({k: v for k, v in value.items() if k not in EXTRAS})
            if sub is not None and isinstance(value.get("stopBy", "neighbor"), str):
                out[key] = {**sub, **{k: v for k, v in value.items() if k in EXTRAS}}
        elif key == "all" and isinstance(value, list):
            subs = [s for s in (skeleton(v) for v in value) if s is not None]
            if subs:
                out["all"] = subs
        elif key == "any" and isinstance(value, list):
            subs = [skeleton(v) for v in value]
            if all(s is not None for s in subs):
                out["any"] = subs
        elif key in EXTRAS:
            out[key] = value
        else:
            out[key] = value
    return out if any(k not in EXTRAS for k in out) else None


def _named_position(node: Any) -> int:
    parent = node.parent()
    if parent is None:
        return 1
    named = [c for c in parent.children() if c.is_named()]
    for index, child in enumerate(named, 1):
        if child == node:
            return index
    return 0


def _descendants(node: Any):
    stack = list(reversed(node.children()))
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def _has(node: Any, sub: dict[str, Any]) -> bool:
    field, stop = sub.get("field"), sub.get("stopBy", "neighbor")
    if field:
        child = node.field(field)
        starts = [child] if child is not None else []
    else:
        starts = node.children()
    for start in starts:
        if matches(start, sub):
            return True
        if stop == "end" and any(matches(d, sub) for d in _descendants(start)):
            return True
    return False


def _inside(node: Any, sub: dict[str, Any]) -> bool:
    stop = sub.get("stopBy", "neighbor")
    field = sub.get("field")
    current = node
    while (parent := current.parent()) is not None:
        at_field = not field or parent.field(field) == current
        if at_field and matches(parent, sub):
            return True
        if stop != "end":
            return False
        current = parent
    return False


def matches(node: Any, rule: dict[str, Any]) -> bool:
    """Whether `node` satisfies the ast-grep rule object `rule` (relational extras ignored)."""
    for key, value in rule.items():
        if key in EXTRAS:
            continue
        if key == "kind":
            ok = node.kind() == value
        elif key == "regex":
            ok = _regex(value).search(node.text()) is not None
        elif key == "pattern" and isinstance(value, str):
            ok = node.matches(pattern=value)
        elif key == "nthChild" and isinstance(value, int):
            ok = _named_position(node) == value
        elif key == "all":
            ok = all(matches(node, r) for r in value)
        elif key == "any":
            ok = any(matches(node, r) for r in value)
        elif key == "not":
            ok = not matches(node, value)
        elif key == "has" and isinstance(value.get("stopBy", "neighbor"), str):
            ok = _has(node, value)
        elif key == "inside" and isinstance(value.get("stopBy", "neighbor"), str):
            ok = _inside(node, value)
        else:  # anything else (follows, precedes, rule-valued stopBy, ...): ask ast-grep
            ok = node.matches(**{key: value})
        if not ok:
            return False
    return True


_UNSET: Any = object()


def find(root: Any, rule: dict[str, Any], constraints: dict[str, Any] | None = None,
         bones: dict[str, Any] | None = _UNSET) -> list:
    """Nodes under `root` matching `rule`, as `root.find_all` would return them.
    `bones`: the rule's skeleton when the caller has it already (one per rule, not per file)."""
    if constraints:
        return root.find_all({"rule": rule, "constraints": constraints})
    if bones is _UNSET:
        bones = skeleton(rule)
    if bones is None:
        return root.find_all({"rule": rule})
    return [n for n in root.find_all({"rule": bones}) if matches(n, rule)]
