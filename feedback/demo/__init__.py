"""The demo workspace `make run` shows: surveys, six months of responses and worked cases,
with its text as data."""

__all__ = []
