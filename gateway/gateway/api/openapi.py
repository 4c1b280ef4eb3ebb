"""The OpenAPI document, built from the pydantic models the endpoints really use.

Each endpoint is registered with `@api_route(...)`, which both routes it and records its
contract, so the document cannot describe an endpoint that does not exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                   "details": {"type": "object"}},
}


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    who: str
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    auth: str | None = None  # "bearer" when a token is required
    extra: dict = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def _schema_ref(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


# Any authenticated request may carry X-Act-For (gateway.auth.acting_for): staff act on behalf
# of that person; anyone else is refused (403), and an unknown person is not found (404).
ACT_FOR_HEADER = {"name": "X-Act-For", "in": "header", "required": False,
                  "description": "Staff only: act on behalf of this person (their id).",
                  "schema": {"type": "string", "format": "uuid"}}
ACT_FOR_ERRORS = {403, 404}

FLASK_CONVERTERS = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"},
                    "string": {"type": "string"}}
FLASK_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path_and_parameters(flask_path: str) -> tuple[str, list[dict]]:
    """'/me/messages/<uuid:message_id>/read' → '/api/v1/me/messages/{message_id}/read' + params."""
    parameters = [
        {"name": name, "in": "path", "required": True,
         "schema": FLASK_CONVERTERS.get(converter or "string", {"type": "string"})}
        for converter, name in FLASK_PARAM.findall(flask_path)]
    return "/api/v1" + FLASK_PARAM.sub(r"{\2}", flask_path), parameters


def openapi_document(version: str) -> dict:
    components: dict = {"Error": ERROR_SCHEMA}
    paths: dict = {}
    for op in OPERATIONS:
        entry = {"summary": op.summary, "description": f"Who may call it: {op.who}.",
                 "responses": {}}
        if op.request is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema_ref(op.request, components)}}}
        ok = {"description": "Success"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": _schema_ref(op.response, components)}}
        entry["responses"][str(op.status)] = ok
        errors = set(op.errors) | {503}
        if op.auth:
            errors |= ACT_FOR_ERRORS
        for status in sorted(errors):
            entry["responses"][str(status)] = {"description": "Error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if op.auth:
            entry["security"] = [{"bearer": []}]
        entry.update({key: value for key, value in op.extra.items() if key != "parameters"})
        openapi_path, parameters = _path_and_parameters(op.path)
        parameters.extend(op.extra.get("parameters", ()))
        if op.auth:
            parameters.append(ACT_FOR_HEADER)
        if parameters:
            entry["parameters"] = parameters
        paths.setdefault(openapi_path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Industry Hub API", "version": version},
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def api_route(blueprint, path: str, method: str, summary: str, who: str, **contract):
    """Route a view on the API blueprint and record its contract for the OpenAPI document."""
    OPERATIONS.append(Operation(path=path, method=method, summary=summary, who=who, **contract))

    def decorate(view):
        blueprint.add_url_rule(path, view_func=view, methods=[method],
                               endpoint=f"{method.lower()}_{view.__name__}")
        return view

    return decorate
