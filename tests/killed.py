"""A worker killed mid-batch, simulated: it dies at a chosen commit and keeps nothing unsaved."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from feedback.extensions import db


class Killed(BaseException):
    """The SIGKILL: not an Exception, so no `except Exception` of the worker stops it."""


@contextmanager
def dies_at_commit(number: int, once: Callable[[], bool] = lambda: True) -> Iterator[None]:
    """The worker dies as it starts its `number`th commit after `once()` first holds.

    What it committed before stays; its open transaction and its session go with it, as a
    killed process's connection does.
    """
    seen = 0

    def before_commit(_session: Any) -> None:
        nonlocal seen
        if once():
            seen += 1
            if seen == number:
                raise Killed(f"killed at commit {number}")

    event.listen(Session, "before_commit", before_commit)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", before_commit)
        db.session.remove()
