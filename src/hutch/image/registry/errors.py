"""The registry's answers that are errors: below the client and the authenticator, which both
raise them."""

from __future__ import annotations

from hutch.errors import HutchError


class RegistryError(HutchError):
    """The registry answered, and the answer is an error (``status``, its error ``code``)."""

    def __init__(self, msg: str, status: int = 0, code: str = "") -> None:
        super().__init__(msg)
        self.status, self.code = status, code


class NotFound(RegistryError):
    pass


class Unauthorized(RegistryError):
    pass
