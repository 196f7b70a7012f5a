"""Conversation insight: which tree branch the talk points to, which checklist items it touches."""

from __future__ import annotations

from agent.persona.insight import TreeHint, open_items, point_tree, suggest_checklist
from agent.persona.models import (
    Checklist,
    ChecklistItem,
    DecisionOption,
    DecisionTree,
    Persona,
    Phase,
    Standard,
)
from agent.persona.persona import load_persona
from agent.session.models import ChecklistEntry

CHECKLIST = "security-implementation-checklist"


def _item(area: str, text: str, *cues: str) -> ChecklistItem:
    slug = text.lower().replace("/", "-").replace(" ", "-")
    area_slug = area.lower().replace(" ", "-")
    return ChecklistItem(id=f"{CHECKLIST}/{area_slug}/{slug}", area=area, text=text, cues=cues)


def small_persona() -> Persona:
    """A small backend-like persona built straight from the models (no file parsing)."""
    auth = ("authentication", "auth", "login")
    return Persona(
        name="backend",
        title="Backend",
        keywords=(
            "api", "database", "service", "backend", "microservice", "authentication", "security",
        ),
        phases=(
            Phase(name="PRD", role="Supporting", contribution="Size up backend complexity"),
            Phase(name="Architecture", role="Primary", contribution="Own the API design"),
            Phase(name="Feature Breakdown", role="Primary", contribution="Drive endpoints"),
            Phase(name="User Stories", role="Supporting", contribution="Tune performance"),
            Phase(name="Implementation", role="Supporting", contribution="Harden reliability"),
        ),
        decision_trees=(
            DecisionTree(
                id="technology-decision-tree",
                title="Technology Decision Tree",
                root="API Requirements",
                question="Data Complexity",
                options=(
                    DecisionOption(
                        node_id="C", condition="Simple CRUD", recommendation="REST",
                        use_case="Standard CRUD operations", rationale="Simple, cacheable",
                        cues=("simple crud", "crud", "rest", "restful", "update", "endpoints"),
                    ),
                    DecisionOption(
                        node_id="D", condition="Complex Relations", recommendation="GraphQL",
                        use_case="Complex data relationships", rationale="Flexible queries",
                        cues=("complex relations", "relationships", "graphql", "nested"),
                    ),
                    DecisionOption(
                        node_id="E", condition="Real-time", recommendation="WebSocket",
                        use_case="Real-time requirements",
                        rationale="Bidirectional communication",
                        cues=(
                            "real-time", "realtime", "live", "push", "pushed",
                            "notifications", "websocket",
                        ),
                    ),
                    DecisionOption(
                        node_id="F", condition="High Performance", recommendation="gRPC",
                        use_case="High performance needs", rationale="Efficient serialization",
                        cues=("high performance", "grpc", "low latency", "throughput"),
                    ),
                ),
            ),
        ),
        checklists=(
            Checklist(
                id=CHECKLIST,
                title="Security Implementation Checklist",
                items=(
                    _item("Authentication", "JWT", "jwt", "token", *auth),
                    _item("Authentication", "OAuth2/OIDC", "oauth2", "oidc", "sso", *auth),
                    _item("Authentication", "RBAC", "rbac", "roles", "permissions", *auth),
                    _item("Input Validation", "Server-side validation", "validation", "validate"),
                    _item("Input Validation", "sanitization", "sanitize", "xss", "injection"),
                    _item("Data Protection", "Encryption at rest/transit", "encryption", "tls"),
                    _item("Data Protection", "audit logging", "audit", "audit log"),
                    _item("API Security", "Rate limiting", "rate limiting", "throttling"),
                    _item("API Security", "security headers", "security headers", "hsts"),
                    _item("API Security", "CORS", "cors", "cross-origin"),
                ),
            ),
        ),
        standards=(
            Standard(name="API Response", target="<200ms", source="Development Standards"),
            Standard(name="Availability", target="99.9%", source="Development Standards"),
        ),
    )


def test_rest_api_with_auth_and_realtime_points_to_websocket() -> None:
    hint = point_tree(small_persona(), ["Our REST API needs authentication and real-time notifications"])
    assert isinstance(hint, TreeHint)
    assert (hint.node_id, hint.condition, hint.recommendation) == ("E", "Real-time", "WebSocket")
    assert hint.words == ("real-time", "notifications")
    assert hint.use_case == "Real-time requirements"
    assert hint.label() == "Real-time -> WebSocket (words: real-time, notifications)"


def test_pushed_updates_point_to_websocket() -> None:
    hint = point_tree(small_persona(), ["We need real-time updates pushed to the browser from our API"])
    assert hint is not None and hint.recommendation == "WebSocket"
    assert set(hint.words) == {"real-time", "pushed"}


def test_no_cue_means_no_hint() -> None:
    assert point_tree(small_persona(), ["What should we call the project?"]) is None
    assert point_tree(small_persona(), []) is None


def test_newest_message_outweighs_older_ones() -> None:
    persona = small_persona()
    texts = ["We want live dashboards", "Actually the data has nested relationships"]
    hint = point_tree(persona, texts)
    assert hint is not None and hint.recommendation == "GraphQL"
    assert point_tree(persona, list(reversed(texts))).recommendation == "WebSocket"  # type: ignore[union-attr]


def test_only_the_last_few_messages_count() -> None:
    texts = ["We need gRPC for throughput", "ok", "fine", "sure", "thanks"]
    assert point_tree(small_persona(), texts) is None


def test_ties_are_broken_deterministically_by_file_order() -> None:
    hint = point_tree(small_persona(), ["graphql or grpc?"])
    assert hint is not None and hint.recommendation == "GraphQL"
    again = point_tree(small_persona(), ["grpc or graphql?"])
    assert again is not None and again.recommendation == "GraphQL"


def test_authentication_talk_suggests_the_authentication_items() -> None:
    suggestions = suggest_checklist(
        small_persona(), "Our REST API needs authentication and real-time notifications"
    )
    assert [(s.area, s.text) for s in suggestions] == [
        ("Authentication", "JWT"),
        ("Authentication", "OAuth2/OIDC"),
        ("Authentication", "RBAC"),
    ]
    assert suggestions[0].evidence == ["authentication"]
    assert suggestions[0].item_id == f"{CHECKLIST}/authentication/jwt"


def test_checklist_evidence_lists_the_words_found() -> None:
    suggestions = suggest_checklist(small_persona(), "Add CORS and HSTS, then validate the JWT")
    assert {s.text: s.evidence for s in suggestions} == {
        "JWT": ["jwt"],
        "Server-side validation": ["validate"],
        "security headers": ["hsts"],
        "CORS": ["cors"],
    }
    assert suggest_checklist(small_persona(), "lunch at noon?") == []


def test_open_items_skip_done_ones_only() -> None:
    persona = small_persona()
    jwt, oauth = (i.id for i in persona.all_checklist_items()[:2])
    state = {
        jwt: ChecklistEntry(state="done"),
        oauth: ChecklistEntry(state="suggested", by="conversation"),
    }
    items = open_items(persona, state)
    assert jwt not in [i.id for i in items]
    assert items[0].id == oauth
    assert len(items) == len(persona.all_checklist_items()) - 1


def test_bundled_persona_points_and_suggests_the_same_way() -> None:
    persona = load_persona()
    hint = point_tree(persona, ["We need real-time updates pushed to the browser from our API"])
    assert hint is not None and hint.recommendation == "WebSocket"
    areas = {s.area for s in suggest_checklist(persona, "How should login and authentication work?")}
    assert "Authentication" in areas
