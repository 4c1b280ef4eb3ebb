"""People as others see them, and the staff tools to create, find and invite them."""
from __future__ import annotations

import uuid

from flask import current_app, jsonify
from pydantic import BaseModel, Field

from common.authz import STAFF  # noqa: E402
from common.contracts.accounts import CreatedAccountOut, CreatePersonIn, PersonOut, StaffAccountIn
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, require_api, viewer


def rpc(method: str, *args):
    return current_app.rpc.call("accounts", method, *args)


@api_route(api, "/people/<uuid:person_id>", "GET", "A person's record, as much as you may see",
           "the person, staff (audited), a union rep of one of the person's locals",
           response=PersonOut, errors=(401, 404), auth="bearer")
@require_api()
def get_person(principal, person_id: uuid.UUID):
    return jsonify(rpc("get_person", str(person_id), viewer(principal)))


class PeopleSearchIn(BaseModel):
    q: str = Field(min_length=1, max_length=200)


@api_route(api, "/staff/people/search", "POST", "Find people by IL number, e-mail, exact SSN or "
           "last name (POST, so an SSN never lands in a URL or an access log)", "staff",
           request=PeopleSearchIn, errors=(401, 403, 422), auth="bearer")
@require_api(*STAFF)
def find_people(principal):
    data = parse_body(PeopleSearchIn)
    return jsonify({"people": rpc("find_people", data.q, viewer(principal))})


@api_route(api, "/staff/people", "POST", "Record a person who has no account yet", "staff",
           request=CreatePersonIn, response=CreatedAccountOut, status=201, errors=(401, 403, 409, 422),
           auth="bearer")
@require_api(*STAFF)
def create_person(principal):
    data = parse_body(CreatePersonIn)
    return created(rpc("create_person", data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/staff/people/<uuid:person_id>/invitation", "POST", "E-mail a person the "
           "invitation to claim their Portal account (single use, 7 days)", "staff", status=202,
           errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def send_invitation(principal, person_id: uuid.UUID):
    return jsonify(rpc("send_invitation", str(person_id), actor(principal))), 202


@api_route(api, "/staff/accounts", "POST", "Create a login for staff, a union rep or an employer",
           "staff_admin", request=StaffAccountIn, status=201, errors=(401, 403, 409, 422), auth="bearer")
@require_api("staff_admin")
def create_staff_account(principal):
    data = parse_body(StaffAccountIn)
    return created(rpc("create_staff_account", data.model_dump(mode="json"), actor(principal)))
