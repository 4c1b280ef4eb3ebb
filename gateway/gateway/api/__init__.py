"""The JSON API under /api/v1 (SPEC §6): the contract the pages' JavaScript and apps use."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ValidationError

from common.errors import ValidationFailed, validation_failed_from

api = Blueprint("api", __name__, url_prefix="/api/v1")


def parse_body(model: type[BaseModel]):
    """The JSON body as `model`, or a 422 that names each bad field."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("Send a JSON object with Content-Type: application/json.")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise validation_failed_from(exc) from None


def created(body: dict):
    return jsonify(body), 201


# Importing the modules registers their routes on `api`.
from gateway.api import accounts, admin, messages, meta, people, rosters, search  # noqa: E402,F401
