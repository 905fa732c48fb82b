"""The scorecard people review weekly: each KPI with its target, owner, confidence and trend;
KPI values from other systems; and the metrics reports of the API."""

__all__ = [
    "card",
    "kpi",
    "kpis",
    "models",
    "owners",
    "review",
]
