"""`@path` in a message attaches that file: its text goes to the model with the question.

Why in the message itself: what was attached is then in the session like anything else the
user sent — the transcript, resume, exports and every later request show the same thing, and
nothing outside the log decides what the model saw. Paths are confined like the tools' (a
path outside the project root, or a symlink out of it, is refused), each file is capped, and
a problem (missing, a folder, binary, outside) is one line, never a lost message.
"""

from __future__ import annotations

import re

from pydantic import ConfigDict, Field

from agent.lazy_model import LazyModel
from agent.text import safe_text
from agent.tools.root import ProjectRoot, ToolError

MAX_FILE_CHARS = 16000
MAX_FILES = 5
MENTION = re.compile(r"(?<![\w@/])@((?:\.{0,2}/)?[\w.\-]+(?:/[\w.\-]+)*)")


class Attached(LazyModel):
    model_config = ConfigDict(frozen=True)
    text: str  # the message with the files appended (what is recorded and sent)
    files: list[str] = Field(default_factory=list)  # relative paths attached
    problems: list[str] = Field(default_factory=list)  # one line each


def mentions(text: str) -> list[str]:
    """The @paths in a message, in order, each once (an e-mail address is not one)."""
    return list(dict.fromkeys(m.group(1).rstrip(".") for m in MENTION.finditer(text)))


def attach(text: str, root: ProjectRoot) -> Attached:
    files: list[str] = []
    problems: list[str] = []
    blocks: list[str] = []
    for raw in mentions(text):
        if len(files) >= MAX_FILES:
            problems.append(f"@{raw}: not attached; at most {MAX_FILES} files per message.")
            continue
        try:
            path = root.resolve(raw)
        except ToolError as exc:
            problems.append(f"@{raw}: {exc}")
            continue
        if not path.is_file():
            if path.exists():
                problems.append(f"@{raw}: is a folder, not a file; name a file inside it.")
            # else: not a path at all (e.g. a handle); left as the user typed it
            continue
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE_CHARS * 4 + 1)
        except OSError as exc:
            problems.append(f"@{raw}: cannot be read ({exc.strerror or exc}).")
            continue
        if b"\x00" in data[:8192]:
            problems.append(f"@{raw}: looks binary; only text files are attached.")
            continue
        body = safe_text(data.decode("utf-8", "replace"))
        note = ""
        if len(body) > MAX_FILE_CHARS:
            body, note = body[:MAX_FILE_CHARS], f" (first {MAX_FILE_CHARS:,} characters)"
        name = root.rel(path)
        files.append(name)
        fence = "````" if "```" in body else "```"
        blocks.append(f"Attached @{name}{note}:\n{fence}\n{body.rstrip()}\n{fence}")
    if not blocks:
        return Attached(text=text, problems=problems)
    return Attached(text=text.rstrip() + "\n\n" + "\n\n".join(blocks), files=files,
                    problems=problems)


MAX_WALK = 5000  # files looked at for completion (a huge tree completes from its first part)
TRAILING_MENTION = re.compile(r"(?:^|\s)@([\w./\-]*)$")


def path_candidates(root: ProjectRoot, typed: str, limit: int = 20) -> list[str]:
    """Files under the root whose path contains the typed letters in order (fuzzy), best
    first: a name starting with them, then shorter paths. Gitignored files are left out."""
    needle = typed.lower()
    scored: list[tuple[int, int, str]] = []
    for count, path in enumerate(root.walk(root.path)):
        if count >= MAX_WALK:
            break
        rel = root.rel(path)
        low = rel.lower()
        position = 0
        for char in needle:
            position = low.find(char, position) + 1
            if position == 0:
                break
        else:
            starts = 0 if low.startswith(needle) or f"/{needle}" in low else 1
            scored.append((starts, len(rel), rel))
    return [rel for _, _, rel in sorted(scored)[:limit]]


def complete_mention(text: str, root: ProjectRoot) -> list[str]:
    """Whole-text completions when the text ends in an @mention being typed."""
    match = TRAILING_MENTION.search(text)
    if match is None:
        return []
    head = text[: match.start(1)]
    return [head + rel for rel in path_candidates(root, match.group(1)) if rel != match.group(1)]
