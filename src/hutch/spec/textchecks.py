"""String formats the runtime-spec schema gives as regexes, checked without ``re``.

Shared by the msgspec model (``__post_init__``) and the lite decoder, so both accept
exactly the same strings. ``CHECKS`` maps a check's name (the struct's entry in
``hutch.spec.schema.POST_CHECKS``) to ``(attribute, wire name, predicate, what is
expected)``; ``None`` values are not checked (absent optional fields).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_CPU_LIST_CHARS = frozenset("0123456789, -")


def rlimit_type(s: str) -> bool:
    rest = s.removeprefix("RLIMIT_")
    return rest != s and rest.isalpha() and rest.isascii() and rest.isupper()


def cpu_list(s: str) -> bool:
    return set(s) <= _CPU_LIST_CHARS


def hugepage_size(s: str) -> bool:
    digits = s[:-2]
    return s[-1:] == "B" and s[-2:-1] in ("K", "M", "G") and digits.isdigit() and digits.isascii() \
        and digits[0] != "0"


def mem_bw_schema(s: str) -> bool:
    return not s or (s.startswith("MB:") and "\n" not in s)


CHECKS: dict[str, tuple[tuple[str, str, Callable[[str], bool], str], ...]] = {
    "rlimit": (("type", "type", rlimit_type, "matching regex '^RLIMIT_[A-Z]+$'"),),
    "cpu_list": (
        ("initial", "initial", cpu_list, "matching regex '^[0-9, -]*$'"),
        ("final", "final", cpu_list, "matching regex '^[0-9, -]*$'"),
    ),
    "hugepage": (("page_size", "pageSize", hugepage_size, "matching regex '^[1-9][0-9]*[KMG]B$'"),),
    "mem_bw": (("mem_bw_schema", "memBwSchema", mem_bw_schema, "matching regex '^(MB:[^\\n]*)?$'"),),
}


def first_failure(obj: object, check: str) -> tuple[str, str] | None:
    """(wire name, what is expected) of the first string of ``obj`` that fails ``check``."""
    for attr, wire, ok, want in CHECKS.get(check, ()):
        value = getattr(obj, attr, None)
        if isinstance(value, str) and not ok(value):
            return wire, want
    return None
