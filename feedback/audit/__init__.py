"""Who did what, when and from where: the workspace's append-only audit log of
security-relevant actions, its page, its export and its API."""

__all__ = [
    "log",
    "models",
    "queries",
]
