"""The four survey kinds: their scales, labels, bands and default follow-ups (DESIGN.md)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScaleStyle:
    points: tuple[int, int]  # lowest and highest score
    low_label: str
    high_label: str


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str
    question: str
    styles: dict[str, ScaleStyle]
    default_style: str
    followups: list[dict[str, Any]] = field(default_factory=list)


_FIVE = (1, 5)
_SATISFACTION_STYLES = {
    "numbers": ScaleStyle(_FIVE, "Very dissatisfied", "Very satisfied"),
    "stars": ScaleStyle(_FIVE, "Very dissatisfied", "Very satisfied"),
    "emoji": ScaleStyle(_FIVE, "Very dissatisfied", "Very satisfied"),
    "thumbs": ScaleStyle((1, 2), "Not satisfied", "Satisfied"),
}


def _text(fid: str, prompt: str, low: int, high: int) -> dict[str, Any]:
    return {"id": fid, "type": "text", "prompt": prompt, "when": {"score": [low, high]}}


KINDS: dict[str, Kind] = {
    "nps": Kind(
        slug="nps",
        title="Net Promoter Score",
        question="How likely are you to recommend us to a friend or colleague?",
        styles={"numbers": ScaleStyle((0, 10), "Not at all likely", "Extremely likely")},
        default_style="numbers",
        followups=[
            _text("improve", "What can we improve?", 0, 6),
            _text("make_it_10", "What would make it a 10?", 7, 8),
            _text("love", "What did you love?", 9, 10),
        ],
    ),
    "csat": Kind(
        slug="csat",
        title="Customer satisfaction",
        question="How satisfied were you with the help you received?",
        styles=_SATISFACTION_STYLES,
        default_style="numbers",
        followups=[
            _text("went_wrong", "What went wrong?", 1, 3),
            _text("went_well", "What went well?", 4, 5),
        ],
    ),
    "psat": Kind(
        slug="psat",
        title="Product satisfaction",
        question="How satisfied are you with this feature?",
        styles=_SATISFACTION_STYLES,
        default_style="numbers",
        followups=[
            _text("missing", "What is missing or frustrating?", 1, 3),
            _text("like", "What do you like about it?", 4, 5),
        ],
    ),
    "ces": Kind(
        slug="ces",
        title="Customer effort",
        question="It was easy to get what I needed done.",
        styles={"agreement": ScaleStyle((1, 7), "Strongly disagree", "Strongly agree")},
        default_style="agreement",
        followups=[
            _text("hard", "What made it hard?", 1, 3),
            _text("easy", "What made it easy?", 5, 7),
        ],
    ),
}

# 2-point scales (thumbs) keep only their two ends: low band for 1, high band for 2.
_THUMBS_FOLLOWUP_RANGES = {1: [1, 1], 2: [2, 2]}


def default_scale(kind: str, style: str | None = None) -> dict[str, Any]:
    spec = KINDS[kind]
    style = style or spec.default_style
    s = spec.styles[style]
    return {
        "style": style,
        "min": s.points[0],
        "max": s.points[1],
        "labels": {"low": s.low_label, "high": s.high_label},
    }


def default_followups(kind: str, scale: dict[str, Any]) -> list[dict[str, Any]]:
    followups = copy.deepcopy(KINDS[kind].followups)
    if scale["max"] - scale["min"] == 1:
        low, high = followups[0], followups[-1]
        low["when"] = {"score": _THUMBS_FOLLOWUP_RANGES[1]}
        high["when"] = {"score": _THUMBS_FOLLOWUP_RANGES[2]}
        return [low, high]
    return followups


def default_survey(kind: str, style: str | None = None) -> dict[str, Any]:
    """A complete survey definition with the defaults of DESIGN.md."""
    scale = default_scale(kind, style)
    return {
        "kind": kind,
        "question": KINDS[kind].question,
        "scale": scale,
        "followups": default_followups(kind, scale),
    }


def band_for(kind: str, scale: dict[str, Any], score: int) -> str:
    """The metric band of a score: what NPS, top-two-box and % easy count."""
    if kind == "nps":
        return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
    if kind in ("csat", "psat"):
        if scale["max"] - scale["min"] == 1:
            return "positive" if score == scale["max"] else "negative"
        return "negative" if score <= 2 else "neutral" if score == 3 else "positive"
    return "difficult" if score <= 3 else "neutral" if score == 4 else "easy"


# The band a recovered respondent leaves: what counts as unhappy in every loop figure.
LOW_BAND = {"nps": "detractor", "csat": "negative", "psat": "negative", "ces": "difficult"}
# The band a score counts as happy in: the top boxes (CSAT, PSAT), promoters, easy (CES).
HIGH_BAND = {"nps": "promoter", "csat": "positive", "psat": "positive", "ces": "easy"}
ANY_HIGH = tuple(sorted(set(HIGH_BAND.values())))
ANY_LOW = tuple(sorted(set(LOW_BAND.values())))


def in_low_band(kind: str, scale: dict[str, Any], score: int) -> bool:
    """Whether a score is in its kind's low band (detractor, negative, difficult)."""
    return band_for(kind, scale, score) == LOW_BAND[kind]


BANDS = {
    "nps": ("detractor", "passive", "promoter"),
    "csat": ("negative", "neutral", "positive"),
    "psat": ("negative", "neutral", "positive"),
    "ces": ("difficult", "neutral", "easy"),
}
ALL_BANDS = sorted({b for bands in BANDS.values() for b in bands})
# The highest score of any kind's scale: a score filter beyond it matches nothing anywhere.
MAX_SCORE = max(s.points[1] for k in KINDS.values() for s in k.styles.values())

_GLYPHS = {
    "emoji": {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"},
    "thumbs": {1: "👎", 2: "👍"},
}


def scale_points(scale: dict[str, Any]) -> list[dict[str, Any]]:
    """Each score of a scale with what a button shows and what a screen reader says."""
    low, high = scale["min"], scale["max"]
    labels = scale.get("labels") or {}
    glyphs = _GLYPHS.get(scale.get("style", ""), {})
    points = []
    for score in range(low, high + 1):
        glyph = f"{score}★" if scale.get("style") == "stars" else glyphs.get(score, str(score))
        spoken = str(score)
        if score == low and labels.get("low"):
            spoken += f" ({labels['low']})"
        elif score == high and labels.get("high"):
            spoken += f" ({labels['high']})"
        points.append({"score": score, "glyph": glyph, "spoken": spoken})
    return points
