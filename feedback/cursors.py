"""Cursors of the API's newest-first lists: where the next page starts, as (time, id)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from feedback.errors import Invalid, row_id


def encode(at: datetime, last_id: int) -> str:
    """The cursor of the page after the row at (at, last_id)."""
    position = {"at": at.isoformat(), "id": last_id}
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode(cursor: str) -> tuple[datetime, int]:
    """(time, id) of a cursor this API gave out; Invalid naming `cursor` for anything else."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        at, last_id = datetime.fromisoformat(position["at"]), row_id(position["id"], "cursor")
    except (ValueError, KeyError, TypeError, Invalid) as exc:
        raise Invalid("The cursor is not one this API gave out.", "cursor") from exc
    if at.tzinfo is not None:
        raise Invalid("The cursor is not one this API gave out.", "cursor")
    return at, last_id
