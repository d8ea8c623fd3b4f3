"""Go's text/template execution: a `Template` run on data, with Go's "at" node and execution
errors (``template: NAME:LINE:COL: executing "NAME" at <NODE>: MSG``)."""

from __future__ import annotations

from hutch.cli.gotemplate.funcs import FUNCS, Func, truth
from hutch.cli.gotemplate.nodes import (
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
)
from hutch.cli.gotemplate.parser import Parser
from hutch.cli.gotemplate.values import (
    MISSING,
    FuncError,
    GoMap,
    Struct,
    TemplateError,
    go_quote,
    sort_key,
    sprint_value,
    type_name,
)
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


_NOFINAL: Any = object()  # (no value piped in)
_MAX_DEPTH = 100  # (Go's is 100000; Python's stack is shallower)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass



class _Exec:
    """One execution: Go's state, with its "at" node (the last node evaluated) for errors."""

    def __init__(self, tmpl: Template, data: object, funcs: Mapping[str, Func], strict: bool) -> None:
        self.tmpl, self.funcs, self.strict = tmpl, funcs, strict
        self.vars: list[list[Any]] = [["$", data]]
        self.out: list[str] = []
        self.node: Node = Text(0, "")
        self.name = tmpl.name  # (the template being run: a {{define}}'s name inside it)
        self.depth = 0

    def at(self, node: Node) -> None:
        self.node = node

    def error(self, msg: str) -> TemplateError:
        node, text, name = self.node, self.tmpl.text, self.tmpl.name
        line = text.count("\n", 0, node.pos) + 1
        col = node.pos - (text.rfind("\n", 0, node.pos) + 1)
        where = f"template: {name}:{line}:{col}: executing {go_quote(self.name)}"
        return TemplateError(f"{where} at <{node}>: {msg}")

    # ---- walking ----

    def walk(self, dot: object, nodes: list[Node]) -> None:
        for node in nodes:
            self.at(node)
            if isinstance(node, Text):
                self.out.append(node.text)
            elif isinstance(node, Action):
                val = self.pipeline(dot, node.pipe)
                if not node.pipe.decl:
                    self.out.append(self.printable(node, val))
            elif isinstance(node, Control):
                mark = len(self.vars)
                if node.kind == "range":
                    self.walk_range(dot, node)
                else:
                    val = self.pipeline(dot, node.pipe)
                    if truth(val):
                        self.walk(val if node.kind == "with" else dot, node.body)
                    else:
                        self.walk(dot, node.orelse)
                del self.vars[mark:]
            elif isinstance(node, Call):
                self.call_template(dot, node)
            elif isinstance(node, Mark):
                raise _Break() if node.word == "break" else _Continue()

    def call_template(self, dot: object, node: Call) -> None:
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

    def printable(self, node: Action, v: object) -> str:
        if v is None or v is MISSING:
            return "<no value>"
        if callable(v):
            self.at(node)
            raise self.error(f"can't print {node} of type {type_name(v)}")
        return sprint_value(v)

    def walk_range(self, dot: object, node: Control) -> None:
        pipe = node.pipe
        val = self.pipeline(dot, pipe, declare=False)
        if isinstance(val, Struct):
            raise self.error(f"range can't iterate over {sprint_value(val)}")
        if isinstance(val, dict):
            items: list[tuple[object, object]] = [(k, val[k]) for k in sorted(val, key=sort_key)]
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

    def pipeline(self, dot: object, pipe: Pipe, declare: bool = True) -> object:
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

    def not_a_function(self, args: list[Node], final: object) -> None:
        if len(args) > 1 or final is not _NOFINAL:
            raise self.error(f"can't give argument to non-function {args[0]}")

    def command(self, dot: object, cmd: Cmd, final: object) -> object:
        first = cmd.args[0]
        if isinstance(first, Field):
            return self.field(dot, first, cmd.args, final)
        if isinstance(first, Chain):
            return self.chain(dot, first, cmd.args, final)
        if isinstance(first, Ident):
            return self.function(dot, first, cmd, cmd.args, final)
        if isinstance(first, Pipe):
            self.not_a_function(cmd.args, final)
            return self.pipeline(dot, first, declare=False)
        self.at(first)
        self.not_a_function(cmd.args, final)
        assert isinstance(first, Lit)
        if first.kind == NILK:
            raise self.error("nil is not a command")
        return dot if first.kind == DOTK else first.value

    def arg(self, dot: object, node: Node) -> object:
        self.at(node)
        if isinstance(node, Lit):
            return dot if node.kind == DOTK else node.value
        if isinstance(node, Field):
            return self.field(dot, node, [node], _NOFINAL)
        if isinstance(node, Chain):
            return self.chain(dot, node, [node], _NOFINAL)
        if isinstance(node, Pipe):
            return self.pipeline(dot, node, declare=False)
        assert isinstance(node, Ident)
        return self.function(dot, node, node, [node], _NOFINAL)

    def chain(self, dot: object, node: Chain, args: list[Node], final: object) -> object:
        self.at(node)
        if isinstance(node.node, Lit) and node.node.kind == NILK:
            raise self.error(f"indirection through explicit nil in {node}")
        recv = self.arg(dot, node.node)
        return self.field_chain(dot, recv, node, node.names, args, final)

    def field(self, dot: object, node: Field, args: list[Node], final: object) -> object:
        self.at(node)
        if node.base is None:
            return self.field_chain(dot, dot, node, node.names, args, final)
        value = self.var(node.base)
        if not node.names:
            self.not_a_function(args, final)
            return value
        return self.field_chain(dot, value, node, node.names, args, final)

    def field_chain(self, dot: object, recv: object, node: Node, names: list[str],
                    args: list[Node], final: object) -> object:
        for name in names[:-1]:
            recv = self.one_field(dot, name, node, [node], _NOFINAL, recv)
        return self.one_field(dot, names[-1], node, args, final, recv)

    def one_field(self, dot: object, name: str, node: Node, args: list[Node], final: object,
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
            if self.strict and not isinstance(recv, GoMap):
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

    def call_method(self, dot: object, name: str, fn: Callable[..., object], node: Node,
                    args: list[Node], final: object) -> object:
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
        except (FuncError, HutchError, ValueError, TypeError, LookupError) as err:
            self.at(node)
            raise self.error(f"error calling {name}: {err}") from None

    def function(self, dot: object, ident: Ident, cmd: Node, args: list[Node], final: object) -> object:
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
                if truth(val) != (name == "and"):
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

    def check_type(self, node: Node | None, param: str, value: object) -> object:
        if param == "any":
            return value
        if isinstance(node, Lit) and node.kind != DOTK:  # (Go's evalArg on a constant)
            self.at(node)
            if node.kind == NILK:
                raise self.error(f"cannot assign nil to {param}")
            want = {"string": (STRK, "string"), "int": (NUMK, "integer")}.get(param)
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
        self.funcs: dict[str, Func] = dict(FUNCS)
        for fname, fn in (funcs or {}).items():
            self.funcs[fname] = Func(fn, "*any")
        parser = Parser(text, name)
        parser.funcs = self.funcs
        self.root = parser.parse()
        self.defs = parser.defs

    def execute(self, data: object, strict: bool = False, funcs: Mapping[str, Func] | None = None,
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
