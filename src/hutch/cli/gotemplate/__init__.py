"""Go's text/template as docker's ``--format`` uses it: lexer, parser and evaluator.

What docker users write: actions ``{{.A.B}}``, ``{{.}}``, ``$`` and variables (``:=``, ``=``),
pipelines ``{{.A | lower}}``, parenthesized arguments, literals (Go quoting, raw strings,
numbers, chars, bools, nil), comments, trim markers ``{{-``/``-}}``; ``if``/``else if``/
``else``/``end``, ``range`` (lists, maps in sorted key order, ints, ``else``, ``break``,
``continue``), ``with`` (and ``else with``), ``define``/``template``/``block``; Go's builtins
(and, or, not, eq, ne, lt, le, gt, ge, len, index, slice, print, printf, println, html, js,
urlquery, call: printf is fmt's, verbs, flags, widths and complaints) and docker's
(github.com/docker/cli/templates: json, split, join, title, lower, upper, pad, truncate).

Data are Python values: dicts (a key by field syntax, Go's map), `Struct` (a dict that stands
for one of docker's formatter contexts: an unknown field is an error), objects (their public
attributes), lists, str, int, float, bool, None; a callable found as a field is a method
(docker's ``{{.Label "key"}}``). ``{{.}}`` of a dict prints as fmt does (``map[a:1 b:2]``),
``json`` as docker's (encoding/json, keys sorted, no HTML escaping).

Errors are one line, Go's and docker's: ``template parsing error: template: :1: unexpected "}"
in operand``; ``template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate
field Nope in type *formatter.ContainerContext`` (docker's formatter words an execution error
so too). `write` is docker's formatter (formatter.Context.Write): `prepare` (the ``table``
prefix, ``json``, ``\\t``), the rows, `header` and `tabwrite` (its tabwriter).

Checked against the docker CLI: `docker version --format` evaluates a template client-side,
`docker context ls --format` runs docker's formatter (tests/unit/data/gotemplate_docker*.jsonl).
It imports nothing heavy (no ``re``, ``typing`` or ``json``): ``hutch ps`` loads it.
"""

from __future__ import annotations

from hutch.cli.gotemplate.evaluate import Template, execute, parse, render
from hutch.cli.gotemplate.formatter import header, prepare, tabwrite, write
from hutch.cli.gotemplate.funcs import FUNCS, HEADER_FUNCS
from hutch.cli.gotemplate.printf import sprint, sprintf
from hutch.cli.gotemplate.values import (
    MISSING,
    GoMap,
    Struct,
    TemplateError,
    go_float,
    go_json,
    go_quote,
    sprint_value,
    type_name,
)

__all__ = [
    "FUNCS",
    "HEADER_FUNCS",
    "MISSING",
    "GoMap",
    "Struct",
    "Template",
    "TemplateError",
    "execute",
    "go_float",
    "go_json",
    "go_quote",
    "header",
    "parse",
    "prepare",
    "render",
    "sprint",
    "sprint_value",
    "sprintf",
    "tabwrite",
    "type_name",
    "write",
]
