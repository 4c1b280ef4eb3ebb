"""Employers (issue 11): proofs of employment, and the people an employer has proved it employed.
The SSN goes to the rosters service in the body of an RPC (never a URL, never a log) and is
never echoed back."""
from __future__ import annotations

from flask import current_app, jsonify

from common.authz import STAFF, Principal
from common.contracts.rosters import EmployedPeopleOut, EmploymentProofIn, EmploymentProofOut
from common.errors import ValidationFailed
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, require_api


def employer_name_check(principal: Principal, data: EmploymentProofIn) -> None:
    """An employer login proves employment for its own organisation only."""
    if principal.is_staff or not principal.organisation:
        return
    if " ".join(data.employer.split()).casefold() != " ".join(principal.organisation.split()).casefold():
        raise ValidationFailed(f"Your login proves employment for {principal.organisation} only.",
                               {"fields": {"employer": f"must be {principal.organisation}"}})


def submit_proof(principal: Principal, data: EmploymentProofIn) -> dict:
    """The rosters service's answer for a validated proof (the employer page uses this too)."""
    employer_name_check(principal, data)
    return current_app.rpc.call("rosters", "submit_employment_proof", data.model_dump(mode="json"),
                                actor(principal), None if principal.is_staff else principal.organisation)


def employed_people(principal: Principal) -> dict:
    return current_app.rpc.call("rosters", "employed_people", actor(principal),
                                None if principal.is_staff else principal.organisation)


@api_route(api, "/staff/employment-proofs", "POST", "Proof of employment: lists the person on the "
           "classification's training list or starts their roster application, and counts the first "
           "day as a verified work day from that employer. For an SSN without a person yet the proof "
           "is held and becomes theirs when they create an account. The SSN is never echoed",
           "staff, employer", request=EmploymentProofIn, response=EmploymentProofOut, status=201,
           errors=(401, 403, 422), auth="bearer")
@require_api("employer", *STAFF)
def create_employment_proof(principal):
    return created(submit_proof(principal, parse_body(EmploymentProofIn)))


@api_route(api, "/employer/people", "GET", "The people this employer has proved it employed: name, "
           "IL number when known, classification and status", "employer, staff",
           response=EmployedPeopleOut, errors=(401, 403), auth="bearer")
@require_api("employer", *STAFF)
def list_employed_people(principal):
    return jsonify(employed_people(principal))
