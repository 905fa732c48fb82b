"""The demo's verbatim comments: varied praise and complaints, no sentence said twice."""

from __future__ import annotations

import random

from feedback.demo.content import content


class CommentWriter:
    """Writes varied comments; remembers every sentence so none appears twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        words = content("comments")
        # Per theme: (subjects, praise, complaints). Sentences are assembled from them with
        # details and openers.
        self.themes = {
            theme: (fragments["subjects"], fragments["praise"], fragments["complaints"])
            for theme, fragments in words["themes"].items()
        }
        self.details = words["details"]
        self.emerging = words["emerging"]
        self.openers = words["openers"]
        self.short = words["short"]

    def _sentence(self, theme: str, positive: bool) -> str | None:
        subjects, praise, complaints = self.themes[theme]
        for _ in range(20):
            subject = self.rng.choice(subjects)
            predicate = self.rng.choice(praise if positive else complaints)
            detail = self.rng.choice(self.details)
            opener = self.rng.choice(self.openers)
            text = f"{opener}{subject} {predicate}{' ' + detail if detail else ''}".strip()
            text = text[0].upper() + text[1:] + self.rng.choice([".", ".", "!", ""])
            if text.lower() not in self.used:
                self.used.add(text.lower())
                return text
        return None

    def comment(self, tone: str) -> str | None:
        """One to three sentences; a passive mixes praise and complaint."""
        themes = self.rng.sample(list(self.themes), k=self.rng.choice((1, 1, 1, 2, 2, 3)))
        sentences = []
        for i, theme in enumerate(themes):
            positive = tone == "positive" or (tone == "mixed" and i % 2 == 0)
            sentence = self._sentence(theme, positive)
            if sentence:
                sentences.append(sentence)
        if not sentences:
            return None
        if tone == "mixed" and len(sentences) > 1:
            sentences[1] = "But " + sentences[1][0].lower() + sentences[1][1:]
        if self.rng.random() < 0.06 and tone != "mixed":
            short = self.rng.choice(self.short[tone])
            if short.lower() not in self.used:
                self.used.add(short.lower())
                sentences.append(short)
        return " ".join(sentences)

    def about_new_topic(self) -> str | None:
        """A comment on the topic that is emerging (a rebrand), never said twice."""
        topic = self.emerging
        for _ in range(20):
            subject = self.rng.choice(topic["subjects"])
            text = f"{subject} {self.rng.choice(topic['complaints'])}{self.rng.choice('.!')}"
            if text.lower() not in self.used:
                self.used.add(text.lower())
                return text
        return None
