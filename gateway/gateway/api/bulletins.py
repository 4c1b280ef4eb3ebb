"""Safety bulletins, hotlines and resources (issue 10): read by anyone, published, edited and
withdrawn by staff. The notifications service owns them and tells each bulletin's audience once."""
from __future__ import annotations

import uuid

from flask import current_app, jsonify

from common.authz import STAFF
from common.contracts.notifications import BulletinIn, BulletinOut, BulletinPatch, BulletinsOut, ResourcesOut
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, require_api, staff_self


def rpc(method: str, *args):
    return current_app.rpc.call("notifications", method, *args)


@api_route(api, "/bulletins", "GET", "Published safety bulletins, newest first", "anyone",
           response=BulletinsOut)
def list_bulletins():
    return jsonify(rpc("list_bulletins"))


@api_route(api, "/resources", "GET", "Safety hotlines and resources", "anyone", response=ResourcesOut)
def list_resources():
    return jsonify(rpc("list_resources"))


@api_route(api, "/staff/bulletins", "POST", "Publish a safety bulletin; its audience (everyone, or the "
           "members and applicants of the locals / classifications given) hear of it once in their "
           "Message Center", "staff", request=BulletinIn, response=BulletinOut, status=201,
           errors=(401, 403, 422), auth="bearer")
@require_api(*STAFF)
def publish_bulletin(principal):
    data = parse_body(BulletinIn)
    return created(rpc("publish_bulletin", data.model_dump(mode="json"), actor(staff_self(principal))))


@api_route(api, "/staff/bulletins/<uuid:bulletin_id>", "PATCH", "Edit a bulletin (people newly in its "
           "audience are told; nobody twice)", "staff", request=BulletinPatch, response=BulletinOut,
           errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def update_bulletin(principal, bulletin_id: uuid.UUID):
    data = parse_body(BulletinPatch)
    return jsonify(rpc("update_bulletin", str(bulletin_id), data.model_dump(mode="json", exclude_unset=True),
                       actor(staff_self(principal))))


@api_route(api, "/staff/bulletins/<uuid:bulletin_id>", "DELETE", "Withdraw a bulletin from the Hub",
           "staff", response=BulletinOut, errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def withdraw_bulletin(principal, bulletin_id: uuid.UUID):
    return jsonify(rpc("withdraw_bulletin", str(bulletin_id), actor(staff_self(principal))))
