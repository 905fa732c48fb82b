"""Which follow-up questions a respondent sees, and whether their answers are acceptable.

The widget evaluates the same JSON with the same rules (static/widget.js), so the server can
refuse an answer to a question the respondent should never have been shown.
"""

from __future__ import annotations

from typing import Any

from feedback.errors import Invalid


def _answer_matches(expected: list[Any], given: Any) -> bool:
    if isinstance(given, list):
        return any(item in expected for item in given)
    return given in expected


def _applies(
    followup: dict[str, Any], score: int, answers: dict[str, Any], shown: set[str]
) -> bool:
    when = followup.get("when") or {}
    score_range = when.get("score")
    if score_range is not None and not (score_range[0] <= score <= score_range[1]):
        return False
    on_answer = when.get("answer")
    if on_answer is not None:
        earlier = on_answer["followup"]
        if earlier not in shown or earlier not in answers:
            return False
        if not _answer_matches(on_answer["in"], answers[earlier]):
            return False
    return True


def followups_for(
    definition: dict[str, Any], score: int, answers: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The follow-ups that apply to this score and these earlier answers, in order."""
    answers = answers or {}
    shown: set[str] = set()
    result = []
    for followup in definition.get("followups", []):
        if _applies(followup, score, answers, shown):
            shown.add(followup["id"])
            result.append(followup)
    return result


def _clean_value(followup: dict[str, Any], value: Any, field: str, max_text: int) -> Any:
    kind = followup["type"]
    if kind == "text":
        if not isinstance(value, str):
            raise Invalid("An open-text answer must be a string.", field)
        limit = min(int(followup.get("max_length") or max_text), max_text)
        if len(value) > limit:
            raise Invalid(f"The answer is longer than the limit of {limit} characters.", field)
        return value.strip()
    options = followup.get("options") or []
    if kind == "single":
        if value not in options:
            raise Invalid(f"{value!r} is not one of the options.", field)
        return value
    if not isinstance(value, list) or not value:
        raise Invalid("A multiple-choice answer must be a non-empty list of options.", field)
    unknown = [v for v in value if v not in options]
    if unknown:
        raise Invalid(f"{unknown[0]!r} is not one of the options.", field)
    return list(dict.fromkeys(value))


def clean_answers(
    definition: dict[str, Any], score: int, answers: dict[str, Any], max_text: int = 5000
) -> dict[str, Any]:
    """Validate answers against the rules; raise Invalid naming the first bad answer.

    An answer to a follow-up whose condition does not hold is an error, so a tampered or
    out-of-date client cannot store answers to questions the respondent never saw.
    """
    by_id = {f["id"]: f for f in definition.get("followups", [])}
    for fid in answers:
        if fid not in by_id:
            raise Invalid(f"The survey has no follow-up {fid!r}.", f"answers.{fid}")
    cleaned = {
        fid: _clean_value(by_id[fid], value, f"answers.{fid}", max_text)
        for fid, value in answers.items()
        if value is not None
    }
    applicable = {f["id"] for f in followups_for(definition, score, cleaned)}
    for fid in cleaned:
        if fid not in applicable:
            raise Invalid(
                f"The follow-up {fid!r} does not apply to a score of {score} with these answers.",
                f"answers.{fid}",
            )
    return cleaned


def open_text(definition: dict[str, Any], answers: dict[str, Any]) -> str | None:
    """The open-text answers joined, in the survey's order: what is searched and analysed."""
    texts = [
        answers[f["id"]]
        for f in definition.get("followups", [])
        if f["type"] == "text" and answers.get(f["id"])
    ]
    return "\n\n".join(texts) or None
