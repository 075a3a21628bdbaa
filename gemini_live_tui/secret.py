"""The one type that holds a credential: it never shows itself in a repr, log or f-string.

Settings, the transport and the proxy all keep API keys and tokens in a :class:`Secret`;
only the code that puts a credential on the wire calls :meth:`Secret.reveal`.  This module
imports nothing, so light commands (``--version``, ``config``) can use it.
"""

from __future__ import annotations

__all__ = ["Secret"]

_MASK = "********"


class Secret:
    """A credential that never shows itself in a repr, str, log line or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that must send it (the transport headers)."""
        return self._value

    def masked(self) -> str:
        """A fixed mask that tells a value is set without telling anything about it."""
        return _MASK

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    __str__ = masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
