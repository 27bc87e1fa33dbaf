"""User-facing errors.

Every bad input the user can give (config value, dataset file, grid) raises :class:`ConfigError` with a
one-line message that names the bad value and what is allowed. The CLI prints it as a single line on stderr
and exits with status 2 before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(ValueError):
    """A bad user input: the message is one line naming the value and what is allowed."""


def require(condition: bool, message: str) -> None:
    """Raise :class:`ConfigError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(message)


def require_choice(what: str, value: object, allowed: Iterable[object]) -> None:
    """Raise unless ``value`` is one of ``allowed``: ``unknown <what> 'x'; allowed: a, b, c``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ConfigError(f"unknown {what} {value!r}; allowed: {', '.join(map(str, allowed))}")
