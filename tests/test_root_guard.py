"""The app's own folders are never a tool's, and a root at $HOME or / asks before reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.tools import BUILTIN, PermissionRequest, ProjectRoot, Toolbox

KEY = "sk-live-do-not-read-me"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    config = home / ".config" / "backend-copilot"
    data = home / ".local" / "share" / "backend-copilot"
    (data / "sessions").mkdir(parents=True)
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'api_key = "{KEY}"\n')
    (data / "sessions" / "s.jsonl").write_text(f'{{"text": "{KEY}"}}\n')
    (home / "work").mkdir()
    (home / "work" / "app.py").write_text("API = 'sk-live-placeholder'\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BACKEND_COPILOT_CONFIG_DIR", str(config))
    monkeypatch.setenv("BACKEND_COPILOT_DATA_DIR", str(data))
    return home


async def run(box: Toolbox, name: str, approver=None, **args):
    return await box.run(name, json.dumps(args), approver=approver, allowed=set())


async def test_with_the_root_at_home_the_apps_folders_stay_out_of_reach(home: Path) -> None:
    asked: list[PermissionRequest] = []

    async def yes(request: PermissionRequest) -> str:
        asked.append(request)
        return "once"

    box = Toolbox(ProjectRoot(home), BUILTIN)
    out = await run(box, "read", yes, path=".config/backend-copilot/config.toml")
    assert out.status == "error" and "own config or data folder" in out.content
    out = await run(box, "grep", yes, pattern="sk-live")
    assert out.status == "ok" and KEY not in out.content and "work/app.py:1" in out.content
    out = await run(box, "glob", yes, pattern="**/*")
    assert out.content.splitlines() == ["work/app.py"]
    out = await run(box, "write", yes, path=".local/share/backend-copilot/sessions/s.jsonl",
                    content="x")
    assert out.status == "error" and KEY in (home / ".local/share/backend-copilot/sessions/s.jsonl").read_text()
    # The root is the home folder: reading asked too (and was still refused in its folder).
    assert [r.tool for r in asked] == ["read", "grep", "glob"]


async def test_a_home_or_disk_root_asks_before_reading_and_a_project_root_does_not(
        home: Path) -> None:
    assert ProjectRoot(home).broad and ProjectRoot("/").broad
    assert not ProjectRoot(home / "work").broad
    out = await run(Toolbox(ProjectRoot("/"), BUILTIN), "read", None, path="/etc/hostname")
    assert out.status == "denied"  # no one to ask: nothing read
    out = await run(Toolbox(ProjectRoot(home / "work"), BUILTIN), "read", None, path="app.py")
    assert out.status == "ok"
