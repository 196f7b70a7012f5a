"""The project root every tool is confined to, and which files grep/glob skip.

Why: a model's path is untrusted text. Every path is resolved (symlinks too) before use and
refused when it lands outside the root, so `../../etc/passwd` or a symlink pointing out of the
project never reaches the disk. `.git/` and `.gitignore`d files are skipped by listings unless
asked, as a developer's own tools would.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path

from agent.errors import ToolError


def app_folders() -> tuple[Path, ...]:
    """The app's own config and data folders (the key, every session): never a tool's."""
    from agent import paths

    out = []
    for folder in (paths.config_dir(), paths.data_dir()):
        try:
            out.append(folder.expanduser().resolve())
        except (OSError, RuntimeError):
            continue
    return tuple(out)


class ProjectRoot:
    """A resolved folder; `resolve()` turns a model's path into one inside it, or refuses.

    The app's own folders (config.toml with the key, the sessions) are refused and skipped
    even when they lie inside the root, e.g. with the root at $HOME. A root that is the home
    folder or `/` is `broad`: the toolbox then asks before reading too.
    """

    def __init__(self, path: str | Path, forbidden: tuple[Path, ...] | None = None) -> None:
        self.path = Path(path).expanduser().resolve()
        self.forbidden = app_folders() if forbidden is None else forbidden
        try:
            home: Path | None = Path.home().resolve()
        except (RuntimeError, KeyError, OSError):  # no HOME and no passwd entry
            home = None
        self.broad = self.path == Path(self.path.anchor) or (
            home is not None and home.is_relative_to(self.path))

    def __repr__(self) -> str:
        return f"ProjectRoot({str(self.path)!r})"

    def resolve(self, raw: str) -> Path:
        """The absolute, symlink-free path for `raw` (relative to the root); ToolError outside."""
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError("A path is required (relative to the project root).")
        if "\x00" in raw:
            raise ToolError("The path contains a NUL byte.")
        candidate = Path(raw.strip()).expanduser()
        if not candidate.is_absolute():
            candidate = self.path / candidate
        try:
            resolved = candidate.resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise ToolError(f"Cannot resolve '{raw}': {exc}.") from None
        if resolved != self.path and not resolved.is_relative_to(self.path):
            raise ToolError(
                f"'{raw}' is outside the project root {self.path}; refused. "
                "Only files under the project root can be used."
            )
        if self.is_forbidden(resolved):
            raise ToolError(f"'{raw}' is in backend-copilot's own config or data folder; "
                            "tools never use it.")
        return resolved

    def is_forbidden(self, path: Path) -> bool:
        return any(path == f or path.is_relative_to(f) for f in self.forbidden)

    def rel(self, path: Path) -> str:
        """The path as shown to the model and the user: relative, with '/' separators."""
        try:
            text = path.relative_to(self.path).as_posix()
        except ValueError:
            return str(path)
        return text or "."

    def in_git_dir(self, path: Path) -> bool:
        return ".git" in path.relative_to(self.path).parts if path != self.path else False

    def walk(self, start: Path, *, include_ignored: bool = False) -> Iterator[Path]:
        """Files under `start` (sorted, symlinks not followed out of the root), skipping
        `.git/` always and gitignored files unless `include_ignored`."""
        ignore = IgnoreRules() if include_ignored else IgnoreRules.for_path(self.path, start)
        stack: list[tuple[Path, IgnoreRules]] = [(start, ignore)]
        while stack:
            folder, rules = stack.pop()
            if not include_ignored:
                rules = rules.with_file(folder / ".gitignore", folder)
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
            except OSError:
                continue
            for entry in entries:
                path = Path(entry.path)
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_link = entry.is_symlink()
                except OSError:
                    continue
                if is_dir:
                    if (entry.name == ".git" or rules.ignored(path, is_dir=True)
                            or self.is_forbidden(path)):
                        continue
                    stack.append((path, rules))
                    continue
                if rules.ignored(path, is_dir=False):
                    continue
                if is_link:
                    try:
                        target = path.resolve()
                    except (OSError, RuntimeError):
                        continue
                    if (not target.is_relative_to(self.path) or not target.is_file()
                            or self.is_forbidden(target)):
                        continue
                yield path


# -- .gitignore ------------------------------------------------------------------------------


class _Rule:
    __slots__ = ("base", "negate", "dir_only", "regex")

    def __init__(self, base: Path, negate: bool, dir_only: bool, regex: re.Pattern[str]) -> None:
        self.base, self.negate, self.dir_only, self.regex = base, negate, dir_only, regex


def _translate(pattern: str) -> str:
    """A gitignore glob as a regex over a '/'-separated relative path."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


class IgnoreRules:
    """The .gitignore rules in force for a folder (simple, common subset of git's syntax)."""

    def __init__(self, rules: tuple[_Rule, ...] = ()) -> None:
        self.rules = rules

    @classmethod
    def for_path(cls, root: Path, start: Path) -> IgnoreRules:
        """Rules from the .gitignore files of `start`'s ancestors up to the root."""
        rules = cls()
        if not start.is_relative_to(root):
            return rules
        folder = root
        for part in start.relative_to(root).parts:
            rules = rules.with_file(folder / ".gitignore", folder)
            folder = folder / part
        return rules

    def with_file(self, gitignore: Path, base: Path) -> IgnoreRules:
        try:
            text = gitignore.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return self
        added: list[_Rule] = []
        for raw in text.splitlines():
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            if line.startswith("\\"):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            regex = _translate(line)
            if not anchored:
                regex = "(?:.*/)?" + regex
            added.append(_Rule(base, negate, dir_only, re.compile(f"^{regex}$")))
        return IgnoreRules(self.rules + tuple(added)) if added else self

    def ignored(self, path: Path, *, is_dir: bool) -> bool:
        result = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            try:
                rel = path.relative_to(rule.base).as_posix()
            except ValueError:
                continue
            if rule.regex.match(rel):
                result = not rule.negate
        return result


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A file glob ('**/*.py', 'src/*.ts', '*.md') as a regex over relative paths; a pattern
    without '/' matches the file name at any depth."""
    pattern = pattern.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    if "{" in pattern and "}" in pattern:  # {a,b} alternatives, one level
        head, _, rest = pattern.partition("{")
        body, _, tail = rest.partition("}")
        parts = [_translate(head + alt + tail) for alt in body.split(",")]
        regex = "(?:" + "|".join(parts) + ")"
    else:
        regex = _translate(pattern)
    if "/" not in pattern:
        regex = "(?:.*/)?" + regex
    return re.compile(f"^{regex}$")


def name_matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)
