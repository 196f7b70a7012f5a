"""Dependency manifests -> the packages a project declares, each with its line.

One reader per format; a broken manifest raises ManifestError, which the audit turns into one
line in the report and goes on.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Callable

from pydantic import ConfigDict

from agent.lazy_model import LazyModel


class ManifestError(ValueError):
    """The manifest could not be read; the message says why in a few words."""


class Dependency(LazyModel):
    model_config = ConfigDict(frozen=True)
    name: str  # as declared, lower-cased
    line: int  # 1-based line where it is declared (0 when unknown)
    text: str  # that line, stripped


def normalise(name: str) -> str:
    """Compare names the way registries do: case and -/_/. differences ignored."""
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def _line_of(text: str, needle: str) -> tuple[int, str]:
    lines = text.splitlines()
    for quoted in (f'"{needle}', f"'{needle}", needle):
        for number, line in enumerate(lines, 1):
            if quoted.lower() in line.lower():
                return number, line.strip()
    return 0, ""


def _dep(text: str, name: str) -> Dependency:
    line, line_text = _line_of(text, name)
    return Dependency(name=name.lower(), line=line, text=line_text[:160])


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _pep508_name(spec: str) -> str:
    match = _REQ_NAME.match(spec)
    return match.group(1) if match else ""


def read_requirements(text: str) -> list[Dependency]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name = _pep508_name(line)
        if name:
            out.append(Dependency(name=name.lower(), line=number, text=raw.strip()[:160]))
    return out


def _toml(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"not valid TOML ({exc})") from None


def read_pyproject(text: str) -> list[Dependency]:
    data = _toml(text)
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    specs: list[str] = list(project.get("dependencies", []) or [])
    for group in (project.get("optional-dependencies", {}) or {}).values():
        specs.extend(group or [])
    names = [_pep508_name(s) for s in specs if isinstance(s, str)]
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    names += [n for n in (poetry.get("dependencies", {}) or {}) if n.lower() != "python"]
    return [_dep(text, n) for n in names if n]


def read_package_json(text: str) -> list[Dependency]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ManifestError("not a JSON object")
    names: list[str] = []
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        section = data.get(key) or {}
        if isinstance(section, dict):
            names.extend(section)
    return [_dep(text, n) for n in names]


_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([a-zA-Z0-9.\-_~/]+\.[a-z]+/[^\s]+)\s+v[0-9]")


def read_go_mod(text: str) -> list[Dependency]:
    if not re.search(r"^\s*module\s+\S+", text, re.MULTILINE):
        raise ManifestError("no 'module' line")
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        match = _GO_REQUIRE.match(raw.split("//", 1)[0])
        if match:
            out.append(Dependency(name=match.group(1).lower(), line=number, text=raw.strip()[:160]))
    return out


def read_pom(text: str) -> list[Dependency]:
    import xml.etree.ElementTree as ET  # stdlib; the pom is the user's own file

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ManifestError(f"not valid XML ({exc})") from None
    out = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "dependency":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in element}
        artifact = fields.get("artifactId", "")
        if artifact:
            line, line_text = _line_of(text, f"<artifactId>{artifact}</artifactId>")
            name = f"{fields.get('groupId', '')}:{artifact}".lower()
            out.append(Dependency(name=name, line=line, text=line_text[:160]))
    return out


_GRADLE = re.compile(r"""['"]([A-Za-z0-9._-]+:[A-Za-z0-9._-]+)(?::[^'"]*)?['"]""")


def read_gradle(text: str) -> list[Dependency]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        for match in _GRADLE.finditer(raw):
            out.append(Dependency(name=match.group(1).lower(), line=number, text=raw.strip()[:160]))
    return out


_GEM = re.compile(r"""^\s*gem\s+['"]([^'"]+)['"]""")


def read_gemfile(text: str) -> list[Dependency]:
    return [
        Dependency(name=m.group(1).lower(), line=n, text=raw.strip()[:160])
        for n, raw in enumerate(text.splitlines(), 1)
        if (m := _GEM.match(raw))
    ]


def read_cargo(text: str) -> list[Dependency]:
    data = _toml(text)
    names: list[str] = []
    for key in ("dependencies", "dev-dependencies"):
        section = data.get(key) or {}
        if isinstance(section, dict):
            names.extend(section)
    return [_dep(text, n) for n in names]


READERS: list[tuple[str, Callable[[str], list[Dependency]]]] = [
    ("requirements*.txt", read_requirements),
    ("pyproject.toml", read_pyproject),
    ("package.json", read_package_json),
    ("go.mod", read_go_mod),
    ("pom.xml", read_pom),
    ("build.gradle", read_gradle),
    ("build.gradle.kts", read_gradle),
    ("Gemfile", read_gemfile),
    ("Cargo.toml", read_cargo),
]


def reader_for(filename: str) -> Callable[[str], list[Dependency]] | None:
    return next((r for pattern, r in READERS if fnmatch.fnmatchcase(filename, pattern)), None)
