"""Audit rules as data: one YAML file per ecosystem, shipped here and added by users.

A rule names what it evidences (`targets`: checklist item texts or standard names) or the
risk it finds (`finding`), and how it knows: declared `dependencies` and/or an ast-grep rule
object under `code`. Item texts are matched to targets after normalising case and punctuation;
an item no rule targets stays "unknown" rather than being guessed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from agent.audit.models import Severity
from agent.lazy_model import LazyModel

BUNDLED_RULES_DIR = Path(__file__).parent / "rules"


class Rule(LazyModel):
    id: str
    title: str  # what it looks for, in a few words: "a rate limiter (Limiter(...))"
    targets: list[str] = Field(default_factory=list)
    finding: str = ""
    severity: Severity = "medium"
    dependencies: list[str] = Field(default_factory=list)
    code: dict[str, Any] | None = None  # an ast-grep rule object (pattern, kind, has, ...)
    constraints: dict[str, Any] | None = None
    files: list[str] = Field(default_factory=list)  # only paths matching one of these globs
    # A cheap gate before any parsing work: the code rule runs only on files whose lower-cased
    # text contains one of these words. The match itself stays structural (ast-grep).
    needs: list[str] = Field(default_factory=list)
    _skeleton: Any = PrivateAttr(default=None)
    _skeleton_done: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _one_job(self) -> Rule:
        if bool(self.targets) == bool(self.finding):
            raise ValueError("needs either 'targets' or 'finding'")
        if not self.dependencies and not self.code:
            raise ValueError("needs 'dependencies' or 'code'")
        self.needs = [word.lower() for word in self.needs]
        return self

    def skeleton(self) -> dict[str, Any] | None:
        """The regex-free part of `code`, worked out once (see agent.audit.matcher)."""
        if not self._skeleton_done and self.code is not None:
            from agent.audit.matcher import skeleton

            self._skeleton, self._skeleton_done = skeleton(self.code), True
        return self._skeleton

    def wanted_in(self, lowered_text: str) -> bool:
        return not self.needs or any(word in lowered_text for word in self.needs)

    def sg_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"rule": self.code}
        if self.constraints:
            config["constraints"] = self.constraints
        return config


class Ecosystem(LazyModel):
    name: str  # "python"
    label: str = ""  # "Python"
    languages: dict[str, list[str]] = Field(default_factory=dict)  # ast-grep language -> .exts
    manifests: list[str] = Field(default_factory=list)  # file-name globs, e.g. requirements*.txt
    rules: list[Rule] = Field(default_factory=list)
    source: str = ""  # the file it came from
    _needles: frozenset[str] | None = PrivateAttr(default=None)

    def needles(self) -> frozenset[str]:
        """Every gate word of this ecosystem's rules (each is looked for once per file)."""
        if self._needles is None:
            self._needles = frozenset(w for r in self.rules for w in r.needs)
        return self._needles

    def extension_map(self) -> dict[str, str]:
        return {ext.lower(): lang for lang, exts in self.languages.items() for ext in exts}


def normalise_target(text: str) -> str:
    """'Rate limiting' == 'rate-limiting' == 'RATE LIMITING'."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _load_file(path: Path) -> tuple[Ecosystem | None, list[str]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: rule file unreadable ({exc.__class__.__name__})"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return None, [f"{path}: rule file is not valid YAML{where}; skipped"]
    if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
        return None, [f"{path}: rule file needs a mapping with 'name' and a 'rules' list; skipped"]
    problems: list[str] = []
    rules: list[Rule] = []
    for index, raw in enumerate(data.get("rules") or []):
        try:
            rules.append(Rule.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            rule_id = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            problems.append(f"{path}: rule {rule_id} skipped ({first['msg']})")
    header = {k: v for k, v in data.items() if k != "rules"}
    try:
        ecosystem = Ecosystem.model_validate({**header, "rules": [], "source": str(path)})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return None, [*problems, f"{path}: rule file skipped ({loc}: {first['msg']})"]
    ecosystem.rules = rules
    return ecosystem, problems


def load_ecosystems(user_dir: Path | None = None) -> tuple[list[Ecosystem], list[str]]:
    """The shipped ecosystems, then the user's files: a user file with a shipped name adds rules
    to it (and may add languages or manifests); a new name is a new ecosystem."""
    problems: list[str] = []
    by_name: dict[str, Ecosystem] = {}
    files = sorted(BUNDLED_RULES_DIR.glob("*.yaml"))
    if user_dir is not None and user_dir.is_dir():
        files += sorted([*user_dir.glob("*.yaml"), *user_dir.glob("*.yml")])
    for path in files:
        ecosystem, file_problems = _load_file(path)
        problems += file_problems
        if ecosystem is None:
            continue
        known = by_name.get(ecosystem.name)
        if known is None:
            by_name[ecosystem.name] = ecosystem
            continue
        for lang, exts in ecosystem.languages.items():
            known.languages.setdefault(lang, [])
            known.languages[lang] += [e for e in exts if e not in known.languages[lang]]
        known.manifests += [m for m in ecosystem.manifests if m not in known.manifests]
        ids = {r.id for r in known.rules}
        known.rules += [r for r in ecosystem.rules if r.id not in ids]
    return list(by_name.values()), problems
