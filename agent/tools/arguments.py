"""Reading a tool call's arguments: typed getters that answer a wrong or missing argument
with a ToolError line the model can act on.

Why a module: read, grep, glob, edit, write and bash (read_tools, edit_tools, shell) all
check their arguments the same way.
"""

from __future__ import annotations

from typing import Any

from agent.tools.root import ToolError


def arg_str(args: dict[str, Any], key: str, *, required: bool = True, default: str = "") -> str:
    value = args.get(key)
    if value is None:
        if required:
            raise ToolError(f"Missing required argument '{key}'.")
        return default
    if not isinstance(value, str):
        raise ToolError(f"Argument '{key}' must be a string.")
    return value


def arg_int(args: dict[str, Any], key: str, default: int | None) -> int | None:
    value = args.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ToolError(f"Argument '{key}' must be a whole number.")
    return int(value)


def arg_bool(args: dict[str, Any], key: str) -> bool:
    value = args.get(key, False)
    if not isinstance(value, bool):
        raise ToolError(f"Argument '{key}' must be true or false.")
    return value
