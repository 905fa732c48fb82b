"""Changing a workspace's settings."""

from __future__ import annotations

import copy
from typing import Any

from flask import current_app

from feedback.accounts.currencies import clean_currency
from feedback.accounts.models import Workspace
from feedback.audit import log as audit
from feedback.cases.sla import clean_settings
from feedback.database import use_case
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.lookups import forget
from feedback.periods import zone
from feedback.widget.origins import clean_entry

EDITABLE = {
    "name",
    "timezone",
    "allowed_origins",
    "recontact_days",
    "low_n",
    "retention_days",
    "helpdesk_secret",
    "case_settings",
    "require_verified_identity",
    "require_two_factor",
    "currency",
}
# Logged as changed, never with their values.
SECRET = {"helpdesk_secret"}


@use_case
def update_workspace(workspace: Workspace, payload: Any) -> Workspace:
    """Apply changes to name, timezone, allowed origins, recontact wait, low-n threshold,
    retention, the helpdesk secret, identity checks, case settings and currency."""
    if not isinstance(payload, dict):
        raise Invalid("Send an object of settings.")
    unknown = sorted(set(payload) - EDITABLE)
    if unknown:
        raise Invalid(f"Unknown setting {unknown[0]!r}.", unknown[0])
    before = {name: copy.deepcopy(getattr(workspace, name)) for name in payload}
    if "name" in payload:
        name = payload["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise Invalid("Must be 1 to 200 characters.", "name")
        workspace.name = name.strip()
    if "timezone" in payload:
        zone(payload["timezone"])
        workspace.timezone = payload["timezone"]
    if "allowed_origins" in payload:
        origins = payload["allowed_origins"]
        if not isinstance(origins, list) or len(origins) > 100:
            raise Invalid("Must be a list of at most 100 origins.", "allowed_origins")
        development = current_app.config["FEEDBACK_ENV"] == "development"
        workspace.allowed_origins = [
            clean_entry(o, f"allowed_origins[{i}]", development) for i, o in enumerate(origins)
        ]
    for name, low, high in (("recontact_days", 0, 3650), ("low_n", 1, 10000)):
        if name in payload:
            value = payload[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise Invalid(f"Must be a whole number from {low} to {high}.", name)
            setattr(workspace, name, value)
    if "retention_days" in payload:
        days = payload["retention_days"]
        if days is not None and (
            isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 36500
        ):
            raise Invalid(
                "Must be a whole number from 1 to 36500, or null to keep forever.", "retention_days"
            )
        workspace.retention_days = days
    if "helpdesk_secret" in payload:
        secret = payload["helpdesk_secret"]
        if secret is not None and (not isinstance(secret, str) or not 16 <= len(secret) <= 200):
            raise Invalid("Must be 16 to 200 characters, or null.", "helpdesk_secret")
        workspace.helpdesk_secret = secret
    if "require_verified_identity" in payload:
        required = payload["require_verified_identity"]
        if not isinstance(required, bool):
            raise Invalid("Must be true or false.", "require_verified_identity")
        workspace.require_verified_identity = required
    if "require_two_factor" in payload:
        if not isinstance(payload["require_two_factor"], bool):
            raise Invalid("Must be true or false.", "require_two_factor")
        workspace.require_two_factor = payload["require_two_factor"]
    if "currency" in payload:
        workspace.currency = clean_currency(payload["currency"])
    if "case_settings" in payload:
        # The new SLA applies to cases opened from now on; open ones keep their due time.
        workspace.case_settings = clean_settings(payload["case_settings"], workspace.case_settings)
    changes = audit.changes_between(
        before, {name: getattr(workspace, name) for name in payload}, SECRET
    )
    if changes:
        audit.record(
            "settings.changed", workspace_id=workspace.id, target="workspace", changes=changes
        )
    db.session.flush()
    forget("workspace", workspace.public_key)
    return workspace
