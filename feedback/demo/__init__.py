"""A realistic demo workspace for `make run`: its seeding code, with its text as data."""

__all__ = []
