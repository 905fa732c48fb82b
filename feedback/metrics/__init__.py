"""The figures' machinery: response sums in SQL, the KPI formulas, series and breakdowns,
the closing-the-loop figures, the money at stake by NPS band, the filters they share, the
daily sums that keep them fast, and where each KPI is heading (its trajectory)."""

__all__ = [
    "filters",
    "formulas",
    "loop",
    "loop_sums",
    "money",
    "models",
    "plan",
    "recommend",
    "refresh",
    "series",
    "sums",
    "trajectory",
    "trajectory_words",
    "trend_fit",
    "trend_model",
]
