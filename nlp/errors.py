"""Exceptions the analysis raises, for callers to catch by name."""


class ModelError(Exception):
    """A model (or embeddings) that cannot be used: missing, corrupt, truncated or mismatched.

    The caller keeps the model it already has when loading a new one raises this.
    """


class NotEnoughLabels(ValueError):
    """Too few labeled comments to learn from: the taxonomy stays in charge."""

    def __init__(self, count: int, minimum: int) -> None:
        super().__init__(f"{count} labeled comments, at least {minimum} are needed to train")
        self.count = count
        self.minimum = minimum
