"""The show-or-not decision, alone: data in, decision (with its reason) out."""

from __future__ import annotations

from datetime import datetime, timedelta

from feedback.surveys.targeting import History, Visit, decide, in_sample

NOW = datetime(2026, 11, 25, 12, 0)


def survey(**targeting: object) -> dict:
    return {
        "id": "s1",
        "status": "active",
        "channels": ["widget"],
        "targeting": targeting,
    }


def shows(s: dict, visit: Visit | None = None, history: History | None = None, **kw: object) -> str:
    d = decide(s, visit or Visit(person_key="u1"), history or History(), NOW, 7, **kw)
    return "yes" if d.show else d.reason


def test_active_survey_with_no_rules_shows() -> None:
    assert shows(survey()) == "yes"


def test_paused_or_email_only_survey_does_not_show() -> None:
    assert "paused" in shows({**survey(), "status": "paused"})
    assert "widget" in shows({**survey(), "channels": ["email"]})


def test_url_rules() -> None:
    s = survey(urls=[{"match": "contains", "value": "/reports"}])
    assert shows(s, Visit(url="https://app.example.com/reports/1")) == "yes"
    assert "URL" in shows(s, Visit(url="https://app.example.com/settings"))
    never = survey(urls=[{"match": "not_contains", "value": "/billing"}])
    assert "/billing" in shows(never, Visit(url="https://app.example.com/billing"))
    assert shows(never, Visit(url="https://app.example.com/home")) == "yes"


def test_event_triggered_survey_waits_for_its_event() -> None:
    s = survey(events=["exported_report"])
    assert "exported_report" in shows(s, Visit(event=None))
    assert shows(s, Visit(event="exported_report")) == "yes"
    assert "not triggered" in shows(survey(), Visit(event="exported_report"))


def test_trait_filter() -> None:
    s = survey(traits={"plan": ["Pro", "Enterprise"]})
    assert shows(s, Visit(traits={"plan": "Pro"})) == "yes"
    assert "plan" in shows(s, Visit(traits={"plan": "Free"}))


def test_shown_once_by_default() -> None:
    assert "once" in shows(survey(), history=History(shown=NOW - timedelta(days=400)))


def test_until_answered_returns_after_a_plain_display() -> None:
    s = survey(recontact="until_answered")
    assert shows(s, history=History(shown=NOW - timedelta(days=10))) == "yes"
    assert "answered" in shows(s, history=History(answered=NOW - timedelta(days=300)))


def test_every_n_days_on_its_own_clock() -> None:
    s = survey(recontact="every", recontact_days=30)
    assert "30 days" in shows(s, history=History(shown=NOW - timedelta(days=29)))
    assert shows(s, history=History(shown=NOW - timedelta(days=31))) == "yes"


def test_dismissal_waits_thirty_days() -> None:
    s = survey(recontact="until_answered")
    assert "dismissed" in shows(s, history=History(dismissed=NOW - timedelta(days=29)))
    assert shows(s, history=History(dismissed=NOW - timedelta(days=31))) == "yes"


def test_workspace_cooldown_across_surveys() -> None:
    recent = History(last_shown_any=NOW - timedelta(days=3))
    assert "cooldown" in shows(survey(), history=recent)
    assert shows(survey(), history=History(last_shown_any=NOW - timedelta(days=8))) == "yes"


def test_sampling_is_stable_per_person() -> None:
    inside = [k for k in (f"user-{i}" for i in range(1000)) if in_sample("s1", k, 0.25)]
    assert 180 < len(inside) < 320
    assert all(in_sample("s1", k, 0.25) for k in inside)
    assert "sample" in shows(survey(sample_rate=0.0))


def test_daily_cap() -> None:
    assert "cap of 5" in shows(survey(daily_cap=5), answered_today=5)
    assert shows(survey(daily_cap=5), answered_today=4) == "yes"
