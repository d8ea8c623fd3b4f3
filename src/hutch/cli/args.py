"""hutch-runtime's flags and their parsing, as runc's urfave/cli v1 does it: the ``Flag`` model,
the parsed ``Args``, the flags-first reordering, and what every command's arguments share.

Below ``cli/main.py`` (the global flags and the verb table) and ``cli/runtime/`` (each verb's flags).
"""

from __future__ import annotations

from hutch.errors import InvalidArgument


class Flag:
    __slots__ = ("default", "multi", "names", "takes_value")

    def __init__(self, *names: str, value: bool = False, multi: bool = False,
                 default: object = None) -> None:
        self.names = names
        self.takes_value = value
        self.multi = multi
        self.default = [] if multi else (default if value else False)


class Args:
    """Parsed flags (by long name, dashes kept) and positional arguments."""

    def __init__(self, flags: dict[str, object], args: list[str]) -> None:
        self.flags = flags
        self.args = args

    def text(self, name: str) -> str:
        return str(self.flags[name])

    def flag(self, name: str) -> bool:
        return bool(self.flags[name])

    def many(self, name: str) -> list[str]:
        value = self.flags[name]
        assert isinstance(value, list)
        return value

    def number(self, name: str) -> int:
        raw = self.text(name)
        try:
            return int(raw)
        except ValueError:
            raise InvalidArgument(f"invalid value {raw!r} for --{name}: not an integer") from None


def reorder_args(argv: list[str]) -> list[str]:
    """Flags first, as urfave/cli v1 (runc's) does for every command but exec and ps, so
    that ``update ID --memory 1m`` works: each ``-x`` moves to the front, with the word
    after it when it has no ``=`` and does not start with ``-`` (a value, or a positional
    argument after a boolean flag, which then stays in front of the rest); ``--`` and all
    after it stay last."""
    flags: list[str] = []
    rest: list[str] = []
    takes_next = False
    for i, arg in enumerate(argv):
        if arg == "--":
            rest.extend(argv[i:])
            break
        if takes_next and not arg.startswith("-"):
            takes_next = False
            flags.append(arg)
            continue
        takes_next = False
        if arg != "-" and arg.startswith("-"):
            flags.append(arg)
            takes_next = "=" not in arg
        else:
            rest.append(arg)
    return flags + rest


_TRUE = {"true", "1", "t", "yes"}
_FALSE = {"false", "0", "f", "no"}


def parse(argv: list[str], spec: list[Flag], stop_at_positional: bool = True) -> Args:
    by_name = {n: f for f in spec for n in f.names}
    flags: dict[str, object] = {f.names[0]: list(f.default) if f.multi else f.default  # type: ignore[call-overload]
                                for f in spec}
    args: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            args.extend(argv[i + 1 :])
            break
        if not arg.startswith("-") or arg == "-" or (args and stop_at_positional):
            args.extend(argv[i:]) if stop_at_positional else args.append(arg)
            if stop_at_positional:
                break
            i += 1
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        flag = by_name.get(name)
        if flag is None:
            raise InvalidArgument(f"flag provided but not defined: -{name}")
        key = flag.names[0]
        if flag.takes_value:
            if not eq:
                i += 1
                if i >= len(argv):
                    raise InvalidArgument(f"flag needs an argument: --{name}")
                value = argv[i]
            if flag.multi:
                flags[key].append(value)  # type: ignore[attr-defined]
            else:
                flags[key] = value
        elif eq:
            if value.lower() not in _TRUE | _FALSE:
                raise InvalidArgument(f"invalid boolean value {value!r} for --{name}")
            flags[key] = value.lower() in _TRUE
        else:
            flags[key] = True
        i += 1
    return Args(flags, args)


def need_id(a: Args, name: str, extra_ok: bool = False) -> str:
    if not a.args:
        raise InvalidArgument(f"{name}: a container id is required")
    if len(a.args) > 1 and not extra_ok:
        raise InvalidArgument(f"{name}: too many arguments: {' '.join(a.args[1:])}")
    return a.args[0]
