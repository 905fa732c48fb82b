"""The response table without its read indexes: what the dashboards read, dropped, so a bench
can say what they cost each stored response (bench/ingest.py) and what losing them costs the
pages (bench/dashboard.py). The table's unique key is a constraint, not one of these: it stays.
"""

from __future__ import annotations

from sqlalchemy import text

from feedback.extensions import db
from feedback.responses.models import Response


def drop_read_indexes() -> None:
    """Drop them from the app's database (in its app context)."""
    for index in Response.__table__.indexes:
        db.session.execute(text(f"DROP INDEX {index.name}"))
    db.session.commit()
