"""A local's members and applicants, for its union business representatives and staff (issue 11,
journey 7). The rosters service decides who may see which local: another local's rep, and
anyone else, gets 404 "No such local." (never a 403 that would tell the local exists)."""
from __future__ import annotations

import csv
import io

from flask import Response, current_app, jsonify, request

from common.contracts.rosters import LocalMembersOut, LocalSummaryOut
from common.errors import ValidationFailed
from gateway.api import api
from gateway.api.openapi import api_route
from gateway.auth import require_api, viewer

FILTERS = ("status", "q", "classification", "page")
PARAMETERS = [{"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": text}
              for name, kind, text in (
                  ("status", "string", "Only records with this status code (SPEC §3)"),
                  ("q", "string", "A name prefix (last or first name, or 'last, first') or an IL number"),
                  ("classification", "string", "Only records of this classification code"),
                  ("page", "integer", "Page of 25 people (1 first); ignored with format=csv"),
                  ("format", "string", "csv: every matching record as a CSV download (audited)"))]


def _rosters(method: str, *args):
    return current_app.rpc.call("rosters", method, *args)


def member_filters(args=None) -> dict:
    """The query's filters as the rosters service takes them (it validates them)."""
    args = request.args if args is None else args
    filters = {name: args.get(name) for name in FILTERS if args.get(name) not in (None, "")}
    if "page" in filters:
        try:
            filters["page"] = int(filters["page"])
        except ValueError:
            raise ValidationFailed("The page must be a whole number.", {"fields": {"page": "not a number"}}) from None
    return filters


def local_members(principal, local: str, filters: dict) -> dict:
    return _rosters("local_members", local, filters, viewer(principal))


def local_summary(principal, local: str) -> dict:
    return _rosters("local_summary", local, viewer(principal))


def members_csv(principal, local: str, filters: dict) -> Response:
    filters = {k: v for k, v in filters.items() if k != "page"}
    # every record of a large local, each evaluated for its next deadline: seconds, not the
    # page's fraction of one, so the export may wait as long as the other bulk calls
    exported = current_app.rpc.call("rosters", "local_members_export", local, filters, viewer(principal),
                                    timeout=current_app.config.get("RPC_LONG_TIMEOUT", 120))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=exported["columns"], extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in exported["rows"]:
        # a cell that a spreadsheet would run as a formula is quoted as text
        writer.writerow({k: _as_text(v) for k, v in row.items()})
    response = Response(out.getvalue(), mimetype="text/csv")
    safe = "".join(ch for ch in local if ch.isalnum()) or "local"
    response.headers["Content-Disposition"] = f'attachment; filename="local-{safe}-members.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@api_route(api, "/locals/<local>/members", "GET", "A local's members and applicants with each "
           "classification record's status, placement date and next deadline; 25 a page, or every "
           "matching record as CSV with format=csv (audited). Never SSN, birth date, contact details "
           "or documents", "rep of that local, staff", response=LocalMembersOut, errors=(401, 404, 422),
           extra={"parameters": PARAMETERS})
@require_api()
def list_local_members(principal, local: str):
    filters = member_filters()
    if (request.args.get("format") or "").lower() == "csv":
        return members_csv(principal, local, filters)
    return jsonify(local_members(principal, local, filters))


@api_route(api, "/locals/<local>/summary", "GET", "A local's compliance snapshot: records by "
           "status, records approaching a deadline, applicants waiting on which requirement",
           "rep of that local, staff", response=LocalSummaryOut, errors=(401, 404))
@require_api()
def get_local_summary(principal, local: str):
    return jsonify(local_summary(principal, local))


def _as_text(value):
    """A cell a spreadsheet would run as a formula (=, +, -, @) is quoted as text."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
