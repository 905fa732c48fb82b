"""Delighted's API, answered here: code written against Delighted's client libraries keeps
working after changing only the base URL and the key. It translates each call into the
domains' public use cases and each answer into Delighted's shapes."""

__all__: list[str] = []
