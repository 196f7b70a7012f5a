"""Playbook cards as data: the bundled set loads whole, a user's broken card is one line."""

from __future__ import annotations

from pathlib import Path

from agent.copilot import Copilot
from agent.persona.persona import load_persona
from agent.playbook.cards import BUNDLED_CARDS, load_cards
from agent.playbook.store import get_playbook

PHASES = {"prd", "architecture", "feature breakdown", "user stories", "implementation"}

GOOD_CARD = """---
title: Feature flags for risky releases
tags: [feature flag, feature flags, toggle, kill switch]
checklist: [Rate limiting]
---
## When it applies
Shipping a risky change that must be switched off without a deploy.

## How to do it
- Wrap the change in a flag read at request time, default off.

## By phase
- **Implementation**: Add the flag check and a test for both states.
"""


def test_every_bundled_card_loads_with_every_part_and_valid_links() -> None:
    problems: list[str] = []
    cards = load_cards(problems=problems)
    assert problems == []
    assert len(cards) >= 50
    persona = load_persona()
    trees = {t.id for t in persona.decision_trees}
    items = {i.text.lower() for i in persona.all_checklist_items()}
    for card in cards:
        assert card.title and card.when and card.how and card.pitfalls and card.check, card.id
        assert set(card.phases) == PHASES, card.id
        assert set(card.trees) <= trees and (not card.decides or card.decides in trees), card.id
        assert {c.lower() for c in card.checklist} <= items, card.id
    assert {c.decides for c in cards if c.decides} == trees  # every tree has its card


def test_key_facts_are_stated() -> None:
    text = {c.id: " ".join([c.when, *c.how, *c.pitfalls]) for c in load_cards()}
    assert "RFC 9457" in text["problem-details"]
    assert "argon2id" in text["password-hashing"]
    assert "429 Too Many Requests" in text["rate-limiting"] and "Retry-After" in text["rate-limiting"]
    assert "99.9% ≈ 43.8 min" in text["slo-error-budget"]
    assert "PKCE (RFC 7636)" in text["oauth2-oidc"]


def test_a_broken_user_card_is_one_problem_line_and_the_rest_load(tmp_path: Path) -> None:
    folder = tmp_path / "playbook"
    folder.mkdir()
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\n## How to do it\n- x\n")
    (folder / "flags.md").write_text(GOOD_CARD)
    playbook, problems = get_playbook(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(f"playbook card {folder / 'broken.md'}:")
    assert "frontmatter is not valid YAML" in problems[0]
    assert len(playbook) == len(list(BUNDLED_CARDS.glob("*.md"))) + 1
    hit = playbook.retrieve(["Should we put the new checkout behind a feature flag?"]).hits[0]
    assert hit.card.id == "flags" and not hit.card.bundled


def test_a_card_without_a_title_or_steps_is_refused(tmp_path: Path) -> None:
    (tmp_path / "no-title.md").write_text("---\ntags: [x]\n---\n## How to do it\n- x\n")
    (tmp_path / "no-steps.md").write_text("---\ntitle: Empty\n---\n## Pitfalls\n- x\n")
    problems: list[str] = []
    assert load_cards([tmp_path], problems=problems) == []
    assert sorted(p.split(": ", 1)[1] for p in problems) == [
        "a playbook card needs a '## How to do it' section",
        "a playbook card needs a 'title: ...' line in its frontmatter",
    ]


def test_a_user_card_replaces_the_bundled_one_of_the_same_name(tmp_path: Path) -> None:
    folder = tmp_path / "playbook"
    folder.mkdir()
    (folder / "cors.md").write_text(GOOD_CARD.replace("Feature flags for risky releases",
                                                      "Our CORS house rules"))
    playbook, _ = get_playbook(tmp_path)
    card = playbook.get("cors")
    assert card is not None and card.title == "Our CORS house rules" and not card.bundled


async def test_the_copilot_notes_a_broken_card_once_and_still_answers(isolated_dirs: dict) -> None:
    folder = isolated_dirs["config"] / "playbook"
    folder.mkdir(parents=True)
    (folder / "broken.md").write_text("---\ntitle: x\n")  # never closed
    copilot = Copilot.start(cli={"provider": "offline", "stream_delay": 0})
    for question in ("How should we hash user passwords?", "And how do we validate JSON bodies?"):
        async for _ in copilot.ask(question):
            pass
    notices = [e.text for e in copilot.state.timeline if getattr(e, "type", "") == "notice"]
    assert len(notices) == 1 and "broken.md:1: frontmatter is never closed" in notices[0]
    answers = [m for m in copilot.state.messages if m.role == "assistant"]
    assert [a.cards[0].id for a in answers] == ["password-hashing", "input-validation"]
    assert "argon2id" in answers[0].content
