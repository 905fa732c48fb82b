"""Background analysis of comments: themes, sentiment, evidence, retries and manual tags."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from feedback.extensions import db
from feedback.responses.models import ANALYSIS_OPEN, Response
from feedback.surveys.followups import followups_for
from feedback.themes import analysis, training
from feedback.themes import taxonomy as themes
from feedback.themes.models import NlpModel, ResponseTheme, Theme
from tests.factories import make_survey, make_tenant
from tests.killed import Killed
from tests.statements import plan, statements


def answer(client: FlaskClient, t, survey, rid: str, score: int, text: str) -> int:
    fid = followups_for(survey.definition, score)[0]["id"]
    res = client.put(
        t.public(f"/responses/{rid}"),
        json={"survey": survey.public_id, "score": score, "answers": {fid: text}},
    )
    assert res.status_code == 201, res.json
    return db.session.scalar(select(Response.id).where(Response.client_id == rid))


def tags(response_id: int) -> dict[str, tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Theme.slug, ResponseTheme.sentiment, ResponseTheme.source)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(ResponseTheme.response_id == response_id, ResponseTheme.removed.is_(False))
    ).all()
    return {slug: (sentiment, source) for slug, sentiment, source in rows}


def test_comment_gets_themes_sentiments_and_evidence(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    text = "The support team was fantastic. The price is way too high."
    rid = answer(client, t, survey, "anal-00001", 4, text)
    assert db.session.get(Response, rid).nlp_status == "pending"
    assert analysis.analyse_pending() == 1
    found = tags(rid)
    assert found["support"][0] == "positive" and found["pricing"][0] == "negative"
    response = db.session.get(Response, rid)
    assert (response.nlp_status, response.sentiment, response.language) == ("done", "mixed", "en")
    evidence = db.session.scalar(
        select(ResponseTheme.evidence).join(Theme).where(Theme.slug == "pricing")
    )
    text = response.comment
    assert all(text[e["start"] : e["end"]] == e["text"] for e in evidence) and evidence


def test_manual_tags_survive_reanalysis(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    rid = answer(client, t, survey, "anal-00002", 9, "Setup was quick and the reports are lovely.")
    analysis.analyse_pending()
    before = tags(rid)
    assert "onboarding" in before
    themes.untag_response(t.workspace, rid, "onboarding", "ann")
    themes.tag_response(t.workspace, rid, "billing", "negative", "ann")
    db.session.commit()
    analysis.start_reanalysis(t.workspace, "test")
    db.session.commit()
    analysis.analyse_pending()
    after = tags(rid)
    assert "onboarding" not in after
    assert after["billing"] == ("negative", "manual")


def test_taxonomy_edit_is_applied_to_past_comments_with_progress(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    ids = [
        answer(
            client, t, survey, f"anal-1{i:04d}", 7, f"Please add a dark mode, my eyes hurt ({i})"
        )
        for i in range(3)
    ]
    analysis.analyse_pending()
    assert all("accessibility" not in tags(i) for i in ids)
    res = t.post(
        "/api/v1/themes",
        json={"slug": "accessibility", "name": "Accessibility", "phrases": ["dark mode", "eyes"]},
    )
    assert res.status_code == 201 and res.json["reanalysis"]["total"] == 3
    progress = t.get("/api/v1/analysis").json
    assert progress["run"]["done"] == 0 and progress["run"]["total"] == 3
    analysis.analyse_pending()
    assert all("accessibility" in tags(i) for i in ids)
    progress = t.get("/api/v1/analysis").json
    assert progress["run"]["percent"] == 100.0 and progress["run"]["finished"] is True


def test_failing_comment_is_retried_with_backoff_then_marked_failed(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    good = answer(client, t, survey, "anal-00003", 10, "Great support team")
    bad = answer(client, t, survey, "anal-00004", 2, "BOOM this one breaks the analyzer")
    real = analysis.analyzer_for

    class Fragile:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def analyse_batch(self, texts: list[str], scores: Any = None) -> Any:
            if any("BOOM" in x for x in texts):
                raise RuntimeError("analyzer broke")
            return self.inner.analyse_batch(texts, scores)

    monkeypatch.setattr(analysis, "analyzer_for", lambda ws: Fragile(real(ws)))
    analysis.analyse_pending()
    db.session.expire_all()
    assert db.session.get(Response, good).nlp_status == "done"
    failed = db.session.get(Response, bad)
    assert (failed.nlp_status, failed.nlp_attempts) == ("pending", 1)
    assert failed.nlp_retry_at is not None and "analyzer broke" in failed.nlp_error
    assert analysis.analyse_pending() == 0  # not due yet: back-off
    for _ in range(analysis.MAX_ATTEMPTS - 1):
        db.session.execute(update(Response).where(Response.id == bad).values(nlp_retry_at=None))
        db.session.commit()
        analysis.analyse_pending()
    db.session.expire_all()
    assert db.session.get(Response, bad).nlp_status == "failed"
    assert t.get("/api/v1/analysis").json["failed"] == 1
    assert db.session.get(Response, bad).score == 2  # the response itself is untouched


def test_answer_changed_during_analysis_is_analysed_again(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    rid = answer(client, t, survey, "anal-00005", 3, "Too slow")
    token, claimed = analysis.claim_batch(10)
    assert [c.id for c in claimed] == [rid]
    client.put(
        t.public("/responses/anal-00005"),
        json={"survey": survey.public_id, "answers": {"improve": "The invoices are wrong"}},
    )
    results, errors = analysis._analyse(analysis.analyzer_for(t.workspace), claimed)
    analysis._store(token, claimed, results, errors)
    db.session.expire_all()
    assert db.session.get(Response, rid).nlp_status == "pending"
    analysis.analyse_pending()
    assert "billing" in tags(rid)


def test_comments_a_killed_worker_held_are_analysed_after_the_claim_time(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    text = "The support team was fantastic. The price is way too high."
    ids = [answer(client, t, survey, f"kill-{i:05d}", 3, text) for i in range(3)]

    def killed(*_args: Any) -> None:
        raise Killed("killed before storing its results")

    with monkeypatch.context() as patch:
        patch.setattr(analysis, "_store", killed)
        with pytest.raises(Killed):
            analysis.analyse_pending()
    db.session.remove()  # the dead worker's session goes with it
    assert analysis.analyse_pending() == 0  # the dead worker's claim holds for a while
    held = timedelta(seconds=int(app.config["FEEDBACK_ANALYSIS_CLAIM_SECONDS"]) + 1)
    db.session.execute(
        update(Response)
        .where(Response.nlp_claim.is_not(None))
        .values(nlp_claimed_at=Response.nlp_claimed_at - held)
    )
    db.session.commit()
    assert analysis.analyse_pending() == 3
    db.session.expire_all()
    assert [db.session.get(Response, i).nlp_status for i in ids] == ["done"] * 3
    assert all(set(tags(i)) >= {"support", "pricing"} for i in ids)


def test_two_workers_never_claim_the_same_response(app: Flask, client: FlaskClient) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several workers run on PostgreSQL only")
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for i in range(40):
        answer(client, t, survey, f"para-{i:05d}", 5, f"Comment number {i} about pricing")
    claims: list[list[int]] = [[], []]
    barrier = threading.Barrier(2)

    def worker(slot: int) -> None:
        with app.app_context():
            barrier.wait()
            for _ in range(5):
                _, claimed = analysis.claim_batch(5)
                assert len(claimed) <= 5
                claims[slot] += [c.id for c in claimed]
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert claims[0] and claims[1]
    assert not set(claims[0]) & set(claims[1])
    assert len(claims[0]) + len(claims[1]) == 40


def test_too_few_labels_leave_the_taxonomy_in_charge(app: Flask, client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    rid = answer(client, t, survey, "anal-00006", 8, "Billing page is confusing")
    themes.tag_response(t.workspace, rid, "billing", "negative", "ann")
    db.session.commit()
    result = training.train_workspace(t.workspace)
    assert result == {"status": "not_enough_labels", "labels": 1, "needed": 150}
    assert db.session.scalar(select(NlpModel.id)) is None


def test_worse_model_is_not_promoted(app: Flask, client: FlaskClient) -> None:
    import json
    from pathlib import Path

    from nlp import default_taxonomy

    app.config["FEEDBACK_MIN_LABELS"] = 60
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    records = [json.loads(x) for x in Path("nlp/data/comments.jsonl").read_text().splitlines()[:80]]
    known = set(default_taxonomy().slugs)
    for i, rec in enumerate(records):
        rid = answer(client, t, survey, f"lbl-{i:06d}", 5, rec["text"][:4000])
        for slug, polarity in rec["themes"].items():
            if slug in known:
                themes.tag_response(t.workspace, rid, slug, polarity, "ann")
        if not rec["themes"]:
            themes.untag_response(t.workspace, rid, "other", "ann")
    # A model in use that nothing can beat.
    db.session.add(
        NlpModel(
            workspace_id=t.workspace.id,
            version="perfect",
            status="active",
            label_count=80,
            report={"f1": 1.0, "sentiment_accuracy": 1.0},
        )
    )
    db.session.commit()
    result = training.train_workspace(t.workspace)
    assert result["status"] == "rejected" and result["f1"] is not None
    active = db.session.scalars(select(NlpModel.version).where(NlpModel.status == "active")).all()
    assert active == ["perfect"]


def test_damaged_model_file_falls_back_to_the_previous_model(
    app: Flask, client: FlaskClient, tmp_path: Any
) -> None:
    from nlp import load_model

    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    good = tmp_path / "good"
    load_model(None).save(good)
    damaged = tmp_path / "damaged"
    load_model(None).save(damaged)
    (damaged / "arrays.npz").write_bytes(b"not an array file")
    db.session.add_all(
        [
            NlpModel(workspace_id=t.workspace.id, version="v1", status="retired", path=str(good)),
            NlpModel(workspace_id=t.workspace.id, version="v2", status="active", path=str(damaged)),
        ]
    )
    db.session.commit()
    rid = answer(client, t, survey, "anal-00009", 2, "Support never answered my ticket")
    assert analysis.analyse_pending() == 1
    db.session.expire_all()
    assert db.session.get(Response, rid).nlp_status == "done"
    assert "support" in tags(rid)


def _statements_reading_open_comments() -> AbstractContextManager[list[tuple[str, Any]]]:
    """The statements run inside the block that read the open comments (say ANALYSIS_OPEN)."""
    return statements(lambda sql: ANALYSIS_OPEN in sql)


def _assert_read_through_open_index(seen: list[tuple[str, Any]]) -> None:
    """The plan a large workspace would get: the index, however few rows the test has."""
    for statement, parameters in seen:
        found = plan(statement, parameters)
        assert "ix_response_analysis_open" in found, found


def test_progress_counts_open_comments_from_their_own_index(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for i in range(3):
        answer(client, t, survey, f"anal-open{i:04d}", 3, f"Exports keep failing ({i})")
    analysis.analyse_pending(limit=1)
    with _statements_reading_open_comments() as seen:
        progress = analysis.progress(t.workspace)
    assert (progress["pending"], progress["done"], progress["failed"]) == (2, 1, 0)
    assert seen, "progress no longer reads the open comments through their index"
    _assert_read_through_open_index(seen)


def test_the_queue_claims_the_newest_comments_without_reading_every_response(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    ids = [
        answer(client, t, survey, f"anal-claim{i:04d}", 3, f"Search is slow ({i})")
        for i in range(4)
    ]
    assert analysis.analyse_pending(limit=1) == 1  # the newest first
    with _statements_reading_open_comments() as seen:
        _token, claimed = analysis.claim_batch(2)
    assert sorted(item.id for item in claimed) == ids[1:3]
    assert seen, "the queue no longer names the open comments' condition"
    # The job runner asks every few seconds, on SQLite under the write lock: a walk over all
    # of a large table's responses there would hold every new answer back.
    _assert_read_through_open_index(seen)
