"""The first screen's key: every input a new session's screen is made from changes it, and
nothing secret is in it. A remembered screen is drawn only under the same key, so an input
missing here would show a stale screen for a moment at the next start."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from agent import start_inputs
from agent.start_inputs import KEY_VARS, SETTING_VARS, first_screen_key

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def key(project: Path, cli: dict | None = None, agents: list[str] | None = None,
        env: dict[str, str] | None = None, more: tuple[Path, ...] = ()) -> str:
    return first_screen_key(cli or {}, agents or [], root=project,
                            env={**os.environ, **(env or {})}, more_files=more)


def touch_later(path: Path, text: str) -> None:
    """Write `text` with an mtime a second later than before (a fast test's edits can share
    an mtime with the first write on coarse file systems)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_the_same_inputs_give_the_same_key(project: Path) -> None:
    assert key(project) == key(project)


def test_the_command_line_and_the_agent_files_change_the_key(project: Path) -> None:
    agent = project / "mine.md"
    agent.write_text("# Mine\n", encoding="utf-8")
    base = key(project, agents=[str(agent)])
    assert key(project, cli={"model": "gpt-4o"}, agents=[str(agent)]) != base
    assert key(project) != base
    touch_later(agent, "# Mine, edited\n")
    assert key(project, agents=[str(agent)]) != base


def test_the_settings_file_and_the_environment_change_the_key(
        project: Path, isolated_dirs: dict) -> None:
    base = key(project)
    config = isolated_dirs["config"] / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    touch_later(config, 'theme = "nord"\n')
    with_config = key(project)
    assert with_config != base
    assert key(project, env={"BACKEND_COPILOT_MODEL": "gpt-4o"}) != with_config
    assert key(project, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}) != with_config


def test_an_api_key_counts_as_set_or_not_and_its_value_is_in_no_key(project: Path) -> None:
    unset = key(project, env={"OPENAI_API_KEY": ""})
    one = key(project, env={"OPENAI_API_KEY": "sk-test-first-secret"})
    other = key(project, env={"OPENAI_API_KEY": "sk-test-other-secret"})
    assert one != unset  # the screen says offline or openai
    assert one == other  # the value is shown nowhere, so it is not an input


def test_the_projects_instruction_files_change_the_key(project: Path) -> None:
    base = key(project)
    (project / "AGENTS.md").write_text("Use tabs.\n", encoding="utf-8")
    assert key(project) != base
    assert key(project.parent) != key(project)  # another folder


def test_the_apps_code_changes_the_key(project: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "install"
    for package in ("agent", "keywords", "tui"):
        (fake / package).mkdir(parents=True)
        (fake / package / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(start_inputs, "PACKAGE_ROOT", fake)
    base = key(project)
    touch_later(fake / "tui" / "__init__.py", "# a new version\n")
    assert key(project) != base
    (fake / "agent" / "added.py").write_text("", encoding="utf-8")
    assert key(project) != base


def test_the_callers_own_files_change_the_key(project: Path, tmp_path: Path) -> None:
    prefs = tmp_path / "ui.json"
    base = key(project, more=(prefs,))
    prefs.write_text('{"theme": "nord"}', encoding="utf-8")
    assert key(project, more=(prefs,)) != base


def _app_env_names() -> set[str]:
    """Every string in the app's code that names one of its environment variables."""
    names: set[str] = set()
    for package in ("agent", "tui", "keywords"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and node.value.startswith(("BACKEND_COPILOT_", "OPENAI_",
                                                   "OPENROUTER_", "XDG_"))
                        and node.value.replace("_", "").isalnum() and node.value.isupper()):
                    names.add(node.value)
    return names


def test_every_environment_variable_the_app_names_is_an_input_of_the_key() -> None:
    """A variable added to the settings later must be added to the key too (or here, with
    the reason it cannot change the first screen)."""
    not_on_the_first_screen = {
        "BACKEND_COPILOT_": "the prefix itself, in the settings' help text",
    }
    names = _app_env_names()
    assert {"BACKEND_COPILOT_MODEL", "OPENAI_API_KEY"} <= names  # the scan finds them
    missing = names - set(SETTING_VARS) - set(KEY_VARS) - set(not_on_the_first_screen)
    assert not missing, f"read by the app but not part of the first screen's key: {missing}"
