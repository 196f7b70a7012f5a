"""Lists in a streamed answer: written piece by piece, they read exactly as the same text
rendered in one piece, and the items already on screen stay (only the growing one changes)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Markdown
from tui_helpers import make_app, settle, until

from agent.session.models import Message
from tui.transcript import stream as streaming
from tui.transcript.message import MessageView
from tui.transcript.stream import parts_of
from tui.transcript.window import ChatView

SIZE = (100, 70)

NUMBERED = "## Rolling back a shard migration, step by step\n\nRun the migration in order:\n\n" + "".join(
    f"{n}. step {n}: copy the `orders` rows of shard {n}, then check the counts\n"
    for n in range(1, 13)
)
BULLETS = "\nBefore you start:\n\n" + "".join(
    f"- check the **{name}** replica\n  - lag under one second\n"
    for name in ("first", "second", "third", "fourth")
)
ANSWER = NUMBERED + BULLETS + "\nThat is all.\n"


def view_lines(app, view: Widget) -> list[str]:
    """The view's lines as drawn on the screen, as plain text."""
    region = view.region
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return [line[region.x:region.right].rstrip() for line in lines[region.y:region.bottom]]


async def written(pilot: Pilot, view: MessageView) -> None:
    """Until every queued piece has reached the Markdown and the screen is laid out."""
    stream = view.stream
    await until(pilot, lambda: not stream._pending and stream._flush_timer is None
                and not stream._flush_lock.locked())
    await pilot.pause()


async def mount_streaming(chat: ChatView, message_id: str) -> MessageView:
    """An answer that has only just started, on screen: the test feeds its text."""
    message = Message(id=message_id, role="assistant", content="", status="streaming",
                      ts="2026-01-01T00:00:00+00:00")
    view = MessageView(message, "backend")
    await chat.mount(view)
    return view


def items_of(view: MessageView, kind: str) -> list[Widget]:
    lists = list(view.query(kind))
    return list(lists[0].children) if lists else []  # the outer list, not a nested one


async def test_a_list_streamed_in_pieces_reads_as_rendered_whole_and_keeps_its_items(
    monkeypatch,
) -> None:
    monkeypatch.setattr(streaming, "FLUSH_EVERY", 0.001)  # each piece written at once
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.query_one(ChatView)
        view = await mount_streaming(chat, "lists")
        message = view.message
        first_bullet_item: Widget | None = None
        heading: Widget | None = None
        # Pieces of 37 characters: cuts fall inside items, words and the `**` marks.
        for end in range(37, len(ANSWER) + 37, 37):
            message.content = ANSWER[:end]
            view.catch_up()
            await written(pilot, view)
            if heading is None and view.query("MarkdownH2"):
                heading = view.query_one("MarkdownH2")  # first shown part-way through
            bullets = items_of(view, "MarkdownBulletList")
            if first_bullet_item is None and len(bullets) >= 2:
                first_bullet_item = bullets[0]
        assert len(parts_of(view)) == 1
        streamed = view_lines(app, parts_of(view)[0])
        # The bullet list grew from two items to four: its first item is the one first shown.
        bullets = items_of(view, "MarkdownBulletList")
        assert len(bullets) == 4 and first_bullet_item is bullets[0]
        # The heading, cut after 37 characters, took the rest of its text in place.
        assert heading is view.query_one("MarkdownH2")

        whole = MessageView(Message(id="whole", role="assistant", content=ANSWER,
                                    status="complete", ts="2026-01-01T00:00:01+00:00"),
                            "backend")
        await view.remove()
        await chat.mount(whole)
        await until(pilot, lambda: bool(whole.query("MarkdownBulletList")))
        await pilot.pause()
        rendered = view_lines(app, parts_of(whole)[0])
    # The numbered list passed 9 items (every number widened: " 1." under "10."), the nested
    # bullets and the bold text were cut mid-way: line for line the same as one piece.
    assert any("10. step 10" in line for line in rendered)
    assert any(" 1. step 1:" in line for line in rendered)
    assert any("Rolling back a shard migration, step by step" in line for line in rendered)
    assert streamed == rendered


def sections(count: int) -> str:
    """Answer-like Markdown: heading, paragraph, lists, code and a table per section."""
    out = []
    for n in range(1, count + 1):
        bullets = "".join(f"- keep the **{w}** index warm for shard {n}\n" for w in "abcd")
        numbered = "".join(f"{i}. replay the log from offset {i * n}\n" for i in (1, 2, 3))
        rows = "".join(f"| replica-{i} | {i * n} ms | yes |\n" for i in range(5))
        out.append(
            f"## Part {n}: replicas\n\nRead from the nearest replica unless the request "
            f"needs its own write back; part {n} says why.\n\n{bullets}\n{numbered}\n"
            f"```python\nrows = replica.fetch(shard={n})\n```\n\n"
            f"| replica | lag | healthy |\n|---|---|---|\n{rows}\nThat was part {n}.\n\n"
        )
    return "".join(out)


async def test_streaming_makes_few_widgets_twice(monkeypatch) -> None:
    """A streamed answer mounts its blocks about once: a growing list keeps its items and
    parts are cut where the blocks made again are small (a paragraph, a heading), not a
    table. Counted against the same text rendered in one piece. And its headings post
    nothing up the tree."""
    from textual.app import App

    mounted: list[int] = [0]
    register = App._register

    def counting(self, parent, *widgets, **kwargs):
        mounted[0] += len(widgets)
        return register(self, parent, *widgets, **kwargs)

    monkeypatch.setattr(App, "_register", counting)
    monkeypatch.setattr(streaming, "FLUSH_EVERY", 0.001)
    # Nothing here shows a table of contents: the one Markdown posts after each append that
    # brings a heading must not travel up to the message, the screen and the App.
    passed_up: list[object] = []
    post = MessageView.post_message

    def recording_post(self: MessageView, message) -> bool:
        if isinstance(message, Markdown.TableOfContentsUpdated):
            passed_up.append(message)
        return post(self, message)

    monkeypatch.setattr(MessageView, "post_message", recording_post)
    answer = sections(6)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.query_one(ChatView)
        view = await mount_streaming(chat, "long")
        message = view.message
        await pilot.pause()
        mounted[0] = 0
        for end in range(240, len(answer) + 240, 240):
            message.content = answer[:end]
            view.catch_up()
            await written(pilot, view)
        streamed = mounted[0]
        await view.remove()
        await pilot.pause()

        mounted[0] = 0
        whole = MessageView(Message(id="whole", role="assistant", content=answer,
                                    status="complete", ts="2026-01-01T00:00:01+00:00"),
                            "backend")
        await chat.mount(whole)
        await until(pilot, lambda: len(whole.query("MarkdownTable")) == 6)
        once = mounted[0]
    # 1.25x here; 1.38x with lists made again whole, 1.43x with the earliest cuts, 1.56x both.
    assert streamed <= 1.3 * once, (streamed, once)
    assert passed_up == []
