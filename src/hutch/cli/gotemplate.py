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

import _json

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any


class TemplateError(HutchError):
    """A template that does not parse, or fails while it executes (docker's one line)."""


class _GoError(Exception):
    """A function's error: becomes ``error calling NAME: ...``."""


class _Missing:
    """Go's invalid reflect.Value: a missing map key (prints ``<no value>``)."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()
_NOFINAL: Any = object()  # (no value piped in)

# ---- lexing ------------------------------------------------------------------------------

# token types
_TEXT, _LDELIM, _RDELIM, _SPACE, _FIELD, _VAR, _IDENT, _KEYWORD, _DOT = range(9)
_STRING, _RAW, _CHARC, _NUMBER, _BOOL, _NIL, _PIPE, _DECLARE, _ASSIGN = range(9, 18)
_LPAREN, _RPAREN, _CHAR, _EOF, _ERROR = range(18, 23)
_KEYWORDS = frozenset({"block", "break", "continue", "define", "else", "end", "if", "range",
                       "template", "with"})
_SPACES = " \t\r\n"


class _Tok:
    __slots__ = ("pos", "typ", "val")

    def __init__(self, typ: int, val: str, pos: int) -> None:
        self.typ, self.val, self.pos = typ, val, pos

    def __str__(self) -> str:  # Go's item.String()
        if self.typ == _EOF:
            return "EOF"
        if self.typ == _ERROR:
            return self.val
        if self.typ in (_KEYWORD, _NIL, _DOT):  # (Go's keyword items)
            return f"<{self.val}>"
        if len(self.val) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def _alnum(c: str) -> bool:
    return c == "_" or c.isalpha() or c.isdigit()


def _unicode(c: str) -> str:  # Go's %#U
    return f"U+{ord(c):04X} '{c}'"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[_Tok] = []
    def fail(self, msg: str, pos: int) -> None:
        """The lexer stops at an error: a token the parser meets in its turn (Go lexes lazily)."""
        self.toks.append(_Tok(_ERROR, msg, pos))

    def right_delim(self, p: int) -> tuple[bool, bool]:
        """(at the right delimiter, with a trim marker)"""
        t = self.text
        if p + 1 < len(t) and t[p] in _SPACES and t.startswith("-}}", p + 1):
            return True, True
        return t.startswith("}}", p), False

    def at_terminator(self, p: int) -> bool:
        t = self.text
        return p >= len(t) or t[p] in " \t\r\n.,|:()" or t.startswith("}}", p)

    def run(self) -> list[_Tok]:
        t, n, i = self.text, len(self.text), 0
        emit = self.toks.append
        while i < n:
            j = t.find("{{", i)
            if j < 0:
                emit(_Tok(_TEXT, t[i:], i))
                break
            trim = j + 3 < n and t[j + 2] == "-" and t[j + 3] in _SPACES
            text = t[i:j].rstrip(_SPACES) if trim else t[i:j]
            if text:
                emit(_Tok(_TEXT, text, i))
            p = j + (4 if trim else 2)
            if t.startswith("/*", p):
                end = t.find("*/", p + 2)
                if end < 0:
                    self.fail("unclosed comment", j)
                    break
                at, trim_right = self.right_delim(end + 2)
                if not at:
                    self.fail("comment ends before closing delimiter", j)
                    break
                i = end + 2 + (4 if trim_right else 2)
                while trim_right and i < n and t[i] in _SPACES:
                    i += 1
            else:
                emit(_Tok(_LDELIM, "{{", j))
                i = self.action(p)
                if i < 0:
                    break
                if self.toks[-1].val == " -}}":
                    self.toks[-1].val = "}}"
                    while i < n and t[i] in _SPACES:
                        i += 1
        self.toks.append(_Tok(_EOF, "", n))
        return self.toks

    def action(self, p: int) -> int:
        """Lex from inside ``{{`` to past ``}}``: the position after it, or -1 on an error."""
        t, n, emit, depth = self.text, len(self.text), self.toks.append, 0
        while True:
            at, trim = self.right_delim(p)
            if at:
                if depth:
                    self.fail("unclosed left paren", p)
                    return -1
                emit(_Tok(_RDELIM, " -}}" if trim else "}}", p))
                return p + (4 if trim else 2)
            if p >= n:
                self.fail("unclosed action", p)
                return -1
            c, start = t[p], p
            if c in _SPACES:
                while p < n and t[p] in _SPACES:
                    p += 1
                if t.startswith("-}}", p):
                    p -= 1  # (the space belongs to " -}}")
                if p > start:
                    emit(_Tok(_SPACE, t[start:p], start))
                continue
            p += 1
            if c == "=":
                emit(_Tok(_ASSIGN, c, start))
            elif c == ":":
                if p >= n or t[p] != "=":
                    self.fail("expected :=", start)
                    return -1
                p += 1
                emit(_Tok(_DECLARE, ":=", start))
            elif c == "|":
                emit(_Tok(_PIPE, c, start))
            elif c in "\"'`":
                p = self.quoted(start)
                if p < 0:
                    return -1
                emit(_Tok({'"': _STRING, "'": _CHARC, "`": _RAW}[c], t[start:p], start))
            elif c in "$." and not (c == "." and p < n and t[p].isdigit()):
                while p < n and _alnum(t[p]):
                    p += 1
                if not self.at_terminator(p):
                    self.fail(f"bad character {_unicode(t[p])}", p)
                    return -1
                word = t[start:p]
                emit(_Tok(_DOT if word == "." else _VAR if c == "$" else _FIELD, word, start))
            elif c in "+-." or c.isdigit():
                p = self.number(start)
                if p < 0:
                    return -1
                emit(_Tok(_NUMBER, t[start:p], start))
            elif _alnum(c):
                while p < n and _alnum(t[p]):
                    p += 1
                if not self.at_terminator(p):
                    self.fail(f"bad character {_unicode(t[p])}", p)
                    return -1
                word = t[start:p]
                typ = (_KEYWORD if word in _KEYWORDS else _BOOL if word in ("true", "false")
                       else _NIL if word == "nil" else _IDENT)
                emit(_Tok(typ, word, start))
            elif c == "(":
                depth += 1
                emit(_Tok(_LPAREN, c, start))
            elif c == ")":
                depth -= 1
                if depth < 0:
                    self.fail("unexpected right paren", start)
                    return -1
                emit(_Tok(_RPAREN, c, start))
            elif c.isascii() and c.isprintable():
                emit(_Tok(_CHAR, c, start))
            else:
                self.fail(f"unrecognized character in action: {_unicode(c)}", start)
                return -1

    def quoted(self, start: int) -> int:
        t, n, q, p = self.text, len(self.text), self.text[start], start + 1
        what = {'"': "unterminated quoted string", "`": "unterminated raw quoted string",
                "'": "unterminated character constant"}[q]
        while True:
            if p >= n or (q != "`" and t[p] == "\n"):
                self.fail(what, start)
                return -1
            c = t[p]
            p += 1
            if c == "\\" and q != "`":
                if p >= n or t[p] == "\n":
                    self.fail(what, start)
                    return -1
                p += 1
            elif c == q:
                return p

    def number(self, start: int, complex_part: bool = False) -> int:
        t, n, p = self.text, len(self.text), start
        if t[p] in "+-":
            p += 1
        digits, exp = "0123456789_", "eE"
        low = t[p:p + 2].lower()
        if low in ("0x", "0o", "0b"):
            p += 2
            digits, exp = {"0x": ("0123456789abcdefABCDEF_", "pP"), "0o": ("01234567_", ""),
                           "0b": ("01_", "")}[low]
        while p < n and t[p] in digits:
            p += 1
        if p < n and t[p] == ".":
            p += 1
            while p < n and t[p] in digits:
                p += 1
        if exp and p < n and t[p] in exp:
            p += 1
            if p < n and t[p] in "+-":
                p += 1
            while p < n and t[p] in "0123456789_":
                p += 1
        if p < n and t[p] == "i":
            p += 1
        if p < n and _alnum(t[p]):
            self.fail(f"bad number syntax: {go_quote(t[start:p + 1])}", start)
            return -1
        if p < n and t[p] in "+-" and not complex_part:  # (Go: 1+2i, a complex number)
            end = self.number(p, complex_part=True)
            if end < 0:
                return -1
            if t[end - 1] != "i":
                self.fail(f"bad number syntax: {go_quote(t[start:end])}", start)
                return -1
            return end
        return p


# ---- nodes ---------------------------------------------------------------------------------


class _Node:
    __slots__ = ("pos",)
    pos: int


class _Text(_Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        self.pos, self.text = pos, text


class _Lit(_Node):
    """A literal: bool, number, string, nil, dot (``text`` as written; ``value``)."""

    __slots__ = ("kind", "text", "value")

    def __init__(self, pos: int, kind: int, text: str, value: object) -> None:
        self.pos, self.kind, self.text, self.value = pos, kind, text, value

    def __str__(self) -> str:
        return self.text


class _Field(_Node):
    """``.A.B`` (``base`` None) or ``$x.A`` (``base`` "$x")."""

    __slots__ = ("base", "names")

    def __init__(self, pos: int, base: str | None, names: list[str]) -> None:
        self.pos, self.base, self.names = pos, base, names

    def __str__(self) -> str:
        return (self.base or "") + "".join("." + n for n in self.names)


class _Ident(_Node):
    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        self.pos, self.name = pos, name

    def __str__(self) -> str:
        return self.name


class _Chain(_Node):
    """``(pipeline).A.B``"""

    __slots__ = ("names", "node")

    def __init__(self, pos: int, node: _Node, names: list[str]) -> None:
        self.pos, self.node, self.names = pos, node, names

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, _Pipe) else str(self.node)
        return inner + "".join("." + n for n in self.names)


class _Cmd(_Node):
    __slots__ = ("args",)

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.args: list[_Node] = []

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, _Pipe) else str(a) for a in self.args)


class _Pipe(_Node):
    __slots__ = ("assign", "cmds", "decl")

    def __init__(self, pos: int) -> None:
        self.pos, self.assign = pos, False
        self.decl: list[str] = []
        self.cmds: list[_Cmd] = []

    def __str__(self) -> str:
        head = ", ".join(self.decl) + (" = " if self.assign else " := ") if self.decl else ""
        return head + " | ".join(str(c) for c in self.cmds)


class _Action(_Node):
    __slots__ = ("pipe",)

    def __init__(self, pos: int, pipe: _Pipe) -> None:
        self.pos, self.pipe = pos, pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class _Control(_Node):
    """if, range, with: ``body`` and ``orelse`` are node lists."""

    __slots__ = ("body", "kind", "orelse", "pipe")

    def __init__(self, pos: int, kind: str, pipe: _Pipe, body: list[_Node], orelse: list[_Node]) -> None:
        self.pos, self.kind, self.pipe, self.body, self.orelse = pos, kind, pipe, body, orelse

    def __str__(self) -> str:
        return "{{" + self.kind + " " + str(self.pipe) + "}}"


class _Mark(_Node):
    """``{{end}}``, ``{{else}}``, ``{{break}}``, ``{{continue}}``."""

    __slots__ = ("word",)

    def __init__(self, pos: int, word: str) -> None:
        self.pos, self.word = pos, word

    def __str__(self) -> str:
        return "{{" + self.word + "}}"


class _Call(_Node):
    """``{{template "name" pipeline}}`` (and a ``block``'s call)."""

    __slots__ = ("name", "pipe", "quoted")

    def __init__(self, pos: int, name: str, quoted: str, pipe: _Pipe | None) -> None:
        self.pos, self.name, self.quoted, self.pipe = pos, name, quoted, pipe

    def __str__(self) -> str:
        return "{{template " + self.quoted + (f" {self.pipe}" if self.pipe else "") + "}}"


_BOOLK, _NUMK, _STRK, _NILK, _DOTK = range(5)

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


class _Parser:
    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        lexer = _Lexer(text)
        self.toks = lexer.run()
        self.action_line = 0  # (the line of the action being parsed, for errors in it)
        self.i = 0
        self.last = self.toks[0]
        self.vars = ["$"]
        self.range_depth = 0
        self.funcs: Mapping[str, object] = FUNCS
        self.defs: dict[str, list[_Node]] = {}  # {{define}} and {{block}} bodies

    # (Go's errors name the line of the last token read)
    def error(self, msg: str, pos: int | None = None) -> TemplateError:
        if pos is None:
            pos = self.last.pos
        line = self.line(pos)
        return TemplateError(f"template: {self.name}:{line}: {msg}")

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        self.last = tok
        return tok

    def peek(self) -> _Tok:
        tok = self.next()
        self.i -= 1
        return tok

    def next_non_space(self) -> _Tok:
        tok = self.next()
        while tok.typ == _SPACE:
            tok = self.next()
        return tok

    def peek_non_space(self) -> _Tok:
        tok = self.next_non_space()
        self.i -= 1
        return tok

    def line(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def unexpected(self, tok: _Tok, context: str) -> TemplateError:
        if tok.typ == _ERROR:  # (the lexer's error, where the action it is in began if elsewhere)
            msg = tok.val
            if self.action_line and self.action_line != self.line(tok.pos):
                where = f" started at {self.name}:{self.action_line}"
                msg += where if msg.endswith(" action") else " in action" + where
            return self.error(msg, tok.pos)
        return self.error(f"unexpected {tok} in {context}")

    def expect(self, typ: int, context: str) -> _Tok:
        tok = self.next_non_space()
        if tok.typ != typ:
            raise self.unexpected(tok, context)
        return tok

    def parse(self) -> list[_Node]:
        out: list[_Node] = []
        while self.peek().typ != _EOF:
            if self.peek().typ == _LDELIM:  # {{define}}: at the top level only
                save = self.i
                self.next()
                tok = self.next_non_space()
                if tok.typ == _KEYWORD and tok.val == "define":
                    self.definition()
                    continue
                self.i = save
            node = self.text_or_action()
            if isinstance(node, _Mark) and node.word in ("end", "else"):
                raise self.error(f"unexpected {node}")
            out.append(node)
        return out

    def template_name(self, context: str) -> _Tok:
        tok = self.next_non_space()
        if tok.typ not in (_STRING, _RAW):
            raise self.unexpected(tok, context)
        return tok

    def define(self, name: str, body: list[_Node]) -> None:
        """Go's associate: a body of nothing but spaces does not replace a template."""
        if name in self.defs and all(isinstance(n, _Text) and not n.text.strip() for n in body):
            return
        self.defs[name] = body

    def sub_list(self, context: str) -> list[_Node]:
        """A define's or block's body: a template of its own (its own variables)."""
        saved, self.vars, depth, self.range_depth = self.vars, ["$"], self.range_depth, 0
        body, end = self.item_list()
        self.vars, self.range_depth = saved, depth
        if end.word != "end":
            raise self.error(f"unexpected {end} in {context}")
        return body

    def definition(self) -> None:
        context = "define clause"
        name = self.template_name(context)
        self.expect(_RDELIM, context)
        self.define(self.string(name), self.sub_list(context))

    def string(self, tok: _Tok) -> str:
        try:
            return unquote(tok.val)
        except (ValueError, IndexError):
            raise self.error("invalid syntax") from None

    def text_or_action(self) -> _Node:
        tok = self.next_non_space()
        if tok.typ == _TEXT:
            return _Text(tok.pos, tok.val)
        if tok.typ == _LDELIM:
            self.action_line = self.line(tok.pos)
            try:
                return self.action()
            finally:
                self.action_line = 0
        raise self.unexpected(tok, "input")

    def item_list(self) -> tuple[list[_Node], _Mark]:
        out: list[_Node] = []
        while self.peek_non_space().typ != _EOF:
            node = self.text_or_action()
            if isinstance(node, _Mark) and node.word in ("end", "else"):
                return out, node
            out.append(node)
        raise self.error("unexpected EOF")

    def action(self) -> _Node:
        tok = self.next_non_space()
        if tok.typ == _KEYWORD:
            word = tok.val
            if word in ("if", "range", "with"):
                return self.control(word, tok.pos)
            if word == "end":
                return _Mark(self.expect(_RDELIM, "end").pos, "end")
            if word == "else":
                peek = self.peek_non_space()
                if peek.typ == _KEYWORD and peek.val in ("if", "with"):
                    return _Mark(peek.pos, "else")
                return _Mark(self.expect(_RDELIM, "else").pos, "else")
            if word in ("break", "continue"):
                if not self.range_depth:
                    raise self.error(f"{{{{{word}}}}} outside {{{{range}}}}")
                self.expect(_RDELIM, word)
                return _Mark(tok.pos, word)
            if word in ("template", "block"):
                context = f"{word} clause"
                name = self.template_name(context)
                pipe = None
                if word == "block":
                    pipe = self.pipeline(context, _RDELIM)
                    self.define(self.string(name), self.sub_list(context))
                elif self.next_non_space().typ != _RDELIM:
                    self.i -= 1
                    pipe = self.pipeline(context, _RDELIM)
                return _Call(name.pos, self.string(name), name.val, pipe)
            raise self.error(f"unexpected <{word}> in command")  # (a define not at the top level)
        self.i -= 1
        tok = self.peek()
        return _Action(tok.pos, self.pipeline("command", _RDELIM))

    def control(self, kind: str, pos: int) -> _Control:
        mark = len(self.vars)
        pipe = self.pipeline(kind, _RDELIM)
        if kind == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        orelse: list[_Node] = []
        if nxt.word == "else":
            peek = self.peek()
            if kind in ("if", "with") and peek.typ == _KEYWORD and peek.val == kind:
                self.next()
                orelse = [self.control(kind, peek.pos)]
            else:
                orelse, nxt = self.item_list()
                if nxt.word != "end":
                    raise self.error(f"expected end; found {nxt}")
        del self.vars[mark:]
        return _Control(pos, kind, pipe, body, orelse)

    def pipeline(self, context: str, end: int) -> _Pipe:
        pipe = _Pipe(self.peek_non_space().pos)
        while (v := self.peek_non_space()).typ == _VAR:  # declarations
            save = self.i
            self.next_non_space()
            after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (_ASSIGN, _DECLARE):
                pipe.assign = nxt.typ == _ASSIGN
                self.next_non_space()
                pipe.decl.append(v.val)
                self.vars.append(v.val)  # (as Go: an = to no variable fails when it runs)
                break
            if nxt.typ == _CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(v.val)
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (_VAR, _RDELIM, _RPAREN):
                        continue
                    raise self.error("range can only initialize variables")
                raise self.error(f"too many declarations in {context}")
            del after
            self.i = save
            break
        while True:
            tok = self.next_non_space()
            if tok.typ == end:
                if not pipe.cmds:
                    raise self.error(f"missing value for {context}")
                for k, cmd in enumerate(pipe.cmds[1:]):
                    first = cmd.args[0]
                    if isinstance(first, _Lit):
                        raise self.error(f"non executable command in pipeline stage {k + 2}")
                return pipe
            if tok.typ in (_BOOL, _CHARC, _DOT, _FIELD, _IDENT, _NUMBER, _NIL, _RAW, _STRING, _VAR,
                           _LPAREN):
                self.i -= 1
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(tok, context)

    def command(self) -> _Cmd:
        cmd = _Cmd(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ == _SPACE:
                continue
            if tok.typ in (_RDELIM, _RPAREN):
                self.i -= 1
            elif tok.typ != _PIPE:
                raise self.unexpected(tok, "operand")
            break
        if not cmd.args:
            raise self.error("empty command")
        return cmd

    def operand(self) -> _Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == _FIELD:
            pos = self.peek().pos
            names = []
            while self.peek().typ == _FIELD:
                names.append(self.next().val[1:])
            if isinstance(node, _Field):
                return _Field(pos, node.base, node.names + names)
            if isinstance(node, _Lit):
                raise self.error(f"unexpected . after term {go_quote(str(node))}")
            return _Chain(pos, node, names)
        return node

    def term(self) -> _Node | None:
        tok = self.next_non_space()
        typ, val, pos = tok.typ, tok.val, tok.pos
        if typ == _IDENT:
            if val not in self.funcs:
                raise self.error(f"function {go_quote(val)} not defined")
            return _Ident(pos, val)
        if typ == _DOT:
            return _Lit(pos, _DOTK, ".", None)
        if typ == _NIL:
            return _Lit(pos, _NILK, "nil", None)
        if typ == _VAR:
            if val not in self.vars:
                raise self.error(f"undefined variable {go_quote(val)}")
            return _Field(pos, val, [])
        if typ == _FIELD:
            return _Field(pos, None, [val[1:]])
        if typ == _BOOL:
            return _Lit(pos, _BOOLK, val, val == "true")
        if typ in (_NUMBER, _CHARC):
            return _Lit(pos, _NUMK, val, self.number(val, typ == _CHARC))
        if typ == _LPAREN:
            return self.pipeline("parenthesized pipeline", _RPAREN)
        if typ in (_STRING, _RAW):
            try:
                return _Lit(pos, _STRK, val, unquote(val))
            except (ValueError, IndexError):
                raise self.error("invalid syntax") from None
        self.i -= 1
        return None

    def number(self, text: str, char: bool) -> int | float:
        if char:
            try:
                s = unquote(text)
                if not s or text == "'\\\"'":  # (Go: no \" in a character)
                    raise ValueError("invalid syntax")
            except (ValueError, IndexError):
                raise self.error("invalid syntax") from None
            if len(s) != 1:
                raise self.error(f"malformed character constant: {text}")
            return ord(s)
        clean = text.replace("_", "")
        try:
            if clean.lower().startswith(("0x", "-0x", "+0x", "0o", "-0o", "+0o", "0b", "-0b", "+0b")):
                if "p" in clean.lower():  # a hexadecimal float: 0x1p4
                    return float.fromhex(clean)
                return int(clean, 0)
            if any(c in clean for c in ".eE"):
                return float(clean)
            if len(clean.lstrip("+-")) > 1 and clean.lstrip("+-")[0] == "0":
                return int(clean, 8)  # (Go: a leading 0 is octal)
            return int(clean)
        except ValueError:
            raise self.error(f"illegal number syntax: {go_quote(text)}") from None


# ---- values as Go prints them ------------------------------------------------------------


def go_quote(s: str) -> str:
    """strconv.Quote."""
    out = ['"']
    for c in s:
        if c in "\"\\":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif c in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\v": "\\v"}[c])
        elif ord(c) < 0x80:
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    return "".join(out) + '"'


def _digits(f: float) -> tuple[str, int]:
    """The shortest decimal digits of abs(f) and the decimal point's place (0.015 -> "15", -1)."""
    r = repr(abs(f))
    mant, _, e = r.partition("e")
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    dp = len(whole) + int(e or 0) - (len(whole + frac) - len((whole + frac).lstrip("0")))
    digits = digits.rstrip("0")
    return (digits, dp) if digits else ("0", 1)


def go_float(f: float, fmt: str = "g") -> str:
    """strconv.FormatFloat(f, fmt, -1, 64): %v's ``1e+06``, ``0.1``; encoding/json's form (fmt "json")."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    sign = "-" if f < 0 or (f == 0 and repr(f)[0] == "-") else ""
    digits, dp = _digits(f)
    exp = dp - 1
    if fmt == "json":
        use_e = f != 0 and (abs(f) < 1e-6 or abs(f) >= 1e21)
    else:
        use_e = f != 0 and (exp < -4 or exp >= (21 if fmt == "G21" else 6))
    if use_e:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        es = f"{abs(exp):d}" if fmt == "json" else f"{abs(exp):02d}"
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{es}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def type_name(v: object) -> str:
    """Go's name for a value's type, as errors and %T show it."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, Struct):
        return v.go_type
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "[]string" if v and all(isinstance(e, str) for e in v) else "[]interface {}"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if callable(v):
        return "func"
    return type(v).__name__


def _sort_key(k: object) -> tuple[int, object]:
    if isinstance(k, (int, float)) and not isinstance(k, bool):
        return (0, k)
    return (1, str(k))


def _public(obj: object) -> dict[str, object]:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def sprint_value(v: object) -> str:
    """fmt's %v."""
    if v is None:
        return "<nil>"
    if v is MISSING:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(sprint_value(e) for e in v) + "]"
    if isinstance(v, Struct):
        return ""  # (what docker prints for its formatter's contexts)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{sprint_value(k)}:{sprint_value(v[k])}"
                                 for k in sorted(v, key=_sort_key)) + "]"
    if hasattr(v, "__dict__") and not callable(v):
        return "{" + " ".join(sprint_value(e) for e in _public(v).values()) + "}"
    return str(v)


def _niladic(fn: object) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_argcount - (1 if hasattr(fn, "__self__") else 0) == 0


def _plain(v: object) -> object:
    """A value as encoding/json sees it: dicts sorted by key, objects as their fields, no methods
    (a `Struct`'s methods without arguments are its fields, as docker's MarshalJSON has them)."""
    if isinstance(v, Struct):
        return {str(k): _plain(v[k]() if callable(v[k]) else v[k]) for k in sorted(v)
                if not callable(v[k]) or _niladic(v[k])}
    if isinstance(v, dict):
        return {str(k): _plain(v[k]) for k in sorted(v, key=_sort_key) if not callable(v[k])}
    if isinstance(v, (list, tuple)):
        return [_plain(e) for e in v]
    if v is None or v is MISSING or isinstance(v, (str, int, float)):
        return None if v is MISSING else v
    if hasattr(v, "__dict__"):
        return {k: _plain(e) for k, e in _public(v).items() if not callable(e)}
    return str(v)


def _json_text(v: object, out: list[str]) -> None:
    if isinstance(v, str):
        out.append(_json.encode_basestring(v).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    elif v is None:
        out.append("null")
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise _GoError(f"json: unsupported value: {go_float(v)}")
        out.append(go_float(v, "json"))
    elif isinstance(v, dict):
        out.append("{")
        for k, (key, e) in enumerate(v.items()):
            out.append(("," if k else "") + _json.encode_basestring(key) + ":")
            _json_text(e, out)
        out.append("}")
    else:
        assert isinstance(v, list)
        out.append("[")
        for k, e in enumerate(v):
            if k:
                out.append(",")
            _json_text(e, out)
        out.append("]")


def go_json(v: object) -> str:
    """docker's ``json``: encoding/json with SetEscapeHTML(false) (keys sorted, as Go's maps)."""
    out: list[str] = []
    _json_text(_plain(v), out)
    return "".join(out)


# ---- printf ------------------------------------------------------------------------------


def _rune(v: int) -> str:
    """A rune as Go prints it: U+FFFD for what is no Unicode scalar value."""
    return chr(v) if 0 <= v <= 0x10FFFF and not 0xD800 <= v < 0xE000 else "\ufffd"


def _go_syntax(v: object) -> str:
    """fmt's %#v (Go syntax) for template values."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, (list, tuple)):
        return type_name(v) + "{" + ", ".join(_go_syntax(e) for e in v) + "}"
    if isinstance(v, dict) and not isinstance(v, Struct):
        return type_name(v) + "{" + ", ".join(f"{_go_syntax(k)}:{_go_syntax(v[k])}"
                                             for k in sorted(v, key=_sort_key)) + "}"
    return sprint_value(v)


def _bad(verb: str, v: object, flags: str = "", width: int | None = None, prec: int | None = None) -> str:
    if v is None or v is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(v)}={_fmt_one('v', v, flags, width, prec)})"


def _pad(s: str, width: int | None, flags: str, number: bool = False) -> str:
    """Pad to ``width`` as fmt does: ``-`` on the right, ``0`` with zeros (after a number's sign)."""
    if width is None or len(s) >= width:
        return s
    if "-" in flags:
        return s.ljust(width)
    if "0" in flags:
        sign = s[0] if number and s[:1] in ("-", "+", " ") else ""
        return sign + s[len(sign):].rjust(width - len(sign), "0")
    return s.rjust(width)


def _quote(s: str, flags: str) -> str:
    """%q of a string: Go-quoted; ``+`` ASCII only; ``#`` backquoted when it can be."""
    if "#" in flags and "`" not in s and "\ufeff" not in s and \
            all(c == "\t" or c.isprintable() for c in s):
        return f"`{s}`"
    q = go_quote(s)
    if "+" in flags:
        q = "".join(c if c.isascii() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                    for c in q)
    return q


def _hex_float(v: float, upper: bool, sharp: bool = False, prec: int | None = None) -> str:
    """%x of a float64: ``0x1.8p+00`` (``prec`` hexadecimal digits after the point, rounded)."""
    if v != v or v in (float("inf"), float("-inf")):
        return go_float(v)
    text = v.hex()  # -0x1.8000000000000p+0
    sign = "-" if text.startswith("-") else ""
    mant, _, exp = text.lstrip("-")[2:].partition("p")
    lead, _, frac = mant.partition(".")
    e = int(exp)
    if prec is not None and prec < 13 and lead != "0":
        bits = 52 - 4 * prec
        q, r = divmod((1 << 52) | int(frac or "0", 16), 1 << bits)  # (rounded to even, lead included)
        half = 1 << (bits - 1)
        if r > half or (r == half and q & 1):
            q += 1
        if q >> (4 * prec) == 2:  # (carried: 2.000 is 1.000 times 2)
            q, e = q >> 1, e + 1
        frac = f"{q & ((1 << (4 * prec)) - 1):0{prec}x}" if prec else ""
    elif prec is not None:
        frac = frac.ljust(prec, "0")
    else:
        frac = frac.rstrip("0").ljust(4 if sharp and not upper else 0, "0")  # (as Go's %#x, %#X)
    mant = lead + ("." + frac if frac or sharp else "")
    out = f"{sign}0x{mant}p{'-' if e < 0 else '+'}{abs(e):02d}"
    return out.upper() if upper else out


def _fmt_one(verb: str, v: object, flags: str, width: int | None, prec: int | None) -> str:
    """One verb on one value, as fmt prints it (an unfit pair: ``%!d(string=x)``)."""
    if isinstance(v, (list, tuple)) and verb != "T" and "V" not in flags:
        return "[" + " ".join(_fmt_one(verb, e, flags, width, prec) for e in v) + "]"
    if isinstance(v, dict) and verb == "v" and "V" not in flags and not isinstance(v, Struct):
        pairs = ((_fmt_one(verb, k, flags, width, prec), _fmt_one(verb, v[k], flags, width, prec))
                 for k in sorted(v, key=_sort_key))
        return "map[" + " ".join(f"{k}:{e}" for k, e in pairs) + "]"
    if verb == "T":
        return _pad(type_name(v) if v is None else type_name(v)[:prec], width, flags)
    if verb == "v":
        if "V" in flags:  # (%#v: sprintf's mark for Go's sharpV)
            if isinstance(v, (list, tuple)):
                return type_name(v) + "{" + ", ".join(_fmt_one(verb, e, flags, width, prec) for e in v) + "}"
            if isinstance(v, str):
                return _pad(go_quote(v[:prec] if prec is not None else v), width, flags)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return _fmt_one("d" if isinstance(v, int) else "g", v, flags.replace("V", ""), width, prec)
            return _pad(_go_syntax(v), width, flags)
        if isinstance(v, float):
            return _fmt_one("g", v, flags, width, prec)
        if isinstance(v, int) and not isinstance(v, bool):
            return _fmt_one("d", v, flags, width, prec)
        if isinstance(v, str) and prec is not None:
            v = v[:prec]
        return _pad(sprint_value(v), width, flags)
    if verb == "s":
        if isinstance(v, str):
            return _pad(v[:prec] if prec is not None else v, width, flags)
        if isinstance(v, dict):
            return _pad(sprint_value(v), width, flags)
        return _bad(verb, v, flags, width, prec)
    if verb == "q":
        if isinstance(v, str):
            return _pad(_quote(v[:prec] if prec is not None else v, flags), width, flags)
        if isinstance(v, int) and not isinstance(v, bool):
            c = _rune(v)
            body = "\\'" if c == "'" else '"' if c == '"' else _quote(c, flags.replace("#", ""))[1:-1]
            return _pad(f"'{body}'", width, flags)
        return _bad(verb, v, flags, width, prec)
    if verb == "t":
        if isinstance(v, bool):
            return _pad("true" if v else "false", width, flags)
        return _bad(verb, v, flags, width, prec)
    if verb in "xX" and isinstance(v, str):
        data = v.encode()[:prec] if prec is not None else v.encode()
        hexes = [f"{b:02x}" for b in data]
        lead = "0x" if "#" in flags and data else ""
        text = " ".join(lead + h for h in hexes) if " " in flags else lead + "".join(hexes)
        return _pad(text.upper() if verb == "X" else text, width, flags)
    if verb == "b" and isinstance(v, float):  # (Go: the mantissa and a binary exponent)
        mant, _, exp = v.hex().lstrip("-")[2:].partition("p")
        lead, _, frac = mant.partition(".")
        m, e = (int(lead) << 52) | int(frac or "0", 16), int(exp) - 52
        sign = "-" if v < 0 or str(v)[0] == "-" else "+" if "+" in flags else " " if " " in flags else ""
        return _pad(f"{sign}{m}p{'-' if e < 0 else '+'}{abs(e)}", width, flags, number=True)
    if verb in "xX" and isinstance(v, float):
        sign = "+" if "+" in flags and v >= 0 else " " if " " in flags and v >= 0 else ""
        text = _hex_float(v, verb == "X", "#" in flags, prec)
        return _pad(sign + text, width, flags, number=True)
    if verb in "dboxXcUO":
        if isinstance(v, bool) or not isinstance(v, int):
            return _bad(verb, v, flags, width, prec)
        if verb == "c":
            return _pad(_rune(v), width, flags)
        if verb == "U":
            text = f"U+{v & 0xFFFFFFFFFFFFFFFF:0{max(prec or 0, 4)}X}"
            flags = flags.replace("0", "")  # (Go pads %U with spaces)
            if "#" in flags and _rune(v) != "\ufffd" and _rune(v).isprintable():
                text += f" '{_rune(v)}'"
            return _pad(text, width, flags)
        digits = format(abs(v), {"d": "d", "b": "b", "o": "o", "O": "o", "x": "x", "X": "X"}[verb])
        if prec is not None:
            if prec == 0 and v == 0:  # (Go: nothing but the padding)
                return " " * (width or 0)
            digits = digits.rjust(prec, "0")
            flags = flags.replace("0", "")
        sign = "-" if v < 0 else "+" if "+" in flags else " " if " " in flags else ""
        if width and "0" in flags and "-" not in flags:  # (Go: the digits fill the width; then prefix, sign)
            digits = digits.rjust(width - len(sign), "0")
        if "#" in flags or verb == "O":
            lead = {"x": "0x", "X": "0X", "b": "0b", "O": "0o", "o": "0"}.get(verb, "")
            digits = digits if lead == "0" and digits.startswith("0") else lead + digits
        return _pad(sign + digits, width, flags, number=True)
    if verb in "eEfFgG":
        if not isinstance(v, float):
            return _bad(verb, v, flags, width, prec)
        sign = "+" if "+" in flags else " " if " " in flags else ""
        if v != v or v in (float("inf"), float("-inf")):
            text = go_float(v)  # (+Inf, -Inf, NaN: padded with spaces)
            return _pad(sign + text if text == "NaN" else text, width, flags.replace("0", ""))
        if verb in "gG" and prec is None and "#" in flags:  # (Go: the shortest, to 6 digits at least)
            mant, mark, power = go_float(v).partition("e")
            mant = mant if "." in mant else mant + "."
            count = sum(c.isdigit() for c in mant.lstrip("-0."))
            text = sign * (not mant.startswith("-")) + mant + "0" * max(0, 6 - max(count, 1)) + mark + power
            text = text.upper() if verb == "G" else text
        elif verb in "gG" and prec is None:
            text = go_float(v)
            text = text.upper() if verb == "G" else text
            if sign and not text.startswith("-"):
                text = sign + text
        else:  # (# keeps the point and the zeros: Python's # is Go's)
            text = format(v, f"{sign}{'#' if '#' in flags else ''}.{6 if prec is None else prec}{verb}")
        return _pad(text, width, flags, number=True)
    return _bad(verb, v, flags, width, prec)


def sprintf(fmt: str, *args: object) -> str:
    """fmt.Sprintf for the verbs templates use (v s q d x X o O b c U e E f F g G t T), with
    flags ``-+# 0``, width and precision (``*`` too), argument indexes (``%[2]d``), and Go's
    complaints (``%!d(string=x)``, ``%!d(MISSING)``, ``%!(EXTRA int=2)``)."""
    out: list[str] = []
    i, n, argi, reordered = 0, len(fmt), 0, False
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        flags = ""
        while i < n and fmt[i] in "-+# 0":
            flags += fmt[i]
            i += 1
        width = prec = None
        good = True
        for part in ("width", "prec"):
            if part == "prec":
                if i < n and fmt[i] == ".":
                    i += 1
                    prec = 0
                else:
                    break
            if i < n and fmt[i] == "[":  # an argument index: %[2]d, %[1]*d
                end = fmt.find("]", i)
                index = fmt[i + 1:end] if end > 0 else ""
                reordered = True
                if index.isdigit() and 1 <= int(index) <= len(args):
                    argi = int(index) - 1
                else:
                    good = False
                i = end + 1 if end > 0 else n
            if i < n and fmt[i] == "*":
                i += 1
                val = args[argi] if argi < len(args) else None
                argi += 1
                if not isinstance(val, int) or isinstance(val, bool):
                    out.append("%!(BADWIDTH)" if part == "width" else "%!(BADPREC)")
                    val = None
                if part == "width":
                    width = val
                    if width is not None and width < 0:
                        flags, width = flags + "-", -width
                else:
                    prec = val
                continue
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > start:
                if part == "width":
                    width = int(fmt[start:i])
                else:
                    prec = int(fmt[start:i])
        if i < n and fmt[i] == "[":
            end = fmt.find("]", i)
            index = fmt[i + 1:end] if end > 0 else ""
            reordered = True
            if index.isdigit() and 1 <= int(index) <= len(args):
                argi = int(index) - 1
            else:
                good = False
            i = end + 1 if end > 0 else n
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
        elif not good:
            out.append(f"%!{verb}(BADINDEX)")
        elif argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
        else:
            if verb == "v":  # (Go: %#v is Go syntax, %+v field names: neither is a flag of the value)
                flags = flags.replace("#", "V").replace("+", "")
            out.append(_fmt_one(verb, args[argi], flags, width, prec))
            argi += 1
    if not reordered and argi < len(args):
        extra = ", ".join("<nil>" if a is None else f"{type_name(a)}={sprint_value(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def sprint(*args: object) -> str:
    """fmt.Sprint: a space between two operands when neither is a string."""
    out: list[str] = []
    for k, a in enumerate(args):
        if k and not isinstance(a, str) and not isinstance(args[k - 1], str):
            out.append(" ")
        out.append(sprint_value(a))
    return "".join(out)


# ---- functions ---------------------------------------------------------------------------


def _truth(v: object) -> bool:
    if v is None or v is MISSING:
        return False
    if isinstance(v, (bool, int, float, str, list, tuple, dict)):
        return bool(v)
    return True


def _kind(v: object) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "other"


def _eq(a: object, *bs: object) -> bool:
    if not bs:
        raise _GoError("missing argument for comparison")
    for b in bs:
        ka, kb = _kind(a), _kind(b)
        if ka != kb:
            if a not in (None, MISSING) and b not in (None, MISSING):
                raise _GoError("incompatible types for comparison")
        elif ka == "other":
            if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
                raise _GoError(f"non-comparable type {sprint_value(b)}: {type_name(b)}")
            if (a in (None, MISSING)) != (b in (None, MISSING)):
                continue
            if a in (None, MISSING) or a == b:
                return True
            continue
        if a == b:
            return True
    return False


def _lt(a: object, b: object) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka in ("bool", "other") or kb in ("bool", "other"):
        raise _GoError("invalid type for comparison")
    if ka != kb:
        raise _GoError("incompatible types for comparison")
    return bool(a < b)  # type: ignore[operator]


def _len(v: object) -> int:
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, Struct):
        raise _GoError(f"len of type {v.go_type.lstrip('*')}")
    if isinstance(v, (list, tuple, dict)):
        return len(v)
    if v is None or v is MISSING:  # (Go's len panics on the zero Value an untyped nil is)
        raise _GoError("reflect: call of reflect.Value.Type on zero Value")
    raise _GoError(f"len of type {type_name(v)}")


def _index_int(i: object, cap: int, what: str = "index") -> int:
    if isinstance(i, bool) or not isinstance(i, int):
        raise _GoError(f"cannot index slice/array with type {type_name(i)}")
    if i < 0 or i > cap:
        raise _GoError(f"{what} out of range: {i}")
    return i


def _index(item: object, *indexes: object) -> object:
    if item is None or item is MISSING:
        raise _GoError("index of untyped nil")
    for i in indexes:
        if isinstance(item, (list, tuple, str)):
            seq = item.encode() if isinstance(item, str) else item
            k = _index_int(i, len(seq))
            if k == len(seq):
                raise _GoError(f"index out of range: {k}")
            item = seq[k]
        elif isinstance(item, Struct):
            raise _GoError(f"can't index item of type {item.go_type.lstrip('*')}")
        elif isinstance(item, dict):
            if i in item:
                item = item[i]
            elif item and all(isinstance(e, str) for e in item.values()):
                item = ""  # (the zero value of a map[string]string, docker's labels)
            else:
                item = MISSING
        elif item is None or item is MISSING:
            raise _GoError("index of untyped nil")
        else:
            raise _GoError(f"can't index item of type {type_name(item)}")
    return item


def _slice(item: object, *indexes: object) -> object:
    if not isinstance(item, (list, tuple, str)):
        if item is None or item is MISSING:
            raise _GoError("slice of untyped nil")
        raise _GoError(f"can't slice item of type {type_name(item)}")
    seq = item.encode() if isinstance(item, str) else item
    if len(indexes) == 3 and isinstance(item, str):
        raise _GoError("cannot 3-index slice a string")
    if len(indexes) > 3:
        raise _GoError(f"too many slice indexes: {len(indexes)}")
    idx = [_index_int(i, len(seq)) for i in indexes[:2]]
    lo, hi = (idx + [0, len(seq)][len(idx):])[:2]
    if lo > hi:
        raise _GoError(f"invalid slice index: {lo} > {hi}")
    out = seq[lo:hi]
    return out.decode(errors="replace") if isinstance(out, bytes) else list(out)


def _call(name: str, fn: object, *args: object) -> object:
    if not callable(fn):
        raise _GoError(f"non-function {name} of type {type_name(fn)}")
    try:
        return fn(*args)
    except (HutchError, ValueError, TypeError, LookupError) as err:
        raise _GoError(str(err)) from None


def _eval_args(args: tuple[object, ...]) -> str:
    """html, js and urlquery's text: fmt.Sprint, a nil printed as ``<no value>``."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(*("<no value>" if a is None or a is MISSING else a for a in args))


def _html(*args: object) -> str:
    s = _eval_args(args)
    return "".join({"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;",
                    "\0": "\ufffd"}.get(c, c) for c in s)


def _js(*args: object) -> str:
    """template.JSEscapeString: quotes, ``\\``, ``<>&=`` and control characters as escapes."""
    out = []
    for c in _eval_args(args):
        if c in "\\'\"":
            out.append("\\" + c)
        elif c in "<>&=" or c < " ":
            out.append(f"\\u{ord(c):04X}")
        elif c.isascii() or c.isprintable():
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04X}")
    return "".join(out)


_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _urlquery(*args: object) -> str:
    out = []
    for b in _eval_args(args).encode():
        c = chr(b)
        out.append(c if c in _URL_SAFE else "+" if c == " " else f"%{b:02X}")
    return "".join(out)


def _title(s: str) -> str:
    """docker's title (cases.Title, NoLower): the first letter of each word upper-cased."""
    out, prev = [], " "
    for c in s:
        out.append(c.upper() if not _alnum(prev) else c)
        prev = c
    return "".join(out)


def _case(s: str, upper: bool) -> str:
    """strings.ToUpper/ToLower: one rune for one (Go keeps ß; İ lowers to i)."""
    if s.isascii():
        return s.upper() if upper else s.lower()
    out = []
    for c in s:
        m = c.upper() if upper else c.lower()
        out.append(m if len(m) == 1 else c if upper else m[0])
    return "".join(out)


def _split(s: str, sep: str) -> list[str]:
    return list(s) if sep == "" else s.split(sep)


def _pad_space(s: str, prefix: int, suffix: int) -> str:
    return " " * prefix + s + " " * suffix if s else s


def _truncate(s: str, length: int) -> str:
    b = s.encode()
    return s if len(b) < length else b[:max(length, 0)].decode(errors="ignore")


class _Func:
    """A template function: its Go parameter types (``*`` marks a variadic last) and the body."""

    __slots__ = ("fn", "params", "variadic")

    def __init__(self, fn: Callable[..., object], *params: str) -> None:
        self.fn = fn
        self.variadic = bool(params) and params[-1].startswith("*")
        self.params = tuple(p.lstrip("*") for p in params)


def _first(v: object, *_: object) -> object:
    return v


FUNCS: dict[str, _Func] = {
    "and": _Func(lambda *a: a[-1], "any", "*any"),  # (evaluated lazily by the executor)
    "or": _Func(lambda *a: a[-1], "any", "*any"),
    "not": _Func(lambda v: not _truth(v), "any"),
    "eq": _Func(_eq, "any", "*any"),
    "ne": _Func(lambda a, b: not _eq(a, b), "any", "any"),
    "lt": _Func(_lt, "any", "any"),
    "le": _Func(lambda a, b: _lt(a, b) or _eq(a, b), "any", "any"),
    "gt": _Func(lambda a, b: not _lt(a, b) and not _eq(a, b), "any", "any"),
    "ge": _Func(lambda a, b: not _lt(a, b), "any", "any"),
    "len": _Func(_len, "any"),
    "index": _Func(_index, "any", "*any"),
    "slice": _Func(_slice, "any", "*any"),
    "print": _Func(sprint, "*any"),
    "printf": _Func(sprintf, "string", "*any"),
    "println": _Func(lambda *a: " ".join(sprint_value(v) for v in a) + "\n", "*any"),
    "html": _Func(_html, "*any"),
    "js": _Func(_js, "*any"),
    "urlquery": _Func(_urlquery, "*any"),
    "call": _Func(_call, "any", "*any"),
    # docker's (github.com/docker/cli/templates/templates.go)
    "json": _Func(go_json, "any"),
    "split": _Func(_split, "string", "string"),
    "join": _Func(lambda elems, sep: sep.join(elems), "[]string", "string"),
    "title": _Func(_title, "string"),
    "lower": _Func(lambda s: _case(s, False), "string"),
    "upper": _Func(lambda s: _case(s, True), "string"),
    "pad": _Func(_pad_space, "string", "int", "int"),
    "truncate": _Func(_truncate, "string", "int"),
}

#: docker's HeaderFunctions: what the header row is rendered with (the header stays whole).
HEADER_FUNCS: dict[str, _Func] = {
    "json": _Func(_first, "string"), "split": _Func(_first, "string", "string"),
    "join": _Func(_first, "string", "string"), "title": _Func(_first, "string"),
    "lower": _Func(_first, "string"), "upper": _Func(_first, "string"),
    "truncate": _Func(_first, "string", "int"),
}

# ---- execution ---------------------------------------------------------------------------


_MAX_DEPTH = 100  # (Go's is 100000; Python's stack is shallower)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Struct(dict):  # type: ignore[type-arg]
    """A dict that stands for a Go struct (docker's ``*formatter.ContainerContext``): an unknown
    field is an error naming ``go_type``, as in docker, where a plain dict (a Go map) gives
    ``<no value>``. Callables in it are its methods (``{{.Label "k"}}``), left out of ``json``."""

    def __init__(self, go_type: str, fields: Mapping[str, object]) -> None:
        super().__init__(fields)
        self.go_type = go_type


class _Exec:
    """One execution: Go's state, with its "at" node (the last node evaluated) for errors."""

    def __init__(self, tmpl: Template, data: object, funcs: Mapping[str, _Func], strict: bool) -> None:
        self.tmpl, self.funcs, self.strict = tmpl, funcs, strict
        self.vars: list[list[Any]] = [["$", data]]
        self.out: list[str] = []
        self.node: _Node = _Text(0, "")
        self.name = tmpl.name  # (the template being run: a {{define}}'s name inside it)
        self.depth = 0

    def at(self, node: _Node) -> None:
        self.node = node

    def error(self, msg: str) -> TemplateError:
        node, text, name = self.node, self.tmpl.text, self.tmpl.name
        line = text.count("\n", 0, node.pos) + 1
        col = node.pos - (text.rfind("\n", 0, node.pos) + 1)
        where = f"template: {name}:{line}:{col}: executing {go_quote(self.name)}"
        return TemplateError(f"{where} at <{node}>: {msg}")

    # ---- walking ----

    def walk(self, dot: object, nodes: list[_Node]) -> None:
        for node in nodes:
            self.at(node)
            if isinstance(node, _Text):
                self.out.append(node.text)
            elif isinstance(node, _Action):
                val = self.pipeline(dot, node.pipe)
                if not node.pipe.decl:
                    self.out.append(self.printable(node, val))
            elif isinstance(node, _Control):
                mark = len(self.vars)
                if node.kind == "range":
                    self.walk_range(dot, node)
                else:
                    val = self.pipeline(dot, node.pipe)
                    if _truth(val):
                        self.walk(val if node.kind == "with" else dot, node.body)
                    else:
                        self.walk(dot, node.orelse)
                del self.vars[mark:]
            elif isinstance(node, _Call):
                self.call_template(dot, node)
            elif isinstance(node, _Mark):
                raise _Break() if node.word == "break" else _Continue()

    def call_template(self, dot: object, node: _Call) -> None:
        """A defined template on the pipeline's value: no variables but its own ``$``."""
        body = self.tmpl.defs.get(node.name)
        if body is None:
            raise self.error(f"template {go_quote(node.name)} not defined")
        if self.depth >= _MAX_DEPTH:
            raise self.error(f"exceeded maximum template depth ({_MAX_DEPTH})")
        value = self.pipeline(dot, node.pipe, declare=False) if node.pipe else MISSING
        saved = self.vars, self.name
        self.vars, self.name = [["$", value]], node.name
        self.depth += 1
        try:
            self.walk(value, body)
        finally:
            self.depth -= 1
            self.vars, self.name = saved

    def printable(self, node: _Action, v: object) -> str:
        if v is None or v is MISSING:
            return "<no value>"
        if callable(v):
            self.at(node)
            raise self.error(f"can't print {node} of type {type_name(v)}")
        return sprint_value(v)

    def walk_range(self, dot: object, node: _Control) -> None:
        pipe = node.pipe
        val = self.pipeline(dot, pipe, declare=False)
        if isinstance(val, Struct):
            raise self.error(f"range can't iterate over {sprint_value(val)}")
        if isinstance(val, dict):
            items: list[tuple[object, object]] = [(k, val[k]) for k in sorted(val, key=_sort_key)]
        elif isinstance(val, (list, tuple)):
            items = list(enumerate(val))
        elif isinstance(val, int) and not isinstance(val, bool):
            if len(pipe.decl) > 1:
                raise self.error(f"can't use {val} to iterate over more than one variable")
            items = [(i, i) for i in range(val)]
        elif val is None or val is MISSING:
            items = []
        else:
            raise self.error(f"range can't iterate over {sprint_value(val)}")
        if not items:
            self.walk(dot, node.orelse)
            return
        mark = len(self.vars)
        for key, elem in items:
            if pipe.decl and pipe.assign:
                self.set_var(pipe.decl[-1], elem)
                if len(pipe.decl) > 1:
                    self.set_var(pipe.decl[0], key)
            elif len(pipe.decl) == 1:
                self.vars.append([pipe.decl[0], elem])
            elif pipe.decl:
                self.vars += [[pipe.decl[0], key], [pipe.decl[1], elem]]
            try:
                self.walk(elem, node.body)
            except _Continue:
                pass
            except _Break:
                break
            finally:
                del self.vars[mark:]

    # ---- variables ----

    def var(self, name: str) -> object:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1]
        raise self.error(f"undefined variable: {name}")

    def set_var(self, name: str, value: object) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1] = value
                return
        raise self.error(f"undefined variable: {name}")

    # ---- evaluation ----

    def pipeline(self, dot: object, pipe: _Pipe, declare: bool = True) -> object:
        self.at(pipe)
        val = _NOFINAL
        for cmd in pipe.cmds:
            val = self.command(dot, cmd, val)
        if declare:
            for name in pipe.decl:
                if pipe.assign:
                    self.set_var(name, val)
                else:
                    self.vars.append([name, val])
        return val

    def not_a_function(self, args: list[_Node], final: object) -> None:
        if len(args) > 1 or final is not _NOFINAL:
            raise self.error(f"can't give argument to non-function {args[0]}")

    def command(self, dot: object, cmd: _Cmd, final: object) -> object:
        first = cmd.args[0]
        if isinstance(first, _Field):
            return self.field(dot, first, cmd.args, final)
        if isinstance(first, _Chain):
            return self.chain(dot, first, cmd.args, final)
        if isinstance(first, _Ident):
            return self.function(dot, first, cmd, cmd.args, final)
        if isinstance(first, _Pipe):
            self.not_a_function(cmd.args, final)
            return self.pipeline(dot, first, declare=False)
        self.at(first)
        self.not_a_function(cmd.args, final)
        assert isinstance(first, _Lit)
        if first.kind == _NILK:
            raise self.error("nil is not a command")
        return dot if first.kind == _DOTK else first.value

    def arg(self, dot: object, node: _Node) -> object:
        self.at(node)
        if isinstance(node, _Lit):
            return dot if node.kind == _DOTK else node.value
        if isinstance(node, _Field):
            return self.field(dot, node, [node], _NOFINAL)
        if isinstance(node, _Chain):
            return self.chain(dot, node, [node], _NOFINAL)
        if isinstance(node, _Pipe):
            return self.pipeline(dot, node, declare=False)
        assert isinstance(node, _Ident)
        return self.function(dot, node, node, [node], _NOFINAL)

    def chain(self, dot: object, node: _Chain, args: list[_Node], final: object) -> object:
        self.at(node)
        if isinstance(node.node, _Lit) and node.node.kind == _NILK:
            raise self.error(f"indirection through explicit nil in {node}")
        recv = self.arg(dot, node.node)
        return self.field_chain(dot, recv, node, node.names, args, final)

    def field(self, dot: object, node: _Field, args: list[_Node], final: object) -> object:
        self.at(node)
        if node.base is None:
            return self.field_chain(dot, dot, node, node.names, args, final)
        value = self.var(node.base)
        if not node.names:
            self.not_a_function(args, final)
            return value
        return self.field_chain(dot, value, node, node.names, args, final)

    def field_chain(self, dot: object, recv: object, node: _Node, names: list[str],
                    args: list[_Node], final: object) -> object:
        for name in names[:-1]:
            recv = self.one_field(dot, name, node, [node], _NOFINAL, recv)
        return self.one_field(dot, names[-1], node, args, final, recv)

    def one_field(self, dot: object, name: str, node: _Node, args: list[_Node], final: object,
                  recv: object) -> object:
        has_args = len(args) > 1 or final is not _NOFINAL
        if recv is MISSING:
            if self.strict:
                raise self.error(f"nil data; no entry for key {go_quote(name)}")
            return MISSING
        if recv is None:
            raise self.error(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(recv, dict):
            if name in recv:
                value = recv[name]
                if callable(value):
                    return self.call_method(dot, name, value, node, args, final)
                if has_args:
                    why = "has arguments but cannot be invoked as function" if isinstance(recv, Struct) \
                        else "is not a method but has arguments"
                    raise self.error(f"{name} {why}")
                return value
            if isinstance(recv, Struct):
                raise self.error(f"can't evaluate field {name} in type {recv.go_type}")
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            if self.strict:
                raise self.error(f"map has no entry for key {go_quote(name)}")
            return MISSING
        if not isinstance(recv, (str, int, float, list, tuple)) and not name.startswith("_") \
                and hasattr(recv, name):
            value = getattr(recv, name)
            if callable(value):
                return self.call_method(dot, name, value, node, args, final)
            if has_args:
                raise self.error(f"{name} has arguments but cannot be invoked as function")
            return value
        raise self.error(f"can't evaluate field {name} in type {type_name(recv)}")

    def call_method(self, dot: object, name: str, fn: Callable[..., object], node: _Node,
                    args: list[_Node], final: object) -> object:
        n = len(args) - 1 + (final is not _NOFINAL)
        code = getattr(fn, "__code__", None)
        if code is not None:
            want = code.co_argcount - (1 if hasattr(fn, "__self__") else 0)
            optional = len(getattr(fn, "__defaults__", None) or ())
            if n < want - optional or (not code.co_flags & 0x04 and n > want):
                raise self.error(f"wrong number of args for {name}: want {want} got {n}")
        argv = [self.arg(dot, a) for a in args[1:]]
        if final is not _NOFINAL:
            argv.append(final)
        try:
            return fn(*argv)
        except (_GoError, HutchError, ValueError, TypeError, LookupError) as err:
            self.at(node)
            raise self.error(f"error calling {name}: {err}") from None

    def function(self, dot: object, ident: _Ident, cmd: _Node, args: list[_Node], final: object) -> object:
        self.at(ident)
        name = ident.name
        func = self.funcs[name]
        given = args[1:]
        n = len(given) + (final is not _NOFINAL)
        fixed = len(func.params) - func.variadic
        if func.variadic and n < fixed:
            raise self.error(f"wrong number of args for {name}: want at least {fixed} got {n}")
        if not func.variadic and n != fixed:
            raise self.error(f"wrong number of args for {name}: want {fixed} got {n}")
        if name in ("and", "or"):  # (Go 1.18: they stop at the first false / true argument)
            val: object = MISSING
            for k in range(n):
                val = self.arg(dot, given[k]) if k < len(given) else final
                if _truth(val) != (name == "and"):
                    return val
            return val
        argv: list[object] = []
        for k in range(n):
            param = func.params[min(k, len(func.params) - 1)]
            if k < len(given):
                argv.append(self.check_type(given[k], param, self.arg(dot, given[k])))
            else:
                argv.append(self.check_type(None, param, final))
        if name == "call":  # (Go names the callee by its node)
            argv.insert(0, str(given[0]) if given else "")
        try:
            return func.fn(*argv)
        except Exception as err:
            self.at(cmd)
            raise self.error(f"error calling {name}: {err}") from None

    def check_type(self, node: _Node | None, param: str, value: object) -> object:
        if param == "any":
            return value
        if isinstance(node, _Lit) and node.kind != _DOTK:  # (Go's evalArg on a constant)
            self.at(node)
            if node.kind == _NILK:
                raise self.error(f"cannot assign nil to {param}")
            want = {"string": (_STRK, "string"), "int": (_NUMK, "integer")}.get(param)
            if want is None:
                raise self.error(f"can't handle {node} for arg of type {param}")
            if node.kind != want[0] or (param == "int" and not isinstance(value, int)):
                raise self.error(f"expected {want[1]}; found {node}")
            return value
        if value is None or value is MISSING:
            raise self.error(f"invalid value; expected {param}")
        ok = {"string": lambda v: isinstance(v, str),
              "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "[]string": lambda v: isinstance(v, (list, tuple)) and all(isinstance(e, str) for e in v),
              }[param](value)
        if not ok:
            raise self.error(f"wrong type for value; expected {param}; got {type_name(value)}")
        return value


class Template:
    """A parsed template: ``Template(text).execute(data)``."""

    def __init__(self, text: str, name: str = "",
                 funcs: Mapping[str, Callable[..., object]] | None = None) -> None:
        self.text, self.name = text, name
        self.funcs: dict[str, _Func] = dict(FUNCS)
        for fname, fn in (funcs or {}).items():
            self.funcs[fname] = _Func(fn, "*any")
        parser = _Parser(text, name)
        parser.funcs = self.funcs
        self.root = parser.parse()
        self.defs = parser.defs

    def execute(self, data: object, strict: bool = False, funcs: Mapping[str, _Func] | None = None,
                partial: list[str] | None = None) -> str:
        """The output for ``data``. ``strict``: a missing map key is an error (Go's
        ``missingkey=error``; docker's contexts are structs, where an unknown field is one).
        ``partial`` gets what was written before an error."""
        ex = _Exec(self, data, funcs or self.funcs, strict)
        try:
            ex.walk(data, self.root)
        finally:
            if partial is not None:
                partial[:] = ex.out
        return "".join(ex.out)


def parse(text: str, name: str = "") -> Template:
    """Parse as docker does (an error reads ``template parsing error: template: :1: ...``)."""
    try:
        return Template(text, name)
    except TemplateError as err:
        raise TemplateError(f"template parsing error: {err}") from None


def execute(tmpl: Template, data: object, strict: bool = True) -> str:
    """Run as docker's formatter runs a row (its execution errors say "template parsing error" too)."""
    try:
        return tmpl.execute(data, strict=strict)
    except TemplateError as err:
        raise TemplateError(f"template parsing error: {err}") from None


def render(text: str, data: object, strict: bool = True) -> str:
    """Parse and run ``text`` on ``data`` (one row of docker's --format)."""
    return execute(parse(text), data, strict)


# ---- docker's formatter around the template ----------------------------------------------


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
