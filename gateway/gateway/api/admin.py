"""Payroll companies' API keys and the audit log."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from flask import current_app, jsonify, request
from pydantic import BaseModel, Field

from common.authz import STAFF
from common.config import SERVICES
from common.contracts.accounts import PayrollKeyOut
from common.errors import HubError
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, require_api, viewer


class PayrollClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


@api_route(api, "/staff/payroll-clients", "POST", "Register a payroll company; its API key is "
           "shown once", "staff_admin", request=PayrollClientIn, response=PayrollKeyOut, status=201,
           errors=(401, 403, 422), auth="bearer")
@require_api("staff_admin")
def add_payroll_client(principal):
    data = parse_body(PayrollClientIn)
    return created(current_app.rpc.call("accounts", "add_payroll_client", data.name, actor(principal)))


@api_route(api, "/staff/payroll-clients/<uuid:client_id>/rotate", "POST", "Issue a new API key "
           "and revoke the old one", "staff_admin", response=PayrollKeyOut, errors=(401, 403, 404),
           auth="bearer")
@require_api("staff_admin")
def rotate_payroll_key(principal, client_id: uuid.UUID):
    return jsonify(current_app.rpc.call("accounts", "rotate_payroll_key", str(client_id), actor(principal)))


@api_route(api, "/integrations/payroll/whoami", "GET", "Check a payroll API key", "payroll_client",
           errors=(401, 403), auth="bearer")
@require_api("payroll_client")
def payroll_whoami(principal):
    return jsonify({"payroll_client_id": str(principal.payroll_client_id), "name": principal.organisation})


def audit_entries(filters: dict, viewer_of: dict | None = None) -> list[dict]:
    """Every service's audit log, merged newest first; with `viewer_of` (a staff viewer), each
    entry also names its actor (`actor_name`, `actor_email`) instead of only an account id."""
    app = current_app._get_current_object()

    def read(service):
        with app.app_context():
            return app.rpc.call(service, "list_audit", filters)

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        entries = [entry for part in pool.map(read, SERVICES) for entry in part]
    entries.sort(key=lambda e: e["at"], reverse=True)
    entries = entries[: filters.get("limit", 100)]
    actors = sorted({e["actor_account_id"] for e in entries if e.get("actor_account_id")})
    if viewer_of is not None and actors:
        try:
            names = app.rpc.call("accounts", "name_accounts", actors, viewer_of)
        except HubError:  # the log still shows, with account ids
            names = {}
        for entry in entries:
            known = names.get(entry.get("actor_account_id") or "", {})
            entry["actor_name"], entry["actor_email"] = known.get("name"), known.get("email")
    return entries


def audit_filters() -> dict:
    filters = {key: request.args[key] for key in ("actor_account_id", "target_id", "action")
               if request.args.get(key)}
    try:
        filters["limit"] = max(1, min(int(request.args.get("limit", "100")), 500))
    except ValueError:
        filters["limit"] = 100
    return filters


@api_route(api, "/staff/audit", "GET", "The audit log of every service, newest first "
           "(?actor_account_id=&target_id=&action=&limit=)", "staff", errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def list_audit(principal):
    return jsonify({"entries": audit_entries(audit_filters(), viewer(principal))})
