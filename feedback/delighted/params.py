"""Delighted's parameters, checked: the names a call may carry, unix times, pages and flags.

A parameter Delighted knows but this product does not keep is refused by name with what to
do instead, never ignored while the call seems to work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feedback.errors import Invalid, whole_number

# 9999-12-31T23:59:59Z: the last second a date column holds.
LAST_SECOND = 253402300799
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


def unsupported(name: str, why: str) -> Invalid:
    return Invalid(f"{name} is not supported by this Delighted-compatible API: {why}", name)


def known(
    given: Mapping[str, Any], allowed: tuple[str, ...], unsupported_here: dict[str, str]
) -> None:
    """Refuse a parameter Delighted has but this product does not (saying why), then any
    other name that is not `allowed`."""
    for name in given:
        if name in unsupported_here:
            raise unsupported(name, unsupported_here[name])
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise Invalid(f"Unknown parameter; use any of: {', '.join(allowed)}.", unknown[0])


def unix_time(value: Any, name: str) -> datetime:
    """A time given as unix seconds (a number or its digits), as naive UTC."""
    seconds = whole_number(value, name, 0, LAST_SECOND)
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def unix(moment: datetime | None) -> int | None:
    """Naive UTC as unix seconds, as Delighted gives every time."""
    return int(moment.replace(tzinfo=UTC).timestamp()) if moment else None


@dataclass(frozen=True)
class Window:
    """[start, end) from Delighted's inclusive since/until, in whole seconds."""

    start: datetime | None = None
    end: datetime | None = None


def window(args: Mapping[str, Any], since: str = "since", until: str = "until") -> Window:
    start = unix_time(args[since], since) if args.get(since) is not None else None
    end = None
    if args.get(until) is not None:
        end = unix_time(args[until], until) + timedelta(seconds=1)
    if start is not None and end is not None and end <= start:
        raise Invalid(f"Must not be before {since}.", until)
    return Window(start, end)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page(args: Mapping[str, Any]) -> Page:
    size = whole_number(args.get("per_page", DEFAULT_PER_PAGE), "per_page", 1, MAX_PER_PAGE)
    # Past this page the offset no longer fits the database's integer.
    number = whole_number(args.get("page", 1), "page", 1, 2**31 // MAX_PER_PAGE)
    return Page(number, size)


def flag(value: Any, name: str) -> bool:
    """A JSON boolean, or "true"/"false" as a form or a query spells it."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise Invalid("Must be true or false.", name)


def one_line(value: Any, name: str, limit: int = 200) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(f"Must be a string of at most {limit} characters.", name)
    # A name goes into mail greetings and headers, where a line break has no business.
    return " ".join(value.split()) or None


def query_args(args: Any) -> dict[str, Any]:
    """A query string as one value per name; `expand[]` (and any list) as a list. A name given
    twice that is not a list is refused rather than one of the values picked."""
    out: dict[str, Any] = {}
    for name in args:
        values = args.getlist(name)
        if name.endswith("[]"):
            out[name.removesuffix("[]")] = values
        elif len(values) > 1:
            raise Invalid("Give this parameter once.", name)
        else:
            out[name] = values[0]
    return out
