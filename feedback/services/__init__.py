"""Use cases: what the API, the dashboard, the email flow and the jobs ask for."""
