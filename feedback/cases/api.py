"""Cases over the management API: list, open, work, merge and route them, by secret key.

An API key acts as an admin of its workspace (a `write` key changes, a `read` key reads);
its changes are audited under the key's name.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from feedback.cases import lists as case_lists
from feedback.cases import opening
from feedback.cases import routing as case_rules
from feedback.cases import work as cases
from feedback.errors import Invalid, object_of, row_id, whole_number
from feedback.web.api import json_body, require_key

bp = Blueprint("cases_api", __name__, url_prefix="/api/v1")
MAX_LIST = 500


def _actor() -> cases.Actor:
    return cases.Actor(f"api key {g.api_key.name}", "admin")


def _detail(case: Any) -> dict[str, Any]:
    body = case.to_dict()
    response = case.response
    body["comment"] = response.comment if response else None
    # Where a reply would be mailed (null: no verified address, so only notes), and how the
    # response named its respondent: an unsigned widget call is only a claim.
    body["reply_to"] = cases.reply_address(case)
    body["identity"] = response.identity if response else None
    body["claimed_email"] = response.claimed_email if response else None
    body["events"] = [e.to_dict() for e in case_lists.events(g.workspace, case)]
    body["notes"] = [n.to_dict() for n in case_lists.notes(g.workspace, case)]
    return body


@bp.get("/cases")
@require_key("read")
def case_list() -> Any:
    filters = case_lists.parse_filters(request.args)
    limit = whole_number(request.args.get("limit", "100"), "limit", 1, MAX_LIST)
    found = case_lists.list_cases(g.workspace, filters, limit)
    return jsonify({"data": [c.to_dict() for c in found]})


@bp.post("/cases")
@require_key("write")
def case_open() -> Any:
    """Open a case by hand for any response: {"response": response id}."""
    payload = object_of(json_body(), ("response",))
    response_id = row_id(payload.get("response"), "response")
    case, created = opening.open_manual(g.workspace, response_id, _actor())
    return jsonify(_detail(case)), 201 if created else 200


@bp.get("/cases/<case_id>")
@require_key("read")
def case_get(case_id: str) -> Any:
    return jsonify(_detail(cases.get_case(g.workspace, case_id)))


@bp.patch("/cases/<case_id>")
@require_key("write")
def case_update(case_id: str) -> Any:
    """Change status, resolution, root_cause (a theme slug), owner (a user id), external_id."""
    case = cases.update_case(g.workspace, case_id, json_body(), _actor())
    return jsonify(_detail(case))


@bp.post("/cases/<case_id>/notes")
@require_key("write")
def case_note(case_id: str) -> Any:
    """{"body": ..., "kind": "note"} for the team, or "reply" to mail it to the respondent."""
    payload = object_of(json_body(), ("body", "kind"))
    kind = payload.get("kind", "note")
    if kind not in ("note", "reply"):
        raise Invalid('Kind is "note" (internal) or "reply" (mailed).', "kind")
    write = cases.reply if kind == "reply" else cases.add_note
    note = write(g.workspace, case_id, payload.get("body"), _actor())
    return jsonify(note.to_dict()), 201


@bp.post("/cases/<case_id>/merge")
@require_key("write")
def case_merge(case_id: str) -> Any:
    """Fold {"case": other id} of the same respondent into this one."""
    other = object_of(json_body(), ("case",)).get("case")
    if other is None:
        raise Invalid("Name the case to merge into this one.", "case")
    return jsonify(_detail(cases.merge(g.workspace, case_id, other, _actor())))


@bp.post("/cases/assign")
@require_key("write")
def case_assign() -> Any:
    """Give many cases one owner: {"cases": [ids], "owner": user id}."""
    payload = object_of(json_body(), ("cases", "owner"))
    ids = payload.get("cases")
    if not isinstance(ids, list) or len(ids) > MAX_LIST:
        raise Invalid(f"A list of at most {MAX_LIST} case ids.", "cases")
    ids = [row_id(i, f"cases[{n}]") for n, i in enumerate(ids)]
    changed = cases.bulk_assign(g.workspace, ids, payload.get("owner"), _actor())
    return jsonify({"reassigned": changed})


@bp.get("/case-rules")
@require_key("read")
def rule_list() -> Any:
    return jsonify({"data": [r.to_dict() for r in case_rules.list_rules(g.workspace)]})


@bp.post("/case-rules")
@require_key("write")
def rule_create() -> Any:
    return jsonify(case_rules.create_rule(g.workspace, json_body(), _actor()).to_dict()), 201


@bp.patch("/case-rules/<int:rule_id>")
@require_key("write")
def rule_update(rule_id: int) -> Any:
    return jsonify(case_rules.update_rule(g.workspace, rule_id, json_body(), _actor()).to_dict())


@bp.delete("/case-rules/<int:rule_id>")
@require_key("write")
def rule_delete(rule_id: int) -> Any:
    case_rules.delete_rule(g.workspace, rule_id, _actor())
    return "", 204
