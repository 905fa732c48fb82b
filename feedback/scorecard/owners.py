"""Telling a member they own a KPI: one mail when a change of target, from the targets page or
the API, makes them its owner, with the KPI, its target, who assigned it and a link to their
weekly review. The target is stored first: a mail server that is down or refuses is logged,
and the saved target stands."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any

from flask import current_app

from feedback.accounts.models import User, Workspace
from feedback.extensions import db
from feedback.mail import Mailer, MailError, base_url, notice
from feedback.scorecard import kpis
from feedback.scorecard.card import kpi_catalog
from feedback.scorecard.models import KpiTarget
from feedback.scorecard.review import PATH

log = logging.getLogger(__name__)


def set_target(
    workspace: Workspace, metric: str, payload: Any, actor: str, by: str | None = None
) -> KpiTarget:
    """Set one KPI's target as `kpis.set_target` does (it commits), then mail the member it
    names as owner, unless they owned it already. `by` is who assigned it, as the mail says
    it (`actor` by default). Called by a page or route, not inside another use case: the mail
    leaves once the change is stored."""
    current = kpis.targets(workspace).get(metric)
    before = current.owner_id if current is not None else None
    target = kpis.set_target(workspace, metric, payload, actor)
    if target.owner_id is not None and target.owner_id != before:
        mail_owner(workspace, target, by or actor)
    return target


def mail_owner(workspace: Workspace, target: KpiTarget, by: str) -> bool:
    """Mail the target's owner that the KPI is theirs; whether the server took the mail."""
    mailer = Mailer(current_app.config)
    owner = db.session.get(User, target.owner_id) if target.owner_id else None
    if not mailer.configured or owner is None:
        return False
    try:
        with mailer:
            mailer.send(compose_owner_mail(workspace, target, owner, by))
    except MailError as exc:
        log.warning("owner mail of KPI %s to %s not sent: %s", target.metric, owner.email, exc)
        return False
    return True


def compose_owner_mail(
    workspace: Workspace, target: KpiTarget, owner: User, by: str
) -> EmailMessage:
    """The mail that tells `owner` the KPI of `target` is now theirs."""
    title = next((e.title for e in kpi_catalog(workspace) if e.metric == target.metric), None)
    values = {
        "workspace": workspace,
        "owner": owner,
        "title": title or target.metric,
        "target": kpis.figure(target.target),
        "direction": "higher is better" if target.higher_is_better else "lower is better",
        "at_risk": kpis.figure(target.at_risk) if target.at_risk is not None else None,
        "by": by,
        "review_url": f"{base_url()}{PATH}#kpi-{target.metric}",
        "targets_url": f"{base_url()}/app/scorecard/targets#kpi-{target.metric}",
    }
    subject = f"{workspace.name}: you own {values['title']} now"
    return notice(subject, (owner.name or "", owner.email), "kpi_owner", values)
