"""Who is shown a survey, and when: one decision, made on the server (DESIGN.md).

Gates, in order: active on this channel -> targeting (URL, event, traits) -> the survey's own
recontact rule -> the workspace-wide cooldown -> sampling -> the daily cap. Every "no" carries
its reason, so an admin can learn why a survey did not show.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DISMISS_WAIT_DAYS = 30  # a dismissed survey stays away this long, whatever its rule


@dataclass(frozen=True)
class Visit:
    """What the widget tells the server about the page and the person."""

    url: str = ""
    event: str | None = None
    traits: dict[str, str] = field(default_factory=dict)
    person_key: str | None = None  # a stable id: the respondent's, or the browser's anonymous one


@dataclass(frozen=True)
class History:
    """What this person has seen and done, across every device and channel."""

    last_shown_any: datetime | None = None  # any survey of the workspace
    shown: datetime | None = None  # this survey
    dismissed: datetime | None = None
    answered: datetime | None = None


@dataclass(frozen=True)
class Decision:
    show: bool
    reason: str


def _url_ok(rules: list[dict[str, str]], url: str) -> tuple[bool, str]:
    positive = [r for r in rules if r["match"] != "not_contains"]
    for rule in rules:
        if rule["match"] == "not_contains" and rule["value"] in url:
            return False, f"the page URL contains {rule['value']!r}"
    checks = {
        "contains": lambda v: v in url,
        "equals": lambda v: url == v,
        "starts_with": lambda v: url.startswith(v),
    }
    if positive and not any(checks[r["match"]](r["value"]) for r in positive):
        return False, "the page URL matches none of the survey's URL rules"
    return True, ""


def in_sample(survey_id: str, person_key: str | None, rate: float) -> bool:
    """A stable coin: one person is always in, or always out, of a survey's sample."""
    if rate >= 1:
        return True
    if person_key is None or rate <= 0:
        return False
    digest = hashlib.sha256(f"{survey_id}:{person_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def cooldown_reason(last_contact: datetime | None, now: datetime, days: int) -> str | None:
    """Why the workspace-wide wait keeps this person from another survey now, if it does.

    Every channel asks this: the widget with the last survey shown, email invites with the
    last survey shown or answered.
    """
    if last_contact is not None and now - last_contact < timedelta(days=days):
        return f"the person saw a survey less than {days} days ago (cooldown)"
    return None


def decide(
    survey: dict[str, Any],
    visit: Visit,
    history: History,
    now: datetime,
    cooldown_days: int,
    answered_today: int = 0,
) -> Decision:
    """Whether this survey may be shown on this visit, and why (not)."""
    if survey["status"] != "active":
        return Decision(False, f"the survey is {survey['status']}")
    if "widget" not in survey["channels"]:
        return Decision(False, "the survey is not offered in the widget")
    targeting = survey.get("targeting") or {}
    ok, why = _url_ok(targeting.get("urls", []), visit.url)
    if not ok:
        return Decision(False, why)
    events = targeting.get("events") or []
    if events and visit.event not in events:
        return Decision(False, f"the survey waits for the event {' or '.join(events)}")
    if not events and visit.event is not None:
        return Decision(False, "the survey is not triggered by events")
    for name, allowed in (targeting.get("traits") or {}).items():
        if visit.traits.get(name) not in allowed:
            return Decision(False, f"the trait {name!r} is not one of {', '.join(allowed)}")

    rule = targeting.get("recontact", "once")
    if rule == "once" and history.shown is not None:
        return Decision(False, "the survey is shown once per person and was shown already")
    if rule == "until_answered" and history.answered is not None:
        return Decision(False, "the person answered this survey already")
    if rule == "every":
        days = targeting.get("recontact_days", 90)
        if history.shown is not None and now - history.shown < timedelta(days=days):
            return Decision(False, f"the survey returns {days} days after it was last shown")
    if history.dismissed is not None and now - history.dismissed < timedelta(
        days=DISMISS_WAIT_DAYS
    ):
        return Decision(False, f"the person dismissed it less than {DISMISS_WAIT_DAYS} days ago")
    waiting = cooldown_reason(history.last_shown_any, now, cooldown_days)
    if waiting:
        return Decision(False, waiting)

    if not in_sample(survey["id"], visit.person_key, targeting.get("sample_rate", 1.0)):
        return Decision(False, "the person is outside the survey's sample")
    cap = targeting.get("daily_cap")
    if cap is not None and answered_today >= cap:
        return Decision(False, f"the survey reached its cap of {cap} responses today")
    return Decision(True, "eligible")
