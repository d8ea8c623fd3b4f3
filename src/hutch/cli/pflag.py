"""The engine's flags, parsed as docker's command line (cobra and pflag) parses them.

Each verb declares its flags with argparse's ``add_argument`` words (the subset hutch uses:
``action`` store, ``store_true``, ``append``, ``help``; ``type``, ``choices``, ``default``,
``dest``, ``metavar``; positionals with ``nargs`` None, ``?``, ``+``, ``*`` or `REMAINDER`),
and gets argparse's `Namespace` shape back; the parsing itself is pflag's:

- ``--name value``, ``--name=value``, ``-n value``, ``-nvalue``, ``-n=value``; a boolean flag
  takes no word of its own (``--rm``, ``--rm=false``, ``-it``, ``-dit``); ``--`` ends the flags;
- a flag is its whole name: no abbreviations (argparse took ``--pid host`` for
  ``--pids-limit host``);
- flags may follow positionals (``rm c1 -f``), except in a verb whose last positional is
  `REMAINDER` (``run IMAGE CMD...``, ``exec C CMD...``): there the first positional ends them;
- docker's messages: ``unknown flag: --x``, ``unknown shorthand flag: 'x' in -x``, ``flag needs
  an argument: --name``, ``invalid argument "x" for "-n, --last" flag: ...``, ``"hutch rm"
  requires at least 1 argument``.

Why not argparse: its matching by prefix, its ``--flag false`` booleans and its messages are not
docker's, and importing it costs ~16 ms here (re, enum, gettext and locale come with it), a
seventh of a whole ``hutch run --rm``. This module imports nothing.
"""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

#: A positional that takes every word left, flags included (argparse's spelling).
REMAINDER = "..."

_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


class UsageError(HutchError):
    """The command line is wrong (a flag, a value, the number of arguments)."""

    code = 1  #: the exit status (125 for the verbs where docker says so)


class Help(Exception):  # (not an error: what the caller prints, then exit 0)
    """-h or --help: the text to print."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Namespace:
    """A parsed command line: an attribute per flag and positional, named as argparse names them."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return "Namespace(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__

    if TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any: ...  # (as typeshed's argparse.Namespace)

        def __setattr__(self, name: str, value: Any) -> None: ...


_UNSET: Any = object()


class _Option:
    __slots__ = ("choices", "convert", "default", "dest", "help", "kind", "metavar", "names")

    def __init__(self, names: tuple[str, ...], dest: str, kind: str, default: Any,
                 convert: Callable[[str], Any] | None, choices: Sequence[str] | None,
                 help: str | None, metavar: str | None) -> None:
        self.names, self.dest, self.kind, self.default = names, dest, kind, default
        self.convert, self.choices, self.help, self.metavar = convert, choices, help, metavar

    def label(self) -> str:
        """How docker names the flag in a message: ``-n, --last``."""
        return ", ".join(self.names)

    def type_name(self) -> str:
        if self.metavar:
            return self.metavar
        if self.kind == "append":
            return "list"
        return "int" if self.convert is int else "string"


class _Positional:
    __slots__ = ("default", "dest", "help", "metavar", "nargs")

    def __init__(self, dest: str, nargs: str | None, default: Any, help: str | None,
                 metavar: str | None) -> None:
        self.dest, self.nargs, self.default, self.help, self.metavar = dest, nargs, default, help, metavar

    def least(self) -> int:
        return 1 if self.nargs in (None, "+") else 0

    def most(self) -> int | None:
        return 1 if self.nargs in (None, "?") else None

    def usage(self) -> str:
        name = self.metavar or self.dest.upper()
        return {None: name, "?": f"[{name}]", "+": f"{name} [{name}...]", "*": f"[{name}...]",
                REMAINDER: f"[{name}...]"}[self.nargs]


class Parser:
    """One command's flags and positionals (see the module's docstring)."""

    def __init__(self, prog: str, description: str = "", add_help: bool = True) -> None:
        self.prog, self.description = prog, description
        self.options: list[_Option] = []
        self.positionals: list[_Positional] = []
        self._long: dict[str, _Option] = {}
        self._short: dict[str, _Option] = {}
        if add_help:
            self.add_argument("-h", "--help", action="help", help="show this help")

    # ---- declaring ----------------------------------------------------------------------

    def add_argument(self, *names: str, action: str | None = None, default: Any = _UNSET,
                     type: Callable[[str], Any] | None = None, choices: Sequence[str] | None = None,
                     help: str | None = None, dest: str | None = None, metavar: str | None = None,
                     nargs: str | None = None) -> None:
        """argparse's words for a flag (``-x``, ``--xx``...) or a positional (a bare name)."""
        if not names[0].startswith("-"):
            assert len(names) == 1 and action is None and nargs in (None, "?", "+", "*", REMAINDER)
            self.positionals.append(_Positional(names[0], nargs, None if default is _UNSET else default,
                                                help, metavar))
            return
        assert nargs is None, "a flag takes one value (append for more)"
        kind = {None: "value", "store": "value", "store_true": "bool", "append": "append",
                "help": "help"}[action]
        if default is _UNSET:
            default = {"bool": False, "append": []}.get(kind)
        longs = [n[2:] for n in names if n.startswith("--")]
        if dest is None:
            dest = (longs[0] if longs else names[0][1:]).replace("-", "_")
        opt = _Option(names, dest, kind, default, type, choices, help, metavar)
        for n in names:
            table, key = (self._long, n[2:]) if n.startswith("--") else (self._short, n[1:])
            assert len(key) >= 1 and (table is self._long or len(key) == 1), n
            assert key not in table, f"{self.prog}: {n} declared twice"
            table[key] = opt
        self.options.append(opt)

    # ---- parsing ------------------------------------------------------------------------

    def parse_args(self, argv: Sequence[str]) -> Namespace:
        values: dict[str, Any] = {}
        for o in self.options:
            if o.kind != "help":
                values[o.dest] = list(o.default) if o.kind == "append" else o.default
        interspersed = not (self.positionals and self.positionals[-1].nargs == REMAINDER)
        words: list[str] = []
        i = 0
        while i < len(argv):
            arg = argv[i]
            i += 1
            if arg == "--":
                words.extend(argv[i:])
                break
            if arg.startswith("--"):
                name, eq, value = arg[2:].partition("=")
                opt = self._long.get(name)
                if opt is None:
                    raise UsageError(f"unknown flag: --{name}{self._see()}")
                if opt.kind == "help":
                    raise Help(self.format_help())
                if opt.kind == "bool":
                    values[opt.dest] = self._bool(opt, value) if eq else True
                    continue
                if not eq:
                    if i >= len(argv):
                        raise UsageError(f"flag needs an argument: --{name}{self._see()}")
                    value = argv[i]
                    i += 1
                self._store(values, opt, value)
            elif arg.startswith("-") and arg != "-":
                i = self._shorthands(values, arg, argv, i)
            else:
                words.append(arg)
                if not interspersed:
                    words.extend(argv[i:])
                    break
        self._assign(values, words)
        return Namespace(**values)

    def _shorthands(self, values: dict[str, Any], arg: str, argv: Sequence[str], i: int) -> int:
        """``-abc``: booleans until a flag that takes a value, which takes the rest (or the next
        word); where the next word is, after it."""
        j = 1
        while j < len(arg):
            c = arg[j]
            opt = self._short.get(c)
            if opt is None:
                raise UsageError(f"unknown shorthand flag: '{c}' in {arg}{self._see()}")
            if opt.kind == "help":
                raise Help(self.format_help())
            rest = arg[j + 1 :]
            if opt.kind == "bool":
                if rest.startswith("="):
                    values[opt.dest] = self._bool(opt, rest[1:])
                    return i
                values[opt.dest] = True
                j += 1
                continue
            if rest:
                self._store(values, opt, rest[1:] if rest.startswith("=") else rest)
                return i
            if i >= len(argv):
                raise UsageError(f"flag needs an argument: '{c}' in {arg}{self._see()}")
            self._store(values, opt, argv[i])
            return i + 1
        return i

    def _store(self, values: dict[str, Any], opt: _Option, raw: str) -> None:
        if opt.choices is not None and raw not in opt.choices:
            raise UsageError(f'invalid argument "{raw}" for "{opt.label()}" flag: must be one of '
                             f"{', '.join(opt.choices)}{self._see()}")
        value: Any = raw
        if opt.convert is not None:
            try:
                value = opt.convert(raw)
            except ValueError as err:
                why = "not an integer" if opt.convert is int else str(err)
                raise UsageError(f'invalid argument "{raw}" for "{opt.label()}" flag: {why}'
                                 f"{self._see()}") from None
        if opt.kind == "append":
            values[opt.dest].append(value)
        else:
            values[opt.dest] = value

    def _bool(self, opt: _Option, raw: str) -> bool:
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise UsageError(f'invalid argument "{raw}" for "{opt.label()}" flag: invalid boolean '
                         f"(true or false){self._see()}")

    def _assign(self, values: dict[str, Any], words: list[str]) -> None:
        """The words to the positionals, left to right, each leaving enough for those after it."""
        least = sum(p.least() for p in self.positionals)
        mosts = [p.most() for p in self.positionals]
        most = None if None in mosts else sum(m for m in mosts if m is not None)
        if len(words) < least or (most is not None and len(words) > most):
            raise UsageError(self._count_message(least, most))
        at = 0
        for k, p in enumerate(self.positionals):
            after = sum(q.least() for q in self.positionals[k + 1 :])
            room = len(words) - at - after
            if p.nargs is None:
                values[p.dest] = words[at]
                at += 1
            elif p.nargs == "?":
                values[p.dest] = words[at] if room >= 1 else p.default
                at += 1 if room >= 1 else 0
            else:  # +, *, REMAINDER: all there is room for
                values[p.dest] = list(words[at : at + room])
                at += room

    def _count_message(self, least: int, most: int | None) -> str:
        def n(k: int) -> str:
            return f"{k} argument{'' if k == 1 else 's'}"

        if least == most:
            return f'"{self.prog}" requires exactly {n(least)}{self._see()}'
        if most is None:
            return f'"{self.prog}" requires at least {n(least)}{self._see()}'
        if least == 0:
            return f'"{self.prog}" accepts at most {n(most)}{self._see()}'
        return f'"{self.prog}" requires at least {least} and at most {n(most)}{self._see()}'

    def _see(self) -> str:
        return f" (see '{self.prog} --help')"

    # ---- help ---------------------------------------------------------------------------

    def usage(self) -> str:
        words = " ".join(p.usage() for p in self.positionals)
        flags = " [OPTIONS]" if any(o.kind != "help" for o in self.options) else ""
        return f"Usage:  {self.prog}{flags}{' ' + words if words else ''}"

    def format_help(self) -> str:
        """docker's shape: the usage line, the description, then a line per flag."""
        out = [self.usage(), ""]
        if self.description:
            out += [self.description, ""]
        rows: list[tuple[str, str]] = []
        for o in sorted(self.options, key=lambda o: o.names[-1].lstrip("-")):
            short = next((n for n in o.names if not n.startswith("--")), "")
            longs = ", ".join(n for n in o.names if n.startswith("--"))
            left = f"{short + ', ' if short and longs else short}{longs}" if short else f"    {longs}"
            if o.kind in ("value", "append"):
                left += f" {o.type_name()}"
            text = o.help or ""
            if o.choices is not None:
                text += f"{' ' if text else ''}({'|'.join(o.choices)})"
            rows.append((left, text))
        if rows:
            width = max(len(left) for left, _ in rows)
            out.append("Options:")
            out += [f"  {left:<{width}}   {text}".rstrip() for left, text in rows]
        return "\n".join(out) + "\n"
