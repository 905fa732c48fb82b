"""Six months of demo responses to the four surveys, from customers on every plan."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from feedback.accounts.models import Workspace
from feedback.database import owned_by, utcnow
from feedback.demo.comments import CommentWriter
from feedback.demo.content import content
from feedback.extensions import db
from feedback.responses.models import Display, Respondent, Response
from feedback.surveys.followups import followups_for
from feedback.surveys.kinds import band_for
from feedback.surveys.models import Survey

DAYS = 182


def add_responses(
    workspace: Workspace, by_kind: dict[str, Survey], count: int, rng: random.Random
) -> list[dict[str, Any]]:
    """`count` responses with their respondents and widget showings; returns the rows."""
    return ResponseMaker(workspace, by_kind, rng, utcnow()).add(count)


def _score(rng: random.Random, kind: str, shift: float) -> int:
    if kind == "nps":
        weights = [2, 1, 1, 2, 2, 4, 5, 9, 14, 20, 18]
        low = 0
    elif kind in ("csat", "psat"):
        weights, low = [4, 5, 9, 30, 45], 1
    else:
        weights, low = [3, 4, 6, 10, 20, 30, 22], 1
    # A shift moves weight towards the low (negative) or high (positive) end.
    weights = [w * (1.35 ** (shift * (i - len(weights) / 2))) for i, w in enumerate(weights)]
    return low + rng.choices(range(len(weights)), weights=weights)[0]


def _tone(band: str) -> str:
    if band in ("promoter", "positive", "easy"):
        return "positive"
    if band in ("detractor", "negative", "difficult"):
        return "negative"
    return "mixed"


def _client_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex


class ResponseMaker:
    """Draws each response in turn from one random stream, so a seed gives the same data."""

    def __init__(
        self,
        workspace: Workspace,
        by_kind: dict[str, Survey],
        rng: random.Random,
        now: datetime,
    ) -> None:
        self.workspace = workspace
        self.by_kind = by_kind
        self.rng = rng
        self.now = now
        self.people: list[dict[str, Any]] = []
        self.ids: dict[str, int] = {}
        self.writer = CommentWriter(rng)
        # The emerging topic draws from a stream of its own, so the rest of the data stays
        # what the seed made it before the topic was added.
        self.topic = CommentWriter(random.Random("emerging topic"))
        company = content("workspace")
        self.plans = list(company["plans"].items())
        self.features = company["features"]
        self.agents = [(team, agent) for team, names in company["teams"].items() for agent in names]
        # How each agent's customers tend to score: shifts of the CSAT distribution.
        self.skill: dict[str, float] = company["agent_skill"]

    def add(self, count: int) -> list[dict[str, Any]]:
        self._add_people(count)
        rows, displays = [], []
        for n in range(count):
            row = self._response(n)
            rows.append(row)
            if row["channel"] == "widget":
                displays += self._displays(row)
        db.session.execute(insert(Response), rows)
        db.session.execute(insert(Display), displays)
        return rows

    def _add_people(self, count: int) -> None:
        """A third as many respondents as responses (50 at least), on the plans' shares."""
        for i in range(max(50, count // 3)):
            plan = self.rng.choices([p for p, _ in self.plans], weights=[w for _, w in self.plans])[
                0
            ]
            self.people.append(
                {
                    "workspace_id": self.workspace.id,
                    "external_id": f"user-{i + 1:05d}",
                    "email": f"user{i + 1}@customer{i % 97}.example",
                    "traits": {"plan": plan, "company": f"Customer {i % 97}"},
                    "created_at": self.now - timedelta(days=self.rng.randint(DAYS, DAYS + 400)),
                }
            )
        db.session.execute(insert(Respondent), self.people)
        self.ids = dict(
            db.session.execute(
                select(Respondent.external_id, Respondent.id).where(
                    owned_by(Respondent, self.workspace.id)
                )
            ).all()
        )

    def _response(self, n: int) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choices(("nps", "csat", "psat", "ces"), weights=(4, 3, 2, 1))[0]
        survey = self.by_kind[kind]
        person = rng.choice(self.people)
        age = rng.random() * DAYS
        when = self.now - timedelta(days=age, minutes=rng.randint(0, 59))
        # NPS improves over the six months, so the trend has something to show.
        shift = 0.35 * (1 - age / DAYS) - 0.1
        context, channel, shift = self._context(kind, n, person, shift)
        score = _score(rng, kind, shift)
        band = band_for(kind, survey.scale, score)
        answers, comment = self._comment(survey, score, band, age)
        return {
            "workspace_id": self.workspace.id,
            "survey_id": survey.id,
            "respondent_id": self.ids[person["external_id"]],
            "client_id": _client_id(rng),
            "channel": channel,
            "kind": kind,
            "question": survey.question,
            "score": score,
            "band": band,
            "answers": answers,
            "comment": comment,
            "page_url": "https://app.acme.example/reports" if channel == "widget" else None,
            "context": {"company": person["traits"]["company"]},
            "nlp_status": "pending" if comment else "none",
            "submitted_at": when,
            "updated_at": when,
            **context,
        }

    def _context(
        self, kind: str, n: int, person: dict[str, Any], shift: float
    ) -> tuple[dict[str, str | None], str, float]:
        """What the response is about (plan; agent and ticket; feature), its channel, and the
        score shift the agent brings."""
        context: dict[str, str | None] = {"plan": person["traits"]["plan"]}
        channel = "widget"
        if kind == "csat":
            team, agent = self.rng.choice(self.agents)
            shift += self.skill.get(agent, 0.0)
            context.update(agent=agent, team=team, ticket_id=f"T-{40000 + n}")
            channel = "email"
        elif kind == "psat":
            context["feature"] = self.rng.choice(self.features)
        elif kind == "nps" and self.rng.random() < 0.3:
            channel = "email"
        return context, channel, shift

    def _comment(
        self, survey: Survey, score: int, band: str, age: float
    ) -> tuple[dict, str | None]:
        """About two in three answer the follow-up, in the tone of their score; in the last
        days, some unhappy ones about a topic no theme covers yet."""
        answers = {}
        comment = None
        if self.rng.random() < 0.65:
            followup = followups_for(survey.definition, score)
            text = self.writer.comment(_tone(band)) if followup else None
            new = self.topic.emerging
            if (
                text
                and age < new["days"]
                and _tone(band) != "positive"
                and self.topic.rng.random() < new["share"]
            ):
                text = self.topic.about_new_topic() or text
            if text:
                answers[followup[0]["id"]] = text
                comment = text
        return answers, comment

    def _displays(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """The widget showed the survey once to three times before it was answered."""
        return [
            {
                "workspace_id": self.workspace.id,
                "survey_id": row["survey_id"],
                "respondent_id": row["respondent_id"],
                "client_id": _client_id(self.rng),
                "channel": "widget",
                "shown_at": row["submitted_at"] - timedelta(minutes=self.rng.randint(0, 5000)),
            }
            for _ in range(self.rng.choice((1, 2, 2, 3)))
        ]
