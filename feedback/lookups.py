"""Short-lived caches for what every public request reads: a workspace by its public key and
a live survey. A change reaches every process within FEEDBACK_LOOKUP_TTL seconds (default 5)
and this process at once: the services that change them call `forget`.

Dashboard figures that are the slowest to compute and move slowly (the closing-the-loop
figures, the themes page, emerging phrases) are `kept` for FEEDBACK_FIGURES_TTL seconds
(default 60) the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from feedback.extensions import db

T = TypeVar("T")
_lock = threading.Lock()
_PENDING = "feedback.lookups.forget"


def _cache(name: str = "feedback.lookups", setting: str = "FEEDBACK_LOOKUP_TTL") -> TTLCache:
    ext = current_app.extensions
    if name not in ext:
        ttl = float(current_app.config[setting])
        ext[name] = TTLCache(maxsize=4096, ttl=ttl) if ttl > 0 else None
    return ext[name]


def _figures() -> TTLCache:
    return _cache("feedback.figures", "FEEDBACK_FIGURES_TTL")


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """The value under `key`, loaded once per TTL; a missing value (None) is not kept."""
    return _through(_cache(), key, load)


def kept(key: Hashable, load: Callable[[], T]) -> T:
    """A slow dashboard figure under `key`, computed once per FEEDBACK_FIGURES_TTL."""
    return _through(_figures(), key, load)


def _through(cache: TTLCache | None, key: Hashable, load: Callable[[], T]) -> T:
    if cache is None:
        return load()
    with _lock:
        if key in cache:
            return cache[key]
    value = load()
    if value is not None:
        with _lock:
            cache[key] = value
    return value


def _drop(cache: TTLCache, prefix: tuple[Any, ...]) -> None:
    with _lock:
        for key in [k for k in cache if k[: len(prefix)] == prefix]:
            del cache[key]


def forget(*prefix: Any) -> None:
    """Drop every entry whose key starts with `prefix`, now and again after the commit.

    Dropping only now would let a request that reads between the change and its commit put
    the old value back for a whole TTL.
    """
    for cache in (_cache(), _figures()):
        if cache is None:
            continue
        _drop(cache, prefix)
        db.session.info.setdefault(_PENDING, []).append((cache, prefix))


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for cache, prefix in session.info.pop(_PENDING, []):
        _drop(cache, prefix)
