"""The built-in tools' arguments: the schema a request carries is generated from each tool's
model, a wrong argument comes back to the model as one line it can act on, and the schema and
the checking cannot disagree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from oai_server import OAIServer, text, tool_calls

from agent.copilot import Copilot
from agent.llm.base import StreamEnd
from agent.tools import BUILTIN, PermissionRequest, ProjectRoot, Toolbox, ToolError
from agent.tools.arguments import check_args


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "api").mkdir(parents=True)
    (root / "api" / "routes.py").write_text("router = APIRouter()\n\ndef list_users():\n    return []\n")
    (root / "notes.txt").write_text("one\ntwo\nthree\nfour\nfive\nsix\n")
    return root


async def ask(server: OAIServer, project: Path, question: str) -> Copilot:
    copilot = Copilot.start(
        cli={"provider": "openai", "base_url": server.base_url, "model": "test-model"}, root=project)
    copilot.set_persona_mode("on")
    end: StreamEnd | None = None
    async for item in copilot.ask(question):
        if isinstance(item, StreamEnd):
            end = item
    assert end is not None and end.error is None
    return copilot


def offered_tools(server: OAIServer) -> dict[str, dict[str, Any]]:
    """The tools of the answer's request (a tool-support probe, if any, offers only its own)."""
    offered = [{t["function"]["name"]: t["function"] for t in r.body.get("tools", [])}
               for r in server.chat_requests]
    return next(tools for tools in offered if "read" in tools)


def keys_anywhere(schema: Any) -> set[str]:
    """Every key of every schema node (property names themselves are not schema keys)."""
    if isinstance(schema, list):
        return set().union(*(keys_anywhere(s) for s in schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = set(schema) - {"properties"}
    for key, value in schema.items():
        nodes = value.values() if key == "properties" else [value]
        for node in nodes:
            found |= keys_anywhere(node)
    return found


# -- (a) the schema a real request carries -----------------------------------------------------


async def test_the_request_offers_read_with_the_schema_its_model_generates(
    oai_server: OAIServer, project: Path
) -> None:
    oai_server.script(text("Nothing to read."))
    await ask(oai_server, project, "what is in notes.txt?")
    tools = offered_tools(oai_server)
    assert sorted(tools) == ["edit", "glob", "grep", "read", "write"]
    assert tools["read"]["parameters"] == {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the project root"},
            "offset": {"type": "integer", "minimum": 1, "description": "First line to read (1-based)"},
            "limit": {"type": "integer", "minimum": 1, "description": "Lines to read (max 2000)"},
        },
        "required": ["path"],
        "additionalProperties": False,
    }
    assert tools["edit"]["parameters"]["required"] == ["path", "old_string", "new_string"]
    assert tools["grep"]["parameters"]["properties"]["include"]["type"] == "string"
    for name, function in tools.items():  # compact: nothing the model does not need
        assert not keys_anywhere(function["parameters"]) & {"title", "default", "$defs"}, name


# -- (b) a wrong argument comes back to the model as one line ---------------------------------


@pytest.mark.parametrize(("tool", "arguments", "line"), [
    ("read", {"path": "notes.txt", "offset": "2"}, "Argument 'offset' must be a whole number."),
    ("read", {"path": 7}, "Argument 'path' must be a string."),
    ("read", {"offset": 2}, "Missing required argument 'path'."),
    ("grep", {"pattern": "two", "ignore_case": "yes"}, "Argument 'ignore_case' must be true or false."),
])
async def test_a_wrong_argument_from_the_model_gets_one_line_back(
    oai_server: OAIServer, project: Path, tool: str, arguments: dict, line: str
) -> None:
    oai_server.script(tool_calls([(tool, json.dumps(arguments))]), text("Retrying."))
    copilot = await ask(oai_server, project, "look at notes.txt")
    sent = [m for m in oai_server.chat_requests[-1].body["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in sent] == [f"Error: {line}"]
    assert copilot.state.messages[-1].tool_calls[0].status == "error"


def box(root: Path) -> Toolbox:
    return Toolbox(ProjectRoot(root), BUILTIN)


async def run(root: Path, tool: str, asked: list[str] | None = None, **arguments: Any):
    async def allow(request: PermissionRequest) -> str:
        if asked is not None:
            asked.append(request.title)
        return "once"

    return await box(root).run(tool, json.dumps(arguments), approver=allow, allowed=set())


@pytest.mark.parametrize(("tool", "arguments", "line"), [
    ("read", {"path": "notes.txt", "offset": 2.5}, "Argument 'offset' must be a whole number."),
    ("read", {"path": "notes.txt", "limit": True}, "Argument 'limit' must be a whole number."),
    ("read", {"path": None}, "Missing required argument 'path'."),
    ("read", {"path": "notes.txt", "offset": -1}, "'offset' and 'limit' must be 1 or more."),
    ("grep", {"pattern": "two", "include": 5},
     "Argument 'include' must be a glob string like '*.py' or a list of them."),
    ("grep", {"pattern": "two", "include": ["*.txt", 5]},
     "Argument 'include' must be a glob string like '*.py' or a list of them."),
    ("glob", {"pattern": "*.py", "include_ignored": 1}, "Argument 'include_ignored' must be true or false."),
    ("glob", {"pattern": " "}, "Argument 'pattern' must not be empty, e.g. '**/*.py'."),
    ("write", {"path": "new.txt", "content": 5}, "Argument 'content' must be a string."),
    ("edit", {"path": "notes.txt", "old_string": "one"}, "Missing required argument 'new_string'."),
    ("bash", {"command": "true", "timeout": "10"}, "Argument 'timeout' must be a number of seconds."),
    ("bash", {"command": "true", "timeout": True}, "Argument 'timeout' must be a number of seconds."),
    ("bash", {"command": "true", "timeout": 0}, "Argument 'timeout' must be a number of seconds."),
])
async def test_each_wrong_argument_has_its_line_and_nothing_is_asked(
    project: Path, tool: str, arguments: dict, line: str
) -> None:
    asked: list[str] = []
    out = await run(project, tool, asked, **arguments)
    assert (out.status, out.content) == ("error", f"Error: {line}")
    assert asked == []  # checked before anyone is asked
    assert not (project / "new.txt").exists()


async def test_what_the_checks_let_through_as_before(project: Path) -> None:
    # 5.0 is the whole number 5; null is missing; 0 reads as the default; extras are ignored
    five = await run(project, "read", path="notes.txt", offset=5.0, limit=None, encoding="utf-8")
    assert five.summary == "read notes.txt, lines 5-6 of 6"
    zero = await run(project, "read", path="notes.txt", offset=0, limit=0)
    assert zero.summary == "read notes.txt, 6 lines"
    globs = await run(project, "grep", pattern="router", include="*.py, *.md")
    assert globs.content.splitlines() == ["api/routes.py:1: router = APIRouter()"]
    listed = await run(project, "grep", pattern="THREE", include=["notes.txt", ""], ignore_case=True)
    assert listed.content == "notes.txt:3: three"
    quick = await run(project, "bash", command="echo hi", timeout=5)
    assert quick.status == "ok" and quick.content.startswith("hi\n")


# -- (c) the schema and the checking cannot disagree ------------------------------------------

SAMPLES = {"string": "x", "integer": 3, "number": 2.5, "boolean": True}
WRONG = {"string": 5, "integer": "3", "number": "3", "boolean": "yes"}


def schema_of(spec_name: str) -> dict[str, Any]:
    return next(s for s in BUILTIN if s.name == spec_name).definition()["function"]["parameters"]


@pytest.mark.parametrize("spec", BUILTIN, ids=lambda s: s.name)
async def test_every_required_argument_is_refused_when_missing(project: Path, spec) -> None:
    schema = schema_of(spec.name)
    assert schema["required"], spec.name
    full = {name: SAMPLES[p["type"]] for name, p in schema["properties"].items()}
    for name in schema["required"]:
        for missing in ({k: v for k, v in full.items() if k != name}, {**full, name: None}):
            asked: list[str] = []
            out = await run(project, spec.name, asked, **missing)
            assert out.content == f"Error: Missing required argument '{name}'.", (spec.name, missing)
            assert asked == []


@pytest.mark.parametrize("spec", BUILTIN, ids=lambda s: s.name)
def test_every_property_takes_its_schema_type_and_refuses_another(spec) -> None:
    schema = schema_of(spec.name)
    properties = schema["properties"]
    assert schema["additionalProperties"] is False
    assert set(properties) == set(spec.arguments.model_fields)
    required = {name: SAMPLES[properties[name]["type"]] for name in schema["required"]}
    check_args(spec.arguments, required)  # the optional ones can all be left out
    for name, prop in properties.items():
        check_args(spec.arguments, {**required, name: SAMPLES[prop["type"]]})
        with pytest.raises(ToolError, match=f"'{name}'"):
            check_args(spec.arguments, {**required, name: WRONG[prop["type"]]})
