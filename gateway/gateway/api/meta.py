from __future__ import annotations

from flask import current_app, jsonify

from gateway.api import api
from gateway.api.openapi import api_route, openapi_document


@api_route(api, "/openapi.json", "GET", "This document", "anyone")
def openapi():
    return jsonify(openapi_document(current_app.config["HUB_VERSION"]))
