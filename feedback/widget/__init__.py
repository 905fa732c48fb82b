"""The embeddable widget: the public API it calls, whether someone should see a survey now,
which sites may call it, and the script and how it is served."""

__all__ = [
    "origins",
    "script",
]
