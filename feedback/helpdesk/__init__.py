"""The helpdesk: tickets sent by its webhook, the CSAT invite each solved one gets, and
CSAT per agent and team."""

__all__ = [
    "agents",
    "models",
    "ticket_kpis",
]
