"""Routing rules: data in, decision out, like the follow-up rules.

The first enabled rule, by position, whose conditions all hold names the owner. A condition
value is a string or a list of strings (any of them), compared without regard to case. When
no rule holds, the case goes round robin to the workspace's case handlers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedback.errors import Invalid

# Context fields a rule can test directly; any other trait is a "segment".
CONTEXT_FIELDS = ("team", "agent", "plan", "feature")
CONDITIONS = ("survey", "kind", "theme", "segment", *CONTEXT_FIELDS)
KINDS = ("nps", "csat", "psat", "ces")
MAX_VALUES = 50


@dataclass(frozen=True)
class CaseFacts:
    """What routing may look at: the response, its context and the themes of its comment."""

    kind: str
    survey: str
    context: dict[str, str] = field(default_factory=dict)
    # theme slug -> sentiment of its mention (positive, negative, neutral, mixed or None)
    themes: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    id: int
    conditions: dict[str, Any]
    owner_id: int | None


@dataclass(frozen=True)
class Decision:
    owner_id: int | None
    # "rule:<id>", "round_robin", or None when nobody could be chosen
    assigned_by: str | None
    # How far the round robin moved: 1 when it handed this case out, else 0.
    rotated: int = 0


def _values(value: Any) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {str(item).strip().casefold() for item in items}


def _theme_holds(wanted: set[str], themes: dict[str, str | None]) -> bool:
    # A theme routes the case when the comment complains about it, not when it praises it:
    # "love the features, pricing is steep" belongs to the pricing owner.
    return any(
        slug.casefold() in wanted and sentiment != "positive" for slug, sentiment in themes.items()
    )


def _holds(conditions: dict[str, Any], facts: CaseFacts) -> bool:
    context = {k.casefold(): str(v).strip().casefold() for k, v in facts.context.items()}
    for name, value in conditions.items():
        if name == "kind":
            ok = facts.kind in _values(value)
        elif name == "survey":
            ok = facts.survey.casefold() in _values(value)
        elif name == "theme":
            ok = _theme_holds(_values(value), facts.themes)
        elif name == "segment":
            ok = context.get(str(value["field"]).casefold()) in _values(value["value"])
        else:
            ok = context.get(name) in _values(value)
        if not ok:
            return False
    return True


def decide(
    rules: Sequence[Rule],
    facts: CaseFacts,
    handlers: Sequence[int],
    rotation: int,
    theme_owners: Mapping[str, int] | None = None,
) -> Decision:
    """The owner of a new case: the first rule that holds, else the owner of a theme the
    comment complains about (`theme_owners`: slug to user id), else the next of the
    `handlers` in turn (`rotation`: how many cases the round robin has handed out so far)."""
    for rule in rules:
        if rule.owner_id is not None and _holds(rule.conditions, facts):
            return Decision(rule.owner_id, f"rule:{rule.id}")
    for slug, sentiment in facts.themes.items():
        if sentiment != "positive" and slug in (theme_owners or {}):
            return Decision((theme_owners or {})[slug], f"theme:{slug}")
    if handlers:
        ordered = sorted(handlers)
        return Decision(ordered[rotation % len(ordered)], "round_robin", 1)
    return Decision(None, None)


def _strings(value: Any, name: str) -> str | list[str]:
    field_name = f"conditions.{name}"
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > MAX_VALUES:
        raise Invalid(f"Give one to {MAX_VALUES} values.", field_name)
    for item in items:
        if not isinstance(item, str) or not item.strip() or len(item) > 200:
            raise Invalid("Each value must be text of 1 to 200 characters.", field_name)
    return [item.strip() for item in items] if isinstance(value, list) else value.strip()


def validate_rule(conditions: Any) -> dict[str, Any]:
    """The conditions of a rule, checked; an error names the condition that is wrong."""
    if not isinstance(conditions, dict) or not conditions:
        raise Invalid("A rule needs at least one condition.", "conditions")
    cleaned: dict[str, Any] = {}
    for name, value in conditions.items():
        if name not in CONDITIONS:
            raise Invalid(f"Unknown condition; use one of: {', '.join(CONDITIONS)}.", name)
        if name == "segment":
            if not isinstance(value, dict) or set(value) != {"field", "value"}:
                raise Invalid(
                    'A segment is {"field": trait name, "value": value}.', "conditions.segment"
                )
            trait = _strings(value["field"], "segment.field")
            if isinstance(trait, list):
                raise Invalid("Name one trait.", "conditions.segment.field")
            cleaned[name] = {"field": trait, "value": _strings(value["value"], "segment.value")}
            continue
        cleaned[name] = _strings(value, name)
        if name == "kind" and not _values(cleaned[name]) <= set(KINDS):
            raise Invalid(f"Survey kinds are {', '.join(KINDS)}.", "conditions.kind")
    return cleaned
