"""The functions a template calls: Go's builtins and docker's (cli/templates/templates.go),
each with its Go parameter types (a wrong argument is Go's error, a function's own failure is
``error calling NAME: ...``); docker's header functions for a table's header row."""

from __future__ import annotations

from hutch.cli.gotemplate.printf import sprint, sprintf
from hutch.cli.gotemplate.values import MISSING, FuncError, Struct, alnum, go_json, sprint_value, type_name
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def truth(v: object) -> bool:
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
        raise FuncError("missing argument for comparison")
    for b in bs:
        ka, kb = _kind(a), _kind(b)
        if ka != kb:
            if a not in (None, MISSING) and b not in (None, MISSING):
                raise FuncError("incompatible types for comparison")
        elif ka == "other":
            if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
                raise FuncError(f"non-comparable type {sprint_value(b)}: {type_name(b)}")
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
        raise FuncError("invalid type for comparison")
    if ka != kb:
        raise FuncError("incompatible types for comparison")
    return bool(a < b)  # type: ignore[operator]


def _len(v: object) -> int:
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, Struct):
        raise FuncError(f"len of type {v.go_type.lstrip('*')}")
    if isinstance(v, (list, tuple, dict)):
        return len(v)
    if v is None or v is MISSING:  # (Go's len panics on the zero Value an untyped nil is)
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    raise FuncError(f"len of type {type_name(v)}")


def _index_int(i: object, cap: int, what: str = "index") -> int:
    if isinstance(i, bool) or not isinstance(i, int):
        raise FuncError(f"cannot index slice/array with type {type_name(i)}")
    if i < 0 or i > cap:
        raise FuncError(f"{what} out of range: {i}")
    return i


def _index(item: object, *indexes: object) -> object:
    if item is None or item is MISSING:
        raise FuncError("index of untyped nil")
    for i in indexes:
        if isinstance(item, (list, tuple, str)):
            seq = item.encode() if isinstance(item, str) else item
            k = _index_int(i, len(seq))
            if k == len(seq):
                raise FuncError(f"index out of range: {k}")
            item = seq[k]
        elif isinstance(item, Struct):
            raise FuncError(f"can't index item of type {item.go_type.lstrip('*')}")
        elif isinstance(item, dict):
            if i in item:
                item = item[i]
            elif item and all(isinstance(e, str) for e in item.values()):
                item = ""  # (the zero value of a map[string]string, docker's labels)
            else:
                item = MISSING
        elif item is None or item is MISSING:
            raise FuncError("index of untyped nil")
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def _slice(item: object, *indexes: object) -> object:
    if not isinstance(item, (list, tuple, str)):
        if item is None or item is MISSING:
            raise FuncError("slice of untyped nil")
        raise FuncError(f"can't slice item of type {type_name(item)}")
    seq = item.encode() if isinstance(item, str) else item
    if len(indexes) == 3 and isinstance(item, str):
        raise FuncError("cannot 3-index slice a string")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    idx = [_index_int(i, len(seq)) for i in indexes[:2]]
    lo, hi = (idx + [0, len(seq)][len(idx):])[:2]
    if lo > hi:
        raise FuncError(f"invalid slice index: {lo} > {hi}")
    out = seq[lo:hi]
    return out.decode(errors="replace") if isinstance(out, bytes) else list(out)


def _call(name: str, fn: object, *args: object) -> object:
    if not callable(fn):
        raise FuncError(f"non-function {name} of type {type_name(fn)}")
    try:
        return fn(*args)
    except (HutchError, ValueError, TypeError, LookupError) as err:
        raise FuncError(str(err)) from None


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
        out.append(c.upper() if not alnum(prev) else c)
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


class Func:
    """A template function: its Go parameter types (``*`` marks a variadic last) and the body."""

    __slots__ = ("fn", "params", "variadic")

    def __init__(self, fn: Callable[..., object], *params: str) -> None:
        self.fn = fn
        self.variadic = bool(params) and params[-1].startswith("*")
        self.params = tuple(p.lstrip("*") for p in params)


def _first(v: object, *_: object) -> object:
    return v


FUNCS: dict[str, Func] = {
    "and": Func(lambda *a: a[-1], "any", "*any"),  # (evaluated lazily by the executor)
    "or": Func(lambda *a: a[-1], "any", "*any"),
    "not": Func(lambda v: not truth(v), "any"),
    "eq": Func(_eq, "any", "*any"),
    "ne": Func(lambda a, b: not _eq(a, b), "any", "any"),
    "lt": Func(_lt, "any", "any"),
    "le": Func(lambda a, b: _lt(a, b) or _eq(a, b), "any", "any"),
    "gt": Func(lambda a, b: not _lt(a, b) and not _eq(a, b), "any", "any"),
    "ge": Func(lambda a, b: not _lt(a, b), "any", "any"),
    "len": Func(_len, "any"),
    "index": Func(_index, "any", "*any"),
    "slice": Func(_slice, "any", "*any"),
    "print": Func(sprint, "*any"),
    "printf": Func(sprintf, "string", "*any"),
    "println": Func(lambda *a: " ".join(sprint_value(v) for v in a) + "\n", "*any"),
    "html": Func(_html, "*any"),
    "js": Func(_js, "*any"),
    "urlquery": Func(_urlquery, "*any"),
    "call": Func(_call, "any", "*any"),
    # docker's (github.com/docker/cli/templates/templates.go)
    "json": Func(go_json, "any"),
    "split": Func(_split, "string", "string"),
    "join": Func(lambda elems, sep: sep.join(elems), "[]string", "string"),
    "title": Func(_title, "string"),
    "lower": Func(lambda s: _case(s, False), "string"),
    "upper": Func(lambda s: _case(s, True), "string"),
    "pad": Func(_pad_space, "string", "int", "int"),
    "truncate": Func(_truncate, "string", "int"),
}

#: docker's HeaderFunctions: what the header row is rendered with (the header stays whole).
HEADER_FUNCS: dict[str, Func] = {
    "json": Func(_first, "string"), "split": Func(_first, "string", "string"),
    "join": Func(_first, "string", "string"), "title": Func(_first, "string"),
    "lower": Func(_first, "string"), "upper": Func(_first, "string"),
    "truncate": Func(_first, "string", "int"),
}
