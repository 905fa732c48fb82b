"""People and workspaces: users, memberships and roles, sign-in sessions, invitations,
a workspace's settings and its API keys."""

__all__ = [
    "members",
    "models",
    "sessions",
    "settings",
    "two_factor",
    "signins",
    "workspaces",
]
