"""The demo's words: names, comment fragments and case notes, read once from data/."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


def content(name: str) -> dict[str, Any]:
    """data/`name`.json, parsed afresh from the text read once: the caller may keep or change it."""
    return json.loads(_text(name))


@cache
def _text(name: str) -> str:
    return (resources.files(__package__) / "data" / f"{name}.json").read_text("utf-8")
