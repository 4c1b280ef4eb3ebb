"""Errors that cross the RPC boundary intact and that the gateway maps to HTTP.

nameko serialises exceptions raised in an RPC method; classes registered with
`deserialize_to_instance` are rebuilt as the same class in the caller, so the gateway can catch
`HubError` and answer `{"error": CODE, "message": ...}` without string matching.
"""
from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class HubError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str = "", details: dict | None = None):
        super().__init__(message, details or {})
        self.message = message or self.__class__.__doc__ or self.code
        self.details = details or {}

    def to_json(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


@deserialize_to_instance
class BadRequest(HubError):
    """The request could not be read."""
    code = "bad_request"
    http_status = 400


@deserialize_to_instance
class ValidationFailed(HubError):
    """The request is not valid."""
    code = "validation_failed"
    http_status = 422


@deserialize_to_instance
class NotFound(HubError):
    """Nothing was found."""
    code = "not_found"
    http_status = 404


@deserialize_to_instance
class Conflict(HubError):
    """That conflicts with what is already recorded."""
    code = "conflict"
    http_status = 409


@deserialize_to_instance
class Unauthorized(HubError):
    """You need to log in."""
    code = "unauthorized"
    http_status = 401


@deserialize_to_instance
class Forbidden(HubError):
    """You may not do that."""
    code = "forbidden"
    http_status = 403


@deserialize_to_instance
class TooManyRequests(HubError):
    """Too many attempts; try again later."""
    code = "too_many_requests"
    http_status = 429


@deserialize_to_instance
class LinkExpired(HubError):
    """The link has expired or was already used."""
    code = "link_expired"
    http_status = 410


@deserialize_to_instance  # a service may answer "try again in a moment" itself
class ServiceUnavailable(HubError):
    """A part of the Hub did not answer in time."""
    code = "service_unavailable"
    http_status = 503


# Entry points list these so nameko logs them as expected outcomes, not crashes.
EXPECTED_ERRORS = (ValidationFailed, NotFound, Conflict, Unauthorized, Forbidden, TooManyRequests,
                   LinkExpired, ServiceUnavailable, BadRequest)


def validation_failed_from(exc) -> ValidationFailed:
    """Turn a pydantic ValidationError into our error with per-field messages."""
    fields = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err.get("loc", ())) or "body"
        fields[name] = err.get("msg", "is not valid")
    summary = "; ".join(f"{k}: {v}" for k, v in fields.items())
    return ValidationFailed(f"Please correct: {summary}", {"fields": fields})


def parse_id(value, what: str = "id"):
    """An id from a caller as a UUID; anything else is a 404, so ids cannot be probed."""
    import uuid

    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such {what}.") from None


def validated(model, payload):
    """`payload` as pydantic `model`, or ValidationFailed naming each bad field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise validation_failed_from(exc) from None
