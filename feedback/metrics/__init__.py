"""The figures' machinery: response sums in SQL, the KPI formulas, series and breakdowns,
the closing-the-loop figures, the money at stake by NPS band, the filters they share, and the
daily sums that keep them fast."""

__all__ = [
    "filters",
    "formulas",
    "loop",
    "loop_sums",
    "money",
    "models",
    "plan",
    "series",
    "sums",
]
