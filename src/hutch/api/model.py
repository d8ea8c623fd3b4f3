"""docker-py's Model: what its Container, Image, Network and Volume share (docker/models/
resource.py): equal when of one class with one ``id``, hashed by it, shown as
``<Class: short_id>``. A subclass gives ``id``."""

from __future__ import annotations


class Model:
    __slots__ = ()

    @property
    def id(self) -> str:
        raise NotImplementedError

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)
