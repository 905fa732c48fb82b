"""The OpenAPI 3 document of the public and management APIs, served at /api/openapi.json.

Written as data next to the routes; tests/api/test_openapi.py checks that every API route is
documented and every documented operation is real, and fuzzes the API from this document.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, jsonify

from feedback.cases.models import RESOLUTIONS
from feedback.errors import MAX_ID
from feedback.surveys.kinds import MAX_SCORE
from feedback.webhooks.service import MAX_LOG

bp = Blueprint("openapi", __name__)

VERSION = "1.0.0"
ERRORS = {
    400: (
        "malformed",
        "The body is not JSON, not UTF-8, or nested too deeply; or the query holds a NUL.",
    ),
    401: ("unauthorized", "No key, or an unknown or revoked one."),
    403: ("forbidden", "The key lacks the scope, or the origin is not allowed."),
    404: ("not_found", "No such object in this workspace."),
    405: ("method_not_allowed", "The path does not take this method."),
    409: ("conflict", "The change conflicts with what is stored."),
    413: ("too_large", "The body is larger than the limit."),
    415: ("unsupported_media_type", "The body is not of a type this operation reads."),
    422: ("invalid", "A value is wrong; `field` names it."),
    429: ("rate_limited", "Too many requests; wait and retry."),
}
# Codes more precise than their status's own, which a client may want to act on.
CODES = (
    "unknown_key",
    "origin_not_allowed",
    "survey_inactive",
    "channel_closed",
    "identity_invalid",  # 403: the respondent's user hash does not match its id
    "identity_unverified",  # 403: the workspace requires a user hash, and none came
    "no_verified_address",  # 422: a reply to a respondent with no verified email
)
# Every operation may answer these (any query may hold a NUL character, which nothing stores);
# a JSON body may also be refused as too large or of the wrong type.
COMMON = (400, 401, 404, 405, 429)
BODY_ERRORS = (413, 415, 422)


def _obj(props: dict[str, Any] | None = None, required: list[str] | None = None) -> dict:
    schema: dict[str, Any] = {"type": "object"}
    if props:
        schema["properties"] = props
    if required:
        schema["required"] = required
    return schema


def _input(props: dict[str, Any], required: list[str] | None = None) -> dict:
    """A request body's object: no key but these (a misspelt one is a 422 that names it)."""
    return {**_obj(props, required), "additionalProperties": False}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
ANY_OBJ = {"type": "object", "additionalProperties": True}
STRINGS = {"type": "array", "items": STR}
NULL_STR = {"type": ["string", "null"]}
KIND = {"type": "string", "enum": ["nps", "csat", "psat", "ces"]}
# Ids and numbers in a path or a query are the digits 0-9 alone (no sign, no other script's).
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
SCORE = {"type": "integer", "minimum": 0, "maximum": MAX_SCORE}
DATE = {"type": "string", "format": "date"}
TIME = {"type": "string", "format": "date-time"}
DATA_LIST = _obj({"data": {"type": "array", "items": ANY_OBJ}}, ["data"])


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {"type": "string", "enum": [*(c for c, _ in ERRORS.values()), *CODES]},
                    "message": STR,
                    "field": STR,
                },
                ["code", "message"],
            )
        },
        ["error"],
    ),
    "SurveyInput": _input(
        {
            "name": STR,
            "kind": KIND,
            "question": STR,
            "scale": ANY_OBJ,
            "followups": {"type": "array", "items": ANY_OBJ},
            "channels": {
                "type": "array",
                "items": {"enum": ["widget", "email", "link"]},
                "minItems": 1,
            },
            "targeting": ANY_OBJ,
            "branding": ANY_OBJ,
            "loop": _input({"cases": BOOL, "at_or_below": INT, "resurvey_days": INT}),
            "status": {"enum": ["draft", "active", "paused", "archived"]},
        }
    ),
    "WorkspaceInput": _input(
        {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "timezone": {"type": "string", "maxLength": 64, "description": "e.g. Europe/Paris"},
            "allowed_origins": {"type": "array", "items": STR, "maxItems": 100},
            "recontact_days": {"type": "integer", "minimum": 0, "maximum": 3650},
            "low_n": {"type": "integer", "minimum": 1, "maximum": 10000},
            "retention_days": {
                "anyOf": [{"type": "integer", "minimum": 1, "maximum": 36500}, {"type": "null"}]
            },
            "helpdesk_secret": {
                "anyOf": [{"type": "string", "minLength": 16, "maxLength": 200}, {"type": "null"}]
            },
            "require_verified_identity": BOOL,
            "case_settings": _input(
                {
                    "sla_hours": {"type": "integer", "minimum": 1, "maximum": 2000},
                    "day_start": {"type": "integer", "minimum": 0, "maximum": 23},
                    "day_end": {"type": "integer", "minimum": 1, "maximum": 24},
                    "workdays": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1, "maximum": 7},
                        "minItems": 1,
                    },
                    "resolve_on_recovery": BOOL,
                }
            ),
        }
    ),
    "Survey": _obj({"id": STR, "kind": KIND, "name": STR, "status": STR}, ["id", "kind"]),
    "ResponseInput": _obj(
        {
            "id": STR,
            "survey": STR,
            "score": INT,
            "answers": ANY_OBJ,
            "context": {"type": "object", "additionalProperties": STR},
            "channel": {"enum": ["widget", "email", "link", "api"]},
            "display": STR,
            "page_url": STR,
            "anonymous_id": STR,
            "respondent": _ref("Respondent"),
        },
        ["survey"],
    ),
    # Without a valid user_hash, id, email and traits are a claim kept on the response only.
    "Respondent": _obj(
        {
            "id": STR,
            "email": STR,
            "traits": ANY_OBJ,
            "user_hash": {
                "type": "string",
                "description": "hex HMAC-SHA256 of id under the workspace's identity secret",
            },
        }
    ),
    "Recorded": _obj(
        {"id": STR, "score": INT, "answers": ANY_OBJ, "created": BOOL},
        ["id", "score", "created"],
    ),
    "Response": _obj(
        {"id": INT, "client_id": STR, "kind": KIND, "score": INT, "comment": NULL_STR},
        ["id", "score"],
    ),
    "Case": _obj(
        {
            "id": INT,
            "status": {
                "enum": ["open", "in_progress", "waiting", "resolved", "wont_fix", "merged"]
            },
            "score": INT,
            "owner": NULL_STR,
            "due_at": STR,
            "overdue": BOOL,
            "reply_to": {
                "type": ["string", "null"],
                "description": "the respondent's verified email (a case's own page); null: "
                "replies cannot be mailed",
            },
            "identity": {"enum": ["verified", "claimed", None]},
            "claimed_email": NULL_STR,
        },
        ["id", "status", "score", "due_at"],
    ),
    "CaseChange": _input(
        {
            "status": {"enum": ["open", "in_progress", "waiting", "resolved", "wont_fix"]},
            "resolution": {"enum": [*RESOLUTIONS, None]},
            "root_cause": NULL_STR,
            "owner": {"anyOf": [ID, {"type": "null"}]},
            "external_id": NULL_STR,
        }
    ),
    "CaseRuleInput": _input(
        {
            "name": STR,
            "conditions": ANY_OBJ,
            "owner": ID,
            "enabled": BOOL,
        }
    ),
    "ThemeInput": _input(
        {
            "slug": STR,
            "name": STR,
            "description": STR,
            "phrases": STRINGS,
            "exclusions": STRINGS,
            "owner": NULL_STR,
        }
    ),
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _param(name: str, where: str = "query", schema: dict | None = None, **extra: Any) -> dict:
    param = {"name": name, "in": where, "schema": schema or STR, **extra}
    if where == "path":
        param["required"] = True
    return param


def _op(
    summary: str,
    ok: tuple[int, dict[str, Any] | None] = (200, DATA_LIST),
    body: dict[str, Any] | None = None,
    params: list[dict] | None = None,
    errors: tuple[int, ...] = (),
    auth: str | None = "read",
    media: str = "application/json",
) -> dict[str, Any]:
    status, schema = ok
    codes = set(COMMON) | set(errors)
    if body is not None:
        codes |= set(BODY_ERRORS)
    if auth == "write":
        codes.add(403)
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(status): (
                {"description": "Done", **_json(schema)}
                if schema is not None
                else {"description": "Done"}
            ),
            **{
                str(code): {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
                for code in sorted(codes)
            },
        },
    }
    if status == 201:
        operation["responses"]["200"] = {
            "description": "Already there: the same id updates it",
            **_json(schema or ANY_OBJ),
        }
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {media: {"schema": body}}}
    if auth is None:
        operation["security"] = []
    elif auth == "helpdesk":
        operation["security"] = [{"bearer": []}, {"signature": []}]
    elif auth == "write":
        # OpenAPI 3.1 lets a bearer requirement name the role it needs: here, the key's scope.
        operation["security"] = [{"bearer": ["write"]}]
    return operation


PUBLIC_KEY = _param("public_key", "path", description="The workspace's public key (pk_...)")
PERIOD = [
    _param("period", description="this_week, last_30_days, this_quarter, all, ..."),
    _param("from", schema=DATE, description="from 1900-01-01, with to"),
    _param("to", schema=DATE, description="to 2999-12-31, with from"),
]
FILTERS = [
    *PERIOD,
    _param("survey"),
    _param("band"),
    _param("channel"),
    _param("theme"),
    _param("q", description="text search in comments"),
]
CASE_FILTERS = [
    _param("status"),
    _param("owner", schema={"anyOf": [ID, {"enum": ["me", "none"]}]}, description="a user id"),
    _param("team"),
    _param("theme"),
    _param("overdue", schema={"enum": ["0", "1", "true", "false"]}),
    _param("survey"),
    _param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500}),
]
LIMIT = _param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500})
CASE_ID = _param("case_id", "path", ID)
SLUG = _param("slug", "path")
RESPONSE_ID = _param("response_id", "path", ID)
SCORES = [_param("score_min", schema=SCORE), _param("score_max", schema=SCORE)]


def _paths() -> dict[str, dict[str, Any]]:
    public = "/api/public/{public_key}"
    return {
        # -- public: what the widget, the hosted page and email clicks call ----------------
        f"{public}/surveys/{{survey_id}}": {
            "get": _op(
                "A survey's public configuration",
                (200, _ref("Survey")),
                params=[PUBLIC_KEY, _param("survey_id", "path")],
                errors=(403, 409),
                auth=None,
            )
        },
        f"{public}/eligibility": {
            "post": _op(
                "Whether this visit should show a survey, with the reason for every no",
                (200, ANY_OBJ),
                body=_obj(
                    {
                        "respondent": _ref("Respondent"),
                        "anonymous_id": STR,
                        "url": STR,
                        "event": STR,
                        "survey": STR,
                        "debug": BOOL,
                    }
                ),
                params=[PUBLIC_KEY],
                errors=(403,),
                auth=None,
            )
        },
        f"{public}/responses/{{client_id}}": {
            "put": _op(
                "Record a score, or add follow-up answers to it (idempotent on the id)",
                (201, _ref("Recorded")),
                body=_ref("ResponseInput"),
                params=[PUBLIC_KEY, _param("client_id", "path")],
                errors=(403, 409),
                auth=None,
            )
        },
        f"{public}/responses": {
            "post": _op(
                "The same upsert with the id in the body (for navigator.sendBeacon)",
                (201, _ref("Recorded")),
                body=_ref("ResponseInput"),
                params=[PUBLIC_KEY],
                errors=(403, 409),
                auth=None,
            )
        },
        f"{public}/displays/{{client_id}}": {
            "post": _op(
                "Count a survey shown",
                (201, ANY_OBJ),
                body=_obj(
                    {
                        "survey": STR,
                        "channel": STR,
                        "page_url": STR,
                        "anonymous_id": STR,
                        "respondent": _ref("Respondent"),
                    }
                ),
                params=[PUBLIC_KEY, _param("client_id", "path")],
                errors=(403, 409),
                auth=None,
            )
        },
        f"{public}/displays/{{client_id}}/dismiss": {
            "post": _op(
                "Mark a shown survey as dismissed",
                (200, ANY_OBJ),
                params=[PUBLIC_KEY, _param("client_id", "path")],
                errors=(403, 422),
                auth=None,
            )
        },
        # -- management ---------------------------------------------------------------------
        "/api/v1/workspace": {
            "get": _op("The workspace's settings (secrets only as whether set)", (200, ANY_OBJ)),
            "patch": _op(
                "Change settings", (200, ANY_OBJ), body=_ref("WorkspaceInput"), auth="write"
            ),
        },
        "/api/v1/workspace/identity-secret": {
            "post": _op(
                "Rotate the identity secret that signs user ids; the new one is shown this once",
                (200, _obj({"identity_secret": STR}, ["identity_secret"])),
                auth="write",
            )
        },
        "/api/v1/surveys": {
            "get": _op("Surveys"),
            "post": _op(
                "Create a survey", (201, _ref("Survey")), body=_ref("SurveyInput"), auth="write"
            ),
        },
        "/api/v1/surveys/{survey_id}": {
            "get": _op("A survey", (200, _ref("Survey")), params=[_param("survey_id", "path")]),
            "patch": _op(
                "Change a survey",
                (200, _ref("Survey")),
                body=_ref("SurveyInput"),
                params=[_param("survey_id", "path")],
                auth="write",
            ),
            "delete": _op(
                "Delete a survey", (204, None), params=[_param("survey_id", "path")], auth="write"
            ),
        },
        "/api/v1/responses": {
            "get": _op(
                "Responses under filters, a page at a time",
                (200, _obj({"data": {"type": "array"}, "next_cursor": NULL_STR}, ["data"])),
                params=[*FILTERS, *SCORES, _param("cursor"), LIMIT],
                errors=(422,),
            )
        },
        "/api/v1/responses.csv": {
            "get": _op(
                "Responses under filters as CSV",
                (200, None),
                params=[*FILTERS, *SCORES],
                errors=(422,),
            )
        },
        "/api/v1/responses/{response_id}": {
            "get": _op("A response", (200, _ref("Response")), params=[RESPONSE_ID])
        },
        "/api/v1/responses/{response_id}/analysis": {
            "get": _op("A response's themes and sentiment", (200, ANY_OBJ), params=[RESPONSE_ID])
        },
        "/api/v1/responses/{response_id}/themes": {
            "post": _op(
                "Tag a response with a theme (manual, never overwritten)",
                (201, ANY_OBJ),
                body=_input({"theme": STR, "sentiment": STR}, ["theme"]),
                params=[RESPONSE_ID],
                auth="write",
            )
        },
        "/api/v1/responses/{response_id}/themes/{slug}": {
            "delete": _op(
                "Remove a theme from a response",
                (200, ANY_OBJ),
                params=[RESPONSE_ID, SLUG],
                auth="write",
            )
        },
        "/api/v1/respondents/{external_id}": {
            "get": _op(
                "Everything stored about a respondent",
                (200, ANY_OBJ),
                params=[_param("external_id", "path")],
            ),
            "delete": _op(
                "Erase a respondent's personal data and words",
                (200, ANY_OBJ),
                params=[_param("external_id", "path")],
                auth="write",
            ),
        },
        "/api/v1/api-keys": {
            "get": _op("API keys"),
            "post": _op(
                "Issue a key (its secret is shown once)",
                (201, ANY_OBJ),
                body=_input(
                    {
                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "scopes": {
                            "type": "array",
                            "items": {"enum": ["read", "write"]},
                            "minItems": 1,
                        },
                    },
                    ["name"],
                ),
                auth="write",
            ),
        },
        "/api/v1/api-keys/{key_id}": {
            "delete": _op(
                "Revoke a key", (204, None), params=[_param("key_id", "path", ID)], auth="write"
            )
        },
        "/api/v1/metrics/loop": {
            "get": _op(
                "Closing the loop: closed-loop rate, time to first action and to resolution, "
                "recovered rate, with n and intervals",
                (200, ANY_OBJ),
                params=[*PERIOD, _param("group_by", schema={"enum": ["team", "owner"]})],
                errors=(422,),
            )
        },
        "/api/v1/metrics/{kind}": {
            "get": _op(
                "A metric with its confidence, by period, interval and any context field",
                (200, ANY_OBJ),
                params=[
                    _param("kind", "path", KIND),
                    *FILTERS,
                    _param("interval", schema={"enum": ["day", "week", "month"]}),
                    _param("group_by"),
                    _param("compare"),
                ],
                errors=(422,),
            )
        },
        "/api/v1/themes": {
            "get": _op("The taxonomy"),
            "post": _op(
                "Add a theme (past comments are re-analysed)",
                (201, ANY_OBJ),
                body=_ref("ThemeInput"),
                errors=(409,),
                auth="write",
            ),
        },
        "/api/v1/themes/{slug}": {
            "patch": _op(
                "Change a theme",
                (200, ANY_OBJ),
                body=_ref("ThemeInput"),
                params=[SLUG],
                errors=(409,),
                auth="write",
            ),
            "delete": _op("Delete a theme", (204, None), params=[SLUG], auth="write"),
        },
        "/api/v1/themes/{slug}/merge": {
            "post": _op(
                "Merge this theme into another",
                (200, ANY_OBJ),
                body=_input({"into": STR}, ["into"]),
                params=[SLUG],
                auth="write",
            )
        },
        "/api/v1/themes/summary": {
            "get": _op(
                "Theme counts and sentiment split", (200, ANY_OBJ), params=FILTERS, errors=(422,)
            )
        },
        "/api/v1/themes/candidates": {
            "get": _op("Emerging theme candidates", (200, ANY_OBJ), params=FILTERS, errors=(422,))
        },
        "/api/v1/analysis": {"get": _op("Analysis and re-analysis progress", (200, ANY_OBJ))},
        "/api/v1/models": {"get": _op("The models in use and their figures", (200, ANY_OBJ))},
        "/api/v1/models/train": {
            "post": _op("Train the workspace's model now", (202, ANY_OBJ), auth="write")
        },
        "/api/v1/invites": {
            "get": _op(
                "Email invites",
                params=[_param("status"), LIMIT],
                errors=(422,),
            ),
            "post": _op(
                "Invite people by email",
                (201, ANY_OBJ),
                body=_input(
                    {
                        "survey": STR,
                        "scheduled_at": TIME,
                        "invites": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 1000,
                            "items": _input(
                                {
                                    "email": {"type": "string", "format": "email"},
                                    "id": STR,
                                    "name": STR,
                                    "context": {"type": "object", "additionalProperties": STR},
                                    "scheduled_at": TIME,
                                },
                                ["email"],
                            ),
                        },
                    },
                    ["survey", "invites"],
                ),
                auth="write",
            ),
        },
        "/api/v1/invites.csv": {
            "post": _op(
                "Invite people from a CSV (email, id, name, context columns)",
                (201, ANY_OBJ),
                body=STR,
                params=[_param("survey", required=True), _param("scheduled_at", schema=TIME)],
                auth="write",
                media="text/csv",
            )
        },
        "/api/v1/kpis": {"get": _op("The balanced scorecard's KPIs", (200, ANY_OBJ))},
        "/api/v1/kpis/targets/{metric}": {
            "put": _op(
                "Set a KPI's target and owner",
                (200, ANY_OBJ),
                body=_input(
                    {
                        "target": NUM,
                        "owner": NULL_STR,
                        "perspective": STR,
                        "higher_is_better": BOOL,
                    },
                    ["target"],
                ),
                params=[_param("metric", "path")],
                auth="write",
            )
        },
        "/api/v1/kpis/values": {
            "post": _op(
                "Push outside KPI values (churn, revenue retention, ...)",
                (201, ANY_OBJ),
                body={
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": _input(
                        {"metric": STR, "date": DATE, "value": NUM, "unit": NULL_STR},
                        ["metric", "date", "value"],
                    ),
                },
                auth="write",
            )
        },
        "/api/v1/webhooks": {
            "get": _op("Outgoing webhooks"),
            "post": _op(
                "Add a webhook (its secret is shown once)",
                (201, ANY_OBJ),
                body=_input({"url": STR, "events": STRINGS, "format": STR, "active": BOOL}),
                auth="write",
            ),
        },
        "/api/v1/webhooks/{webhook_id}": {
            "delete": _op(
                "Remove a webhook",
                (204, None),
                params=[_param("webhook_id", "path", ID)],
                auth="write",
            )
        },
        "/api/v1/webhooks/{webhook_id}/deliveries": {
            "get": _op(
                "A webhook's delivery log",
                params=[
                    _param("webhook_id", "path", ID),
                    _param("limit", schema={"type": "integer", "minimum": 1, "maximum": MAX_LOG}),
                ],
                errors=(422,),
            )
        },
        "/api/v1/helpdesk/tickets": {
            "post": _op(
                "A helpdesk ticket created, updated or solved (idempotent on its id)",
                (201, ANY_OBJ),
                body=ANY_OBJ,
                params=[_param("workspace", description="public key, with a signature")],
                errors=(403,),
                auth="helpdesk",
            )
        },
        "/api/v1/helpdesk/cases/{case_id}": {
            "post": _op(
                "The helpdesk sets a case's status (applied once per event_id)",
                (200, ANY_OBJ),
                body=_input({"event_id": STR, "note": STR, **SCHEMAS["CaseChange"]["properties"]}),
                params=[CASE_ID, _param("workspace", description="public key, with a signature")],
                errors=(403, 409),
                auth="helpdesk",
            )
        },
        "/api/v1/cases": {
            "get": _op("Cases under filters, overdue first", params=CASE_FILTERS, errors=(422,)),
            "post": _op(
                "Open a case by hand for a response",
                (201, _ref("Case")),
                body=_input({"response": ID}, ["response"]),
                auth="write",
            ),
        },
        "/api/v1/cases/{case_id}": {
            "get": _op("A case with its trail and notes", (200, _ref("Case")), params=[CASE_ID]),
            "patch": _op(
                "Change a case's status, resolution, root cause or owner",
                (200, _ref("Case")),
                body=_ref("CaseChange"),
                params=[CASE_ID],
                errors=(409,),
                auth="write",
            ),
        },
        "/api/v1/cases/{case_id}/notes": {
            "post": _op(
                "An internal note, or a reply mailed to the respondent's verified address "
                "(refused with no_verified_address when there is none)",
                (201, ANY_OBJ),
                body=_input({"body": STR, "kind": {"enum": ["note", "reply"]}}, ["body"]),
                params=[CASE_ID],
                auth="write",
            )
        },
        "/api/v1/cases/{case_id}/merge": {
            "post": _op(
                "Merge another case of the same respondent into this one",
                (200, _ref("Case")),
                body=_input({"case": ID}, ["case"]),
                params=[CASE_ID],
                errors=(409,),
                auth="write",
            )
        },
        "/api/v1/cases/assign": {
            "post": _op(
                "Give many cases one owner",
                (200, ANY_OBJ),
                body=_input(
                    {
                        "cases": {"type": "array", "items": ID, "maxItems": 500},
                        "owner": {"anyOf": [ID, {"type": "null"}]},
                    },
                    ["cases"],
                ),
                auth="write",
            )
        },
        "/api/v1/case-rules": {
            "get": _op("Case routing rules, in the order they are tried"),
            "post": _op("Add a rule", (201, ANY_OBJ), body=_ref("CaseRuleInput"), auth="write"),
        },
        "/api/v1/case-rules/{rule_id}": {
            "patch": _op(
                "Change a rule",
                (200, ANY_OBJ),
                body=_ref("CaseRuleInput"),
                params=[_param("rule_id", "path", ID)],
                auth="write",
            ),
            "delete": _op(
                "Delete a rule",
                (204, None),
                params=[_param("rule_id", "path", ID)],
                auth="write",
            ),
        },
    }


# The groups of the API reference, as the README groups them: (tag, its paths, what it is for).
TAGS = (
    (
        "Public",
        ("/api/public/",),
        "What the widget, the hosted page and email clicks call: the workspace's public key is in "
        "the path, and browsers may call only from the workspace's allowed origins.",
    ),
    ("Workspace", ("/api/v1/workspace",), "The workspace's settings."),
    ("Surveys", ("/api/v1/surveys",), "Questions, scales, follow-ups, targeting and channels."),
    ("Responses", ("/api/v1/responses",), "Scores and answers, their themes and sentiment."),
    ("Respondents", ("/api/v1/respondents",), "Everything about one person: export or erase."),
    ("Metrics", ("/api/v1/metrics",), "NPS, CSAT, PSAT, CES and the loop, with confidence."),
    (
        "Themes and analysis",
        ("/api/v1/themes", "/api/v1/analysis", "/api/v1/models"),
        "The taxonomy, the analysis of comments and the workspace's models.",
    ),
    ("Email invites", ("/api/v1/invites",), "Surveys sent by mail, one link per score."),
    ("Helpdesk", ("/api/v1/helpdesk",), "Tickets in, CSAT invites out; case status back."),
    ("Cases", ("/api/v1/cases", "/api/v1/case-rules"), "Closing the loop on unhappy answers."),
    ("KPIs", ("/api/v1/kpis",), "The balanced scorecard: targets and outside values."),
    ("Webhooks", ("/api/v1/webhooks",), "Events posted to your endpoints, with their log."),
    ("API keys", ("/api/v1/api-keys",), "Secret keys for this API."),
)


def _tag_for(path: str) -> str:
    for tag, prefixes, _ in TAGS:
        if path.startswith(prefixes):
            return tag
    raise LookupError(f"{path} belongs to no tag: add it to TAGS")


def _tagged(paths: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for path, item in paths.items():
        for operation in item.values():
            operation["tags"] = [_tag_for(path)]
    return paths


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Feedback API",
            "version": VERSION,
            "description": (
                "The public API (authenticated by the workspace's public key in the path) and "
                "the management API (a secret key as `Authorization: Bearer <key>`). Every "
                'error has the shape `{"error": {"code", "message", "field"}}`.'
            ),
        },
        "security": [{"bearer": []}],
        "tags": [{"name": tag, "description": text} for tag, _, text in TAGS],
        "paths": _tagged(_paths()),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "signature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Feedback-Signature",
                    "description": "sha256=<hex HMAC-SHA256 of the body under the helpdesk "
                    "secret>, with ?workspace=<public key>",
                },
            },
            "schemas": SCHEMAS,
            "responses": {
                code: {"description": text, **_json(_ref("Error"))}
                for code, text in ERRORS.values()
            },
        },
    }


@bp.get("/api/openapi.json")
def openapi_json() -> Any:
    return jsonify(document())
