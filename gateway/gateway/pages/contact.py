"""Contact Us (seed 000, option 2): the Hub's page for anyone, a person's cases in the Portal,
and the staff case queue. The same rules as the API (gateway.api.cases) behind forms."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from common import config as hub_config
from common.authz import STAFF
from common.contracts.cases import CASE_STATUSES, MAX_FILES, STATUS_LABELS
from common.errors import HubError, NotFound, ValidationFailed
from gateway.api.cases import (
    case_filters,
    contact_fields,
    contact_rate_limit,
    read_contact_request,
    send_case,
)
from gateway.auth import actor, own_person_id, page_principal, require_page, staff_self, viewer

contact = Blueprint("contact", __name__)

FIELDS = ("topic", "subtopic", "subject", "description", "name", "email")
FRIENDLY = {
    "topic": "Choose a topic.",
    "subtopic": "Choose a subtopic.",
    "subject": "Enter a subject (up to 200 characters).",
    "description": "Tell us what you need (up to 5,000 characters).",
    "name": "Enter your name.",
    "email": "Enter an e-mail address like name@example.com.",
}


def plain_errors(fields: dict) -> dict:
    """Field messages in plain words: our own rules say why; pydantic's wording is replaced."""
    errors = {}
    for name, message in fields.items():
        message = str(message)
        if message.startswith("Value error, "):
            errors[name] = message.removeprefix("Value error, ")
        elif name in FRIENDLY and not message.endswith("."):
            errors[name] = FRIENDLY[name]
        else:
            errors[name] = message
    return errors


def mailbox() -> str:
    return hub_config.setting("HUB_DOCUMENTS_MAILBOX", "documents@csatf.org", current_app.config)


def rpc(method: str, *args):
    return current_app.rpc.call("documents", method, *args)


def _topics() -> list[dict]:
    return rpc("list_case_topics")["topics"]


# --- the Hub's Contact Us page -------------------------------------------------------------------

@contact.route("/contact", methods=["GET", "POST"])
@contact_rate_limit
def contact_us():
    principal = page_principal()
    topics = _topics()
    errors: dict = {}
    values = {key: request.args.get(key, "") for key in ("topic", "subtopic")}
    if request.method == "POST":
        try:
            fields, files = read_contact_request()
            values = {key: fields.get(key) or "" for key in FIELDS}
            data = contact_fields(fields, principal)
            session["contact_reference"] = send_case(principal, data, files)
            return redirect(url_for("contact.contact_sent"), 303)
        except ValidationFailed as exc:
            errors = plain_errors(exc.details.get("fields", {}))
            errors["form"] = "Please correct the fields marked below." if errors else exc.message
        except HubError as exc:
            if exc.http_status not in (413, 415, 422):
                raise
            # a browser never refills a file input: say so, the rest of the form is kept
            errors = {"files": exc.message,
                      "form": f"{exc.message} Please choose your files again; what you typed is kept."}
    status = 422 if errors else 200
    from gateway.uploads import max_upload_bytes

    return render_template("hub/contact.html", topics=topics, values=values, errors=errors, sender=principal,
                           max_files=MAX_FILES, max_mb=max_upload_bytes() // (1024 * 1024),
                           mailbox=mailbox()), status


@contact.get("/contact/sent")
def contact_sent():
    reference = session.get("contact_reference")
    if not reference:
        return redirect(url_for("contact.contact_us"))
    return render_template("hub/contact_sent.html", reference=reference, sender=page_principal())


# --- a person's cases in the Portal --------------------------------------------------------------

@contact.get("/portal/cases")
@require_page()
def my_cases(principal):
    cases = rpc("list_my_cases", own_person_id(principal))["cases"]
    return render_template("portal/cases.html", cases=cases)


# --- the staff case queue ------------------------------------------------------------------------

@contact.get("/staff/cases")
@require_page(*STAFF)
def staff_cases(principal):
    filters = case_filters()
    cases = rpc("list_cases", filters, viewer(staff_self(principal)))["cases"]
    return render_template("staff/cases.html", cases=cases, filters=filters, statuses=CASE_STATUSES,
                           status_labels=STATUS_LABELS, me=str(principal.account_id))


@contact.get("/staff/cases/<uuid:case_id>")
@require_page(*STAFF)
def staff_case(principal, case_id: uuid.UUID):
    case = rpc("get_case", str(case_id), viewer(staff_self(principal)))
    try:
        document_types = current_app.rpc.call("documents", "list_document_types")["document_types"]
    except HubError:
        document_types = []
    return render_template("staff/cases_detail.html", case=case, document_types=document_types,
                           me=str(principal.account_id))


def _person_id_from(value: str, principal) -> str:
    """A person's id, or their IL number looked up with the staff search."""
    value = (value or "").strip()
    try:
        return str(uuid.UUID(value))
    except ValueError:
        pass
    if not value:
        raise ValidationFailed("Enter the person's IL number.")
    found = current_app.rpc.call("accounts", "find_people", value, viewer(staff_self(principal)))
    matches = [p for p in found if p.get("il_number") == value] or (found if len(found) == 1 else [])
    if len(matches) != 1:
        raise NotFound(f"No single person has the IL number {value}.")
    return str(matches[0]["person_id"])


ACTIONS = {
    "assign": "You took the case.",
    "reply": "Your answer was sent.",
    "attach": "The file is now in the document review queue.",
    "link": "The case is linked to the person.",
    "close": "The case is closed.",
}


@contact.post("/staff/cases/<uuid:case_id>/<action>")
@require_page(*STAFF)
def staff_case_action(principal, case_id: uuid.UUID, action: str):
    if action not in ACTIONS:
        raise NotFound("No such action.")
    who = actor(staff_self(principal))
    form = request.form
    try:
        if action == "assign":
            rpc("assign_case", str(case_id), who)
        elif action == "reply":
            rpc("reply_to_case", str(case_id), {"body": form.get("body", "")}, who)
        elif action == "close":
            rpc("close_case", str(case_id), who)
        elif action == "link":
            rpc("link_case", str(case_id), {"person_id": _person_id_from(form.get("person", ""), principal)}, who)
        elif action == "attach":
            payload = {"attachment_id": form.get("attachment_id", ""),
                       "document_type": form.get("document_type", ""),
                       "classification_code": (form.get("classification_code") or "").strip() or None}
            if (form.get("person") or "").strip():
                payload["person_id"] = _person_id_from(form.get("person", ""), principal)
            rpc("attach_case_file", str(case_id), payload, who)
        flash(ACTIONS[action], "success")
    except HubError as exc:
        if exc.http_status >= 500:
            raise
        flash(exc.message, "error")
    return redirect(url_for("contact.staff_case", case_id=case_id), 303)


@contact.get("/staff/cases/<uuid:case_id>/files/<uuid:attachment_id>")
@require_page(*STAFF)
def staff_case_file(principal, case_id: uuid.UUID, attachment_id: uuid.UUID):
    from gateway.api.documents import send_document

    return send_document(rpc("case_file_for_download", str(case_id), str(attachment_id),
                             viewer(staff_self(principal))))
