"""Short-lived caches for what every public request reads: a workspace by its public key and
a live survey. A change reaches every process within FEEDBACK_LOOKUP_TTL seconds (default 5)
and this process at once: the services that change them call `forget`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache
from flask import current_app

T = TypeVar("T")
_lock = threading.Lock()


def _cache() -> TTLCache:
    ext = current_app.extensions
    if "feedback.lookups" not in ext:
        ttl = float(current_app.config["FEEDBACK_LOOKUP_TTL"])
        ext["feedback.lookups"] = TTLCache(maxsize=4096, ttl=ttl) if ttl > 0 else None
    return ext["feedback.lookups"]


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """The value under `key`, loaded once per TTL; a missing value (None) is not kept."""
    cache = _cache()
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


def forget(*prefix: Any) -> None:
    """Drop every entry whose key starts with `prefix` (after a change in this process)."""
    cache = _cache()
    if cache is None:
        return
    with _lock:
        for key in [k for k in cache if k[: len(prefix)] == prefix]:
            del cache[key]
