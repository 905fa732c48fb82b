"""Delighted's v1 API at /delighted/v1/: the key as the user of HTTP basic auth, the paths
with or without `.json`, the answers and errors in Delighted's shapes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from feedback.delighted import answers, lists, people, shapes
from feedback.delighted.params import query_args
from feedback.errors import MAX_ID, FeedbackError, NotFound, ascii_whole, discard
from feedback.web.api import basic_key, json_body, require_key

bp = Blueprint("delighted_api", __name__, url_prefix="/delighted/v1")

READ = require_key("read", basic_key)
WRITE = require_key("write", basic_key)


def _error(status: int, message: str, field: str | None = None) -> tuple[Response, int]:
    """Delighted's error shape: the status, a message, and the fields at fault."""
    body: dict[str, Any] = {"status": status, "message": message}
    if field:
        body["errors"] = {field: [message]}
    return jsonify(body), status


@bp.errorhandler(FeedbackError)
def _refused(error: FeedbackError) -> tuple[Response, int]:
    discard()
    return _error(error.status, error.message, error.field)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    response, status = _error(exc.code or 500, exc.description or exc.name)
    for key, value in exc.get_headers():  # Retry-After on a 429, Allow on a 405
        if key.lower() not in {"content-type", "content-length"}:
            response.headers[key] = value
    return response, status


def _response_id(text: str) -> int:
    """The id of `/survey_responses/{id}` (`.json` or not); one that names no row is not found,
    in Delighted's shape rather than as the router's page."""
    number = ascii_whole(text.removesuffix(".json"))
    if number is None or not 1 <= number <= MAX_ID:
        raise NotFound(f"No survey response {text[:40]!r} in this workspace.", "id")
    return number


def _args() -> dict[str, Any]:
    return query_args(request.args)


@bp.post("/people")
@bp.post("/people.json")
@WRITE
def person_create() -> Any:
    respondent, invite, created = people.create_person(g.workspace, json_body())
    return jsonify(shapes.created_person(respondent, invite)), 201 if created else 200


@bp.delete("/people/<path:identifier>")
@WRITE
def person_delete(identifier: str) -> Any:
    people.erase_person(g.workspace, identifier.removesuffix(".json"))
    return jsonify({"ok": True}), 202


@bp.post("/survey_responses")
@bp.post("/survey_responses.json")
@WRITE
def response_create() -> Any:
    row = answers.create_response(g.workspace, json_body())
    return jsonify(shapes.survey_response(row, expand_person=False)), 201


@bp.get("/survey_responses")
@bp.get("/survey_responses.json")
@READ
def response_list() -> Any:
    found = answers.list_responses(g.workspace, _args())
    body = jsonify([shapes.survey_response(r, found.expand_person) for r in found.rows])
    if found.more:
        # Delighted's clients follow this link to the next page (auto_paging_iter).
        following = request.args.to_dict(flat=False) | {"page": [str(found.page.number + 1)]}
        url = request.base_url + "?" + _encode(following)
        body.headers["Link"] = f'<{url}>; rel="next"'
    return body


def _encode(args: dict[str, list[str]]) -> str:
    return urlencode([(k, v) for k, values in args.items() for v in values])


@bp.get("/survey_responses/<response_id>")
@READ
def response_get(response_id: str) -> Any:
    expand = answers.expands_person(_args())
    row = answers.get_response(g.workspace, _response_id(response_id))
    return jsonify(shapes.survey_response(row, expand))


@bp.put("/survey_responses/<response_id>")
@WRITE
def response_update(response_id: str) -> Any:
    number = _response_id(response_id)
    shown = shapes.survey_response(answers.get_response(g.workspace, number), False)
    row = answers.update_response(g.workspace, number, json_body(), shown)
    return jsonify(shapes.survey_response(row, expand_person=False))


@bp.get("/metrics")
@bp.get("/metrics.json")
@READ
def metrics() -> Any:
    return jsonify(lists.metrics(g.workspace, _args()))


@bp.post("/unsubscribes")
@bp.post("/unsubscribes.json")
@WRITE
def unsubscribe_create() -> Any:
    lists.unsubscribe(g.workspace, json_body())
    return jsonify({"ok": True})


@bp.get("/unsubscribes")
@bp.get("/unsubscribes.json")
@READ
def unsubscribe_list() -> Any:
    return jsonify(lists.unsubscribes(g.workspace, _args()))


@bp.get("/bounces")
@bp.get("/bounces.json")
@READ
def bounce_list() -> Any:
    return jsonify(lists.bounces(g.workspace, _args()))


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
@READ
def not_offered(rest: str) -> Any:
    """A Delighted call this product does not answer (autopilot, SMS, survey requests, ...)."""
    return _error(
        404,
        f"{request.method} /v1/{rest} is not supported by this Delighted-compatible API; "
        'see the README\'s "Coming from Delighted" for the calls that are.',
    )
