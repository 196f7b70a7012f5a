"""Shared pieces of the fault suite: run the real `backend-copilot` as a process, wait for
conditions (never for a fixed time), drop root's privileges so permission faults are real."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import pty
import resource
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # generous: a shared 2-core machine can be very slow, and we only poll

ESCAPES = (
    "\x1b[31mred\x1b[0m "  # CSI colour
    "\x1b[2J\x1b[H"  # CSI clear screen, cursor home
    "\x1b]52;c;SGVsbG8gY2xpcGJvYXJk\x07"  # OSC 52 clipboard write
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ "  # OSC 8 hyperlink
    "\x07bell \x9b31m8-bit CSI"
)
MARKUP = ("[bold red]x[/]", "[/]", "[link=file:///etc/passwd]x[/link]")
FORBIDDEN_CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0))]


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def cli_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", *args]


def run_cli(
    *args: str,
    input: bytes | None = None,  # noqa: A002 - mirrors subprocess.run
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
    timeout: float = WAIT,
) -> subprocess.CompletedProcess[bytes]:
    """The command as a user runs it; output kept as bytes so nothing is hidden by decoding."""
    return subprocess.run(
        cli_cmd(*args), input=input, capture_output=True, env=env or cli_env(), cwd=ROOT,
        timeout=timeout, preexec_fn=preexec,
    )


def oai_args(base_url: str) -> list[str]:
    return ["--provider", "openai", "--base-url", base_url, "--model", "test-model"]


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    """Poll until condition() is truthy; fail naming `what` after a generous timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {what}")


def file_has(path: Path, needle: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return needle.encode() in path.read_bytes()
        except OSError:
            return False

    return check


def kill9(proc: subprocess.Popen[bytes] | int) -> None:
    pid = proc if isinstance(proc, int) else proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not isinstance(proc, int):
        proc.wait(timeout=WAIT)
    else:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


# -- privileges and limits -----------------------------------------------------------------

_PR_CAPBSET_DROP = 24
_DAC_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def drop_file_override() -> None:
    """preexec: as root, drop the capabilities that ignore file modes (so 0500 means it).

    The child execs with these gone from its bounding set, so it obeys permissions like any
    user. For a non-root user this does nothing: permissions already apply.
    """
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            os._exit(97)


def permissions_apply(tmp: Path) -> bool:
    """True when a child run with drop_file_override cannot write into a 0500 folder."""
    probe = tmp / "probe"
    probe.mkdir()
    probe.chmod(0o500)
    code = (
        "import sys\n"
        "try:\n"
        f"    open({str(probe / 'x')!r}, 'w')\n"
        "except PermissionError:\n"
        "    sys.exit(0)\n"
        "sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], preexec_fn=drop_file_override)
    probe.chmod(0o700)
    return result.returncode == 0


def file_size_limit(limit: int) -> Callable[[], None]:
    """preexec: writes beyond `limit` bytes fail with EFBIG, as on a full disk.

    (Python ignores SIGXFSZ, so the write raises instead of killing the process.)
    """

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


# -- the app in a pseudo-terminal ----------------------------------------------------------


class PtyApp:
    """The real TUI in a pseudo-terminal (120x40): type into it, read nothing, kill it."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        self.proc = subprocess.Popen(
            cli_cmd(*args), stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output.extend(data)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def kill(self) -> None:
        kill9(self.proc)
        with contextlib.suppress(OSError):
            os.close(self.master)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
