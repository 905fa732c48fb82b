"""KPI targets with their owners, and KPI values pushed from other systems (churn, FRT...)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db

PERSPECTIVES = ("customer", "process", "financial", "learning")
# How the scorecard names each perspective.
PERSPECTIVE_NAMES = {
    "customer": "Customer",
    "process": "Process",
    "financial": "Financial",
    "learning": "Learning and growth",
}


# The context fields summed per value (one row per day, survey, channel and value), and the one
# pair the agents page reads. High-cardinality fields (page URL, ticket id, JSON keys) are read
# from the rows.
FIELDS = ("plan", "feature", "agent", "team")


PAIRS = (("agent", "team"),)


class DayFigure(db.Model):
    __tablename__ = "day_figure"
    __table_args__ = (Index("ix_day_figure_read", "workspace_id", "field", "kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # the local date, ISO
    kind: Mapped[str] = mapped_column(String(8))
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("survey.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    # "" for all responses; a field of FIELDS, or "agent,team" for a pair.
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(200))
    value2: Mapped[str | None] = mapped_column(String(200))
    n: Mapped[int]
    high: Mapped[int]
    low: Mapped[int]
    total: Mapped[float]
    total_sq: Mapped[float]
    commented: Mapped[int]


class DayThemeFigure(db.Model):
    __tablename__ = "day_theme_figure"
    __table_args__ = (Index("ix_day_theme_figure_read", "workspace_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(8))
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("survey.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    theme_id: Mapped[int] = mapped_column(db.ForeignKey("theme.id", ondelete="CASCADE"))
    sentiment: Mapped[str] = mapped_column(String(10))
    # The tagged responses' sums, and those of the ones among them in the low band.
    n: Mapped[int]
    high: Mapped[int]
    low: Mapped[int]
    total: Mapped[float]
    total_sq: Mapped[float]
    low_total: Mapped[float]
    low_sq: Mapped[float]


class DayCaseFigure(db.Model):
    """Per local day of opening, team and owner: the closing-the-loop counts of the cases
    (merged ones left out). `measure` "closed" holds n and those closed within the SLA (hit);
    "first_action" and "resolution" hold, per duration bucket (see loop_sums.py), the count
    (n) and the smallest and largest hours in it."""

    __tablename__ = "day_case_figure"
    __table_args__ = (Index("ix_day_case_figure_read", "workspace_id", "span", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))
    # A day's cases spread over about as many buckets as there are cases, so a long period
    # would add up as many rows as cases: whole summed months are also kept as one "month"
    # span (`day` its first day), added up from their days.
    span: Mapped[str] = mapped_column(String(5), default="day")
    day: Mapped[str] = mapped_column(String(10))
    team: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None]
    measure: Mapped[str] = mapped_column(String(12))
    bucket: Mapped[int | None]
    n: Mapped[int]
    hit: Mapped[int]
    lo: Mapped[float | None]
    hi: Mapped[float | None]


class RollupMark(db.Model):
    """How far a workspace's days are summed, and in which timezone they were cut."""

    __tablename__ = "rollup_mark"

    workspace_id: Mapped[int] = mapped_column(
        db.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    rolled_until: Mapped[datetime | None]  # naive UTC, a local midnight
    # The next mark, announced a while before the days up to it are summed, so that a change
    # already under way when they are summed is filed by the triggers (see refresh._advance).
    pending_until: Mapped[datetime | None]
    pending_at: Mapped[datetime | None]


class RollupStale(db.Model):
    """A UTC day with a change since it was summed; `seq` grows with each change."""

    __tablename__ = "rollup_stale"

    workspace_id: Mapped[int] = mapped_column(
        db.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    seq: Mapped[int] = mapped_column(default=1)


WATCHED = "score, band, kind, survey_id, channel, plan, feature, agent, team, comment, submitted_at"


TAG_WATCHED = "response_id, theme_id, sentiment, removed"


CASE_WATCHED = "status, team, owner_id, opened_at, due_at, resolved_at, first_action_at"


_SQLITE_FILE = """
INSERT INTO rollup_stale (workspace_id, day, seq)
SELECT {row}.workspace_id, date({at}), 1
WHERE {at} < (SELECT coalesce(pending_until, rolled_until) FROM rollup_mark
              WHERE workspace_id = {row}.workspace_id)
ON CONFLICT (workspace_id, day) DO UPDATE SET seq = seq + 1;
"""


_RESPONSE_AT = "{row}.submitted_at"


_TAG_AT = "(SELECT submitted_at FROM response WHERE id = {row}.response_id)"


_CASE_AT = "{row}.opened_at"


def sqlite_triggers() -> list[str]:
    """CREATE TRIGGER statements for SQLite: one per table and operation."""
    out = []
    for table, watched, at in (
        ("response", WATCHED, _RESPONSE_AT),
        ("response_theme", TAG_WATCHED, _TAG_AT),
        ("feedback_case", CASE_WATCHED, _CASE_AT),
    ):
        for op, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)), ("UPDATE", ("OLD", "NEW"))):
            of = f" OF {watched}" if op == "UPDATE" else ""
            body = "".join(_SQLITE_FILE.format(row=row, at=at.format(row=row)) for row in rows)
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_rollup_{op.lower()} "
                f"AFTER {op}{of} ON {table} FOR EACH ROW BEGIN {body} END"
            )
    return out


_PG_FILE = """
        SELECT coalesce(pending_until, rolled_until) INTO until FROM rollup_mark
         WHERE workspace_id = {row}.workspace_id;
        {at}
        IF at < until THEN
            INSERT INTO rollup_stale (workspace_id, day, seq)
            VALUES ({row}.workspace_id, to_char(at, 'YYYY-MM-DD'), 1)
            ON CONFLICT (workspace_id, day) DO UPDATE SET seq = rollup_stale.seq + 1;
        END IF;"""


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    until timestamp;
    at timestamp;
BEGIN
    IF TG_OP <> 'DELETE' THEN{new}
    END IF;
    IF TG_OP <> 'INSERT' THEN{old}
    END IF;
    RETURN NULL;
END
$$
"""


def postgresql_triggers() -> list[str]:
    """The trigger functions and triggers for PostgreSQL."""
    out = []
    for table, watched, at in (
        ("response", WATCHED, "at := {row}.submitted_at;"),
        (
            "response_theme",
            TAG_WATCHED,
            "SELECT submitted_at INTO at FROM response WHERE id = {row}.response_id;",
        ),
        ("feedback_case", CASE_WATCHED, "at := {row}.opened_at;"),
    ):
        name = f"{table}_rollup_stale"
        new, old = (_PG_FILE.format(row=row, at=at.format(row=row)) for row in ("NEW", "OLD"))
        out.append(_PG_FUNCTION.format(name=name, new=new, old=old))
        out.append(f"DROP TRIGGER IF EXISTS {table}_rollup ON {table}")
        out.append(
            f"CREATE TRIGGER {table}_rollup AFTER INSERT OR DELETE OR UPDATE OF {watched} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    return out


def _create_triggers(target: object, connection: object, **kw: object) -> None:
    dialect = connection.dialect.name  # type: ignore[attr-defined]
    statements = {"sqlite": sqlite_triggers, "postgresql": postgresql_triggers}.get(dialect)
    for statement in statements() if statements else []:
        connection.execute(DDL(statement))  # type: ignore[attr-defined]


# A schema made by `create_all` (tests, benches) gets the triggers the migration makes, once
# every table they read exists.
event.listen(db.metadata, "after_create", _create_triggers)
