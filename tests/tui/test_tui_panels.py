"""Persona activation, decision tree, checklist and workflow panels, narrow layout."""

from __future__ import annotations

from tui_helpers import QUESTION, make_app, send, settle, toasts, views

from tui.widgets.header import CopilotHeader
from tui.widgets.panels import (
    ChecklistPanel,
    ChecklistView,
    DecisionTreePanel,
    DecisionTreeView,
    SidePanels,
    WorkflowPanel,
)


def _badge(app) -> str:
    return app.query_one(CopilotHeader).badge


async def test_activation_toast_and_badge() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "idle" in _badge(app)
        await send(pilot, QUESTION)
        assert app.copilot.state.persona_active
        assert "backend · auto · active" in _badge(app)
        switched = [t for t in toasts(app) if "switched on" in t]
        assert switched and ("api" in switched[0] or "authentication" in switched[0])
        # F3 pins: auto -> on -> off -> auto.
        await pilot.press("f3")
        await settle(pilot)
        assert "pinned on" in _badge(app)
        await pilot.press("f3")
        await settle(pilot)
        assert "pinned off" in _badge(app) and "idle" in _badge(app)
        await pilot.press("f3")
        await settle(pilot)
        assert app.copilot.state.persona_mode == "auto"


async def test_tree_points_to_websocket_for_real_time() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        panel = app.query_one(DecisionTreePanel)
        assert "Real-time → WebSocket" in panel.highlighted_label
        assert "real-time" in panel.highlighted_label.lower().split("←")[-1]


async def test_the_panel_opens_the_tree_the_question_is_about_and_the_answer_names_its_cards() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.query_one(DecisionTreePanel)
        assert str(panel.border_title) == "Technology Decision Tree"  # the first, until asked
        await send(pilot, "Which database for an orders service with complex relations?")
        assert str(panel.border_title) == "Database by Access Pattern"
        assert "Relations and transactions → Relational" in panel.highlighted_label
        branches = {str(n.label): n.is_expanded for n in panel.tree.root.children}
        assert branches["Data Requirements → Access Pattern?"] is True
        assert branches["API Requirements → Data Complexity?"] is False
        answer = views(app, "assistant")[-1]
        assert [c.id for c in answer.message.cards] == ["database-choice"]
        detail = str(panel.query_one("#tree-detail").render())
        assert "Cards: Choosing a database by access pattern" in detail
        # a question about another decision moves the panel with it
        await send(pilot, "How should our internal services authenticate to each other with mTLS?")
        assert str(panel.border_title) == "Authentication Method"
        assert "→ mTLS" in panel.highlighted_label


async def test_enter_on_a_tree_option_asks_about_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.query_one(DecisionTreeView)
        tree.focus()
        await pilot.pause()
        # first line is the question; the next is the first option (Simple CRUD -> REST).
        tree.cursor_line = 1
        await pilot.press("enter")
        await settle(pilot)
        user = views(app, "user")
        assert len(user) == 1 and "REST" in user[0].message.content
        assert app.copilot.state.tree is not None and app.copilot.state.tree.chosen
        assert "Simple CRUD → REST" in app.query_one(DecisionTreePanel).highlighted_label
        assert views(app, "assistant")[-1].message.status == "complete"


async def test_checklist_suggestions_toggle_and_clear() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await send(pilot, QUESTION)
        panel = app.query_one(ChecklistPanel)
        auth = [i for i in app.copilot.persona.all_checklist_items() if i.area == "Authentication"]
        suggested = [i for i in auth if app.copilot.state.checklist.get(i.id)
                     and app.copilot.state.checklist[i.id].state == "suggested"]
        assert suggested, "the message about authentication suggests Authentication items"
        first = suggested[0]
        assert panel.item_state_label(first.id).startswith("◇")
        tree = app.query_one(ChecklistView)
        tree.focus()
        node = panel._item_nodes[first.id][1]
        tree.move_cursor(node)
        await pilot.pause()
        assert "Suggested by" in str(panel.query_one("#checklist-detail").content)
        await pilot.press("space")
        await settle(pilot)
        assert app.copilot.state.checklist[first.id].state == "done"
        assert panel.item_state_label(first.id).startswith("☑")
        assert "Checklist 1/" in str(panel.border_title)
        await pilot.press("space")
        await settle(pilot)
        assert app.copilot.state.checklist[first.id].state == "open"
        if len(suggested) > 1:
            tree.move_cursor(panel._item_nodes[suggested[1].id][1])
            await pilot.press("x")
            await settle(pilot)
            assert app.copilot.state.checklist[suggested[1].id].state == "open"
            assert panel.item_state_label(suggested[1].id).startswith("☐")


async def test_phase_steps_by_key_and_by_command() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        phases = [p.name for p in app.copilot.persona.phases]
        workflow = app.query_one(WorkflowPanel)
        assert workflow.current == phases[0]
        workflow.focus()
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.copilot.workflow.current_name == phases[1]
        assert workflow.current == phases[1]
        await pilot.press("ctrl+right")  # outside the input, Ctrl+→ steps too
        await settle(pilot)
        assert workflow.current == phases[2]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert workflow.current == phases[1]
        await send(pilot, "/phase next")
        assert workflow.current == phases[2]
        assert f"Phase: {phases[2]}" in " ".join(
            str(n.content) for n in app.query(".notice-phase")
        )


async def test_narrow_terminal_folds_the_panels() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panels = app.query_one(SidePanels)
        assert not panels.display
        await pilot.press("ctrl+b")
        assert panels.display
        await pilot.press("ctrl+b")
        assert not panels.display
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert panels.display


async def test_audit_ticks_the_checklist_with_evidence_and_enter_shows_it() -> None:
    from pathlib import Path

    from tui_helpers import record_toasts

    from agent.copilot import Copilot
    from tui.app import CopilotApp

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "python_api"
    app = CopilotApp(copilot_factory=lambda: Copilot.start(
        cli={"provider": "offline", "stream_delay": 0}, root=fixture), theme="textual-dark")
    record_toasts(app)
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        await send(pilot, "/audit")
        assert app.copilot.state.audit is not None, toasts(app)
        assert any(t.startswith("Audit: 6 done, 5 missing, 6 unknown; 9 findings") for t in toasts(app))
        panel = app.query_one(ChecklistPanel)
        items = {i.text: i.id for i in app.copilot.persona.all_checklist_items()}
        rate = items["Rate limiting"]
        assert panel.item_state_label(rate).startswith("✔ Rate limiting  ← app/main.py:19")
        assert panel.item_state_label(items["RBAC"]).startswith("✗ RBAC  not found in code")
        assert panel.item_state_label(items["Encryption at rest/transit"]).startswith("☐")
        assert "audit ✔4 ✗5" in str(panel.border_title)
        tree = app.query_one(ChecklistView)
        tree.focus()
        tree.move_cursor(panel._item_nodes[rate][1])
        await pilot.pause()
        assert "app/main.py:19" in panel.detail_text()
        assert "requirements.txt:5" not in panel.detail_text()
        await pilot.press("enter")
        await pilot.pause()
        detail = panel.detail_text()
        assert "app/main.py:24  @limiter.limit(\"10/minute\")" in detail
        assert "requirements.txt:5  slowapi==0.1.9" in detail
        # The user's own tick stays distinct from the audit's mark.
        await pilot.press("space")
        await settle(pilot)
        assert panel.item_state_label(rate).startswith("☑")
