"""Run an audit: walk the root, read manifests, match ast-grep rules, judge each item.

Files are handled one at a time and only matches are kept, so memory stays flat however big
the project is. Every bad input (unreadable, huge, binary, broken manifest or rule) becomes one
line in `report.problems` and the audit goes on.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.audit import manifests as mf
from agent.audit import scanner
from agent.audit.matcher import find
from agent.audit.models import AuditItem, AuditReport, Evidence, Finding
from agent.audit.rules import Ecosystem, Rule, load_ecosystems, normalise_target
from agent.text import safe_text

if TYPE_CHECKING:
    from agent.persona.models import Persona

MAX_EVIDENCE = 3  # per item: enough to show where, short enough to read
LINE_CHARS = 160
MAX_FILES = 50_000
# Items measured on a running service, not read from code: say how to measure instead.
PROBED = {"api response": "a running endpoint tells: backend-copilot probe URL"}


@dataclass
class _Seen:
    """What one walk gathered, per ecosystem and per rule."""

    sources: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    manifests: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    hits: dict[str, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    broken_rules: set[str] = field(default_factory=set)
    files: int = 0


def _line(lines: list[str], index: int) -> str:
    text = lines[index].strip() if 0 <= index < len(lines) else ""
    return safe_text(text)[:LINE_CHARS]


def _wanted(rule: Rule, rel: str) -> bool:
    return not rule.files or any(fnmatch.fnmatchcase(rel, g) or
                                 fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], g)
                                 for g in rule.files)


def _scan_source(rel: str, text: str, language: str, ecosystem: Ecosystem, seen: _Seen) -> None:
    from ast_grep_py import SgRoot  # lazy: the app's first frame never loads it

    lowered = text.lower()
    present = {word for word in ecosystem.needles() if word in lowered}
    rules = [r for r in ecosystem.rules
             if r.code is not None and r.id not in seen.broken_rules and _wanted(r, rel)
             and (not r.needs or present.intersection(r.needs))]
    if not rules:
        return  # no rule could match here: not even worth parsing
    try:
        root = SgRoot(text, language).root()
    except Exception as exc:  # noqa: BLE001 - a parser failure is one line, never a crash
        seen.problems.append(f"{rel}: could not be parsed as {language} ({exc})")
        return
    lines: list[str] | None = None
    for rule in rules:
        try:
            nodes = find(root, rule.code, rule.constraints, rule.skeleton())  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - a broken user rule is one line
            seen.broken_rules.add(rule.id)
            seen.problems.append(f"rule {rule.id}: not a valid ast-grep rule ({exc}); skipped")
            continue
        if not nodes:
            continue
        lines = lines if lines is not None else text.splitlines()
        for node in nodes:
            index = node.range().start.line
            _record(rule, rel, index + 1, _line(lines, index), "code", seen)


def _record(rule: Rule, rel: str, line: int, text: str, source: str, seen: _Seen) -> None:
    if rule.finding:
        seen.findings.append(Finding(rule=rule.id, finding=rule.finding, title=rule.title,
                                     severity=rule.severity, path=rel, line=line, text=text))
    else:
        seen.hits[rule.id].append(
            Evidence(path=rel, line=line, text=text, rule=rule.id, source=source)  # type: ignore[arg-type]
        )


def _scan_manifest(rel: str, text: str, reader: Any, ecosystems: list[Ecosystem],
                   seen: _Seen) -> None:
    try:
        deps = reader(text)
    except mf.ManifestError as exc:
        seen.problems.append(f"{rel}: broken manifest, {exc}; its dependencies were not read")
        return
    declared = {mf.normalise(d.name): d for d in deps}
    name = rel.rsplit("/", 1)[-1]
    for ecosystem in ecosystems:
        if not any(fnmatch.fnmatchcase(name, g) for g in ecosystem.manifests):
            continue
        seen.manifests[ecosystem.name].append(rel)
        for rule in ecosystem.rules:
            for wanted in rule.dependencies:
                dep = declared.get(mf.normalise(wanted))
                if dep is not None:
                    _record(rule, rel, dep.line, safe_text(dep.text)[:LINE_CHARS], "manifest", seen)


def _walk(root: Path, ecosystems: list[Ecosystem], seen: _Seen, max_files: int) -> None:
    by_ext: dict[str, tuple[Ecosystem, str]] = {}
    for ecosystem in ecosystems:
        for ext, lang in ecosystem.extension_map().items():
            by_ext.setdefault(ext, (ecosystem, lang))
    manifest_globs = {g for e in ecosystems for g in e.manifests}
    for rel in scanner.walk(root, seen.problems):
        name = rel.rsplit("/", 1)[-1]
        reader = mf.reader_for(name) if any(fnmatch.fnmatchcase(name, g) for g in manifest_globs) else None
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        target = by_ext.get(ext)
        if reader is None and target is None:
            continue
        if seen.files >= max_files:
            seen.problems.append(f"stopped after {max_files:,} files: the rest was not read; "
                                 "audit a smaller folder (--root)")
            return
        text, why = scanner.read_text(root / rel)
        seen.files += 1
        if text is None:
            seen.problems.append(f"{rel}: {why}")
            continue
        if reader is not None:
            _scan_manifest(rel, text, reader, ecosystems, seen)
        elif target is not None:
            ecosystem, language = target
            seen.sources[ecosystem.name] += 1
            _scan_source(rel, text, language, ecosystem, seen)


def _looked(rules: list[tuple[Ecosystem, Rule]], seen: _Seen) -> str:
    parts = []
    for ecosystem in sorted({e.name: e for e, _ in rules}.values(), key=lambda e: e.name):
        own = [r for e, r in rules if e.name == ecosystem.name]
        code = [r.title for r in own if r.code is not None]
        deps = sorted({d for r in own for d in r.dependencies})
        where = []
        count = seen.sources.get(ecosystem.name, 0)
        if code and count:
            where.append(f"{count} {ecosystem.label or ecosystem.name} file"
                         f"{'s' if count != 1 else ''} for {'; '.join(code)}")
        if deps and seen.manifests.get(ecosystem.name):
            where.append(f"{', '.join(seen.manifests[ecosystem.name])} for {', '.join(deps)}")
        if where:
            parts.append("; ".join(where))
    return "looked in " + " and ".join(parts) if parts else ""


def _judge(item: AuditItem, targets: set[str], ecosystems: list[Ecosystem], seen: _Seen) -> None:
    rules = [(e, r) for e in ecosystems for r in e.rules if r.targets
             and targets & {normalise_target(t) for t in r.targets}]
    probe_note = next((v for k, v in PROBED.items() if k in targets), "")
    if not rules:
        item.looked = probe_note or "no audit rule covers this item; judge it by hand"
        return
    # A rule could have looked only where its kind of file exists: code rules need source
    # files of their ecosystem, dependency rules a manifest.
    relevant = [(e, r) for e, r in rules if r.id not in seen.broken_rules and (
        (r.code is not None and seen.sources.get(e.name))
        or (r.dependencies and seen.manifests.get(e.name)))]
    if not relevant:
        item.looked = probe_note or "no rule for the files found here"
        return
    evidence = sorted({ev for _, r in relevant for ev in seen.hits.get(r.id, [])},
                      key=lambda ev: (ev.source != "code", ev.path, ev.line, ev.rule))
    if evidence:
        item.status = "done"
        item.evidence = evidence[:MAX_EVIDENCE]
    else:
        item.status = "missing"
        item.looked = _looked(relevant, seen)


def _items(persona: Persona) -> list[tuple[AuditItem, set[str]]]:
    from agent.persona.vocabulary import slug

    out = []
    for item in persona.all_checklist_items():
        targets = {normalise_target(item.text), normalise_target(f"{item.area} {item.text}")}
        out.append((AuditItem(id=item.id, kind="checklist", area=item.area, text=item.text),
                    targets))
    for standard in persona.standards:
        item_id = f"standard/{slug(standard.source or 'standards')}/{slug(standard.name)}"
        out.append((AuditItem(id=item_id, kind="standard", area=standard.source,
                              text=standard.name), {normalise_target(standard.name)}))
    return out


def run_audit(root: str | Path, persona: Persona, *, user_rules_dir: Path | None = None,
              max_files: int = MAX_FILES) -> AuditReport:
    """Audit `root` against the persona's checklist items and standards. At most `max_files`
    source files and manifests are read (a root like `/` must not run for hours)."""
    root = Path(root)
    ecosystems, rule_problems = load_ecosystems(user_rules_dir)
    seen = _Seen()
    seen.problems += rule_problems
    if not root.is_dir():
        seen.problems.append(f"{root}: not a folder; nothing was audited")
    else:
        _walk(root, ecosystems, seen, max_files)
    items = []
    for item, targets in _items(persona):
        _judge(item, targets, ecosystems, seen)
        items.append(item)
    present = sorted(e.name for e in ecosystems
                     if seen.sources.get(e.name) or seen.manifests.get(e.name))
    return AuditReport(
        persona=persona.name,
        ecosystems=present,
        files_scanned=seen.files,
        items=items,
        findings=sorted(seen.findings, key=lambda f: (f.path, f.line, f.rule)),
        problems=seen.problems,
    )
