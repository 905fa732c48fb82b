"""A realistic demo workspace: four surveys and six months of varied responses."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import insert, select

from feedback.accounts import workspaces
from feedback.accounts.models import Membership, Workspace
from feedback.cases.models import Case, CaseEvent, CaseNote, CaseRule
from feedback.cases.sla import due_at
from feedback.cases.work import opens_case
from feedback.database import use_case, utcnow
from feedback.extensions import db
from feedback.helpdesk.models import Ticket
from feedback.responses.models import Display, Respondent, Response
from feedback.scorecard import kpis
from feedback.surveys import service as surveys
from feedback.surveys.followups import followups_for
from feedback.surveys.kinds import band_for
from feedback.surveys.models import Survey
from feedback.themes.models import Theme
from feedback.widget.origins import LOOPBACK_ANY_PORT

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "demo-password"
DAYS = 182

PLANS = (("Free", 0.35), ("Starter", 0.3), ("Pro", 0.25), ("Enterprise", 0.1))
FEATURES = ("reports", "dashboards", "exports", "automations")
TEAMS = {
    "Tier 1": ("Alice Moreau", "Bilal Khan", "Chen Wei", "Emil Novak"),
    "Billing desk": ("Dana Okafor", "Ines Duarte"),
    "Technical": ("Farah Haddad", "Gus Lindqvist"),
}
# How each agent's customers tend to score: shifts of the CSAT distribution.
AGENT_SKILL = {"Emil Novak": -2.6, "Farah Haddad": 0.4, "Alice Moreau": 0.25}

# Comment fragments per theme: (subjects, praise, complaints). Sentences are assembled from
# them with details and openers, and no sentence is used twice.
THEMES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "pricing": (
        [
            "the price",
            "the Pro plan",
            "the per-seat pricing",
            "what we pay each month",
            "the annual plan",
            "the cost for a team our size",
        ],
        [
            "is fair for what we get",
            "feels like good value",
            "pays for itself",
            "is cheaper than the tool we left",
            "is easy to justify to finance",
        ],
        [
            "is too expensive for a small team",
            "went up without much warning",
            "is hard to justify",
            "doubled when we added three people",
            "feels steep next to the alternatives",
        ],
    ),
    "billing": (
        [
            "the invoices",
            "billing",
            "the card payment",
            "the VAT handling",
            "the billing page",
            "the renewal",
        ],
        ["is painless", "just works", "is clear about every line", "was sorted out in minutes"],
        [
            "charged us twice",
            "shows the wrong company name",
            "is confusing with the prorated amounts",
            "failed and locked our account",
            "has no way to add a PO number",
        ],
    ),
    "support": (
        [
            "your support team",
            "the agent I spoke to",
            "the help desk",
            "the chat support",
            "customer service",
            "the person who answered my ticket",
        ],
        [
            "was quick and friendly",
            "solved it on the first reply",
            "went above and beyond",
            "explained everything patiently",
            "followed up the next day",
        ],
        [
            "took three days to answer",
            "kept sending me canned replies",
            "closed my ticket without fixing it",
            "did not read what I wrote",
            "passed me around between people",
        ],
    ),
    "usability": (
        [
            "the interface",
            "the new layout",
            "the settings screen",
            "navigation",
            "the editor",
            "finding things in the menu",
        ],
        [
            "is clean and obvious",
            "makes sense right away",
            "is a joy to use",
            "feels thought through",
            "got much better lately",
        ],
        [
            "is cluttered",
            "is confusing",
            "hides the options I need",
            "takes too many clicks",
            "changed again and I am lost",
        ],
    ),
    "performance": (
        [
            "the dashboard",
            "search",
            "loading a big report",
            "the app",
            "opening a project",
            "the export",
        ],
        ["is really fast now", "loads instantly", "feels snappy", "keeps up even with our data"],
        [
            "is painfully slow",
            "takes ages to load",
            "freezes for seconds",
            "spins forever",
            "gets sluggish in the afternoon",
        ],
    ),
    "reliability": (
        ["the service", "the sync", "the app", "saving", "the nightly backup", "the login"],
        [
            "has been rock solid",
            "never lets us down",
            "has not failed once this year",
            "is dependable",
        ],
        [
            "went down twice this week",
            "keeps crashing",
            "lost some of my changes",
            "times out randomly",
            "was broken all morning",
        ],
    ),
    "features": (
        [
            "the reporting",
            "the automation builder",
            "the custom field editor",
            "the API",
            "the template library",
            "bulk editing",
        ],
        [
            "does exactly what we need",
            "saved us hours every week",
            "is the reason we switched",
            "keeps getting better",
        ],
        [
            "is missing basic filters",
            "cannot do recurring tasks",
            "lacks a dark mode",
            "needs an undo button",
            "still has no audit log",
        ],
    ),
    "onboarding": (
        [
            "getting started",
            "the setup",
            "the first week",
            "importing our old data",
            "the getting-started guide",
            "the onboarding call",
        ],
        [
            "was smooth",
            "took less than an hour",
            "was well explained",
            "made us productive on day one",
        ],
        [
            "was a struggle",
            "took far longer than promised",
            "left us guessing",
            "broke half our imported records",
            "assumed we knew everything",
        ],
    ),
    "integrations": (
        [
            "the Slack integration",
            "the Salesforce sync",
            "the Zapier connector",
            "the calendar sync",
            "the HubSpot integration",
            "the webhook feed",
        ],
        [
            "works flawlessly",
            "saves us a lot of copy and paste",
            "was easy to connect",
            "keeps everything in one place",
        ],
        [
            "stops syncing every few days",
            "duplicates our contacts",
            "is too limited",
            "needs to be reconnected constantly",
            "drops fields without telling us",
        ],
    ),
    "mobile": (
        [
            "the mobile app",
            "the iPhone app",
            "the Android app",
            "using it on my phone",
            "the tablet view",
            "the mobile inbox",
        ],
        [
            "is great on the go",
            "has everything I need",
            "is surprisingly good",
            "lets me work from anywhere",
        ],
        [
            "is unusable",
            "crashes on startup",
            "logs me out constantly",
            "is missing half the features",
            "drains my battery",
        ],
    ),
}
DETAILS = [
    "",
    "",
    "",
    "since the last update",
    "lately",
    "every single time",
    "for our whole team",
    "on Monday mornings",
    "when we have a deadline",
    "compared to last year",
    "for the last month",
    "when I work from home",
    "with larger accounts",
    "this quarter",
    "after the redesign",
    "for our finance people",
    "when clients are watching",
    "at the end of the month",
]
OPENERS = [
    "",
    "",
    "",
    "Honestly, ",
    "To be fair, ",
    "Overall ",
    "Frankly ",
    "I have to say ",
    "Well, ",
]
SHORT = {
    "positive": [
        "Love it!",
        "Great product.",
        "Keep it up",
        "Very happy so far.",
        "No complaints 👍",
        "Does the job well.",
    ],
    "negative": [
        "Not great.",
        "Disappointed.",
        "Needs work",
        "Meh.",
        "Could be much better.",
        "Not what we were promised.",
    ],
}


@dataclass
class DemoResult:
    workspace: Workspace
    api_key: str
    created_note: str


class CommentWriter:
    """Writes varied comments; remembers every sentence so none appears twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _sentence(self, theme: str, positive: bool) -> str | None:
        subjects, praise, complaints = THEMES[theme]
        for _ in range(20):
            subject = self.rng.choice(subjects)
            predicate = self.rng.choice(praise if positive else complaints)
            detail = self.rng.choice(DETAILS)
            opener = self.rng.choice(OPENERS)
            text = f"{opener}{subject} {predicate}{' ' + detail if detail else ''}".strip()
            text = text[0].upper() + text[1:] + self.rng.choice([".", ".", "!", ""])
            if text.lower() not in self.used:
                self.used.add(text.lower())
                return text
        return None

    def comment(self, tone: str) -> str | None:
        """One to three sentences; a passive mixes praise and complaint."""
        themes = self.rng.sample(list(THEMES), k=self.rng.choice((1, 1, 1, 2, 2, 3)))
        sentences = []
        for i, theme in enumerate(themes):
            positive = tone == "positive" or (tone == "mixed" and i % 2 == 0)
            sentence = self._sentence(theme, positive)
            if sentence:
                sentences.append(sentence)
        if not sentences:
            return None
        if tone == "mixed" and len(sentences) > 1:
            sentences[1] = "But " + sentences[1][0].lower() + sentences[1][1:]
        if self.rng.random() < 0.06 and tone != "mixed":
            short = self.rng.choice(SHORT[tone])
            if short.lower() not in self.used:
                self.used.add(short.lower())
                sentences.append(short)
        return " ".join(sentences)


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


def _create_surveys(workspace: Workspace) -> dict[str, Survey]:
    specs = {
        "nps": {"kind": "nps", "name": "Product NPS", "channels": ["widget", "email", "link"]},
        "csat": {
            "kind": "csat",
            "name": "Support CSAT",
            "scale": {"style": "stars"},
            "channels": ["email", "link"],
        },
        "psat": {
            "kind": "psat",
            "name": "Reports feature",
            "question": "How satisfied are you with reports?",
            "scale": {"style": "emoji"},
            "targeting": {"events": ["exported_report"]},
        },
        "ces": {
            "kind": "ces",
            "name": "Setup effort",
            "question": "It was easy to set up my workspace.",
            "targeting": {"urls": [{"match": "contains", "value": "/setup"}]},
        },
    }
    return {kind: surveys.create_survey(workspace, spec) for kind, spec in specs.items()}


@use_case
def seed_demo_workspace(responses: int = 3000, seed: int = 7) -> DemoResult:
    """Create the demo workspace once; later calls only issue a fresh API key. One unit of
    work: the surveys, targets and key it creates commit with it."""
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == DEMO_SLUG))
    note = "already there"
    if workspace is None:
        # Under `make run`, a page on any port of this machine may show the widget, so the
        # printed snippet works wherever it is pasted first. Production lists none of them.
        development = current_app.config["FEEDBACK_ENV"] == "development"
        workspace = workspaces.create_workspace(
            "Acme Analytics (demo)",
            DEMO_SLUG,
            "America/New_York",
            list(LOOPBACK_ANY_PORT) if development else [],
        )
        _fill(workspace, responses, random.Random(seed))
        note = f"created with {responses} responses"
    workspaces.add_user(workspace, DEMO_EMAIL, DEMO_PASSWORD, "owner")
    issued = workspaces.create_api_key(workspace, "demo key")
    return DemoResult(workspace, issued.secret, note)


def _fill(workspace: Workspace, count: int, rng: random.Random) -> None:
    by_kind = _create_surveys(workspace)
    now = utcnow()
    people = []
    for i in range(max(50, count // 3)):
        plan = rng.choices([p for p, _ in PLANS], weights=[w for _, w in PLANS])[0]
        people.append(
            {
                "workspace_id": workspace.id,
                "external_id": f"user-{i + 1:05d}",
                "email": f"user{i + 1}@customer{i % 97}.example",
                "traits": {"plan": plan, "company": f"Customer {i % 97}"},
                "created_at": now - timedelta(days=rng.randint(DAYS, DAYS + 400)),
            }
        )
    db.session.execute(insert(Respondent), people)
    ids = dict(
        db.session.execute(
            select(Respondent.external_id, Respondent.id).where(
                Respondent.workspace_id == workspace.id
            )
        ).all()
    )
    writer = CommentWriter(rng)
    agents = [(team, agent) for team, names in TEAMS.items() for agent in names]
    rows, displays = [], []
    for n in range(count):
        kind = rng.choices(("nps", "csat", "psat", "ces"), weights=(4, 3, 2, 1))[0]
        survey = by_kind[kind]
        person = rng.choice(people)
        age = rng.random() * DAYS
        when = now - timedelta(days=age, minutes=rng.randint(0, 59))
        # NPS improves over the six months, so the trend has something to show.
        shift = 0.35 * (1 - age / DAYS) - 0.1
        context: dict[str, str | None] = {"plan": person["traits"]["plan"]}
        channel = "widget"
        if kind == "csat":
            team, agent = rng.choice(agents)
            shift += AGENT_SKILL.get(agent, 0.0)
            context.update(agent=agent, team=team, ticket_id=f"T-{40000 + n}")
            channel = "email"
        elif kind == "psat":
            context["feature"] = rng.choice(FEATURES)
        elif kind == "nps" and rng.random() < 0.3:
            channel = "email"
        score = _score(rng, kind, shift)
        band = band_for(kind, survey.scale, score)
        answers = {}
        comment = None
        if rng.random() < 0.65:
            followup = followups_for(survey.definition, score)
            text = writer.comment(_tone(band)) if followup else None
            if text:
                answers[followup[0]["id"]] = text
                comment = text
        rows.append(
            {
                "workspace_id": workspace.id,
                "survey_id": survey.id,
                "respondent_id": ids[person["external_id"]],
                "client_id": uuid.UUID(int=rng.getrandbits(128)).hex,
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
        )
        if channel == "widget":
            for _ in range(rng.choice((1, 2, 2, 3))):
                displays.append(
                    {
                        "workspace_id": workspace.id,
                        "survey_id": survey.id,
                        "respondent_id": ids[person["external_id"]],
                        "client_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                        "channel": "widget",
                        "shown_at": when - timedelta(minutes=rng.randint(0, 5000)),
                    }
                )
    db.session.execute(insert(Response), rows)
    db.session.execute(insert(Display), displays)
    db.session.execute(insert(Ticket), _tickets(workspace, rows, rng))
    _kpis(workspace, rng)
    db.session.flush()
    _cases(workspace, by_kind, rng)


def _tickets(workspace: Workspace, rows: list[dict], rng: random.Random) -> list[dict]:
    """The helpdesk tickets behind the CSAT responses, with their operational figures."""
    tickets = []
    for row in rows:
        if row["kind"] != "csat":
            continue
        skill = AGENT_SKILL.get(row["agent"], 0.0)
        solved = row["submitted_at"] - timedelta(hours=rng.uniform(20, 30))
        resolution = max(0.3, rng.gauss(9 - 3 * skill, 3))
        first = min(resolution, max(0.1, rng.gauss(3 - skill, 1)))
        contacts = 1 if rng.random() < 0.62 + 0.1 * skill else rng.randint(2, 4)
        tickets.append(
            {
                "workspace_id": workspace.id,
                "external_id": row["ticket_id"],
                "agent": row["agent"],
                "team": row["team"],
                "solved_by": row["agent"],
                "plan": row["plan"],
                "opened_at": solved - timedelta(hours=resolution),
                "first_response_at": solved - timedelta(hours=resolution - first),
                "solved_at": solved,
                "reopens": 0 if contacts == 1 else rng.choice((0, 0, 1)),
                "contacts": contacts,
                "first_response_seconds": int(first * 3600),
                "resolution_seconds": int(resolution * 3600),
                "one_touch": contacts == 1,
                "context": {},
            }
        )
    return tickets


def _kpis(workspace: Workspace, rng: random.Random) -> None:
    """Targets with owners for every perspective, and six months of pushed outside KPIs."""
    goals = {
        "nps": (30, "Priya Shah (product)", "customer", True),
        "csat": (85, "Sam Ortiz (support)", "customer", True),
        "psat": (80, "Priya Shah (product)", "customer", True),
        "ces": (5.5, "Lee Park (onboarding)", "customer", True),
        "frt_hours": (3, "Sam Ortiz (support)", "process", False),
        "one_touch": (70, "Sam Ortiz (support)", "process", True),
        "churn_rate": (2.0, "Dana Moss (finance)", "financial", False),
        "net_revenue_retention": (105, "Dana Moss (finance)", "financial", True),
        "training_hours": (8, "Lee Park (people)", "learning", True),
    }
    for metric, (target, owner, perspective, higher) in goals.items():
        kpis.set_target(
            workspace,
            metric,
            {
                "target": target,
                "owner": owner,
                "perspective": perspective,
                "higher_is_better": higher,
            },
        )
    today = utcnow().date().replace(day=1)
    values = []
    for back in range(6, 0, -1):
        month = (today - timedelta(days=28 * back)).replace(day=1)
        values += [
            {
                "metric": "churn_rate",
                "date": month.isoformat(),
                "value": round(rng.uniform(1.6, 2.6), 2),
                "unit": "%",
            },
            {
                "metric": "net_revenue_retention",
                "date": month.isoformat(),
                "value": round(rng.uniform(99, 109), 1),
                "unit": "%",
            },
            {
                "metric": "training_hours",
                "date": month.isoformat(),
                "value": round(rng.uniform(5, 11), 1),
                "unit": "h",
            },
        ]
    kpis.push_values(workspace, values)


# The people who work the cases: (email, role, handles cases in turn).
CASE_TEAM = (
    ("priya@example.com", "admin", False),
    ("sam@example.com", "analyst", True),
    ("lee@example.com", "analyst", True),
)
# Cases began two months ago: older low scores were never followed up.
CASE_DAYS = 60
NOTES = (
    "Called the customer; they are evaluating a competitor.",
    "Logged a bug for the export timeout and linked the ticket.",
    "Offered a walkthrough of the reports builder.",
    "Refund approved by finance.",
    "Customer confirmed the fix works on their side.",
)
REPLIES = (
    "Thank you for telling us. We have fixed the export timeout you ran into; could you try "
    "again and let us know?",
    "Sorry about the double charge. The refund is on its way and should arrive within five days.",
)


def _cases(workspace: Workspace, by_kind: dict[str, Survey], rng: random.Random) -> None:
    """Two months of worked cases: routed by rules, theme owners and round robin, most closed
    within their SLA, a few overdue, with notes, replies and the audit trail."""
    users = {
        email: workspaces.add_user(workspace, email, DEMO_PASSWORD, role).id
        for email, role, _ in CASE_TEAM
    }
    for email, _role, handles in CASE_TEAM:
        db.session.execute(
            Membership.__table__.update()
            .where(Membership.workspace_id == workspace.id, Membership.user_id == users[email])
            .values(handles_cases=handles)
        )
    for slug, owner in (("pricing", "priya@example.com"), ("onboarding", "lee@example.com")):
        db.session.execute(
            Theme.__table__.update()
            .where(Theme.workspace_id == workspace.id, Theme.slug == slug)
            .values(owner=owner)
        )
    rules = [
        ("Enterprise accounts", {"plan": "Enterprise"}, "priya@example.com"),
        ("Support CSAT to the support lead", {"kind": "csat"}, "sam@example.com"),
    ]
    rule_ids = []
    for position, (name, conditions, owner) in enumerate(rules, start=1):
        rule = CaseRule(
            workspace_id=workspace.id,
            position=position,
            name=name,
            conditions=conditions,
            owner_id=users[owner],
        )
        db.session.add(rule)
        db.session.flush()
        rule_ids.append(rule.id)
    now = utcnow()
    surveys_by_id = {s.id: s for s in by_kind.values()}
    low = [
        r
        for r in db.session.execute(
            select(
                Response.id,
                Response.survey_id,
                Response.respondent_id,
                Response.kind,
                Response.score,
                Response.plan,
                Response.team,
                Response.submitted_at,
            )
            .where(
                Response.workspace_id == workspace.id,
                Response.submitted_at >= now - timedelta(days=CASE_DAYS),
            )
            .order_by(Response.submitted_at)
        )
        if opens_case(surveys_by_id[r.survey_id], r.score)
    ]
    handlers = [users["sam@example.com"], users["lee@example.com"]]
    admin = users["priya@example.com"]
    email_of = {v: k for k, v in users.items()}
    for turn, row in enumerate(low):
        if row.plan == "Enterprise":
            owner, by = admin, f"rule:{rule_ids[0]}"
        elif row.kind == "csat":
            owner, by = users["sam@example.com"], f"rule:{rule_ids[1]}"
        else:
            owner, by = handlers[turn % 2], "round_robin"
        opened = row.submitted_at
        due = due_at(opened, workspace.timezone, workspace.case_settings)
        age_days = (now - opened).days
        # Older cases are mostly closed; a few slipped past their SLA, some still open.
        roll = rng.random()
        if age_days > 7 and roll < 0.78:
            status = "resolved" if rng.random() < 0.88 else "wont_fix"
        elif age_days > 3 and roll < 0.9:
            status = rng.choice(("in_progress", "waiting"))
        else:
            status = "open" if rng.random() < 0.6 else "in_progress"
        first_action = opened + timedelta(hours=rng.uniform(0.5, 30))
        resolved = None
        if status in ("resolved", "wont_fix"):
            on_time = rng.random() < 0.74
            spread = (due - opened) * rng.uniform(0.2, 0.95) if on_time else None
            resolved = opened + (spread or (due - opened) + timedelta(hours=rng.uniform(2, 60)))
            resolved = min(resolved, now - timedelta(minutes=5))
            first_action = min(first_action, resolved)
        elif status == "open":
            first_action = None
        case = Case(
            workspace_id=workspace.id,
            response_id=row.id,
            respondent_id=row.respondent_id,
            survey_id=row.survey_id,
            kind=row.kind,
            score=row.score,
            status=status,
            owner_id=owner,
            team=row.team,
            assigned_by=by,
            source="auto",
            opened_at=opened,
            due_at=due,
            routed_at=opened,
            first_action_at=first_action if first_action and first_action < now else None,
            resolved_at=resolved,
            resolution=(
                rng.choice(("fixed", "explained", "refunded", "feature_request"))
                if status == "resolved"
                else ("other" if status == "wont_fix" else None)
            ),
            updated_at=resolved or first_action or opened,
        )
        db.session.add(case)
        db.session.flush()
        owner_email = email_of[owner]
        trail = [
            (opened, "system", None, "opened", {"score": row.score, "kind": row.kind}),
            (opened, "system", None, "assigned", {"owner": owner_email, "by": by}),
        ]
        if case.first_action_at is not None:
            if rng.random() < 0.5:
                db.session.add(
                    CaseNote(
                        workspace_id=workspace.id,
                        case_id=case.id,
                        author_id=owner,
                        author=owner_email,
                        kind="note",
                        body=rng.choice(NOTES),
                        created_at=case.first_action_at,
                    )
                )
                trail.append((case.first_action_at, owner_email, owner, "note", {}))
            else:
                trail.append(
                    (
                        case.first_action_at,
                        owner_email,
                        owner,
                        "status",
                        {"from": "open", "to": "in_progress"},
                    )
                )
        if resolved is not None:
            trail.append(
                (resolved, owner_email, owner, "status", {"from": "in_progress", "to": status})
            )
        db.session.execute(
            insert(CaseEvent),
            [
                {
                    "workspace_id": workspace.id,
                    "case_id": case.id,
                    "at": at,
                    "actor": actor,
                    "actor_id": actor_id,
                    "action": action,
                    "detail": detail,
                }
                for at, actor, actor_id, action, detail in trail
            ],
        )
    db.session.flush()
