"""User Stories phase: INVEST stories with Given/When/Then acceptance criteria.

One story per operation the user named, one per standard (the non-functional targets) and one
per checklist item still open: each small, testable and written so it can be estimated alone.
"""

from __future__ import annotations

import re

from agent.export.deliverables.context import DeliveryContext, ItemState
from agent.export.deliverables.extract import article, singular
from agent.export.deliverables.models import Draft, Operation, Resource
from agent.export.deliverables.openapi import security_schemes
from agent.export.deliverables.text import header, inline
from agent.persona.models import Standard

PATH = "stories.md"

_WHY: dict[Operation, str] = {
    "create": "it is recorded and can be found again",
    "list": "I can find the ones I need without fetching them all",
    "get": "I can see its current state",
    "update": "it stays right as things change",
    "delete": "it no longer counts",
}
_VERB: dict[Operation, str] = {"create": "create", "list": "list", "get": "see",
                               "update": "change", "delete": "delete or cancel"}


def _request(r: Resource, op: Operation) -> str:
    one = f"/{r.name}/{{id}}"
    return {"create": f"POST /{r.name}", "list": f"GET /{r.name}", "get": f"GET {one}",
            "update": f"PATCH {one}", "delete": f"DELETE {one}"}[op]


def _operation_story(r: Resource, op: Operation, secured: bool) -> tuple[str, list[str]]:
    one = singular(r.name).replace("-", " ")
    actor = singular(r.actor).replace("-", " ") if r.actor else "client of the API"
    thing = r.name.replace("-", " ") if op == "list" else article(one)
    title = f"{_VERB[op].capitalize()} {thing}"
    story = f"As a {actor}, I want to {_VERB[op]} {thing}, so that {_WHY[op]}."
    request = _request(r, op)
    signed = "I am signed in and " if secured else ""
    ok = {
        "create": f"Given {signed}I send a valid {one}, When I call {request}, Then I get 201 "
                  f"with the new {one}'s id and its URL in the Location header",
        "list": f"Given {signed}there are more {r.name} than one page holds, When I call "
                f"{request}?limit=20, Then I get 20 items and a next_cursor that returns the rest",
        "get": f"Given {signed}the {one} exists, When I call {request}, Then I get 200 with it",
        "update": f"Given {signed}the {one} exists, When I call {request} with valid changes, "
                  f"Then I get 200 with the changed {one}",
        "delete": f"Given {signed}the {one} exists, When I call {request}, Then I get 204 and it "
                  "is gone from the list",
    }[op]
    criteria = [ok]
    if op in ("create", "update"):
        criteria.append(f"Given {article(one)} with a missing or malformed field, When I call {request},"
                        " Then I get 400 as problem details naming the field, and nothing changes")
    if op in ("get", "update", "delete"):
        criteria.append(f"Given no {one} has that id, When I call {request}, Then I get 404 as "
                        "problem details")
    if secured:
        criteria.append(f"Given I am not signed in, When I call {request}, Then I get 401 and "
                        "no data")
    return f"{title}\n\n{story}", criteria


def _standard_story(s: Standard) -> tuple[str, list[str]]:
    target = s.target
    story = f"As the team running the service, we want {s.name} to meet {target}, so that users " \
            "can rely on it."
    criteria = []
    ms = re.search(r"<\s*(\d+)\s*ms", target)
    percent = re.search(r"(\d{2}(?:\.\d+)?)\s*%", target)
    if ms:
        criteria.append(f"Given normal production load, When the endpoints above are called, "
                        f"Then the 95th percentile response time stays under {ms.group(1)} ms")
    if percent:
        criteria.append(f"Given a calendar month, When availability is measured, Then it is at "
                        f"least {percent.group(1)}%")
    if "acid" in target.lower():
        criteria.append("Given two requests change the same record at once, When both are "
                        "processed, Then each runs in a transaction and no partial write is "
                        "ever visible")
    if "backup" in target.lower():
        criteria.append("Given last night's backup, When it is restored to a fresh database, "
                        "Then the data matches and the restore time is recorded")
    if not criteria:
        criteria.append(f"Given the service in production, When {s.name} is reviewed, Then the "
                        f"target '{target}' is met and the evidence is linked")
    return f"{s.name}: {target}\n\n{story}", criteria


_ITEM_CRITERIA = {
    "jwt": "Given a request with an expired or tampered token, When it reaches any endpoint, "
           "Then it is refused with 401",
    "oauth": "Given a user signs in through the identity provider, When the callback returns, "
             "Then a session is issued only for a valid, unexpired code",
    "rbac": "Given a signed-in user without the needed role, When they call an endpoint that "
            "needs it, Then they get 403 and nothing changes",
    "validation": "Given a request body that breaks the schema, When it arrives, Then the "
                  "server refuses it with 400 before any business rule runs",
    "sanitization": "Given input holding markup or a query fragment, When it is stored and "
                    "shown again, Then it comes back as inert text",
    "encryption": "Given traffic and stored data, When they are inspected, Then TLS is used in "
                  "transit and the data is encrypted at rest",
    "audit": "Given a change to any record, When it is made, Then an audit entry records who, "
             "what and when",
    "rate": "Given a client over its request budget, When it calls again, Then it gets 429 with "
            "Retry-After",
    "headers": "Given any response, When its headers are read, Then the agreed security "
               "headers are present",
    "cors": "Given a browser on an origin not allowed, When it calls the API, Then the "
            "browser blocks the response",
}


def _item_story(entry: ItemState) -> tuple[str, list[str]]:
    item = entry.item
    story = f"As the team, we want {item.area}: {item.text} in place, so that the API meets " \
            "its security checklist."
    text = item.text.lower()
    criteria = [c for key, c in _ITEM_CRITERIA.items() if key in text]
    if not criteria:
        criteria = [f"Given the service, When {item.text} is reviewed, Then it is in place and "
                    "tested"]
    note = " (mentioned in the conversation, not settled)" if entry.state == "suggested" else ""
    return f"{item.area} · {item.text}{note}\n\n{story}", criteria[:1]


def draft(ctx: DeliveryContext, phase: str, folder: str) -> Draft:
    secured = bool(security_schemes(ctx))
    out = [header(f"User stories — {ctx.title or 'untitled'}", phase, ctx.session_id)]
    out.append("Each story is independent, small enough to estimate and ship alone, and "
               "testable by its criteria (INVEST).\n")
    sections: list[tuple[str, list[tuple[str, list[str]]]]] = [
        ("Features", [_operation_story(r, op, secured) for r in ctx.resources
                      for op in r.operations]),
        ("Non-functional", [_standard_story(s) for s in ctx.standards]),
        ("From the open checklist", [_item_story(e) for e in ctx.items("open", "suggested")]),
    ]
    number = 0
    for title, stories in sections:
        out.append(f"\n## {title}\n")
        if not stories:
            out.append("\nNone yet" + (": name resources in the chat or with /resource NAME.\n"
                                       if title == "Features" else ".\n"))
        for head, criteria in stories:
            number += 1
            first, _, body = head.partition("\n\n")
            out.append(f"\n### S{number}. {inline(first)}\n\n{inline(body)}\n\n"
                       "Acceptance criteria:\n\n")
            out.extend(f"- {inline(c)}\n" for c in criteria)
    return Draft(kind="stories", phase=phase, path=f"{folder}/{PATH}", text="".join(out),
                 title="User stories")


_STORY = re.compile(r"^###\s+(.+)$", re.MULTILINE)


def check(text: str, ctx: DeliveryContext) -> str | None:
    """At least one story, and every story has Given, When and Then."""
    parts = _STORY.split(text)
    if len(parts) < 3:
        return "no story (a '### ' heading) in the draft"
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        lowered = body.lower()
        if not all(re.search(rf"\b{w}\b", lowered) for w in ("given", "when", "then")):
            return f"the story '{title.strip()[:60]}' lacks Given/When/Then"
    return None
