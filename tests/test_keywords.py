"""Keyword engine: what counts as a mention, and when the persona switches on and off."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keywords import Activator, KeywordSet, detect, forms

BACKEND = ["api", "database", "service", "backend", "microservice", "authentication", "security"]


@pytest.fixture(scope="module")
def kws() -> KeywordSet:
    return KeywordSet(BACKEND)


def found(kws: KeywordSet, text: str) -> list[tuple[str, str]]:
    return [(m.keyword, m.text) for m in kws.find(text)]


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("api", "api"),
        ("The API is down", "api"),
        ("three APIs", "api"),
        ("database", "database"),
        ("two Databases", "database"),
        ("service", "service"),
        ("services", "service"),
        ("backend", "backend"),
        ("backends", "backend"),
        ("the back-end team", "backend"),
        ("the back end", "backend"),
        ("microservice", "microservice"),
        ("Microservices", "microservice"),
        ("a micro-service", "microservice"),
        ("authentication", "authentication"),
        ("authenticate", "authentication"),
        ("authenticated users", "authentication"),
        ("authenticating", "authentication"),
        ("auth", "authentication"),
        ("auth-service", "authentication"),
        ("security", "security"),
        ("secure", "security"),
        ("securing", "security"),
        ("secured", "security"),
    ],
)
def test_each_builtin_inflection_matches(kws: KeywordSet, text: str, keyword: str) -> None:
    assert keyword in [m.keyword for m in kws.find(text)]


@pytest.mark.parametrize(
    "text",
    [
        "rapid",
        "capital",
        "apiary",
        "the car was serviced",
        "servicing",
        "author",
        "OAuth",
        "insecure",
        "securities",
        "databased",
        "backendy",
    ],
)
def test_lookalikes_do_not_match(kws: KeywordSet, text: str) -> None:
    assert kws.find(text) == []


def test_positions_and_original_text_are_reported(kws: KeywordSet) -> None:
    text = "Our REST API needs Authentication."
    matches = kws.find(text, message=3)
    assert [(m.keyword, m.text, m.start, m.end, m.message) for m in matches] == [
        ("api", "API", 9, 12, 3),
        ("authentication", "Authentication", 19, 33, 3),
    ]
    assert all(text[m.start : m.end] == m.text for m in matches)


def test_longest_form_wins_and_matches_do_not_overlap(kws: KeywordSet) -> None:
    assert found(kws, "microservices, services") == [
        ("microservice", "microservices"),
        ("service", "services"),
    ]


def test_generic_rule_plural_and_multiword() -> None:
    kws = KeywordSet(["root cause", "design system", "cache", "index", "dependency"])
    assert found(kws, "the Root-Cause was two root causes") == [
        ("root cause", "Root-Cause"),
        ("root cause", "root causes"),
    ]
    assert found(kws, "our design\n  system") == [("design system", "design\n  system")]
    assert [m.keyword for m in kws.find("caches, indexes, dependencies")] == [
        "cache",
        "index",
        "dependency",
    ]
    assert kws.find("rootcause designsystems") == []


def test_forms_table() -> None:
    assert forms("API") == ("api", "apis")
    assert "serviced" not in forms("service")
    assert forms("Root-Cause") == ("root cause", "root causes")
    assert forms("c++") == ("c++",)


def test_keywords_with_punctuation_match_on_their_own() -> None:
    kws = KeywordSet(["c++", "node.js"])
    assert found(kws, "C++ and Node.js, not abc++ or node.jsx") == [("c++", "C++"), ("node.js", "Node.js")]


def test_unicode_text_whose_lowercase_changes_length_keeps_positions(kws: KeywordSet) -> None:
    text = "İstanbul API"
    (match,) = kws.find(text)
    assert text[match.start : match.end] == "API"


def test_keywords_in_lists_distinct_in_order(kws: KeywordSet) -> None:
    assert kws.keywords_in("security, API, api, Security") == ["security", "api"]


def test_empty_set_finds_nothing() -> None:
    assert KeywordSet([]).find("api database") == []


@given(st.text(alphabet=st.sampled_from(list("apisrvcedbk -.\nAPI")), max_size=60))
def test_find_agrees_with_a_naive_regex(text: str) -> None:
    """Same answers as a plain case-insensitive alternation with word boundaries."""
    kws = KeywordSet(["api", "service", "back end"])
    naive = re.compile(r"\b(?:apis|api|services|service|back(?:\s+|-)ends?)\b", re.I)
    assert [(m.start, m.end) for m in kws.find(text)] == [m.span() for m in naive.finditer(text)]


# --------------------------------------------------------------------------- activation

OFF = "We had pizza for lunch and it was nice."


def backend() -> Activator:
    return Activator({"backend": BACKEND})


def test_one_message_with_two_keywords_switches_on() -> None:
    result = backend().feed("Is the service secure?")
    assert result.active and result.changed
    assert result.keywords == ["service", "security"]
    assert result.reason == "matched service, security (score 2.0 ≥ 1.5)"


def test_one_specific_keyword_switches_on_alone() -> None:
    result = backend().feed("We need real-time updates pushed to the browser from our API")
    assert result.active
    assert result.reason == "matched api (score 1.5 ≥ 1.5)"
    assert backend().feed("Our API needs authentication").score == 3.0


def test_one_everyday_keyword_in_two_consecutive_messages_switches_on() -> None:
    act = backend()
    first = act.feed("Which service sends the invoices?")
    assert not first.active
    second = act.feed("And how do we keep it secure?")
    assert second.active and second.changed
    assert second.score == 1.5


def test_custom_weights_override_the_table() -> None:
    act = Activator({"backend": BACKEND}, weights={"API": 1.0})
    assert not act.feed("the API").active


def test_a_single_incidental_keyword_does_not_switch_on() -> None:
    act = backend()
    assert not act.feed("Lunch was great but the service was slow.").active
    assert not act.feed("Shall we go there again on Friday?").active
    result = act.feed("Maybe somewhere with a garden.")
    assert not result.active
    assert result.reason == "matched service (score 0.25 < 1.5)"


def test_keywords_two_messages_apart_do_not_switch_on() -> None:
    act = backend()
    act.feed("the service")
    act.feed(OFF)
    assert not act.feed("is it secure").active


def test_stays_on_until_off_after_off_topic_messages() -> None:
    act = Activator({"backend": BACKEND}, off_after=3)
    assert act.feed("API gateway and database sharding").active
    assert act.feed(OFF).active
    assert act.feed(OFF).active
    last = act.feed(OFF)
    assert not last.active and last.changed
    assert last.reason == "no keyword in the last 3 messages"


def test_one_on_topic_message_resets_the_off_count() -> None:
    act = Activator({"backend": BACKEND}, off_after=3)
    act.feed("API gateway and database sharding")
    act.feed(OFF)
    act.feed(OFF)
    assert act.feed("and the service mesh?").active
    act.feed(OFF)
    assert act.feed(OFF).active  # only two off-topic messages since the keyword
    assert not act.feed(OFF).active


def test_pin_on_off_auto() -> None:
    act = backend()
    on = act.pin("on")
    assert on.active and on.changed and on.mode == "on"
    assert on.reason == "pinned on by user"
    for _ in range(5):
        assert act.feed(OFF).active  # pinned: off-topic talk does not switch it off
    off = act.pin("off")
    assert not off.active and off.changed
    assert not act.feed("API, database, security, backend").active
    auto = act.pin("auto")
    assert auto.mode == "auto" and not auto.changed
    assert act.feed("the API and its database").active


def test_pin_rejects_unknown_persona_and_mode() -> None:
    act = backend()
    with pytest.raises(ValueError, match="unknown persona"):
        act.pin("on", "frontend")
    with pytest.raises(ValueError, match="mode must be"):
        act.pin("maybe")  # type: ignore[arg-type]


def test_several_personas_best_pick_and_runner_up() -> None:
    act = Activator(
        {
            "frontend": ["css", "react", "component"],
            "backend": BACKEND,
        }
    )
    result = act.feed("The React component calls the service, which needs to be secure")
    assert result.persona == "frontend" and result.active  # same score, listed first
    assert result.runner_up == "backend"
    result = act.feed("The React component calls the API, which hits the database and auth")
    assert result.persona == "backend" and result.active
    assert result.runner_up == "frontend"
    assert result.scores == {"frontend": 3.0, "backend": 5.5}


def test_several_personas_tie_goes_to_more_keywords_then_given_order() -> None:
    personas = {"first": ["alpha", "beta"], "second": ["gamma", "delta"]}
    tie = Activator(personas).feed("alpha beta gamma delta")
    assert (tie.persona, tie.runner_up) == ("first", "second")
    swapped = Activator(dict(reversed(personas.items()))).feed("alpha beta gamma delta")
    assert swapped.persona == "second"
    # equal score, but more distinct keywords across the window wins
    act = Activator(personas)
    act.feed("gamma")  # second: 0.5 later, 1 distinct so far
    act.feed("gamma")
    result = act.feed("alpha beta gamma")
    # first: 2.0 (alpha, beta); second: 1 + 0.5 + 0.25 = 1.75
    assert result.persona == "first"


def test_active_persona_is_kept_unless_another_clearly_leads() -> None:
    act = Activator({"frontend": ["css", "react", "component"], "backend": BACKEND})
    assert act.feed("react component css").persona == "frontend"
    still = act.feed("and the api")
    assert still.persona == "frontend" and still.active
    switched = act.feed("the api, the database, the auth service")
    assert switched.persona == "backend" and switched.changed


def test_detect_is_stateless_and_uses_the_window() -> None:
    assert not detect("is it secure?", BACKEND).active
    result = detect("is it secure?", BACKEND, window=["How big is the service?"])
    assert result.active
    assert [(m.keyword, m.message) for m in result.matches] == [("service", 0), ("security", 1)]


def test_result_to_dict_is_json() -> None:
    data = detect("Our API needs authentication", BACKEND, persona="backend").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["persona"] == "backend"
    assert data["matches"][0] == {
        "keyword": "api",
        "text": "API",
        "start": 4,
        "end": 7,
        "message": 0,
    }


def test_from_history_restores_state_and_pin() -> None:
    history = ["Let's design the API", "with a database", OFF]
    act = Activator.from_history({"backend": BACKEND}, history)
    assert act.active == "backend"
    assert act.state()["misses"] == 1
    assert act.state()["window"][0] == {"backend": ["api"]}
    pinned = Activator.from_history({"backend": BACKEND}, history, mode="off")
    assert pinned.active is None and pinned.mode == "off"


def test_keywords_package_needs_only_the_standard_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, keywords; "
        "bad = [m for m in ('pydantic', 'textual', 'rich', 'openai', 'agent') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_replaying_only_the_tail_leaves_the_same_state_as_replaying_everything() -> None:
    import random

    from keywords.activation import Activator

    rng = random.Random(7)
    words = ["api", "database", "lunch", "service", "security", "weather", "auth", "deploy"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 3))) for _ in range(300)]
    personas = {"backend": ["api", "database", "service", "security", "authentication"],
                "ops": ["deploy", "security"]}
    for mode, active in (("auto", "backend"), ("auto", None), ("on", "ops")):
        full, tail = Activator(personas), Activator(personas)
        full.replay(texts)
        tail.replay_tail(texts)
        full.restore(mode, active)
        tail.restore(mode, active)
        assert tail.state() == full.state()
        assert tail.feed("our api and database").active == full.feed("our api and database").active
