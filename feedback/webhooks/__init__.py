"""Outgoing webhooks: managing them, the events the other domains emit into their log, where
they may post, and their delivery with retries."""

__all__ = [
    "models",
    "service",
]
