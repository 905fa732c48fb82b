"""JSON blueprints: the public API (widget, link page, email) and the management API."""
