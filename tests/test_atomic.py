"""Whole-file writes are all or nothing: a full disk never leaves the user's file cut short."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent.atomic import write_atomic

ROOT = Path(__file__).resolve().parents[1]

# Runs the real edit tool with the file size limit at 4 KiB: any write past it fails with
# EFBIG, as on a full disk (ENOSPC) — the same "the write stopped half way" fault.
_EDIT_UNDER_LIMIT = textwrap.dedent("""
    import asyncio, json, resource, sys
    from agent.tools import BUILTIN, ProjectRoot, Toolbox
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    box = Toolbox(ProjectRoot(sys.argv[1]), [s for s in BUILTIN if s.name in ("edit", "write")])
    async def yes(request):
        return "once"
    async def main():
        big = "x" * 20000
        if sys.argv[2] == "edit":
            args = {"path": "app.py", "old_string": "VALUE = 1", "new_string": "VALUE = '" + big + "'"}
        else:
            args = {"path": "app.py", "content": big}
        out = await box.run(sys.argv[2], json.dumps(args), approver=yes, allowed=set())
        print(out.status, out.content)
    asyncio.run(main())
""")


@pytest.mark.parametrize("tool", ["edit", "write"])
def test_a_write_that_fails_half_way_leaves_the_original_untouched(tmp_path: Path, tool: str) -> None:
    original = "".join(f"VALUE_{i} = {i}\n" for i in range(100)) + "VALUE = 1\n"
    target = tmp_path / "app.py"
    target.write_text(original)
    done = subprocess.run(
        [sys.executable, "-c", _EDIT_UNDER_LIMIT, str(tmp_path), tool],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("error"), done.stdout
    assert "Cannot write 'app.py'" in done.stdout
    assert target.read_text() == original  # not cut, not emptied
    assert [p.name for p in tmp_path.iterdir()] == ["app.py"]  # no temporary file left


def test_mode_bits_are_kept_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("echo old\n")
    script.chmod(0o750)
    write_atomic(script, "echo new\n")
    assert script.read_text() == "echo new\n"
    assert script.stat().st_mode & 0o777 == 0o750
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640
    write_atomic(tmp_path / "secret.txt", "k", mode=0o600)
    assert (tmp_path / "secret.txt").stat().st_mode & 0o777 == 0o600


def test_an_export_that_cannot_be_written_leaves_the_old_export(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    target.write_text("the earlier export\n")
    code = textwrap.dedent("""
        import resource, sys
        from agent.export.render import _write_private
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
        try:
            _write_private(__import__('pathlib').Path(sys.argv[1]), "y" * 10000)
        except OSError as exc:
            print("failed", exc.errno)
    """)
    done = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.stdout.startswith("failed"), done.stdout + done.stderr
    assert target.read_text() == "the earlier export\n"
