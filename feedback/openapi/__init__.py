"""The API description, kept as data and served at /api/openapi.json, and the reference page
read from it."""

__all__ = []
