"""The Message Center and e-mail preferences of the person logged in, and the e-mails sent to a
person as staff see them (issue 10). The notifications service keeps the messages and decides
whose they are: someone else's message is 404, whoever asks."""
from __future__ import annotations

import uuid

from flask import current_app, jsonify, request
from pydantic import ValidationError

from common.authz import STAFF
from common.contracts.notifications import (
    CATEGORIES,
    DeliveriesOut,
    MessageFiltersIn,
    MessagesOut,
    PreferencesIn,
    PreferencesOut,
)
from common.errors import ValidationFailed, validation_failed_from
from gateway.api import api, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, own_person_id, require_api, staff_self

TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")


def rpc(method: str, *args):
    return current_app.rpc.call("notifications", method, *args)


def _flag(args, name: str) -> bool:
    value = (args.get(name) or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationFailed(f"{name} is 1 or 0.", {"fields": {name: "is 1 or 0"}})


def message_filters(args) -> MessageFiltersIn:
    """The Message Center's filters from a query string (the API's and the page's), checked
    before anything reaches the service: a bad category or page is a 422 that says what is known."""
    values: dict = {"unread": _flag(args, "unread"), "archived": _flag(args, "archived")}
    if args.get("category"):
        values["category"] = args["category"].strip().lower()
    if args.get("page"):
        values["page"] = args["page"].strip()
    try:
        return MessageFiltersIn.model_validate(values)
    except ValidationError as exc:
        error = validation_failed_from(exc)
        if "category" in error.details.get("fields", {}):
            raise ValidationFailed("Filter by category: one of " + ", ".join(CATEGORIES) + ".",
                                   error.details) from None
        raise error from None


MESSAGE_PARAMETERS = [
    {"name": "category", "in": "query", "required": False, "description": "only this category",
     "schema": {"type": "string", "enum": list(CATEGORIES)}},
    {"name": "unread", "in": "query", "required": False, "description": "1: only unread messages",
     "schema": {"type": "string", "enum": ["0", "1"]}},
    {"name": "archived", "in": "query", "required": False, "description": "1: the archive instead of the inbox",
     "schema": {"type": "string", "enum": ["0", "1"]}},
    {"name": "page", "in": "query", "required": False, "description": "1 by default",
     "schema": {"type": "integer", "minimum": 1}},
]


@api_route(api, "/me/messages", "GET", "Your Message Center, newest first, with the number unread; "
           "filter by category, unread only, or the archive; paged", "a logged-in person",
           response=MessagesOut, errors=(401, 404, 422), auth="bearer",
           extra={"parameters": MESSAGE_PARAMETERS})
@require_api()
def list_my_messages(principal):
    filters = message_filters(request.args)
    return jsonify(rpc("list_messages", own_person_id(principal), filters.model_dump(mode="json")))


def _change(principal, method: str, message_id: uuid.UUID):
    # with the actor: the audit entry names who did it (staff helping included)
    rpc(method, own_person_id(principal), str(message_id), actor(principal))
    return "", 204


@api_route(api, "/me/messages/<uuid:message_id>/read", "POST", "Mark one of your messages read",
           "a logged-in person, for their own messages", status=204, errors=(401, 404),
           auth="bearer")
@require_api()
def mark_my_message_read(principal, message_id: uuid.UUID):
    return _change(principal, "mark_message_read", message_id)


@api_route(api, "/me/messages/<uuid:message_id>/unread", "POST", "Mark one of your messages unread",
           "a logged-in person, for their own messages", status=204, errors=(401, 404),
           auth="bearer")
@require_api()
def mark_my_message_unread(principal, message_id: uuid.UUID):
    return _change(principal, "mark_message_unread", message_id)


@api_route(api, "/me/messages/<uuid:message_id>/archive", "POST", "Move one of your messages to "
           "the archive (it stays readable there)", "a logged-in person, for their own messages",
           status=204, errors=(401, 404), auth="bearer")
@require_api()
def archive_my_message(principal, message_id: uuid.UUID):
    return _change(principal, "archive_message", message_id)


@api_route(api, "/me/notification-preferences", "GET", "Which categories of messages also come "
           "by e-mail, and the daily digest; `mandatory` lists those that always do",
           "a logged-in person", response=PreferencesOut, errors=(401, 404), auth="bearer")
@require_api()
def my_notification_preferences(principal):
    return jsonify(rpc("get_preferences", own_person_id(principal)))


@api_route(api, "/me/notification-preferences", "PATCH", "Change which categories also come by "
           "e-mail and the daily digest (deadlines and account security cannot be turned off)",
           "a logged-in person", request=PreferencesIn, response=PreferencesOut,
           errors=(401, 404, 422), auth="bearer")
@require_api()
def update_my_notification_preferences(principal):
    data = parse_body(PreferencesIn)
    return jsonify(rpc("update_preferences", own_person_id(principal),
                       data.model_dump(mode="json", exclude_none=True), actor(principal)))


@api_route(api, "/staff/people/<uuid:person_id>/deliveries", "GET", "The e-mails sent to a person "
           "and their outcome (queued, sent, failed with the mail server's reason)", "staff",
           response=DeliveriesOut, errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def person_deliveries(principal, person_id: uuid.UUID):
    return jsonify(rpc("list_deliveries", str(person_id), actor(staff_self(principal))))
