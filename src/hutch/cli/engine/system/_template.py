"""A stopgap for docker's ``--format`` of `version`, `info` and `events`.

TO BE REPLACED by ``hutch.cli.gotemplate`` (Go's text/template, written on another branch):
its ``render(text, data)`` takes the same arguments, so each caller changes one import.

What it does: literal text, ``\\t`` and ``\\n`` as docker's formatter reads them,
``{{json .}}``, ``{{json .A.B}}`` and ``{{.A.B}}`` (field paths into dicts; a dict or list
prints as JSON, a bool as Go's true/false). Anything else is docker's parsing error.
"""

from __future__ import annotations

import json

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _field(data: Any, path: str, text: str) -> Any:
    value = data
    for name in [p for p in path.split(".") if p]:
        if not isinstance(value, dict) or name not in value:
            raise HutchError(f'template: :1: executing "" at <.{path.strip(".")}>: '
                             f"can't evaluate field {name}")
        value = value[name]
    return value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def render(text: str, data: Any) -> str:
    """``text`` with every action evaluated against ``data``."""
    out: list[str] = []
    rest = text.replace("\\t", "\t").replace("\\n", "\n")
    while True:
        start = rest.find("{{")
        if start < 0:
            out.append(rest)
            return "".join(out)
        end = rest.find("}}", start)
        if end < 0:
            raise HutchError('template parsing error: template: :1: unclosed action')
        out.append(rest[:start])
        expr = rest[start + 2:end].strip(" -")
        if expr.startswith("json ") and expr[5:].strip().startswith("."):
            out.append(json.dumps(_field(data, expr[5:].strip(), text), separators=(",", ":")))
        elif expr.startswith("."):
            out.append(_show(_field(data, expr, text)))
        else:
            raise HutchError(f'template parsing error: template: :1: function "{expr.split()[0]}" '
                             "not defined" if expr else "template parsing error: template: :1: missing value")
        rest = rest[end + 2:]
