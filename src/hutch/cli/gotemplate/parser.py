"""Go's text/template parser: the tree of a template, its ``define``s, and Go's parse errors
(``template: NAME:LINE: MSG``)."""

from __future__ import annotations

from hutch.cli.gotemplate.lexer import (
    ASSIGN,
    BOOL,
    CHAR,
    CHARC,
    DECLARE,
    DOT,
    EOF,
    ERROR,
    FIELD,
    IDENT,
    KEYWORD,
    LDELIM,
    LPAREN,
    NIL,
    NUMBER,
    PIPE,
    RAW,
    RDELIM,
    RPAREN,
    SPACE,
    STRING,
    TEXT,
    VAR,
    Lexer,
    Token,
)
from hutch.cli.gotemplate.nodes import (
    BOOLK,
    DOTK,
    NILK,
    NUMK,
    STRK,
    Action,
    Call,
    Chain,
    Cmd,
    Control,
    Field,
    Ident,
    Lit,
    Mark,
    Node,
    Pipe,
    Text,
    unquote,
)
from hutch.cli.gotemplate.values import TemplateError, go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


class Parser:
    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        lexer = Lexer(text)
        self.toks = lexer.run()
        self.action_line = 0  # (the line of the action being parsed, for errors in it)
        self.i = 0
        self.last = self.toks[0]
        self.vars = ["$"]
        self.range_depth = 0
        self.funcs: Mapping[str, object] = {}  # (the names a template may call)
        self.defs: dict[str, list[Node]] = {}  # {{define}} and {{block}} bodies

    # (Go's errors name the line of the last token read)
    def error(self, msg: str, pos: int | None = None) -> TemplateError:
        if pos is None:
            pos = self.last.pos
        line = self.line(pos)
        return TemplateError(f"template: {self.name}:{line}: {msg}")

    def next(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        self.last = tok
        return tok

    def peek(self) -> Token:
        tok = self.next()
        self.i -= 1
        return tok

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.typ == SPACE:
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.i -= 1
        return tok

    def line(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def unexpected(self, tok: Token, context: str) -> TemplateError:
        if tok.typ == ERROR:  # (the lexer's error, where the action it is in began if elsewhere)
            msg = tok.val
            if self.action_line and self.action_line != self.line(tok.pos):
                where = f" started at {self.name}:{self.action_line}"
                msg += where if msg.endswith(" action") else " in action" + where
            return self.error(msg, tok.pos)
        return self.error(f"unexpected {tok} in {context}")

    def expect(self, typ: int, context: str) -> Token:
        tok = self.next_non_space()
        if tok.typ != typ:
            raise self.unexpected(tok, context)
        return tok

    def parse(self) -> list[Node]:
        out: list[Node] = []
        while self.peek().typ != EOF:
            if self.peek().typ == LDELIM:  # {{define}}: at the top level only
                save = self.i
                self.next()
                tok = self.next_non_space()
                if tok.typ == KEYWORD and tok.val == "define":
                    self.definition()
                    continue
                self.i = save
            node = self.text_or_action()
            if isinstance(node, Mark) and node.word in ("end", "else"):
                raise self.error(f"unexpected {node}")
            out.append(node)
        return out

    def template_name(self, context: str) -> Token:
        tok = self.next_non_space()
        if tok.typ not in (STRING, RAW):
            raise self.unexpected(tok, context)
        return tok

    def define(self, name: str, body: list[Node]) -> None:
        """Go's associate: a body of nothing but spaces does not replace a template."""
        if name in self.defs and all(isinstance(n, Text) and not n.text.strip() for n in body):
            return
        self.defs[name] = body

    def sub_list(self, context: str) -> list[Node]:
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
        self.expect(RDELIM, context)
        self.define(self.string(name), self.sub_list(context))

    def string(self, tok: Token) -> str:
        try:
            return unquote(tok.val)
        except (ValueError, IndexError):
            raise self.error("invalid syntax") from None

    def text_or_action(self) -> Node:
        tok = self.next_non_space()
        if tok.typ == TEXT:
            return Text(tok.pos, tok.val)
        if tok.typ == LDELIM:
            self.action_line = self.line(tok.pos)
            try:
                return self.action()
            finally:
                self.action_line = 0
        raise self.unexpected(tok, "input")

    def item_list(self) -> tuple[list[Node], Mark]:
        out: list[Node] = []
        while self.peek_non_space().typ != EOF:
            node = self.text_or_action()
            if isinstance(node, Mark) and node.word in ("end", "else"):
                return out, node
            out.append(node)
        raise self.error("unexpected EOF")

    def action(self) -> Node:
        tok = self.next_non_space()
        if tok.typ == KEYWORD:
            word = tok.val
            if word in ("if", "range", "with"):
                return self.control(word, tok.pos)
            if word == "end":
                return Mark(self.expect(RDELIM, "end").pos, "end")
            if word == "else":
                peek = self.peek_non_space()
                if peek.typ == KEYWORD and peek.val in ("if", "with"):
                    return Mark(peek.pos, "else")
                return Mark(self.expect(RDELIM, "else").pos, "else")
            if word in ("break", "continue"):
                if not self.range_depth:
                    raise self.error(f"{{{{{word}}}}} outside {{{{range}}}}")
                self.expect(RDELIM, word)
                return Mark(tok.pos, word)
            if word in ("template", "block"):
                context = f"{word} clause"
                name = self.template_name(context)
                pipe = None
                if word == "block":
                    pipe = self.pipeline(context, RDELIM)
                    self.define(self.string(name), self.sub_list(context))
                elif self.next_non_space().typ != RDELIM:
                    self.i -= 1
                    pipe = self.pipeline(context, RDELIM)
                return Call(name.pos, self.string(name), name.val, pipe)
            raise self.error(f"unexpected <{word}> in command")  # (a define not at the top level)
        self.i -= 1
        tok = self.peek()
        return Action(tok.pos, self.pipeline("command", RDELIM))

    def control(self, kind: str, pos: int) -> Control:
        mark = len(self.vars)
        pipe = self.pipeline(kind, RDELIM)
        if kind == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        orelse: list[Node] = []
        if nxt.word == "else":
            peek = self.peek()
            if kind in ("if", "with") and peek.typ == KEYWORD and peek.val == kind:
                self.next()
                orelse = [self.control(kind, peek.pos)]
            else:
                orelse, nxt = self.item_list()
                if nxt.word != "end":
                    raise self.error(f"expected end; found {nxt}")
        del self.vars[mark:]
        return Control(pos, kind, pipe, body, orelse)

    def pipeline(self, context: str, end: int) -> Pipe:
        pipe = Pipe(self.peek_non_space().pos)
        while (v := self.peek_non_space()).typ == VAR:  # declarations
            save = self.i
            self.next_non_space()
            after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (ASSIGN, DECLARE):
                pipe.assign = nxt.typ == ASSIGN
                self.next_non_space()
                pipe.decl.append(v.val)
                self.vars.append(v.val)  # (as Go: an = to no variable fails when it runs)
                break
            if nxt.typ == CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(v.val)
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (VAR, RDELIM, RPAREN):
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
                    if isinstance(first, Lit):
                        raise self.error(f"non executable command in pipeline stage {k + 2}")
                return pipe
            if tok.typ in (BOOL, CHARC, DOT, FIELD, IDENT, NUMBER, NIL, RAW, STRING, VAR,
                           LPAREN):
                self.i -= 1
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(tok, context)

    def command(self) -> Cmd:
        cmd = Cmd(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ == SPACE:
                continue
            if tok.typ in (RDELIM, RPAREN):
                self.i -= 1
            elif tok.typ != PIPE:
                raise self.unexpected(tok, "operand")
            break
        if not cmd.args:
            raise self.error("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == FIELD:
            pos = self.peek().pos
            names = []
            while self.peek().typ == FIELD:
                names.append(self.next().val[1:])
            if isinstance(node, Field):
                return Field(pos, node.base, node.names + names)
            if isinstance(node, Lit):
                raise self.error(f"unexpected . after term {go_quote(str(node))}")
            return Chain(pos, node, names)
        return node

    def term(self) -> Node | None:
        tok = self.next_non_space()
        typ, val, pos = tok.typ, tok.val, tok.pos
        if typ == IDENT:
            if val not in self.funcs:
                raise self.error(f"function {go_quote(val)} not defined")
            return Ident(pos, val)
        if typ == DOT:
            return Lit(pos, DOTK, ".", None)
        if typ == NIL:
            return Lit(pos, NILK, "nil", None)
        if typ == VAR:
            if val not in self.vars:
                raise self.error(f"undefined variable {go_quote(val)}")
            return Field(pos, val, [])
        if typ == FIELD:
            return Field(pos, None, [val[1:]])
        if typ == BOOL:
            return Lit(pos, BOOLK, val, val == "true")
        if typ in (NUMBER, CHARC):
            return Lit(pos, NUMK, val, self.number(val, typ == CHARC))
        if typ == LPAREN:
            return self.pipeline("parenthesized pipeline", RPAREN)
        if typ in (STRING, RAW):
            try:
                return Lit(pos, STRK, val, unquote(val))
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
