"""Feature Breakdown phase: the API contract as an OpenAPI 3.1 document (YAML).

The resources and operations come from the user's words (and /resource); the security scheme
from the checklist (JWT -> `bearerAuth`, OAuth2 -> `oauth2`); lists page with a cursor and
errors are problem details (`application/problem+json`, RFC 9457). The document is valid for
openapi-spec-validator; a model's draft is checked the same way before it is used.
"""

from __future__ import annotations

from typing import Any

import yaml

from agent.export.deliverables.context import DeliveryContext
from agent.export.deliverables.extract import article, singular
from agent.export.deliverables.models import Draft, Resource

PATH = "api/openapi.yaml"
PROBLEM = "application/problem+json"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def security_schemes(ctx: DeliveryContext) -> dict[str, dict[str, Any]]:
    """The schemes the checklist settled on (ticked, or brought up by the conversation)."""
    schemes: dict[str, dict[str, Any]] = {}
    for entry in ctx.items("done", "suggested"):
        text = entry.item.text.lower()
        if entry.state == "suggested" and not _named(entry.evidence, text):
            continue  # "authentication" alone suggests every auth item; it names none
        if "jwt" in text:
            schemes["bearerAuth"] = {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A JSON Web Token in the Authorization header.",
            }
        elif "oauth" in text or "oidc" in text:
            schemes["oauth2"] = {
                "type": "oauth2",
                "description": "Authorization code flow; replace the URLs with your provider's.",
                "flows": {"authorizationCode": {
                    "authorizationUrl": "https://auth.example.com/authorize",
                    "tokenUrl": "https://auth.example.com/token",
                    "scopes": {},
                }},
            }
    return schemes


# The words that name a scheme itself (not just its area) in the conversation.
_SCHEME_WORDS = {"jwt": ("jwt", "token", "bearer"), "oauth": ("oauth", "openid", "oidc", "sso")}


def _named(evidence: str, item_text: str) -> bool:
    words = {w.strip().lower() for w in evidence.split(",")}
    for key, names in _SCHEME_WORDS.items():
        if key in item_text:
            return any(w.startswith(names) for w in words)
    return False


def _rate_limited(ctx: DeliveryContext) -> bool:
    return any("rate limit" in e.item.text.lower() for e in ctx.items("done", "suggested"))


def _errors(codes: tuple[str, ...]) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/{name}"} for code, name in (
        ("400", "BadRequest"), ("401", "Unauthorized"), ("404", "NotFound"),
        ("429", "TooManyRequests"), ("default", "Error"),
    ) if code in codes}


def _operations(r: Resource, codes: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    one, many = _camel(singular(r.name)), _camel(r.name)
    item_ref = {"$ref": f"#/components/schemas/{one}"}
    who = f" ({r.actor})" if r.actor else ""
    collection: dict[str, Any] = {}
    member: dict[str, Any] = {}
    if "list" in r.operations:
        collection["get"] = {
            "operationId": f"list{many}", "tags": [r.name], "summary": f"List {r.name}{who}",
            "parameters": [{"$ref": "#/components/parameters/Limit"},
                           {"$ref": "#/components/parameters/Cursor"}],
            "responses": {"200": {"description": f"A page of {r.name}.", "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{one}Page"}}}},
                **_errors(codes)},
        }
    if "create" in r.operations:
        collection["post"] = {
            "operationId": f"create{one}", "tags": [r.name],
            "summary": f"Create {article(singular(r.name))}{who}",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{one}Input"}}}},
            "responses": {"201": {"description": f"The {singular(r.name)} was created.",
                                  "headers": {"Location": {"schema": {"type": "string"},
                                              "description": "The new resource's URL."}},
                                  "content": {"application/json": {"schema": item_ref}}},
                          **_errors(codes)},
        }
    if "get" in r.operations:
        member["get"] = {
            "operationId": f"get{one}", "tags": [r.name], "summary": f"Get one {singular(r.name)}",
            "responses": {"200": {"description": f"The {singular(r.name)}.",
                                  "content": {"application/json": {"schema": item_ref}}},
                          **_errors(codes + ("404",))},
        }
    if "update" in r.operations:
        member["patch"] = {
            "operationId": f"update{one}", "tags": [r.name],
            "summary": f"Change {article(singular(r.name))}",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{one}Input"}}}},
            "responses": {"200": {"description": f"The changed {singular(r.name)}.",
                                  "content": {"application/json": {"schema": item_ref}}},
                          **_errors(codes + ("404",))},
        }
    if "delete" in r.operations:
        member["delete"] = {
            "operationId": f"delete{one}", "tags": [r.name],
            "summary": f"Delete or cancel {article(singular(r.name))}",
            "responses": {"204": {"description": "Done; nothing to return."},
                          **_errors(codes + ("404",))},
        }
    paths: dict[str, dict[str, Any]] = {}
    if collection:
        paths[f"/{r.name}"] = collection
    if member:
        param = f"{singular(r.name).replace('-', '_')}_id"
        member["parameters"] = [{"name": param, "in": "path", "required": True,
                                 "schema": {"type": "string"}}]
        paths[f"/{r.name}/{{{param}}}"] = member
    return paths


def _schemas(resources: list[Resource]) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Problem": {
            "type": "object", "description": "Problem details (RFC 9457).",
            "properties": {"type": {"type": "string", "format": "uri-reference"},
                           "title": {"type": "string"}, "status": {"type": "integer"},
                           "detail": {"type": "string"},
                           "instance": {"type": "string", "format": "uri-reference"}},
            "required": ["title", "status"],
        },
    }
    for r in resources:
        one = _camel(singular(r.name))
        schemas[f"{one}Input"] = {
            "type": "object", "additionalProperties": True,
            "description": f"The fields a client sends for a {singular(r.name)}; "
                           "fill in from the data model.",
        }
        schemas[one] = {"allOf": [{"$ref": f"#/components/schemas/{one}Input"}, {
            "type": "object", "required": ["id"],
            "properties": {"id": {"type": "string"},
                           "created_at": {"type": "string", "format": "date-time"}}}]}
        if "list" in r.operations:
            schemas[f"{one}Page"] = {
                "type": "object", "required": ["items"],
                "properties": {"items": {"type": "array",
                                         "items": {"$ref": f"#/components/schemas/{one}"}},
                               "next_cursor": {"type": ["string", "null"],
                                               "description": "Pass as `cursor` for the next "
                                                              "page; null on the last page."}},
            }
    return schemas


def _title(session_title: str) -> str:
    """The session's title when it is a name (short), else a plain one."""
    name = " ".join(session_title.split())
    return f"{name} API" if name and len(name) <= 40 and not name.endswith("…") else "Service API"


def document(ctx: DeliveryContext) -> dict[str, Any]:
    schemes = security_schemes(ctx)
    codes: tuple[str, ...] = ("400", "default")
    if schemes:
        codes += ("401",)
    if _rate_limited(ctx):
        codes += ("429",)
    styles = [d.current.option.recommendation for d in ctx.settled() if d.current]
    described = "Drafted by backend-copilot from session " + ctx.session_id + "."
    if styles:
        described += " API style decided: " + ", ".join(styles) + "."
    paths: dict[str, Any] = {}
    for r in ctx.resources:
        paths.update(_operations(r, codes))

    def problem(text: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
        response: dict[str, Any] = {"description": text, "content": {
            PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        if headers:
            response["headers"] = headers
        return response

    responses = {
        "BadRequest": problem("The request is malformed or fails validation."),
        "NotFound": problem("No such resource."),
        "Error": problem("Any other error, as problem details."),
    }
    if "401" in codes:
        responses["Unauthorized"] = problem("Missing or invalid credentials.")
    if "429" in codes:
        responses["TooManyRequests"] = problem("Rate limit reached.", {"Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"}}})
    components: dict[str, Any] = {
        "parameters": {
            "Limit": {"name": "limit", "in": "query", "required": False,
                      "description": "Items per page.",
                      "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                 "default": 20}},
            "Cursor": {"name": "cursor", "in": "query", "required": False,
                       "description": "The `next_cursor` of the previous page.",
                       "schema": {"type": "string"}},
        },
        "schemas": _schemas(ctx.resources),
        "responses": responses,
    }
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": _title(ctx.title), "version": "0.1.0",
                 "description": described},
        "paths": paths,
        "components": components,
    }
    if schemes:
        components["securitySchemes"] = schemes
        doc["security"] = [{name: []} for name in schemes]
    return doc


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def draft(ctx: DeliveryContext, phase: str, folder: str) -> Draft:
    return Draft(kind="openapi", phase=phase, path=f"{folder}/{PATH}", text=dump(document(ctx)),
                 title="API contract (OpenAPI 3.1)")


def validate(doc: Any) -> str | None:
    """Why `doc` is not a valid OpenAPI 3.1 document, or None.

    openapi-spec-validator does the full check when it is installed (the test extras bring
    it); without it, the shape every tool needs is checked here.
    """
    if not isinstance(doc, dict):
        return "the contract is not a YAML/JSON mapping"
    if not str(doc.get("openapi", "")).startswith("3.1"):
        return "the contract does not declare openapi: 3.1.x"
    try:
        from openapi_spec_validator import validate as full_validate
    except ImportError:
        full_validate = None
    if full_validate is not None:
        try:
            full_validate(doc)
        except Exception as exc:  # the validator's own error types; one line each
            return f"the contract is not valid OpenAPI: {str(exc).splitlines()[0][:200]}"
        return None
    info = doc.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        return "the contract lacks info.title or info.version"
    if not isinstance(doc.get("paths", {}), dict):
        return "the contract's paths is not a mapping"
    return None


def check(text: str, ctx: DeliveryContext) -> str | None:
    """Valid OpenAPI 3.1 that keeps every named resource and the settled security scheme."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return f"the contract is not YAML ({str(exc).splitlines()[0][:120]})"
    problem = validate(doc)
    if problem:
        return problem
    paths = doc.get("paths") or {}
    missing = [r.name for r in ctx.resources
               if not any(p.strip("/").split("/")[0] == r.name for p in paths)]
    if missing:
        return f"the contract leaves out the resource(s): {', '.join(missing)}"
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    wanted = [name for name in security_schemes(ctx) if name not in schemes]
    if wanted:
        return f"the contract lacks the security scheme(s): {', '.join(wanted)}"
    return None
