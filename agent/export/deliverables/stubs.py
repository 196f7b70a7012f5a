"""Beside the OpenAPI contract: an AsyncAPI stub when the session decided on WebSocket, a
.proto stub when it decided on gRPC — the named resources as channels or services, to fill in.
"""

from __future__ import annotations

from typing import Any

import yaml

from agent.export.deliverables.context import DeliveryContext
from agent.export.deliverables.extract import singular
from agent.export.deliverables.models import Draft
from agent.export.deliverables.openapi import _camel, _title

_EVENTS = {"create": "Created", "update": "Updated", "delete": "Deleted"}


def _styles(ctx: DeliveryContext) -> set[str]:
    return {d.current.option.recommendation.lower() for d in ctx.settled() if d.current}


def asyncapi(ctx: DeliveryContext) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for r in ctx.resources:
        one = _camel(singular(r.name))
        names = [f"{one}{_EVENTS[op]}" for op in r.operations if op in _EVENTS] or [
            f"{one}Changed"]
        for name in names:
            messages[name] = {"name": name, "payload": {"type": "object", "required": ["id"],
                                                        "properties": {"id": {"type": "string"}}}}
        channels[r.name] = {"address": r.name, "messages": {
            name: {"$ref": f"#/components/messages/{name}"} for name in names}}
        operations[f"receive{_camel(r.name)}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{r.name}"},
            "summary": f"Changes to {r.name}, pushed to connected clients."}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": _title(ctx.title).replace(" API", " events"), "version": "0.1.0",
                 "description": "A stub beside the OpenAPI contract: the session decided on "
                                "WebSocket. Fill in the payloads."},
        "channels": channels, "operations": operations,
        "components": {"messages": messages},
    }


def proto(ctx: DeliveryContext) -> str:
    lines = ['syntax = "proto3";', "", "package api.v1;", "",
             "// A stub beside the OpenAPI contract: the session decided on gRPC. Fill in the fields.",
             ""]
    for r in ctx.resources:
        one, many = _camel(singular(r.name)), _camel(r.name)
        lines += [f"message {one} {{", "  string id = 1;", "}", ""]
        rpcs = []
        if "list" in r.operations:
            lines += [f"message List{many}Request {{", "  int32 limit = 1;", "  string cursor = 2;",
                      "}", "", f"message List{many}Response {{", f"  repeated {one} items = 1;",
                      "  string next_cursor = 2;", "}", ""]
            rpcs.append(f"  rpc List{many}(List{many}Request) returns (List{many}Response);")
        if "create" in r.operations:
            rpcs.append(f"  rpc Create{one}({one}) returns ({one});")
        if "get" in r.operations or "update" in r.operations or "delete" in r.operations:
            lines += [f"message {one}Ref {{", "  string id = 1;", "}", ""]
        if "get" in r.operations:
            rpcs.append(f"  rpc Get{one}({one}Ref) returns ({one});")
        if "update" in r.operations:
            rpcs.append(f"  rpc Update{one}({one}) returns ({one});")
        if "delete" in r.operations:
            rpcs.append(f"  rpc Delete{one}({one}Ref) returns ({one}Ref);")
        lines += [f"service {many}Service {{", *rpcs, "}", ""]
    return "\n".join(lines)


def drafts(ctx: DeliveryContext, phase: str, folder: str) -> list[Draft]:
    """The stubs the session's API-style decision calls for (none for REST or GraphQL)."""
    styles = _styles(ctx)
    out = []
    if "websocket" in styles:
        out.append(Draft(kind="asyncapi", phase=phase, path=f"{folder}/api/asyncapi.yaml",
                         text=yaml.safe_dump(asyncapi(ctx), sort_keys=False, width=100),
                         title="Events (AsyncAPI stub)"))
    if "grpc" in styles:
        out.append(Draft(kind="proto", phase=phase, path=f"{folder}/api/service.proto",
                         text=proto(ctx), title="gRPC service (stub)"))
    return out
