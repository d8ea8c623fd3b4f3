"""The parse tree of a template (Go's parse.Node kinds, each printing as Go prints it in an
execution error's ``at <...>``) and strconv.Unquote for its literals."""

from __future__ import annotations


class Node:
    __slots__ = ("pos",)
    pos: int


class Text(Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        self.pos, self.text = pos, text


class Lit(Node):
    """A literal: bool, number, string, nil, dot (``text`` as written; ``value``)."""

    __slots__ = ("kind", "text", "value")

    def __init__(self, pos: int, kind: int, text: str, value: object) -> None:
        self.pos, self.kind, self.text, self.value = pos, kind, text, value

    def __str__(self) -> str:
        return self.text


class Field(Node):
    """``.A.B`` (``base`` None) or ``$x.A`` (``base`` "$x")."""

    __slots__ = ("base", "names")

    def __init__(self, pos: int, base: str | None, names: list[str]) -> None:
        self.pos, self.base, self.names = pos, base, names

    def __str__(self) -> str:
        return (self.base or "") + "".join("." + n for n in self.names)


class Ident(Node):
    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        self.pos, self.name = pos, name

    def __str__(self) -> str:
        return self.name


class Chain(Node):
    """``(pipeline).A.B``"""

    __slots__ = ("names", "node")

    def __init__(self, pos: int, node: Node, names: list[str]) -> None:
        self.pos, self.node, self.names = pos, node, names

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return inner + "".join("." + n for n in self.names)


class Cmd(Node):
    __slots__ = ("args",)

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.args: list[Node] = []

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


class Pipe(Node):
    __slots__ = ("assign", "cmds", "decl")

    def __init__(self, pos: int) -> None:
        self.pos, self.assign = pos, False
        self.decl: list[str] = []
        self.cmds: list[Cmd] = []

    def __str__(self) -> str:
        head = ", ".join(self.decl) + (" = " if self.assign else " := ") if self.decl else ""
        return head + " | ".join(str(c) for c in self.cmds)


class Action(Node):
    __slots__ = ("pipe",)

    def __init__(self, pos: int, pipe: Pipe) -> None:
        self.pos, self.pipe = pos, pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class Control(Node):
    """if, range, with: ``body`` and ``orelse`` are node lists."""

    __slots__ = ("body", "kind", "orelse", "pipe")

    def __init__(self, pos: int, kind: str, pipe: Pipe, body: list[Node], orelse: list[Node]) -> None:
        self.pos, self.kind, self.pipe, self.body, self.orelse = pos, kind, pipe, body, orelse

    def __str__(self) -> str:
        return "{{" + self.kind + " " + str(self.pipe) + "}}"


class Mark(Node):
    """``{{end}}``, ``{{else}}``, ``{{break}}``, ``{{continue}}``."""

    __slots__ = ("word",)

    def __init__(self, pos: int, word: str) -> None:
        self.pos, self.word = pos, word

    def __str__(self) -> str:
        return "{{" + self.word + "}}"


class Call(Node):
    """``{{template "name" pipeline}}`` (and a ``block``'s call)."""

    __slots__ = ("name", "pipe", "quoted")

    def __init__(self, pos: int, name: str, quoted: str, pipe: Pipe | None) -> None:
        self.pos, self.name, self.quoted, self.pipe = pos, name, quoted, pipe

    def __str__(self) -> str:
        return "{{template " + self.quoted + (f" {self.pipe}" if self.pipe else "") + "}}"


BOOLK, NUMK, STRK, NILK, DOTK = range(5)

# ---- parsing -------------------------------------------------------------------------------


def unquote(s: str) -> str:
    """Go's strconv.Unquote of a "..." or `...` literal (ValueError: invalid syntax)."""
    if s[0] == "`":
        return s[1:-1].replace("\r", "")
    body, out, i = s[1:-1], [], 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", s[0]: s[0]}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(e)
        if width:
            digits = body[i + 2:i + 2 + width]
            if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError("invalid syntax")
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code < 0xE000:
                raise ValueError("invalid syntax")
            out.append(chr(code))
            i += 2 + width
        elif e in "01234567":
            digits = body[i + 1:i + 4]
            if len(digits) != 3 or not all(d in "01234567" for d in digits) or int(digits, 8) > 255:
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError("invalid syntax")
    return "".join(out)
