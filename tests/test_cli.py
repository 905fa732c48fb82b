"""The `flask feedback` commands, including the demo data `make run` shows."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from feedback.accounts.models import ApiKey, Membership, User, Workspace
from feedback.cases.models import Case, CaseEvent
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.scorecard.models import KpiTarget
from feedback.surveys.models import Survey


def test_create_workspace_user_and_key(app: Flask, runner) -> None:
    out = runner.invoke(
        args=["feedback", "create-workspace", "Globex", "--origin", "https://app.globex.example"]
    )
    assert out.exit_code == 0, out.output
    assert "public key pk_" in out.output
    out = runner.invoke(
        args=[
            "feedback",
            "create-user",
            "globex",
            "ann@globex.example",
            "--password",
            "s3cret-pass",
        ]
    )
    assert out.exit_code == 0, out.output
    out = runner.invoke(args=["feedback", "create-api-key", "globex", "--name", "ci"])
    secret = out.output.strip()
    assert secret.startswith("fbk_")
    res = app.test_client().get("/api/v1/workspace", headers={"Authorization": f"Bearer {secret}"})
    assert res.json["allowed_origins"] == ["https://app.globex.example"]
    assert db.session.scalar(select(User.email)) == "ann@globex.example"


def test_commands_explain_bad_input(app: Flask, runner) -> None:
    out = runner.invoke(args=["feedback", "create-api-key", "nowhere"])
    assert out.exit_code != 0 and "No workspace 'nowhere'" in out.output
    runner.invoke(args=["feedback", "create-workspace", "Globex"])
    out = runner.invoke(args=["feedback", "create-workspace", "Globex"])
    assert out.exit_code != 0 and "exists already" in out.output
    out = runner.invoke(args=["feedback", "create-user", "globex", "a@b.c", "--password", "short"])
    assert out.exit_code != 0 and "8 characters" in out.output
    out = runner.invoke(args=["feedback", "create-workspace", "Initech", "--timezone", "America"])
    assert out.exit_code != 0 and "Unknown timezone 'America'" in out.output


def test_seed_demo_writes_a_realistic_workspace_once(app: Flask, runner) -> None:
    out = runner.invoke(args=["feedback", "seed-demo", "--responses", "1500"])
    assert out.exit_code == 0, out.output
    assert "admin@example.com" in out.output
    workspace = db.session.scalar(select(Workspace))
    assert "/widget.js?v=" in out.output  # the embed snippet, its script versioned
    assert "/api/reference" in out.output and "/api/openapi.json" in out.output
    assert f'","{workspace.public_key}");' in out.output
    key = re.search(r"fbk_\S+", out.output).group(0)
    # The six months asked for; before them, some accounts' earlier NPS answer, by email.
    six_months = Response.submitted_at >= utcnow() - timedelta(days=183)
    kinds = dict(
        db.session.execute(
            select(Response.kind, func.count()).where(six_months).group_by(Response.kind)
        ).all()
    )
    assert set(kinds) == {"nps", "csat", "psat", "ces"} and sum(kinds.values()) == 1500
    earlier = db.session.execute(
        select(Response.kind, Response.channel, func.count())
        .where(~six_months)
        .group_by(Response.kind, Response.channel)
    ).all()
    assert [(kind, channel) for kind, channel, _n in earlier] == [("nps", "email")]
    assert earlier[0][2] > 100
    span = db.session.execute(
        select(func.min(Response.submitted_at), func.max(Response.submitted_at)).where(six_months)
    ).one()
    assert (span[1] - span[0]).days >= 150
    agents = db.session.scalar(select(func.count(func.distinct(Response.agent))))
    plans = db.session.scalar(select(func.count(func.distinct(Response.plan))))
    features = db.session.scalar(select(func.count(func.distinct(Response.feature))))
    assert agents >= 5 and plans >= 3 and features >= 3
    comments = db.session.scalars(
        select(Response.comment).where(Response.comment.is_not(None))
    ).all()
    assert len(comments) > 500
    sentences = Counter(
        s.strip().lower() for c in comments for s in re.split(r"(?<=[.!])\s+", c) if s.strip()
    )
    repeated = [s for s, n in sentences.items() if n > 1]
    assert repeated == [], f"repeated sentences: {repeated[:3]}"
    # Worked cases: most closed, some still open, every one owned and with its trail.
    statuses = dict(
        db.session.execute(select(Case.status, func.count()).group_by(Case.status)).all()
    )
    assert (
        statuses.get("resolved", 0) > 20
        and statuses.get("open", 0) + statuses.get("in_progress", 0) > 0
    )
    assert db.session.scalar(select(func.count()).where(Case.owner_id.is_(None))) == 0
    assert db.session.scalar(select(func.count(func.distinct(CaseEvent.case_id)))) == sum(
        statuses.values()
    )
    # Accounts carry a monthly value and some renewed or churned: the scorecard's money is
    # true of the data, and detractors churn more often than promoters.
    money = (
        app.test_client()
        .get("/api/v1/scorecard?period=all", headers={"Authorization": f"Bearer {key}"})
        .json["money"]
    )
    assert money["status"] == "ok" and money["valued"] > 100
    assert money["churn"]["status"] == "ok"
    churn = {row["band"]: row["churn_rate"]["value"] for row in money["churn"]["by_band"]}
    assert churn["detractor"] > churn["promoter"]
    # Month by month over the last year too: in most months where both bands have
    # outcomes, detractors churn more often than promoters.
    months = money["churn"]["by_month"]
    assert len(months) == 12
    rates = [
        {cell["band"]: cell["churn_rate"]["value"] for cell in month["bands"] if cell["n"]}
        for month in months
    ]
    both = [r for r in rates if {"detractor", "promoter"} <= set(r)]
    assert len(both) >= 10, rates
    assert sum(r["detractor"] > r["promoter"] for r in both) > len(both) * 2 / 3, rates
    # Every KPI target is owned by a member of the workspace, named by the member's email, and
    # the members who own them have names of their own.
    owners = db.session.execute(
        select(KpiTarget.metric, KpiTarget.owner, User.email, User.name, Membership.role)
        .join(User, User.id == KpiTarget.owner_id)
        .join(Membership, Membership.user_id == User.id)
    ).all()
    assert len(owners) == db.session.scalar(select(func.count()).select_from(KpiTarget)) >= 9
    assert all(owner == email for _metric, owner, email, _name, _role in owners)
    assert {name for *_rest, name, _role in owners} == {
        "Priya Shah",
        "Sam Ortiz",
        "Lee Park",
        "Dana Moss",
    }
    assert {role for *_rest, role in owners} <= {"analyst", "viewer"}
    # The printed key works, and a second run adds nothing but a new key.
    assert (
        app.test_client()
        .get("/api/v1/surveys", headers={"Authorization": f"Bearer {key}"})
        .status_code
        == 200
    )
    stored = db.session.scalar(select(func.count()).select_from(Response))
    again = runner.invoke(args=["feedback", "seed-demo"])
    assert again.exit_code == 0 and "already there" in again.output
    assert db.session.scalar(select(func.count()).select_from(Workspace)) == 1
    assert db.session.scalar(select(func.count()).select_from(Survey)) == 4
    assert db.session.scalar(select(func.count()).select_from(Response)) == stored
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 2
