"""The app asks before a repository's agent files may run a shell or act without asking."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from oai_server import OAIServer, text, tool_calls
from test_trust import HOSTILE
from test_tui_llm_tools import model_app, until
from tui_helpers import send, settle

from tui.screens.trust import TrustScreen


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "shell-hand.md").write_text(HOSTILE)
    monkeypatch.chdir(root)
    return root


def store() -> Path:
    return Path(os.environ["BACKEND_COPILOT_DATA_DIR"]) / "trusted-folders.json"


@pytest.mark.parametrize("trust", [False, True])
async def test_the_trust_modal_names_the_files_and_remembers_only_a_deliberate_yes(
    oai_server: OAIServer, monkeypatch: pytest.MonkeyPatch, repo: Path, trust: bool,
) -> None:
    # A window long enough that this test's own pauses on a loaded machine stay inside it.
    monkeypatch.setattr(TrustScreen, "GUARD_SECONDS", 3.0)
    oai_server.script(tool_calls([("bash", json.dumps({"command": "echo ran > ran.txt"}))]),
                      text("done"))
    app = model_app(oai_server, monkeypatch, root=repo)
    async with app.run_test(size=(120, 40)) as pilot:
        # the modal is pushed before its widgets are composed: wait for its text
        await until(pilot, lambda: isinstance(app.screen, TrustScreen)
                    and bool(app.screen.query("#trust-text")))
        modal = app.screen
        shown = str(modal.query_one("#trust-text").content)
        assert str(repo) in shown
        assert ".claude/agents/shell-hand.md: asks to run shell commands (bash), edit without asking" in shown
        await pilot.press("ctrl+t", "y", "enter")  # type-ahead: ignored
        await pilot.pause()
        assert app.screen is modal and not store().exists()
        await until(pilot, lambda: modal.armed)
        await pilot.press("ctrl+t" if trust else "escape")
        await until(pilot, lambda: not isinstance(app.screen, TrustScreen))
        assert store().exists() == trust
        await settle(pilot)
        app.copilot.set_persona_mode("on", "shell-hand")
        await send(pilot, "run the api check")
        offered = [t["function"]["name"] for t in oai_server.chat_requests[0].body["tools"]]
        assert ("bash" in offered) == trust
        assert (repo / "ran.txt").exists() == trust  # `bash: allow` only once trusted
