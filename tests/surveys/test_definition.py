"""Survey definitions: defaults per kind, and errors that name the wrong field."""

from __future__ import annotations

import pytest

from feedback.errors import Invalid
from feedback.surveys.definition import validate_survey
from feedback.surveys.kinds import band_for


def error_field(payload: dict, current: dict | None = None) -> str | None:
    with pytest.raises(Invalid) as err:
        validate_survey(payload, current)
    return err.value.field


@pytest.mark.parametrize(
    ("kind", "low", "high", "style"),
    [
        ("nps", 0, 10, "numbers"),
        ("csat", 1, 5, "numbers"),
        ("psat", 1, 5, "numbers"),
        ("ces", 1, 7, "agreement"),
    ],
)
def test_each_kind_gets_its_scale_and_followups(kind: str, low: int, high: int, style: str) -> None:
    survey = validate_survey({"kind": kind})
    assert (survey["scale"]["min"], survey["scale"]["max"], survey["scale"]["style"]) == (
        low,
        high,
        style,
    )
    assert survey["followups"], "every kind has default follow-ups"
    assert survey["status"] == "active"


def test_csat_styles_and_thumbs_scale() -> None:
    assert validate_survey({"kind": "csat", "scale": {"style": "emoji"}})["scale"]["max"] == 5
    thumbs = validate_survey({"kind": "csat", "scale": {"style": "thumbs"}})
    assert (thumbs["scale"]["min"], thumbs["scale"]["max"]) == (1, 2)
    assert [f["when"]["score"] for f in thumbs["followups"]] == [[1, 1], [2, 2]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "nope"}, "kind"),
        ({}, "kind"),
        ({"kind": "nps", "question": ""}, "question"),
        ({"kind": "nps", "scale": {"style": "stars"}}, "scale.style"),
        ({"kind": "nps", "scale": {"min": 1}}, "scale.min"),
        ({"kind": "nps", "followups": [{"id": "Bad Id", "prompt": "x"}]}, "followups[0].id"),
        (
            {"kind": "nps", "followups": [{"id": "a", "prompt": "x", "type": "essay"}]},
            "followups[0].type",
        ),
        (
            {"kind": "nps", "followups": [{"id": "a", "type": "single", "prompt": "x"}]},
            "followups[0].options",
        ),
        (
            {"kind": "nps", "followups": [{"id": "a", "prompt": "x", "when": {"score": [3, 12]}}]},
            "followups[0].when.score",
        ),
        (
            {
                "kind": "nps",
                "followups": [
                    {"id": "a", "prompt": "x", "when": {"answer": {"followup": "b", "in": ["y"]}}}
                ],
            },
            "followups[0].when.answer.followup",
        ),
        (
            {"kind": "nps", "followups": [{"id": "a", "prompt": "x"}, {"id": "a", "prompt": "y"}]},
            "followups[1].id",
        ),
        ({"kind": "nps", "channels": ["fax"]}, "channels"),
        # JSON objects and lists cannot be hashed: each is refused before duplicates are dropped.
        ({"kind": "nps", "channels": [{}]}, "channels"),
        ({"kind": "nps", "channels": ["link", []]}, "channels"),
        ({"kind": {}}, "kind"),
        ({"kind": "nps", "status": ["active"]}, "status"),
        (
            {
                "kind": "nps",
                "followups": [
                    {"id": "a", "type": "single", "prompt": "x", "options": ["y"]},
                    {"id": "b", "prompt": "x", "when": {"answer": {"followup": {}, "in": ["y"]}}},
                ],
            },
            "followups[1].when.answer.followup",
        ),
        ({"kind": "nps", "branding": {"accent": "red"}}, "branding.accent"),
        ({"kind": "nps", "targeting": {"sample_rate": 2}}, "targeting.sample_rate"),
        ({"kind": "nps", "status": "asleep"}, "status"),
        ({"kind": "nps", "colour": "x"}, "colour"),
    ],
)
def test_bad_definition_names_the_field(payload: dict, field: str) -> None:
    assert error_field(payload) == field


def test_kind_cannot_change_on_update() -> None:
    current = validate_survey({"kind": "nps"})
    assert error_field({"kind": "csat"}, current) == "kind"


def test_update_keeps_what_is_not_sent() -> None:
    current = validate_survey({"kind": "nps", "question": "Would you recommend Acme?"})
    updated = validate_survey({"status": "paused"}, current)
    assert updated["question"] == "Would you recommend Acme?"
    assert updated["followups"] == current["followups"]
    assert updated["status"] == "paused"


@pytest.mark.parametrize(
    ("kind", "style", "score", "band"),
    [
        ("nps", None, 6, "detractor"),
        ("nps", None, 7, "passive"),
        ("nps", None, 9, "promoter"),
        ("csat", None, 2, "negative"),
        ("csat", None, 3, "neutral"),
        ("csat", None, 4, "positive"),
        ("csat", "thumbs", 2, "positive"),
        ("csat", "thumbs", 1, "negative"),
        ("ces", None, 3, "difficult"),
        ("ces", None, 4, "neutral"),
        ("ces", None, 5, "easy"),
    ],
)
def test_bands(kind: str, style: str | None, score: int, band: str) -> None:
    scale = validate_survey({"kind": kind, **({"scale": {"style": style}} if style else {})})[
        "scale"
    ]
    assert band_for(kind, scale, score) == band


def test_targeting_keeps_its_rules() -> None:
    targeting = {
        "urls": [{"match": "starts_with", "value": "https://app.example.com/reports"}],
        "events": ["exported_report"],
        "traits": {"plan": ["Pro"]},
        "sample_rate": 0.5,
        "delay_seconds": 10,
        "recontact": "every",
        "recontact_days": 30,
        "daily_cap": 100,
    }
    assert validate_survey({"kind": "nps", "targeting": targeting})["targeting"] == targeting
