"""What every `inspect` verb shares (containers, images, either, volumes, networks): one document
per reference as docker prints them, a JSON list, and one error line per reference not found;
with ``-f/--format``, docker's template on each document, a line each (cli/command/inspect).

docker runs the template on its typed struct (types.ContainerJSON...), and when that fails, on
the document as a plain map with ``missingkey=error``. So a field the document lacks is docker's
error ``map has no entry for key "Nope"`` and a missing key of one of the document's Go maps
(``.Config.Labels.k``, ``.NetworkSettings.Networks.x``) prints ``<no value>``: here the
document's maps are `GoMap`s and the rest runs strict.
"""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from hutch.cli.pflag import Parser

#: the fields of docker's inspect types that are Go maps (the rest of a document are structs)
MAPS = frozenset({"Labels", "Options", "Networks", "Ports", "ExposedPorts", "Volumes", "Containers",
                  "DriverOpts", "Annotations", "Sysctls", "StorageOpt", "Tmpfs", "Status", "Peers",
                  "ConfigFrom", "Data", "Config:LogConfig"})
#: the fields docker's typed structs have where the JSON omits them (``omitempty``), by list
DEFAULTS = {"Mounts": {"Name": "", "Driver": "", "Mode": "", "Propagation": ""}}
#: docker's exit status for a template that does not parse (cli.StatusError{StatusCode: 64})
TEMPLATE_PARSE_STATUS = 64


def _typed(value: Any, key: str = "", parent: str = "") -> Any:
    """The document with its Go maps marked (`GoMap`): keys named in `MAPS`, or ``key:parent``."""
    from hutch.cli.gotemplate import GoMap

    if isinstance(value, list):
        zero = DEFAULTS.get(key, {})
        return [_typed({**zero, **v} if isinstance(v, dict) else v) for v in value]
    if not isinstance(value, dict):
        return value
    if key in MAPS or f"{key}:{parent}" in MAPS:
        return GoMap({k: _typed(v) for k, v in value.items()})
    return {k: _typed(v, k, key) for k, v in value.items()}


def flags(p: Parser) -> None:
    """``-f/--format`` of every inspect verb."""
    p.add_argument("-f", "--format", default="", help="json or a Go template run on each object")


def print_documents(refs: Iterable[str], document: Callable[[str], Any],
                    missing: Callable[[str, HutchError], str], fmt: str = "") -> int:
    """Print ``document(ref)`` of each ref as one JSON list (docker's indent; ``json``: compact),
    or ``fmt`` run on each; for a ref that raises HutchError, the line ``missing(ref, err)`` on
    stderr. 0, or 1 if one was missing or a template failed (64: it does not parse)."""
    import json

    tmpl = None
    if fmt and fmt != "json":
        from hutch.cli import gotemplate

        try:
            tmpl = gotemplate.parse(fmt)
        except gotemplate.TemplateError as err:
            sys.stderr.write(f"Error: {err}\n")
            return TEMPLATE_PARSE_STATUS
    docs, lines, code = [], [], 0
    for ref in refs:
        try:
            doc = document(ref)
        except HutchError as err:
            sys.stderr.write(missing(ref, err) + "\n")
            code = 1
            continue
        if tmpl is None:
            docs.append(doc)
            continue
        try:
            lines.append(gotemplate.execute(tmpl, _typed(json.loads(json.dumps(doc)))) + "\n")
        except gotemplate.TemplateError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    if tmpl is not None:
        sys.stdout.write("".join(lines) or "\n")
    elif fmt == "json":
        sys.stdout.write(json.dumps(docs, separators=(",", ":"), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(json.dumps(docs, indent=4) + "\n")
    return code
