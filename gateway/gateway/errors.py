"""One error table: our errors (local or rebuilt from RPC) → HTTP status and body.

The API answers `{"error": CODE, "message": ...}`; pages show the same message in the layout.
Unexpected errors are logged with their traceback and shown as a plain 500 with no details.
"""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from common.errors import HubError

log = logging.getLogger(__name__)

HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "too_large", 429: "too_many_requests"}
NOT_FOUND_PAGE = "We could not find that page. It may have moved, or the link may be incomplete."


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _is_embedded_file() -> bool:
    # A preview or file shown inside a page (an <img> or <iframe>): an error page there would
    # render the layout and use up the flash message meant for the page around it.
    return request.path.endswith(("/preview", "/file"))


def register_error_handlers(app):
    @app.errorhandler(HubError)
    def hub_error(exc: HubError):
        if _wants_json():
            return jsonify(exc.to_json()), exc.http_status
        if _is_embedded_file():
            return exc.message, exc.http_status, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("error.html", message=exc.message, status=exc.http_status), exc.http_status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = HTTP_CODES.get(exc.code, "error")
        message = exc.description or exc.name
        if exc.code == 404 and not _wants_json():
            message = NOT_FOUND_PAGE
        if exc.code == 413:
            message = "That is more than the Hub accepts in one request. Send smaller files, or fewer at a time."
        if exc.code == 429:
            message = f"Too many attempts. Please try again later ({exc.description})."
        # keep what the exception says about itself (Allow on a 405, Retry-After on a 429)
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            return jsonify({"error": code, "message": message}), exc.code, headers
        if _is_embedded_file():
            return message, exc.code, [*headers, ("Content-Type", "text/plain; charset=utf-8")]
        return render_template("error.html", message=message, status=exc.code), exc.code, headers

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side. Please try again."
        if _wants_json():
            return jsonify({"error": "internal_error", "message": message}), 500
        return render_template("error.html", message=message, status=500), 500
