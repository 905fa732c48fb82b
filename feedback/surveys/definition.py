"""Validation of a survey definition: every error names the field that is wrong."""

from __future__ import annotations

import re
from typing import Any

from feedback.errors import Invalid
from feedback.surveys.kinds import KINDS, default_followups, default_scale, in_low_band

STATUSES = ("draft", "active", "paused", "archived")
CHANNELS = ("widget", "email", "link")
FOLLOWUP_TYPES = ("text", "single", "multiple")
URL_MATCHES = ("contains", "equals", "starts_with", "not_contains")
RECONTACT = ("once", "until_answered", "every")
THEMES = ("light", "dark", "auto")
MAX_FOLLOWUPS = 10
MAX_OPTIONS = 20
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FIELDS = {
    "name",
    "kind",
    "question",
    "scale",
    "followups",
    "channels",
    "targeting",
    "branding",
    "loop",
}
_FIELDS |= {"status"}


def _text(value: Any, field: str, max_len: int, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid("Must be a non-empty string.", field)
    if len(value) > max_len:
        raise Invalid(f"Must be at most {max_len} characters.", field)
    return value.strip()


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"Must be a whole number from {low} to {high}.", field)
    return value


def _object(value: Any, field: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid("Must be an object.", field)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise Invalid(f"Unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}.", field)
    return value


def _choice(value: Any, field: str, choices: tuple[str, ...] | list[str]) -> str:
    # Text first: what passes may then be a dict key or a set member, which a JSON object
    # or list cannot be.
    if not isinstance(value, str) or value not in choices:
        raise Invalid(f"Must be one of: {', '.join(choices)}.", field)
    return value


def _scale(kind: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        return default_scale(kind)
    raw = _object(raw, "scale", {"style", "labels", "min", "max"})
    style = _choice(
        raw.get("style", KINDS[kind].default_style), "scale.style", list(KINDS[kind].styles)
    )
    scale = default_scale(kind, style)
    for end in ("min", "max"):
        if end in raw and raw[end] != scale[end]:
            raise Invalid(
                f"The {style} scale of {kind} runs from {scale['min']} to {scale['max']}.",
                f"scale.{end}",
            )
    labels = _object(raw.get("labels", {}), "scale.labels", {"low", "high"})
    for end, label in labels.items():
        scale["labels"][end] = _text(label, f"scale.labels.{end}", 100)
    return scale


def _when(
    raw: Any, field: str, scale: dict[str, Any], earlier: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    raw = _object(raw, field, {"score", "answer"})
    when: dict[str, Any] = {}
    if "score" in raw:
        rng = raw["score"]
        if not isinstance(rng, list) or len(rng) != 2:
            raise Invalid("Must be a [lowest, highest] pair of scores.", f"{field}.score")
        low = _int(rng[0], f"{field}.score", scale["min"], scale["max"])
        high = _int(rng[1], f"{field}.score", scale["min"], scale["max"])
        if low > high:
            raise Invalid("The lowest score must not exceed the highest.", f"{field}.score")
        when["score"] = [low, high]
    if "answer" in raw:
        cond = _object(raw["answer"], f"{field}.answer", {"followup", "in"})
        ref = cond.get("followup")
        if not isinstance(ref, str) or ref not in earlier:
            raise Invalid("Must name an earlier follow-up.", f"{field}.answer.followup")
        if earlier[ref]["type"] == "text":
            raise Invalid("Can only depend on a choice follow-up.", f"{field}.answer.followup")
        values = cond.get("in")
        if not isinstance(values, list) or not values:
            raise Invalid("Must be a non-empty list of options.", f"{field}.answer.in")
        for value in values:
            if value not in earlier[ref]["options"]:
                raise Invalid(f"{value!r} is not an option of {ref!r}.", f"{field}.answer.in")
        when["answer"] = {"followup": ref, "in": list(values)}
    return when


def _followup(
    raw: Any, field: str, scale: dict[str, Any], earlier: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    raw = _object(
        raw, field, {"id", "type", "prompt", "options", "when", "max_length", "placeholder"}
    )
    fid = raw.get("id")
    if not isinstance(fid, str) or not _ID.fullmatch(fid):
        raise Invalid("Must be a lowercase identifier (letters, digits, _).", f"{field}.id")
    if fid in earlier:
        raise Invalid(f"The id {fid!r} is used twice.", f"{field}.id")
    ftype = _choice(raw.get("type", "text"), f"{field}.type", FOLLOWUP_TYPES)
    followup: dict[str, Any] = {
        "id": fid,
        "type": ftype,
        "prompt": _text(raw.get("prompt"), f"{field}.prompt", 500),
    }
    if ftype == "text":
        if "options" in raw:
            raise Invalid("An open-text follow-up has no options.", f"{field}.options")
        if "max_length" in raw:
            followup["max_length"] = _int(raw["max_length"], f"{field}.max_length", 1, 5000)
        if "placeholder" in raw:
            followup["placeholder"] = _text(raw["placeholder"], f"{field}.placeholder", 200)
    else:
        options = raw.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
            raise Invalid(f"Must be a list of 1 to {MAX_OPTIONS} options.", f"{field}.options")
        cleaned = [_text(o, f"{field}.options[{i}]", 200) for i, o in enumerate(options)]
        if len(set(cleaned)) != len(cleaned):
            raise Invalid("Options must be unique.", f"{field}.options")
        followup["options"] = cleaned
    if "when" in raw:
        followup["when"] = _when(raw["when"], f"{field}.when", scale, earlier)
    return followup


def _followups(raw: Any, scale: dict[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_FOLLOWUPS:
        raise Invalid(f"Must be a list of at most {MAX_FOLLOWUPS} follow-ups.", "followups")
    earlier: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        followup = _followup(item, f"followups[{i}]", scale, earlier)
        earlier[followup["id"]] = followup
    return list(earlier.values())


def _targeting(raw: Any) -> dict[str, Any]:
    keys = {
        "urls",
        "events",
        "traits",
        "sample_rate",
        "delay_seconds",
        "recontact",
        "recontact_days",
        "daily_cap",
    }
    raw = _object(raw, "targeting", keys)
    out: dict[str, Any] = {}
    if "urls" in raw:
        if not isinstance(raw["urls"], list):
            raise Invalid("Must be a list of URL rules.", "targeting.urls")
        out["urls"] = []
        for i, rule in enumerate(raw["urls"]):
            f = f"targeting.urls[{i}]"
            rule = _object(rule, f, {"match", "value"})
            out["urls"].append(
                {
                    "match": _choice(rule.get("match", "contains"), f"{f}.match", URL_MATCHES),
                    "value": _text(rule.get("value"), f"{f}.value", 500),
                }
            )
    if "events" in raw:
        if not isinstance(raw["events"], list):
            raise Invalid("Must be a list of event names.", "targeting.events")
        out["events"] = [
            _text(e, f"targeting.events[{i}]", 100) for i, e in enumerate(raw["events"])
        ]
    if "traits" in raw:
        traits = raw["traits"]
        if not isinstance(traits, dict):
            raise Invalid("Must be an object of trait names to values.", "targeting.traits")
        out["traits"] = {}
        for key, value in traits.items():
            values = value if isinstance(value, list) else [value]
            out["traits"][key] = [_text(str(v), f"targeting.traits.{key}", 200) for v in values]
    if "sample_rate" in raw:
        rate = raw["sample_rate"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise Invalid("Must be a number from 0 to 1.", "targeting.sample_rate")
        out["sample_rate"] = float(rate)
    if "delay_seconds" in raw:
        out["delay_seconds"] = _int(raw["delay_seconds"], "targeting.delay_seconds", 0, 3600)
    if "recontact" in raw:
        out["recontact"] = _choice(raw["recontact"], "targeting.recontact", RECONTACT)
    if "recontact_days" in raw:
        out["recontact_days"] = _int(raw["recontact_days"], "targeting.recontact_days", 1, 3650)
    if "daily_cap" in raw:
        out["daily_cap"] = _int(raw["daily_cap"], "targeting.daily_cap", 1, 1_000_000)
    return out


def _branding(raw: Any) -> dict[str, Any]:
    raw = _object(raw, "branding", {"accent", "theme", "product_name"})
    out: dict[str, Any] = {}
    if "accent" in raw:
        if not isinstance(raw["accent"], str) or not _COLOR.fullmatch(raw["accent"]):
            raise Invalid("Must be a colour like #4f46e5.", "branding.accent")
        out["accent"] = raw["accent"]
    if "theme" in raw:
        out["theme"] = _choice(raw["theme"], "branding.theme", THEMES)
    if "product_name" in raw:
        out["product_name"] = _text(raw["product_name"], "branding.product_name", 100)
    return out


def default_case_threshold(kind: str, scale: dict[str, Any]) -> int:
    """The highest score that opens a case by default: NPS 0-6, CSAT and PSAT 1-2 (1 on a
    two-point scale), CES 1-3."""
    low, high = int(scale["min"]), int(scale["max"])
    return max((s for s in range(low, high + 1) if in_low_band(kind, scale, s)), default=low)


def loop_settings(kind: str, scale: dict[str, Any], loop: dict[str, Any] | None) -> dict[str, Any]:
    """A survey's closing-the-loop settings with the defaults filled in."""
    loop = loop or {}
    return {
        "cases": bool(loop.get("cases", True)),
        "at_or_below": int(loop.get("at_or_below", default_case_threshold(kind, scale))),
        "resurvey_days": int(loop.get("resurvey_days", 14)),
    }


def opens_case(kind: str, scale: dict[str, Any], loop: dict[str, Any] | None, score: int) -> bool:
    """Whether a score opens a case: the survey's loop is on and the score is at or below its
    threshold (the low band unless the survey sets another)."""
    settings = loop_settings(kind, scale, loop)
    return settings["cases"] and score <= settings["at_or_below"]


def _loop(raw: Any, scale: dict[str, Any]) -> dict[str, Any]:
    """Whether low scores open cases, at which score, and when a resolved case re-surveys."""
    if not isinstance(raw, dict):
        raise Invalid("Must be an object with cases, at_or_below and resurvey_days.", "loop")
    unknown = sorted(set(raw) - {"cases", "at_or_below", "resurvey_days"})
    if unknown:
        raise Invalid(f"Unknown setting {unknown[0]!r}.", f"loop.{unknown[0]}")
    cleaned: dict[str, Any] = {}
    if "cases" in raw:
        if not isinstance(raw["cases"], bool):
            raise Invalid("Must be true or false.", "loop.cases")
        cleaned["cases"] = raw["cases"]
    if "at_or_below" in raw:
        low, high = scale["min"], scale["max"] - 1
        cleaned["at_or_below"] = _int(raw["at_or_below"], "loop.at_or_below", low, high)
    if "resurvey_days" in raw:
        cleaned["resurvey_days"] = _int(raw["resurvey_days"], "loop.resurvey_days", 0, 365)
    return cleaned


def validate_survey(payload: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check a survey definition (a whole one, or changes to `current`); return it normalised."""
    if not isinstance(payload, dict):
        raise Invalid("The survey must be a JSON object.")
    unknown = sorted(set(payload) - _FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {unknown[0]!r}.", unknown[0])
    merged = dict(current or {})
    if current and "kind" in payload and payload["kind"] != current["kind"]:
        raise Invalid("The kind of a survey cannot change; create a new survey.", "kind")
    kind = _choice(payload.get("kind", merged.get("kind")), "kind", list(KINDS))
    out: dict[str, Any] = {"kind": kind}
    out["name"] = _text(payload.get("name", merged.get("name", KINDS[kind].title)), "name", 200)
    out["question"] = _text(
        payload.get("question", merged.get("question", KINDS[kind].question)), "question", 500
    )
    scale_changed = "scale" in payload
    out["scale"] = (
        _scale(kind, payload["scale"])
        if scale_changed
        else merged.get("scale") or default_scale(kind)
    )
    if "followups" in payload:
        out["followups"] = _followups(payload["followups"], out["scale"])
    elif current and not scale_changed:
        out["followups"] = merged["followups"]
    else:
        out["followups"] = default_followups(kind, out["scale"])
    channels = payload.get("channels", merged.get("channels", list(CHANNELS)))
    if not isinstance(channels, list) or not channels:
        raise Invalid(f"Must be a non-empty list of: {', '.join(CHANNELS)}.", "channels")
    # Each one checked before duplicates are dropped: dropping them hashes each one.
    out["channels"] = list(dict.fromkeys(_choice(c, "channels", CHANNELS) for c in channels))
    out["targeting"] = (
        _targeting(payload["targeting"]) if "targeting" in payload else merged.get("targeting", {})
    )
    out["branding"] = (
        _branding(payload["branding"]) if "branding" in payload else merged.get("branding", {})
    )
    # Checked again when only the scale changes: the threshold must stay on it.
    out["loop"] = _loop(payload.get("loop", merged.get("loop") or {}), out["scale"])
    out["status"] = _choice(
        payload.get("status", merged.get("status", "active")), "status", STATUSES
    )
    return out
