"""`Value`: a plain class with ``__slots__``, compared and shown by its fields.

For the engine's typed requests (``hutch.engine.request``): what a frozen dataclass would
give, without importing ``dataclasses`` (~21 ms, STYLE.md section 1) on the path of every
`hutch run`, which loads neither it nor ``typing`` today. A subclass lists its fields in
``__slots__`` and assigns them in its ``__init__``. Values are not hashed (mutable fields).
"""

from __future__ import annotations


class Value:
    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable fields: not hashable

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, n) for c in type(self).__mro__ for n in getattr(c, "__slots__", ()))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Value)
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        names = [n for c in type(self).__mro__ for n in getattr(c, "__slots__", ())]
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"
