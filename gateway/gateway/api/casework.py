"""Deadline extensions, removals with protests, the staff work queues and the expiring-records
report (issue 11)."""
from __future__ import annotations

import csv
import io
import uuid

from flask import Response, current_app, jsonify, request

from common.authz import STAFF
from common.contracts.rosters import (
    ExtensionDecisionIn,
    ExtensionOut,
    ExtensionRequestIn,
    ExtensionsOut,
    ProtestIn,
    RemovalDecisionIn,
    RemovalOut,
    RemovalsOut,
    StartRemovalIn,
)
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, own_person_id, require_api

EXPIRING_COLUMNS = ("local", "classification_code", "records", "earliest_lapse_on")


def rpc(method: str, *args):
    return current_app.rpc.call("rosters", method, *args)


# --- extensions ----------------------------------------------------------------------------------

@api_route(api, "/me/extensions", "POST", "Ask for more time on a requirement's deadline, before "
           "the deadline, with the circumstance and evidence documents", "a logged-in person",
           request=ExtensionRequestIn, response=ExtensionOut, status=201, errors=(401, 404, 409, 422),
           auth="bearer")
@require_api()
def request_extension(principal):
    data = parse_body(ExtensionRequestIn)
    return created(rpc("request_extension", own_person_id(principal), data.model_dump(mode="json"),
                       actor(principal)))


@api_route(api, "/me/extensions", "GET", "Your extension requests and their decisions",
           "a logged-in person", response=ExtensionsOut, errors=(401,), auth="bearer")
@require_api()
def my_extensions(principal):
    return jsonify(rpc("my_extensions", own_person_id(principal)))


@api_route(api, "/staff/extensions", "GET", "Extension requests waiting for a decision, oldest first",
           "staff", response=ExtensionsOut, errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def extension_queue(principal):
    return jsonify(rpc("extension_queue", actor(principal), request.args.get("status", "requested")))


@api_route(api, "/staff/extensions/<uuid:extension_id>/decision", "POST", "Approve an extension "
           "(a new due date) or deny it with a reason; the person is told", "staff",
           request=ExtensionDecisionIn, response=ExtensionOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def decide_extension(principal, extension_id: uuid.UUID):
    data = parse_body(ExtensionDecisionIn)
    return jsonify(rpc("decide_extension", str(extension_id), data.model_dump(mode="json"), actor(principal)))


# --- removals and protests -----------------------------------------------------------------------

@api_route(api, "/staff/people/<uuid:person_id>/removals", "POST", "Remove a placed person from a "
           "classification's roster (a reason from the data); they may protest within the configured "
           "days", "staff", request=StartRemovalIn, response=RemovalOut, status=201,
           errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def start_removal(principal, person_id: uuid.UUID):
    data = parse_body(StartRemovalIn)
    return created(rpc("start_removal", str(person_id), data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/staff/people/<uuid:person_id>/removals", "GET", "A person's removals, newest first",
           "staff", response=RemovalsOut, errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def person_removals(principal, person_id: uuid.UUID):
    return jsonify(rpc("person_removals", str(person_id), actor(principal)))


@api_route(api, "/staff/removals", "GET", "Protested removals waiting for a decision, oldest first",
           "staff", response=RemovalsOut, errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def removal_protests(principal):
    return jsonify(rpc("removal_protests", actor(principal)))


@api_route(api, "/staff/removals/<uuid:removal_id>/decision", "POST", "Decide a removal: uphold "
           "(removed from its date) or reverse (reinstated)", "staff", request=RemovalDecisionIn,
           response=RemovalOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def decide_removal(principal, removal_id: uuid.UUID):
    data = parse_body(RemovalDecisionIn)
    return jsonify(rpc("decide_removal", str(removal_id), data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/me/removals", "GET", "Your removals from rosters, and whether you may still protest",
           "a logged-in person", response=RemovalsOut, errors=(401,), auth="bearer")
@require_api()
def my_removals(principal):
    return jsonify(rpc("my_removals", own_person_id(principal)))


@api_route(api, "/me/removals/<uuid:removal_id>/protest", "POST", "Protest a removal within the "
           "protest window: your name stays on the roster, marked, until staff decide",
           "a logged-in person", request=ProtestIn, response=RemovalOut, errors=(401, 404, 409, 422),
           auth="bearer")
@require_api()
def protest_removal(principal, removal_id: uuid.UUID):
    data = parse_body(ProtestIn)
    return jsonify(rpc("protest_removal", own_person_id(principal), str(removal_id),
                       data.model_dump(mode="json"), actor(principal)))


# --- reports -------------------------------------------------------------------------------------

@api_route(api, "/staff/reports/expiring", "GET", "Records whose next lapse falls within N days "
           "(30 by default), by local and classification; format=csv for a download", "staff",
           errors=(401, 403, 422), auth="bearer",
           extra={"parameters": [
               {"name": "within", "in": "query", "required": False, "schema": {"type": "integer"}},
               {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}}]})
@require_api(*STAFF)
def expiring_report(principal):
    report = rpc("expiring_records", request.args.get("within", "30"), actor(principal))
    if request.args.get("format") != "csv":
        return jsonify(report)
    return expiring_csv(report)


def expiring_csv(report: dict) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPIRING_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(report["rows"])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (f'attachment; filename="expiring-{report["within"]}-days-'
                                               f'{report["as_of"]}.csv"')
    return response
