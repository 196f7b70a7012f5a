"""With a model connected: it drafts each document, the draft is checked, a failed check (or a
failed model) falls back to the offline draft with the reason. The real `openai` client talks to
the loopback server; the CLI's `deliver` runs as a user would run it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from oai_server import OAIServer, error, text
from openapi_spec_validator import validate

from agent.copilot import Copilot
from tui.cli import main

ASK = "We need a backend API where customers create and list orders, with JWT authentication"
GOOD_PRD = (
    "# Backend assessment\n\n## Problem, in the user's words\n\n> customers create and list "
    "orders\n\n## Backend complexity\n\nData: orders are stored and listed.\x1b]52;c;ZXZpbA==\x07"
    "\n\n## Open questions\n\n- How long are orders kept?\n\n## Standards that apply\n\n"
    "- API Response: <200ms\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


def model_copilot(server: OAIServer, monkeypatch: pytest.MonkeyPatch, root: Path) -> Copilot:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    copilot = Copilot.start(cli={"base_url": server.base_url, "model": "test-model",
                                 "max_retries": 0}, root=root, discover=False)
    assert copilot.provider.name == "openai"
    copilot._record_user_message(ASK)  # no answer asked for: only the delivery talks to it
    copilot.choose_branch("technology-decision-tree", "C")
    return copilot


def test_a_drafted_contract_that_does_not_validate_falls_back(oai_server, monkeypatch, project):
    oai_server.script(text("openapi: 3.1.0\ninfo:\n  title: Orders\npaths: {}\n", chunks=3))
    copilot = model_copilot(oai_server, monkeypatch, project)
    report = asyncio.run(copilot.deliver("Feature Breakdown"))
    (outcome,) = report.files
    assert (outcome.status, outcome.source) == ("created", "offline")
    assert outcome.note.startswith("used the offline draft: the contract is not valid OpenAPI")
    doc = yaml.safe_load((project / "docs/api/openapi.yaml").read_text())
    validate(doc)
    assert "/orders" in doc["paths"]
    (request,) = oai_server.chat_requests
    prompt = json.dumps(request.body["messages"])
    assert "customers create and list orders" in prompt  # the conversation
    assert "operationId: listOrders" in prompt  # and the template it fills in
    assert copilot.state.deliverables[-1].files[0].note == outcome.note


def test_a_drafted_contract_without_a_named_resource_falls_back(oai_server, monkeypatch,
                                                                project):
    valid_but_empty = ("openapi: 3.1.0\ninfo:\n  title: Orders\n  version: '1'\npaths: {}\n"
                       "components:\n  securitySchemes:\n    bearerAuth:\n      type: http\n"
                       "      scheme: bearer\n")
    oai_server.script(text("```yaml\n" + valid_but_empty + "```"))
    copilot = model_copilot(oai_server, monkeypatch, project)
    (outcome,) = asyncio.run(copilot.deliver("Feature Breakdown")).files
    assert outcome.source == "offline"
    assert outcome.note == "used the offline draft: the contract leaves out the resource(s): orders"


def test_a_drafted_adr_without_its_sections_falls_back(oai_server, monkeypatch, project):
    oai_server.script(text("# 1. Use REST\n\n- Status: accepted\n\nWe use REST. It is fine.\n"))
    copilot = model_copilot(oai_server, monkeypatch, project)
    (outcome,) = asyncio.run(copilot.deliver("Architecture")).files
    assert outcome.source == "offline" and "lacks the section(s): Context and Problem " \
        "Statement, Considered Options, Decision Outcome, Consequences" in outcome.note
    adr = (project / outcome.path).read_text()
    assert "## Considered Options" in adr and "Chosen option: **REST**" in adr


def test_a_draft_that_passes_is_used_unfenced_and_inert(oai_server, monkeypatch, project):
    oai_server.script(text("```markdown\n" + GOOD_PRD + "```\n", chunks=5))
    copilot = model_copilot(oai_server, monkeypatch, project)
    (outcome,) = asyncio.run(copilot.deliver("PRD")).files
    assert (outcome.status, outcome.source, outcome.note) == ("created", "model", "")
    written = (project / "docs/prd.md").read_text()
    assert written.startswith("# Backend assessment\n") and "```" not in written
    assert "Data: orders are stored and listed." in written and "\x1b" not in written


def test_a_model_that_fails_falls_back_with_the_reason(oai_server, monkeypatch, project):
    oai_server.script(error(500))
    copilot = model_copilot(oai_server, monkeypatch, project)
    (outcome,) = asyncio.run(copilot.deliver("PRD")).files
    assert outcome.source == "offline" and outcome.note.startswith(
        "used the offline draft: the model failed (")
    assert "> We need a backend API" in (project / "docs/prd.md").read_text()


# -- the command line --------------------------------------------------------------------------


def test_cli_deliver_writes_then_keeps_changed_files_without_yes(project, capsys):
    copilot = Copilot.start(cli={"provider": "offline", "stream_delay": 0}, root=project,
                            discover=False)
    copilot._record_user_message(ASK)
    copilot.set_phase("Feature Breakdown")
    session_id = copilot.state.id
    copilot.session.close()

    assert main(["deliver", session_id, "--root", str(project), "--provider", "offline"]) == 0
    out = capsys.readouterr().out
    assert "created   docs/prd.md" in out and "created   docs/api/openapi.yaml" in out
    prd = project / "docs/prd.md"
    prd.write_text("mine\n")

    # stdin is not a terminal here: no one to ask, so a changed file is kept
    assert main(["deliver", "latest", "--root", str(project), "--provider", "offline"]) == 0
    captured = capsys.readouterr()
    assert "denied    docs/prd.md" in captured.out and "pass --yes" in captured.err
    assert "unchanged docs/api/openapi.yaml" in captured.out
    assert prd.read_text() == "mine\n"

    assert main(["deliver", "latest", "--root", str(project), "--yes", "--phase", "prd",
                 "--provider", "offline"]) == 0
    assert "updated   docs/prd.md" in capsys.readouterr().out
    assert prd.read_text().startswith("# Backend assessment")


def test_cli_deliver_names_a_bad_phase_in_one_line(project, capsys):
    copilot = Copilot.start(cli={"provider": "offline"}, root=project, discover=False)
    copilot._record_user_message(ASK)
    copilot.session.close()
    assert main(["deliver", "--root", str(project), "--phase", "deploy",
                 "--provider", "offline"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["backend-copilot: Unknown phase 'deploy'; valid phases: PRD, Architecture, "
                   "Feature Breakdown, User Stories, Implementation."]
    assert not (project / "docs").exists()
