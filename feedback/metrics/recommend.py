"""What to do first for a KPI: the candidate actions, each with its expected effect in the KPI's
own unit and an interval, ranked; and why the first outranks the next two.

An action is worth recommending only when its whole interval is on the side that moves the KPI
the right way: an effect that may be zero is noise, and the recommendation says so rather than
naming it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from feedback.metrics.formulas import wilson
from feedback.metrics.sums import Z95

VERBS = {
    "fix_theme": "Fix {subject}",
    "coach_agent": "Coach {subject}",
    "clear_overdue": "Clear {subject}",
    "coach_team": "Coach team {subject}",
    "watch_topic": "Look into \u201c{subject}\u201d",
}


@dataclass(frozen=True)
class Action:
    """One thing a team could do, and what it would move the KPI by (low to high)."""

    action: str
    subject: str
    effect: float
    low: float
    high: float
    owner: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def clear(self) -> bool:
        """Whether the effect is clear of zero: the whole interval moves the KPI."""
        return self.low > 0

    @property
    def title(self) -> str:
        return VERBS[self.action].format(subject=self.subject)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "subject": self.subject,
            "effect": self.effect,
            "effect_low": self.low,
            "effect_high": self.high,
            "owner": self.owner,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Recommendation:
    best: Action | None
    next: tuple[Action, ...]
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            **(self.best.to_dict() if self.best else {"action": None}),
            "why": self.why,
            "next": [a.to_dict() for a in self.next],
        }


def share_interval(effect: float, part: int, n: int, digits: int = 1) -> tuple[float, float]:
    """The interval of an effect that grows with a share `part` of `n` (say, the detractors
    who complain about a theme): the share's 95% Wilson interval, carried over to the effect."""
    if part <= 0 or n <= 0 or effect == 0:
        return (0.0, 0.0)
    low, high = wilson(part, n)
    share = part / n * 100
    return (round(effect * low / share, digits), round(effect * high / share, digits))


def gap_interval(gap: float, se: float, weight: float, digits: int = 1) -> tuple[float, float]:
    """The interval of an effect `gap * weight`, where `gap` was measured with standard error
    `se` (say, an agent's CSAT below their team's, weighted by the agent's share of answers)."""
    return (round((gap - Z95 * se) * weight, digits), round((gap + Z95 * se) * weight, digits))


def rank(actions: Iterable[Action], unit: str = "") -> Recommendation:
    """The action with the largest effect among those clear of zero, the next two, and why."""
    clear = sorted((a for a in actions if a.clear), key=lambda a: (-a.effect, -a.low, a.subject))
    if not clear:
        return Recommendation(
            None, (), "No action's effect is clear of the noise yet: nothing to recommend."
        )
    best, *rest = clear
    why = f"{best.title}: {_effect(best, unit)}"
    if rest:
        others = "; ".join(f"{a.title} {_effect(a, unit)}" for a in rest[:2])
        margin = round(best.effect - rest[0].effect, 2)
        why += f". It moves the KPI {margin:g}{unit} more than the next: {others}"
    return Recommendation(best, tuple(rest[:2]), why + ".")


def _effect(action: Action, unit: str) -> str:
    return f"+{action.effect:g}{unit} ({action.low:g} to {action.high:g}{unit})"
