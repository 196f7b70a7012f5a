"""The built-in tools an agent file can grant: read, grep, glob, edit, write, bash.

Each one works only inside the project root (see root.py). Failures are ToolError lines the
model reads and can act on ("'x' not found; use glob to list files"), never exceptions that
end the answer. Blocking file work runs in a thread so the screen keeps painting.
"""

from __future__ import annotations

from agent.tools.base import ToolSpec
from agent.tools.edit_tools import EDIT, WRITE
from agent.tools.read_tools import GLOB, GREP, READ
from agent.tools.shell import BASH

BUILTIN: tuple[ToolSpec, ...] = (READ, GREP, GLOB, EDIT, WRITE, BASH)
