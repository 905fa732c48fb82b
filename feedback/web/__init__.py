"""The edge every page and API shares: who is signed in and their role, the JSON body parser
and the API-key guard, form pieces, times for people, security headers and compression."""

__all__ = [
    "api",
    "auth",
    "compression",
    "forms",
    "pages",
]
