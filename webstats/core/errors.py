"""How failures are told: one line, the cause first."""

from __future__ import annotations


class BadInput(ValueError):
    """Input the user gave cannot be used (a file that is not there, a name that means
    nothing): told in one line; the command exits with status 2, as for bad usage."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
