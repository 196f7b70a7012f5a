"""A built-in tool's arguments as one pydantic model: the JSON schema the model is sent is
generated from it, and a call's raw arguments are checked through it.

Why a module: read, grep, glob, edit, write and bash (read_tools, edit_tools, shell) describe
their arguments once, as a `ToolArgs` model, and all answer a wrong or missing argument with
the same ToolError lines the model can act on ("Missing required argument 'path'.").
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Strict,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from agent.lazy_model import LazyModel
from agent.tools.root import ToolError


class ToolArgs(LazyModel):
    """The base of a tool's argument model. An argument sent as null counts as missing (it
    takes its default, or is reported missing); arguments the model made up are ignored, while
    the schema still asks for none (`additionalProperties: false`)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"additionalProperties": False})

    @model_validator(mode="before")
    @classmethod
    def _null_is_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


def _integral(value: Any) -> Any:
    # JSON has one number type: 5.0 is the whole number 5 (5.5 is not; a bool never is).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, Strict(), BeforeValidator(_integral)]
"""An int that is not a bool, a string or a fraction; 5.0 is taken as 5."""


def says(line: str) -> WrapValidator:
    """Any wrong value of the annotated field is reported as `line` ('{name}' is the
    argument's name) instead of pydantic's own words: for arguments with a line of their own."""
    def wrap(value: Any, handler: core_schema.ValidatorFunctionWrapHandler,
             info: core_schema.ValidationInfo) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("tool_argument", line, {"name": info.field_name}) from None

    return WrapValidator(wrap)


# pydantic's error type -> the line the model reads; `says` lines come as they are.
_LINES = {
    "missing": "Missing required argument '{name}'.",
    "string_type": "Argument '{name}' must be a string.",
    "int_type": "Argument '{name}' must be a whole number.",
    "bool_type": "Argument '{name}' must be true or false.",
}

Args = TypeVar("Args", bound=ToolArgs)


def check_args(model: type[Args], args: dict[str, Any]) -> Args:
    """`args` checked through `model`; the first thing wrong becomes a one-line ToolError."""
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        raise ToolError(error_line(exc)) from None


def error_line(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    name = ".".join(str(part) for part in first["loc"]) or "arguments"
    line = _LINES.get(first["type"])
    if line is not None:
        return line.format(name=name)
    if first["type"] == "tool_argument":
        return first["msg"]
    return f"Argument '{name}' is not valid: {first['msg']}."


class _CompactSchema(GenerateJsonSchema):
    """Only what the model needs: no titles, no defaults (a description says a default that
    matters), so the tool definitions cost no more of the context window than before."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        generated = super().model_schema(schema)
        generated.pop("title", None)
        generated.pop("description", None)  # the model's docstring: the tool has its own
        return generated


@cache
def args_schema(model: type[ToolArgs]) -> dict[str, Any]:
    """The JSON schema of `model` for the `tools=[...]` entry, built at its first use."""
    return model.model_json_schema(schema_generator=_CompactSchema)


__all__ = ["ToolArgs", "WholeNumber", "args_schema", "check_args", "error_line", "says"]
