"""The Portal: what a logged-in Industry Professional sees."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, redirect, render_template, url_for

from gateway.auth import own_person_id, require_page

portal = Blueprint("portal", __name__, url_prefix="/portal")


@portal.get("")
@require_page()
def dashboard(principal):
    me = current_app.rpc.call("accounts", "get_me", own_person_id(principal))
    inbox = current_app.rpc.call("notifications", "list_messages", own_person_id(principal))
    return render_template("portal/dashboard.html", me=me, unread=inbox["unread"])


@portal.get("/messages")
@require_page()
def messages(principal):
    inbox = current_app.rpc.call("notifications", "list_messages", own_person_id(principal))
    return render_template("portal/messages.html", inbox=inbox)


@portal.post("/messages/<uuid:message_id>/read")
@require_page()
def mark_read(principal, message_id: uuid.UUID):
    current_app.rpc.call("notifications", "mark_message_read", own_person_id(principal), str(message_id))
    return redirect(url_for("portal.messages"))


@portal.get("/account")
@require_page()
def account(principal):
    me = current_app.rpc.call("accounts", "get_me", own_person_id(principal))
    return render_template("portal/account.html", me=me)
