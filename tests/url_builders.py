"""Werkzeug's URL builders, compiled once per rule for the whole test run.

Every test makes its own app (create_app), and each app compiles a builder function for each of
its routes: Python source generated and compiled, about 0.2 s an app, most of a small test's
time. The function reads everything of its rule through the rule it is bound to (its
converters, the query encoding), so the same rule text with the same defaults yields the same
function, and one compiled function serves every app's copy of the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

_Builder = Callable[..., tuple[str, str]]


def _key(rule: Rule, append_unknown: bool) -> tuple[Any, ...] | None:
    trace = getattr(rule, "_trace", None)
    converters = getattr(rule, "_converters", None)
    if trace is None or converters is None:
        return None  # a Werkzeug whose rules are made otherwise: compile as it does
    defaults = sorted((str(k), repr(v)) for k, v in (rule.defaults or {}).items())
    kinds = sorted((name, type(c).__qualname__) for name, c in converters.items())
    return (rule.rule, tuple(trace), tuple(defaults), tuple(kinds), append_unknown)


def reuse_url_builders() -> None:
    """Make Rule compile each distinct builder once, and hand the same one out after."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "reused", False):
        return
    cache: dict[tuple[Any, ...], _Builder] = {}

    def cached(self: Rule, append_unknown: bool = True) -> _Builder:
        key = _key(self, append_unknown)
        if key is None:
            return compile_builder(self, append_unknown)
        if key not in cache:
            cache[key] = compile_builder(self, append_unknown)
        return cache[key]

    cached.reused = True  # type: ignore[attr-defined]
    Rule._compile_builder = cached  # type: ignore[method-assign]
