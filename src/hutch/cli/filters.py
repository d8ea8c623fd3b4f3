"""docker's ``--filter key=value`` (the CLI's FilterOpt and the daemon's filters.Args).

``-f`` may be given many times: the values of one key form a set, and a key matches when any
of its values does (``label`` excepted: each of its values must). ``name`` and ``id`` match as
docker matches them, the whole text or a regular expression found anywhere in it (so a part of
a name or id matches); ``label`` is ``key`` or ``key=value``.
"""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping


def parse(raw: str) -> tuple[str, str]:
    """One ``--filter`` word (pflag's ``type``): docker lower-cases the key and trims both."""
    if "=" not in raw:
        raise ValueError("bad format of filter (expected name=value)")
    key, _, value = raw.partition("=")
    return key.strip().lower(), value.strip()


class Filters:
    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.fields: dict[str, list[str]] = {}
        for key, value in pairs:
            values = self.fields.setdefault(key, [])
            if value not in values:
                values.append(value)

    def validate(self, accepted: Iterable[str]) -> Filters:
        """docker's Args.Validate: an unknown key is ``invalid filter 'x'``."""
        ok = set(accepted)
        for key in self.fields:
            if key not in ok:
                raise HutchError(f"invalid filter '{key}'")
        return self

    def __contains__(self, key: str) -> bool:
        return key in self.fields

    def get(self, key: str) -> list[str]:
        return self.fields.get(key, [])

    def exact(self, key: str, source: str) -> bool:
        """True when ``key`` is not filtered on, or one of its values is ``source``."""
        return key not in self.fields or source in self.fields[key]

    def match(self, key: str, source: str) -> bool:
        """docker's Args.Match: a value equal to ``source`` or a regular expression found in it."""
        if self.exact(key, source):
            return True
        import re

        for pattern in self.fields[key]:
            try:
                if re.search(pattern, source):
                    return True
            except re.error:
                continue
        return False

    def labels(self, key: str, labels: Mapping[str, str]) -> bool:
        """docker's Args.MatchKVList: every ``k`` or ``k=v`` value is among ``labels``."""
        for value in self.fields.get(key, []):
            k, eq, v = value.partition("=")
            if k not in labels or (eq and labels[k] != v):
                return False
        return True

    def boolean(self, key: str) -> bool | None:
        """A ``true``/``false`` key given once (``dangling``): None when not given."""
        values = self.fields.get(key, [])
        if not values:
            return None
        if len(values) > 1:
            raise HutchError(f'got more than one value for filter key "{key}"')
        if values[0] in ("1", "true"):
            return True
        if values[0] in ("0", "false"):
            return False
        raise HutchError(f"invalid value for filter '{key}', "
                         'must be "true" (or "1"), or "false" (or "0")')


def path_match(pattern: str, name: str) -> bool:
    """Go's path.Match, as docker's ``reference=`` filter uses it: ``*`` and ``?`` stop at
    ``/``, ``[a-z]`` and ``[^a-z]`` classes, ``\\`` escapes. HutchError for a bad pattern."""
    import re

    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i == len(pattern):
                raise HutchError("syntax error in pattern")
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] == "^" else i + 1)
            if end < 0:
                raise HutchError("syntax error in pattern")
            body = pattern[i + 1:end]
            neg = body.startswith("^")
            body = body[1:] if neg else body
            if not body:
                raise HutchError("syntax error in pattern")
            out.append("[" + ("^/" if neg else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.fullmatch("".join(out), name) is not None


def until_ns(f: Filters, now_ns: int) -> int | None:
    """The ``until`` of prune filters (docker's getUntilFromPruneFilters): one value, a time
    or a duration before now; None when not given."""
    values = f.get("until")
    if not values:
        return None
    if len(values) > 1:
        raise HutchError("more than one until filter specified")
    from hutch.util.timefmt import timestamp_ns

    try:
        return timestamp_ns(values[0], now_ns)
    except ValueError as err:
        raise HutchError(str(err)) from None


def not_labels(f: Filters, labels: Mapping[str, str]) -> bool:
    """docker's ``label!=k`` / ``label!=k=v`` of prune filters: True when none of them holds."""
    for value in f.get("label!"):
        k, eq, v = value.partition("=")
        if k in labels and (not eq or labels[k] == v):
            return False
    return True


def prune_filter(pairs: Iterable[tuple[str, str]], accepted: Iterable[str],
                 now_ns: int) -> Callable[[Mapping[str, str], str], bool]:
    """docker's prune ``--filter`` (daemon/prune.go): ``until`` (created before a time or a
    duration ago), ``label`` (each ``k``/``k=v`` holds), ``label!`` (none holds). The predicate
    takes an object's labels and RFC 3339 creation time: True when it may be pruned."""
    from hutch.util.timefmt import parse_ns

    f = Filters(pairs).validate(accepted)
    until = until_ns(f, now_ns)

    def wanted(labels: Mapping[str, str], created: str) -> bool:
        if until is not None:
            try:
                if parse_ns(created) >= until:
                    return False
            except ValueError:
                return False
        return f.labels("label", labels) and not_labels(f, labels)

    return wanted
