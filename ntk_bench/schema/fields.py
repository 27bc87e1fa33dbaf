"""The checks a config field can carry: each turns a raw value into a typed one or raises one line.

A :class:`Check` is called as ``check(key, value)`` with the full dotted key (``experiment.widths``) and
returns the parsed value (ints as ``int``, numbers as ``float``, lists as tuples); anything else raises
:class:`~ntk_bench.errors.ConfigError` as ``<key>=<value> must be <what>``, where ``what`` says what is
allowed. Checks compose: ``sequence(integer(1), increasing=True)``, ``optional(real(0))``.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ntk_bench.errors import ConfigError, require_choice


@dataclass(frozen=True)
class Check:
    """A field check: ``parse(key, value)`` returns the parsed value or raises; ``what`` names the allowed."""

    parse: Callable[[str, Any], Any]
    what: str

    def __call__(self, key: str, value: Any) -> Any:
        return self.parse(key, value)


def reject(key: str, value: Any, what: str) -> None:
    """Raise the one-line error ``<key>=<value> must be <what>``."""
    raise ConfigError(f"{key}={value!r} must be {what}")


def _bound(value: float) -> str:
    """A bound as written: integers in full (2147483647, not 2.14748e+09), other numbers as ``:g``."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def _interval(minimum: float | None, maximum: float | None, open_minimum: bool, open_maximum: bool) -> str:
    if minimum is None and maximum is None:
        return ""
    low, high = _bound(minimum) if minimum is not None else "", _bound(maximum) if maximum is not None else ""
    if maximum is None:
        return f" {'>' if open_minimum else '>='} {low}"
    if minimum is None:
        return f" {'<' if open_maximum else '<='} {high}"
    return f" in {'(' if open_minimum else '['}{low}, {high}{')' if open_maximum else ']'}"


def _within(value: float, minimum, maximum, open_minimum: bool, open_maximum: bool) -> bool:
    low = minimum is None or (value > minimum if open_minimum else value >= minimum)
    high = maximum is None or (value < maximum if open_maximum else value <= maximum)
    return low and high


def integer(minimum: int | None = None, maximum: int | None = None) -> Check:
    """An integer (not a bool) in ``[minimum, maximum]`` (either bound may be None)."""
    what = "an integer" + _interval(minimum, maximum, False, False)

    def parse(key: str, value: Any) -> int:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if not (ok and _within(int(value), minimum, maximum, False, False)):
            reject(key, value, what)
        return int(value)

    return Check(parse, what)


def real(
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    open_minimum: bool = False,
    open_maximum: bool = False,
) -> Check:
    """A finite number (int or float, not a bool) within the bounds, as ``float``."""
    what = "a finite number" + _interval(minimum, maximum, open_minimum, open_maximum)

    def parse(key: str, value: Any) -> float:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        if not (ok and _within(float(value), minimum, maximum, open_minimum, open_maximum)):
            reject(key, value, what)
        return float(value)

    return Check(parse, what)


def boolean() -> Check:
    """``true`` or ``false`` (YAML booleans only: no 0/1, no strings)."""

    def parse(key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            reject(key, value, "true or false")
        return value

    return Check(parse, "true or false")


def text(pattern: str | None = None, what: str = "a non-empty string") -> Check:
    """A non-empty string; with ``pattern``, one matching that whole regular expression (``what`` names it:
    ``text(r"[0-9a-fA-F]{64}", "a 64-character hex string")``)."""
    compiled = re.compile(pattern) if pattern is not None else None

    def parse(key: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            reject(key, value, what)
        if compiled is not None and compiled.fullmatch(value) is None:
            reject(key, value, what)
        return value

    return Check(parse, what)


def path() -> Check:
    """A filesystem path (``~`` expanded)."""

    def parse(key: str, value: Any) -> Path:
        if not isinstance(value, str | os.PathLike) or not str(value):
            reject(key, value, "a path")
        return Path(value).expanduser()

    return Check(parse, "a path")


def choice(allowed: Iterable[Any] | Callable[[], Iterable[Any]], what: str = "") -> Check:
    """One of ``allowed`` (or of what the callable returns when checked: registries that plugins extend).

    The error is ``unknown <key> 'x'; allowed: a, b, c``.
    """

    def parse(key: str, value: Any) -> Any:
        options = allowed() if callable(allowed) else allowed
        require_choice(key, value, options)
        return value

    return Check(parse, what or "one of the allowed names")


def anything(what: str = "any value") -> Check:
    """Any value, as given (a keyword argument handed on to user code, which checks it itself)."""
    return Check(lambda key, value: value, what)


def reworded(check: Check, what: str) -> Check:
    """``check`` whose error about the value itself (``<key>=<value> must be …``) names ``what`` instead,
    for a check inside a wider rule (``optional``: "… or null"; a grid given as a list or a mapping). Errors
    about a part of the value (``<key>[2]=…``) keep their own wording."""

    def parse(key: str, value: Any) -> Any:
        try:
            return check(key, value)
        except ConfigError as err:
            if str(err).startswith(f"{key}="):
                reject(key, value, what)
            raise

    return Check(parse, what)


def optional(check: Check) -> Check:
    """``null`` (None) or a value ``check`` accepts."""
    given = reworded(check, f"{check.what} or null")
    return Check(lambda key, value: None if value is None else given(key, value), given.what)


def _is_list(value: Any) -> bool:
    return not isinstance(value, str | bytes | Mapping) and hasattr(value, "__iter__")


def sequence(
    item: Check,
    *,
    min_len: int = 1,
    increasing: bool = False,
    unique: bool = False,
    scalar_ok: bool = False,
) -> Check:
    """A list (as a tuple) of at least ``min_len`` items each accepted by ``item``.

    ``increasing``: strictly increasing; ``unique``: no item twice; ``scalar_ok``: a single item counts as
    a one-item list (``labels: as_given``).
    """
    size = f"at least {min_len} " if min_len > 1 else ""
    order = "strictly increasing " if increasing else ("distinct " if unique else "")
    what = f"a list of {size}{order}entries, each {item.what}"

    def parse(key: str, value: Any) -> tuple:
        if scalar_ok and not _is_list(value) and value is not None:
            value = [value]
        if value is None or not _is_list(value):
            reject(key, value, what)
        items = list(value)
        parsed = tuple(item(f"{key}[{i}]", v) for i, v in enumerate(items))
        if len(parsed) < min_len:
            reject(key, items, what)
        if increasing and not all(a < b for a, b in itertools.pairwise(parsed)):
            reject(key, items, what)
        if unique and len(set(parsed)) != len(parsed):
            reject(key, items, what)
        return parsed

    return Check(parse, what)


def mapping_of(value_check: Check, key_check: Check | None = None) -> Check:
    """A mapping ``{name: value}`` whose values ``value_check`` accepts (null: empty), as a dict."""
    what = f"a mapping {{name: {value_check.what}}}"

    def parse(key: str, value: Any) -> dict:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            reject(key, value, what)
        out = {}
        for name, item in value.items():
            name = key_check(f"{key} key", name) if key_check is not None else str(name)
            out[name] = value_check(f"{key}.{name}", item)
        return out

    return Check(parse, what)
