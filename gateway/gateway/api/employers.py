"""Employers (issue 11): proofs of employment, and the people an employer has proved it employed.
The SSN goes to the rosters service in the body of an RPC (never a URL, never a log) and is
never echoed back."""
from __future__ import annotations

import uuid

from flask import current_app, jsonify, request

from common.authz import STAFF, Principal
from common.contracts.rosters import (
    AttachProofIn,
    DismissProofIn,
    EmployedPeopleOut,
    EmploymentProofIn,
    EmploymentProofOut,
    HeldProofDecisionOut,
    HeldProofsFilters,
    HeldProofsOut,
)
from common.errors import ValidationFailed, validated
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


# --- staff: proofs held for an SSN ------------------------------------------------------------------

def held_proofs(principal: Principal, held="true", page="1") -> dict:
    """The rosters service's held proofs (the staff page uses this too); bad filters are a 422."""
    filters = validated(HeldProofsFilters, {"held": held or "true", "page": page or "1"})
    return current_app.rpc.call("rosters", "held_proofs", filters.model_dump(mode="json"), actor(principal))


def attach_held_proof(principal: Principal, proof_id: uuid.UUID, data: AttachProofIn) -> dict:
    return current_app.rpc.call("rosters", "attach_held_proof", str(proof_id), str(data.person_id),
                                actor(principal))


def dismiss_held_proof(principal: Principal, proof_id: uuid.UUID, data: DismissProofIn) -> dict:
    return current_app.rpc.call("rosters", "dismiss_held_proof", str(proof_id), data.model_dump(mode="json"),
                                actor(principal))


@api_route(api, "/staff/employment-proofs", "GET", "Proofs of employment held for an SSN (held=true, the "
           "default; held=false: the ones staff dismissed), oldest first, 25 a page, each with the person "
           "who registered with that SSN under another last name, if anyone did. Never the SSN",
           "staff", response=HeldProofsOut, errors=(401, 403, 422), auth="bearer",
           extra={"parameters": [
               {"name": "held", "in": "query", "required": False, "schema": {"type": "boolean"}},
               {"name": "page", "in": "query", "required": False, "schema": {"type": "integer"}}]})
@require_api(*STAFF)
def list_held_proofs(principal):
    return jsonify(held_proofs(principal, request.args.get("held"), request.args.get("page")))


@api_route(api, "/staff/employment-proofs/<uuid:proof_id>/attach", "POST", "Staff confirm that the person "
           "who registered with a held proof's SSN (under another last name) is the one on it: the proof "
           "and its work day become theirs and their record starts, as at registration. 409 when the "
           "proof was decided already", "staff", request=AttachProofIn, response=HeldProofDecisionOut,
           errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def attach_proof(principal, proof_id: uuid.UUID):
    return jsonify(attach_held_proof(principal, proof_id, parse_body(AttachProofIn)))


@api_route(api, "/staff/employment-proofs/<uuid:proof_id>/dismiss", "POST", "Dismiss a held proof with a "
           "reason: it is kept, no longer waits for anyone and never attaches; its held work day stops "
           "counting. 409 when the proof was decided already", "staff", request=DismissProofIn,
           response=HeldProofDecisionOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def dismiss_proof(principal, proof_id: uuid.UUID):
    return jsonify(dismiss_held_proof(principal, proof_id, parse_body(DismissProofIn)))
