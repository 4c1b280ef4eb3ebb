"""The JSON API under /api/v1 (SPEC §6): the contract the pages' JavaScript and apps use."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from common.errors import BadRequest, ValidationFailed, validation_failed_from

api = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body():
    """The request's JSON, or None when it is not JSON. Nesting deep enough to exhaust the
    parser's recursion is refused as a bad request instead of crashing the worker."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()  # get_json(silent=True) would hide it as "not JSON"
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None


def parse_body(model: type[BaseModel]):
    """The JSON body as `model`, or a 422 that names each bad field."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed("Send a JSON object with Content-Type: application/json.")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise validation_failed_from(exc) from None


def created(body: dict):
    return jsonify(body), 201


# Importing the modules registers their routes on `api`.
from gateway.api import (  # noqa: E402,F401
    accounts,
    admin,
    bulletins,
    cases,
    casework,
    documents,
    employers,
    imports,
    locals,
    messages,
    meta,
    people,
    reports,
    rosters,
    search,
    training,
)
