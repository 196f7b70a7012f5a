"""The phases' documents, offline: built from a scripted session, written into a project root.

What a user notices: the ADR names the branch they chose and the ones they did not, the OpenAPI
contract validates and holds the resources they named and the security scheme the checklist
settled on, the stories have Given/When/Then, and nothing they edited is overwritten without
their yes.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from agent.copilot import Copilot
from agent.export.deliverables.extract import extract_resources
from agent.export.render import export_session
from agent.session.journal import Session
from agent.tools import PermissionRequest

ASK = "We need a backend API where customers create and list orders, with JWT authentication"
TREE = "technology-decision-tree"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


def start(root: Path) -> Copilot:
    return Copilot.start(cli={"provider": "offline", "stream_delay": 0}, root=root,
                         discover=False)


def scripted(root: Path) -> Copilot:
    """The user states the problem, chooses REST, and the workflow reaches Implementation."""
    copilot = start(root)
    copilot._record_user_message(ASK)
    copilot.choose_branch(TREE, "C")  # Simple CRUD -> REST
    copilot.set_phase("Implementation")
    return copilot


def deliver(copilot: Copilot, phase: str | None = None, folder: str = "docs"):
    return asyncio.run(copilot.deliver(phase, folder=folder))


class Approver:
    """Answers every permission request with `answer` and keeps what it was shown."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list[PermissionRequest] = []

    async def __call__(self, request: PermissionRequest) -> str:
        self.asked.append(request)
        return self.answer


# -- the resource extractor --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("customers create and list orders", {"orders": ("list", "create")}),
    ("Admins can update, cancel or view an invoice.", {"invoices": ("get", "update", "delete")}),
    ("users can view their invoices", {"invoices": ("list",)}),
    ("an orders endpoint and endpoints for payments",
     {"orders": ("list", "create", "get"), "payments": ("list", "create", "get")}),
    ("CRUD for products", {"products": ("list", "create", "get", "update", "delete")}),
    ("POST /shipments creates one and GET /shipments/{id} reads it",
     {"shipments": ("create", "get")}),
    ("create orders and invoices", {"orders": ("create",), "invoices": ("create",)}),
    ("we need real-time updates pushed to the browser from our API", {}),
    ("I want to fetch data quickly and make it fast", {}),
])
def test_the_extractor_finds_named_resources_and_operations(text, expected):
    found = {r.name: r.operations for r in extract_resources([text])}
    assert found == expected


def test_the_extractor_keeps_who_does_it():
    (orders,) = extract_resources([ASK])
    assert (orders.name, orders.actor) == ("orders", "customers")


# -- each document, offline --------------------------------------------------------------------


def test_every_phase_reached_gets_its_document(project):
    copilot = scripted(project)
    report = deliver(copilot)
    assert [(f.path, f.status) for f in report.files] == [
        ("docs/prd.md", "created"),
        ("docs/adr/0001-data-complexity-rest.md", "created"),
        ("docs/api/openapi.yaml", "created"),
        ("docs/stories.md", "created"),
        ("docs/plan.md", "created"),
    ]
    assert all((project / f.path).is_file() for f in report.files)


def test_only_the_phases_reached_are_delivered(project):
    copilot = start(project)
    copilot._record_user_message("We need a backend service for our shop")
    copilot.set_phase("Architecture")
    report = deliver(copilot)
    assert [f.path for f in report.files] == ["docs/prd.md"]
    assert any("no decision record yet" in p for p in report.problems)


def test_the_prd_quotes_the_user_and_lists_what_is_open(project):
    copilot = start(project)
    copilot._record_user_message(ASK)
    copilot._record_user_message("Customers get live notifications when an order ships")
    deliver(copilot, "PRD")
    prd = (project / "docs/prd.md").read_text()
    assert "> We need a backend API where customers create and list orders" in prd
    assert re.search(r"\| Real-time \| mentioned: .*live", prd)
    assert "| Integrations | not mentioned |" in prd
    assert "Data Complexity: the talk points to WebSocket; confirm" in prd
    assert "**API Response**: \\<200ms" in prd


def test_the_adr_names_the_chosen_branch_and_every_alternative(project):
    copilot = scripted(project)
    deliver(copilot, "Architecture")
    adr = (project / "docs/adr/0001-data-complexity-rest.md").read_text()
    for section in ("## Context and Problem Statement", "## Considered Options",
                    "## Decision Outcome", "### Consequences"):
        assert section in adr
    assert "- Status: accepted" in adr
    assert "Chosen option: **REST** (chosen by the user)" in adr
    considered = adr.split("## Considered Options", 1)[1].split("## Decision Outcome", 1)[0]
    for option in ("REST", "GraphQL", "WebSocket", "gRPC"):
        assert f"- **{option}**" in considered
    assert "> We need a backend API where customers create and list orders" in adr


def test_a_changed_decision_supersedes_the_earlier_record_and_keeps_the_projects_own(project):
    own = project / "docs/adr/0001-use-postgres.md"
    own.parent.mkdir(parents=True)
    own.write_text("# 1. Use Postgres\n\nOurs.\n")
    copilot = scripted(project)
    deliver(copilot, "Architecture")
    assert (project / "docs/adr/0002-data-complexity-rest.md").is_file()
    copilot.choose_branch(TREE, "E")  # changed to WebSocket
    copilot.approver = approver = Approver("once")
    deliver(copilot, "Architecture")
    (asked,) = approver.asked  # the earlier record changes (its status): an overwrite asks
    assert asked.path == "docs/adr/0002-data-complexity-rest.md"
    assert "+- Status: superseded by ADR-0003" in asked.diff
    first = (project / "docs/adr/0002-data-complexity-rest.md").read_text()
    second = (project / "docs/adr/0003-data-complexity-websocket.md").read_text()
    assert "- Status: superseded by ADR-0003" in first
    assert "- Superseded by: [ADR-0003](0003-data-complexity-websocket.md)" in first
    assert "- Status: accepted" in second
    assert "- Supersedes: [ADR-0002](0002-data-complexity-rest.md)" in second
    assert own.read_text() == "# 1. Use Postgres\n\nOurs.\n"


def test_the_openapi_contract_validates_and_holds_resources_and_security(project):
    copilot = scripted(project)
    copilot.run_command("/check rate limiting")
    deliver(copilot, "Feature Breakdown")
    doc = yaml.safe_load((project / "docs/api/openapi.yaml").read_text())
    validate(doc)  # raises when the document is not valid OpenAPI
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]["/orders"]) == {"get", "post"}
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A JSON Web Token in the Authorization header.",
    }
    assert doc["security"] == [{"bearerAuth": []}]
    listing = doc["paths"]["/orders"]["get"]
    assert {"$ref": "#/components/parameters/Cursor"} in listing["parameters"]
    problem = doc["components"]["responses"]["BadRequest"]["content"]
    assert "application/problem+json" in problem
    assert "429" in doc["paths"]["/orders"]["post"]["responses"]  # rate limiting was ticked


def test_without_an_auth_item_the_contract_has_no_security_scheme(project):
    copilot = start(project)
    copilot._record_user_message("clients create and delete invoices through the api")
    copilot.set_phase("Feature Breakdown")
    deliver(copilot, "Feature Breakdown")
    doc = yaml.safe_load((project / "docs/api/openapi.yaml").read_text())
    validate(doc)
    assert "securitySchemes" not in doc["components"] and "security" not in doc
    assert set(doc["paths"]) == {"/invoices", "/invoices/{invoice_id}"}
    assert set(doc["paths"]["/invoices/{invoice_id}"]) == {"delete", "parameters"}


def test_resource_adds_one_by_hand(project):
    copilot = scripted(project)
    assert copilot.run_command("/resource refund create get").ok
    bad = copilot.run_command("/resource refunds fly")
    assert not bad.ok and "fly" in bad.message
    deliver(copilot, "Feature Breakdown")
    doc = yaml.safe_load((project / "docs/api/openapi.yaml").read_text())
    validate(doc)
    assert set(doc["paths"]["/refunds"]) == {"post"}
    assert set(doc["paths"]["/refunds/{refund_id}"]) == {"get", "parameters"}


def test_the_stories_have_given_when_then(project):
    copilot = scripted(project)
    deliver(copilot, "User Stories")
    text = (project / "docs/stories.md").read_text()
    stories = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    assert len(stories) >= 5
    for story in stories:
        assert re.search(r"^- Given .+, When .+, Then .+", story, re.MULTILINE), story
    assert "As a customer, I want to create an order" in text
    assert "When I call POST /orders, Then I get 201" in text
    assert "stays under 200 ms" in text  # the standard, as a non-functional story
    assert "at least 99.9%" in text
    assert "RBAC" in text.split("## From the open checklist", 1)[1]  # an open item as a story


def test_the_plan_orders_tasks_with_the_items_they_must_satisfy(project):
    copilot = scripted(project)
    copilot.run_command("/check JWT")
    deliver(copilot, "Implementation")
    plan = (project / "docs/plan.md").read_text()
    titles = re.findall(r"^## (\d+)\. (.+)$", plan, re.MULTILINE)
    assert [int(n) for n, _ in titles] == list(range(1, len(titles) + 1))
    assert "Endpoints for orders" in [t for _, t in titles]
    auth = plan.split("Authentication and authorization", 1)[1].split("\n## ", 1)[0]
    assert "- [x] Authentication · JWT (done" in auth
    assert "- [ ] Authentication · RBAC" in auth


# -- writing: ask before overwriting, deny leaves files untouched ------------------------------


def test_an_overwrite_asks_with_the_diff_and_deny_leaves_the_file(project):
    copilot = scripted(project)
    deliver(copilot, "PRD")
    prd = project / "docs/prd.md"
    edited = prd.read_text() + "\nOur own note.\n"
    prd.write_text(edited)
    copilot.approver = denier = Approver("deny")
    report = deliver(copilot, "PRD")
    assert prd.read_text() == edited
    assert report.files[0].status == "denied"
    (request,) = denier.asked
    assert request.title == "overwrite docs/prd.md" and "-Our own note." in request.diff
    copilot.approver = Approver("once")
    assert deliver(copilot, "PRD").files[0].status == "updated"
    assert "Our own note." not in prd.read_text()


def test_no_approver_never_overwrites_and_session_answers_once_for_all(project):
    copilot = scripted(project)
    deliver(copilot)
    files = sorted(p for p in (project / "docs").rglob("*") if p.is_file())
    for path in files:
        path.write_text("mine\n")
    report = deliver(copilot)  # no approver (a pipe, no --yes)
    assert {f.status for f in report.files} == {"denied"}
    assert all(p.read_text() == "mine\n" for p in files)
    copilot.approver = approver = Approver("session")
    report = deliver(copilot)
    assert len(approver.asked) == 1 and {f.status for f in report.files} == {"updated"}
    assert {f.status for f in deliver(copilot).files} == {"unchanged"}


def test_documents_stay_inside_the_project_root(project):
    copilot = scripted(project)
    report = deliver(copilot, "PRD", folder="../outside")
    assert report.files[0].status == "failed" and "outside the project root" in report.files[0].note
    assert not (project.parent / "outside").exists()


# -- the session records it; brief and exports list it -----------------------------------------


def test_the_delivery_is_a_session_event_the_brief_and_exports_list(project):
    copilot = scripted(project)
    deliver(copilot)
    path, session_id = copilot.session.path, copilot.state.id
    copilot.session.close()
    state = Session.open(path, read_only=True).state
    (run,) = state.deliverables
    assert [f.path for f in run.files][0] == "docs/prd.md" and run.root == str(project)
    brief = export_session(state, "brief", copilot.persona)
    assert "## Deliverables written" in brief and "docs/api/openapi.yaml: created" in brief
    assert "docs/plan.md: created (Implementation" in export_session(state, "md", copilot.persona)
    assert "docs/stories.md: created" in export_session(state, "html", copilot.persona)
    events = json.loads(export_session(state, "json"))["events"]
    assert any(e["type"] == "deliverables" for e in events), session_id


# -- leaving a phase ---------------------------------------------------------------------------


def test_leaving_a_phase_warns_what_its_document_lacks_and_goes_on(project):
    copilot = start(project)
    copilot._record_user_message("we need an api with authentication")
    copilot.set_phase("Architecture")
    assert copilot.run_command("/phase next").ok
    assert copilot.workflow.current_name == "Feature Breakdown"  # it went on anyway
    warning = [e.text for e in copilot.state.timeline if e.type == "notice"][-1]
    assert warning.startswith("Moving on from Architecture — still missing from its decision "
                              "records:")
    assert "no decision chosen yet for Data Complexity" in warning
    assert "open security items (JWT" in warning
    copilot.choose_branch(TREE, "C")
    for item in copilot.persona.all_checklist_items():
        entry = copilot.state.checklist.get(item.id)
        if entry is None or entry.state != "done":
            copilot.toggle_item(item.id)
    copilot.set_phase("Architecture")
    before = len(copilot.state.timeline)
    copilot.set_phase("next")
    assert not [e for e in copilot.state.timeline[before:] if e.type == "notice"]


def test_the_folder_comes_from_the_config(project, isolated_dirs):
    isolated_dirs["config"].mkdir(parents=True, exist_ok=True)
    (isolated_dirs["config"] / "config.toml").write_text('docs_dir = "design/docs"\n')
    copilot = scripted(project)
    assert not copilot.problems
    report = asyncio.run(copilot.deliver("PRD"))
    assert report.files[0].path == "design/docs/prd.md"
    assert (project / "design/docs/prd.md").is_file()


def test_a_websocket_or_grpc_decision_adds_its_stub_beside_the_contract(project):
    copilot = scripted(project)
    copilot.choose_branch(TREE, "E")  # WebSocket
    report = deliver(copilot, "Feature Breakdown")
    assert [f.path for f in report.files] == ["docs/api/openapi.yaml", "docs/api/asyncapi.yaml"]
    events = yaml.safe_load((project / "docs/api/asyncapi.yaml").read_text())
    assert events["asyncapi"] == "3.0.0" and set(events["channels"]) == {"orders"}
    assert set(events["components"]["messages"]) == {"OrderCreated"}
    copilot.choose_branch(TREE, "F")  # gRPC
    report = deliver(copilot, "Feature Breakdown")
    assert "docs/api/service.proto" in [f.path for f in report.files]
    proto = (project / "docs/api/service.proto").read_text()
    assert proto.startswith('syntax = "proto3";')
    assert "rpc ListOrders(ListOrdersRequest) returns (ListOrdersResponse);" in proto
    assert "rpc CreateOrder(Order) returns (Order);" in proto


def test_without_the_validator_installed_the_contract_check_still_refuses_a_broken_one(
        monkeypatch):
    from agent.export.deliverables.openapi import validate as check_contract

    monkeypatch.setitem(__import__("sys").modules, "openapi_spec_validator", None)  # not installed
    assert check_contract({"openapi": "3.0.3", "info": {}}) == \
        "the contract does not declare openapi: 3.1.x"
    assert check_contract({"openapi": "3.1.0", "info": {"title": "x"}, "paths": {}}) == \
        "the contract lacks info.title or info.version"
    assert check_contract({"openapi": "3.1.0", "info": {"title": "x", "version": "1"},
                           "paths": {}}) is None


def test_the_prd_names_the_playbook_cards_the_answers_used(project):
    copilot = start(project)
    asyncio.run(_ask_all(copilot, "How do we make order creation idempotent when clients retry?"))
    used = [c.title for m in copilot.state.messages for c in m.cards]
    assert used, "the offline answer should have used playbook cards"
    deliver(copilot, "PRD")
    prd = (project / "docs/prd.md").read_text()
    assert "## Playbook cards used" in prd
    assert used[0] in prd


async def _ask_all(copilot: Copilot, text: str) -> None:
    async for _ in copilot.ask(text):
        pass
