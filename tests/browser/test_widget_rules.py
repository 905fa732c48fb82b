"""The widget's budget, and its follow-up rules against the server's on the same JSON."""

from __future__ import annotations

import json
import random

import pytest

from feedback.surveys.followups import followups_for
from tests.browser.helpers import WIDGET, widget_gzip_size

BUDGET = 10 * 1024


def test_widget_is_within_its_gzipped_budget():
    assert widget_gzip_size() <= BUDGET


def test_widget_source_has_no_eval_and_no_inline_handlers():
    source = WIDGET.read_text()
    for banned in ("eval(", "new Function", "innerHTML", "onclick=", "document.write"):
        assert banned not in source


def _random_case(rng: random.Random) -> tuple[dict, int, dict]:
    followups: list[dict] = []
    for i in range(rng.randint(1, 6)):
        f: dict = {"id": f"f{i}", "type": rng.choice(["text", "single", "multiple"])}
        if f["type"] != "text":
            f["options"] = ["A", "B", "C"][: rng.randint(1, 3)]
        when: dict = {}
        if rng.random() < 0.7:
            low = rng.randint(0, 10)
            when["score"] = [low, rng.randint(low, 10)]
        choices = [e for e in followups if e["type"] != "text"]
        if choices and rng.random() < 0.5:
            ref = rng.choice(choices)
            when["answer"] = {"followup": ref["id"], "in": rng.sample(ref["options"], 1)}
        if when:
            f["when"] = when
        followups.append(f)
    answers: dict = {}
    for f in followups:
        if f["type"] == "single" and rng.random() < 0.7:
            answers[f["id"]] = rng.choice(f["options"])
        elif f["type"] == "multiple" and rng.random() < 0.7:
            answers[f["id"]] = rng.sample(f["options"], rng.randint(1, len(f["options"])))
    return {"followups": followups}, rng.randint(0, 10), answers


@pytest.mark.browser
def test_widget_chooses_the_same_followups_as_the_server(context):
    rng = random.Random(20240501)
    cases = [_random_case(rng) for _ in range(400)]
    cases.append(({"followups": [{"id": "constructor", "type": "text"}]}, 3, {}))
    page = context.new_page()
    page.set_content("<!doctype html><title>rules</title>")
    page.add_script_tag(content=WIDGET.read_text())
    in_browser = page.evaluate(
        """cases => cases.map(([d, score, answers]) =>
             feedback.followupsFor(d, score, answers).map(f => f.id))""",
        json.loads(json.dumps(cases)),
    )
    on_server = [[f["id"] for f in followups_for(d, s, a)] for d, s, a in cases]
    assert in_browser == on_server
    assert sum(1 for ids in on_server if ids) > 100  # the cases exercise the rules
