"""docker's formatter around a template (cli/command/formatter): the ``table`` and ``json``
formats, a line per row, the header row from the caller's column titles, and the tabwriter."""

from __future__ import annotations

from hutch.cli.gotemplate.evaluate import Template, execute, parse
from hutch.cli.gotemplate.funcs import HEADER_FUNCS
from hutch.cli.gotemplate.values import TemplateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def prepare(fmt: str) -> tuple[bool, str]:
    """docker's preFormat: (whether it is a ``table``, the template to run). ``json`` is
    ``{{json .}}``; spaces around are trimmed; the two characters ``\\t`` and ``\\n`` are a
    tab and a newline."""
    table = fmt.startswith("table")
    body = fmt[5:] if table else "{{json .}}" if fmt == "json" else fmt
    body = body.strip(" ")
    out, i = [], 0
    while i < len(body):
        if body.startswith(("\\t", "\\n"), i):
            out.append("\t" if body[i + 1] == "t" else "\n")
            i += 2
        else:
            out.append(body[i])
            i += 1
    return table, "".join(out)


def header(tmpl: Template, headers: Mapping[str, object]) -> str:
    """The header row of a ``table``: the template run on ``headers`` (the field names' column
    titles, "ID" -> "CONTAINER ID") with docker's header functions, which keep a title whole.
    As docker, an error ends the row where it happened."""
    out: list[str] = []
    try:
        return tmpl.execute(dict(headers), funcs={**tmpl.funcs, **HEADER_FUNCS}, partial=out)
    except TemplateError:
        return "".join(out)


def tabwrite(text: str, minwidth: int = 10, padding: int = 3) -> str:
    """Go's text/tabwriter as docker's tables use it (minwidth 10, tabwidth 1, padding 3,
    padchar ' '): tab-terminated cells aligned in column blocks."""
    lines = [line.split("\t") for line in text.split("\n")]
    if lines and lines[-1] == [""]:
        lines.pop()
    out: list[str] = []
    widths: list[int] = []

    def emit(lo: int, hi: int) -> None:
        for cells in lines[lo:hi]:
            row = [c.ljust(widths[j]) if j < len(widths) else c for j, c in enumerate(cells[:-1])]
            out.append("".join(row) + cells[-1] + "\n")

    def fmt(lo: int, hi: int) -> None:
        col = len(widths)
        this = lo
        while this < hi:
            if col >= len(lines[this]) - 1:
                this += 1
                continue
            emit(lo, this)
            lo = this
            width = minwidth
            while this < hi and col < len(lines[this]) - 1:
                width = max(width, len(lines[this][col]) + padding)
                this += 1
            widths.append(width)
            fmt(lo, this)
            widths.pop()
            lo = this
        emit(lo, hi)

    fmt(0, len(lines))
    return "".join(out)


def write(fmt: str, rows: Iterable[object], headers: Mapping[str, object], strict: bool = True) -> str:
    """docker's formatter.Context.Write for a format the caller has resolved (its defaults for
    "" and "table"): a line per row, and for a ``table`` the header row and the tabwriter."""
    table, body = prepare(fmt)
    tmpl = parse(body)
    lines = [execute(tmpl, row, strict) + "\n" for row in rows]
    if not table:
        return "".join(lines)
    return tabwrite(header(tmpl, headers) + "\n" + "".join(lines))
