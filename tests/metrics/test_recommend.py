"""Ranking what to do first for a KPI: only effects clear of zero, largest first, with why."""

from __future__ import annotations

import pytest

from feedback.metrics.formulas import wilson
from feedback.metrics.recommend import Action, gap_interval, rank, share_interval


def _fix(subject: str, effect: float, low: float, high: float) -> Action:
    return Action("fix_theme", subject, effect, low, high, None, {"n": 10})


def test_the_largest_effect_clear_of_zero_comes_first_with_the_next_two() -> None:
    found = rank(
        [
            _fix("Billing", 4.0, 1.5, 7.0),
            _fix("Pricing", 9.0, 5.0, 13.0),
            _fix("Support", 6.0, 2.0, 10.0),
            _fix("Onboarding", 3.0, 0.5, 6.0),
        ],
        " pts",
    )
    assert found.best is not None and found.best.subject == "Pricing"
    assert [a.subject for a in found.next] == ["Support", "Billing"]
    assert found.why == (
        "Fix Pricing: +9 pts (5 to 13 pts). It moves the KPI 3 pts more than the next: "
        "Fix Support +6 pts (2 to 10 pts); Fix Billing +4 pts (1.5 to 7 pts)."
    )


def test_an_effect_that_may_be_zero_is_never_recommended() -> None:
    # Bigger, but its interval reaches zero: it could be noise.
    found = rank([_fix("Pricing", 12.0, -1.0, 25.0), _fix("Support", 2.0, 0.4, 3.6)])
    assert found.best is not None and found.best.subject == "Support"
    assert found.next == ()


def test_when_nothing_is_clear_it_says_so() -> None:
    found = rank([_fix("Pricing", 1.0, -2.0, 4.0)])
    assert found.best is None
    assert found.why == "No action's effect is clear of the noise yet: nothing to recommend."
    assert found.to_dict()["action"] is None


def test_a_share_effect_carries_the_share_interval() -> None:
    # 12 of 200 responses: the effect grows with that share, so it takes its Wilson bounds.
    low, high = wilson(12, 200)
    assert share_interval(6.0, 12, 200) == (round(6.0 * low / 6.0, 1), round(6.0 * high / 6.0, 1))
    assert share_interval(6.0, 0, 200) == (0.0, 0.0)


@pytest.mark.parametrize(("gap", "se", "clear"), [(10.0, 3.0, True), (10.0, 6.0, False)])
def test_a_gap_is_clear_only_when_its_interval_stays_above_zero(
    gap: float, se: float, clear: bool
) -> None:
    low, high = gap_interval(gap, se, 0.25)
    assert (low > 0) is clear
    assert low < gap * 0.25 < high
