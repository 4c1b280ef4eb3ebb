"""The Portal: what a logged-in Industry Professional sees (or staff acting on their behalf)."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from accounts.schemas import ChangePasswordIn, ProfilePatch
from common.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from gateway.auth import actor, own_person_id, require_page
from gateway.pages.forms import validate_form

portal = Blueprint("portal", __name__, url_prefix="/portal")

CONTACT_FIELDS = ("email", "phone", "address_line1", "address_line2", "city", "state", "postal_code")
PROFILE_FIELDS = (*CONTACT_FIELDS, "email_notifications")


def _accounts(method: str, *args):
    return current_app.rpc.call("accounts", method, *args)


@portal.get("")
@require_page()
def dashboard(principal):
    if principal.person_id is None and principal.is_staff:
        return redirect(url_for("staff.search"))  # staff see a person's Portal by acting for them
    me = _accounts("get_me", own_person_id(principal), actor(principal))
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


# --- My Account ----------------------------------------------------------------------------------

def _profile_values(me: dict) -> dict:
    return {field: me.get(field) for field in PROFILE_FIELDS}


def _submitted_profile() -> dict:
    """The form as the profile: trimmed, empty optional fields as None, the box ticked or not."""
    values = {}
    for field in CONTACT_FIELDS:
        value = request.form.get(field, "").strip()
        values[field] = value or None
    values["email_notifications"] = request.form.get("email_notifications") in ("1", "on", "true")
    return values


def _render_account(principal, me, profile_values=None, profile_errors=None, password_errors=None,
                    status=200):
    return render_template(
        "portal/account.html", me=me, values=profile_values or (_profile_values(me) if me else {}),
        errors=profile_errors or {}, password_errors=password_errors or {},
        can_change_password=principal.on_behalf_of is None and principal.account_id is not None,
    ), status


def _field_errors_of(exc: ValidationFailed, known: tuple[str, ...]) -> dict:
    fields = exc.details.get("fields") or {}
    errors = {name.removeprefix("payload."): message for name, message in fields.items()
              if name.removeprefix("payload.") in known}
    return errors or {"form": exc.message}


@portal.route("/account", methods=["GET", "POST"])
@require_page()
def account(principal):
    if principal.person_id is None:
        # a staff (or rep) login has no profile here, only its password
        if request.method == "POST":
            raise Forbidden("This login has no contact details to change.")
        return _render_account(principal, None)
    person_id = own_person_id(principal)
    me = _accounts("get_me", person_id, actor(principal))
    if request.method == "GET":
        return _render_account(principal, me)

    submitted = _submitted_profile()
    errors = {}
    if not submitted["email"]:
        errors["email"] = "An e-mail address is needed to log in: enter one."
    current = _profile_values(me)
    changed = {field: value for field, value in submitted.items() if value != current.get(field)}
    if not errors and changed:
        data, errors = validate_form(ProfilePatch, changed)
        if data is not None:
            try:
                _accounts("update_me", person_id, data.model_dump(mode="json", exclude_unset=True),
                          actor(principal))
            except Conflict as exc:
                errors = {"email": exc.message} if "email" in changed else {"form": exc.message}
            except ValidationFailed as exc:
                errors = _field_errors_of(exc, PROFILE_FIELDS)
    if errors:
        return _render_account(principal, me, profile_values=submitted, profile_errors=errors, status=400)
    flash("Saved." if changed else "Nothing to save: you did not change anything.",
          "success" if changed else "info")
    return redirect(url_for("portal.account", _anchor="main"))  # the flash, not the form


@portal.post("/account/password")
@require_page()
def change_password(principal):
    if principal.on_behalf_of is not None or principal.account_id is None:
        raise Forbidden("Staff cannot change someone else's password. Send them a reset link: "
                        "“Forgot your password?” on the Portal Login page.")
    values = {"current_password": request.form.get("current_password", ""),
              "new_password": request.form.get("new_password", "")}
    data, errors = validate_form(ChangePasswordIn, values)
    if values["new_password"] != request.form.get("new_password_confirm", ""):
        errors.setdefault("new_password_confirm", "The two new passwords do not match.")
    if data is not None and not errors:
        try:
            result = _accounts("change_password", str(principal.account_id), data.model_dump(mode="json"),
                               session.get("token"), actor(principal))
        except Unauthorized:
            errors = {"current_password": "Your current password is not right."}
        except ValidationFailed as exc:
            errors = _field_errors_of(exc, ("current_password", "new_password"))
        else:
            ended = result.get("other_sessions_ended", 0) if isinstance(result, dict) else 0
            flash("Your password is changed. You are still logged in here; everywhere else you "
                  "were logged in is now logged out"
                  + (f" ({ended} other session{'s' if ended != 1 else ''} ended)." if ended else "."),
                  "success")
            return redirect(url_for("portal.account", _anchor="main"))  # the flash, not the form
    me = _accounts("get_me", str(principal.person_id), actor(principal)) if principal.person_id else None
    return _render_account(principal, me, password_errors=errors, status=400)
