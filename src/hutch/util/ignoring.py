"""`ignoring`: ``contextlib.suppress`` without importing ``contextlib`` (~1 ms, and memory
in the resident supervisor, which uses nothing else of it)."""

from __future__ import annotations


class ignoring:
    """``with ignoring(OSError): ...``: the listed exceptions end the block silently."""

    __slots__ = ("kinds",)

    def __init__(self, *kinds: type[BaseException]) -> None:
        self.kinds = kinds

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, _err: object, _tb: object) -> bool:
        return kind is not None and issubclass(kind, self.kinds)
