from __future__ import annotations

import uuid

from flask import current_app, jsonify

from common.contracts.notifications import MessagesOut
from gateway.api import api
from gateway.api.openapi import api_route
from gateway.auth import actor, own_person_id, require_api


@api_route(api, "/me/messages", "GET", "Your Message Center, newest first", "a logged-in person",
           response=MessagesOut, errors=(401,), auth="bearer")
@require_api()
def list_my_messages(principal):
    return jsonify(current_app.rpc.call("notifications", "list_messages", own_person_id(principal)))


@api_route(api, "/me/messages/<uuid:message_id>/read", "POST", "Mark one of your messages read",
           "a logged-in person, for their own messages", status=204, errors=(401, 404),
           auth="bearer")
@require_api()
def mark_my_message_read(principal, message_id: uuid.UUID):
    current_app.rpc.call("notifications", "mark_message_read", own_person_id(principal),
                         str(message_id), actor(principal))
    return "", 204
