"""kill -9 in the middle of a streamed answer: nothing completed is lost, the partial answer
is on disk up to the last flush (at most 0.2 s old, even when the model stalls) and comes
back marked 'interrupted'."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from oai_server import OAIServer, hang, text
from rel_helpers import (
    ROOT,
    PtyApp,
    cli_cmd,
    cli_env,
    file_has,
    kill9,
    oai_args,
    run_cli,
    wait_for,
)

from agent.session.journal import Session

STALLED = ["alpha ", "beta ", "gamma"]  # streamed at once, then the model stalls


def _first_exchange(oai_server: OAIServer) -> str:
    oai_server.script(text("The first answer is complete.", chunks=3))
    done = run_cli("ask", "--json", *oai_args(oai_server.base_url), "first question")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["session"]


def _assert_resumed(session_id: str, second_question: str) -> None:
    state = Session.open(session_id, read_only=True).state
    roles = [(m.role, m.status) for m in state.messages]
    assert roles == [
        ("user", "complete"), ("assistant", "complete"),
        ("user", "complete"), ("assistant", "interrupted"),
    ]
    assert state.messages[0].content == "first question"
    assert state.messages[1].content == "The first answer is complete."
    assert state.messages[2].content == second_question
    assert state.messages[3].content == "".join(STALLED)


def test_kill_9_of_ask_mid_stream_keeps_everything(
    oai_server: OAIServer, isolated_dirs: dict
) -> None:
    session_id = _first_exchange(oai_server)
    log = isolated_dirs["data"] / "sessions" / f"{session_id}.jsonl"
    oai_server.script(hang(120, after=STALLED))
    proc = subprocess.Popen(
        cli_cmd("ask", "--resume", session_id, *oai_args(oai_server.base_url), "second question"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=ROOT,
    )
    try:
        # The stall means no further chunk arrives: only the timed flush can write "gamma".
        wait_for(file_has(log, "gamma"), "the streamed text to reach the session file")
    finally:
        kill9(proc)
    _assert_resumed(session_id, "second question")

    # The dead process's lock is no obstacle: the session continues at once.
    oai_server.script(text("Third answer."))
    again = run_cli("ask", "--resume", session_id, *oai_args(oai_server.base_url), "third")
    assert again.returncode == 0, again.stderr
    state = Session.open(session_id, read_only=True).state
    assert [m.content for m in state.messages][-2:] == ["third", "Third answer."]
    assert state.messages[3].status == "interrupted"


def test_kill_9_of_the_app_mid_stream_keeps_everything(
    oai_server: OAIServer, isolated_dirs: dict
) -> None:
    session_id = _first_exchange(oai_server)
    sessions: Path = isolated_dirs["data"] / "sessions"
    log = sessions / f"{session_id}.jsonl"
    oai_server.script(hang(120, after=STALLED))
    app = PtyApp([*oai_args(oai_server.base_url), f"--resume={session_id}"], cli_env())
    try:
        wait_for((sessions / f"{session_id}.lock").exists, "the app to open the session")
        wait_for(lambda: b"first answer" in app.output, "the resumed transcript on screen")
        app.type("second question")
        polls = 0

        def submitted() -> bool:
            nonlocal polls
            if file_has(log, "second question")():
                return True
            polls += 1
            if polls % 20 == 1:
                app.type("\r")  # Enter (again, in case the app was still settling)
            return False

        wait_for(submitted, "the question to be sent")
        wait_for(file_has(log, "gamma"), "the streamed text to reach the session file")
    finally:
        app.close()
    _assert_resumed(session_id, "second question")
