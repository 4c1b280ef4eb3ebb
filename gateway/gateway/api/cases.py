"""Contact Us cases (seed 000, option 2): topics, sending a case with files (anyone), a person's
cases, and the staff case queue. The files go from the request into object storage here
(gateway.uploads, the same checks as document uploads); the documents service adopts them."""
from __future__ import annotations

import secrets
import uuid

from flask import current_app, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from common import config as hub_config
from common.authz import STAFF
from common.clock import today
from common.contracts.cases import (
    MAX_FILES,
    AttachedOut,
    AttachIn,
    CaseFilters,
    ContactIn,
    LinkIn,
    MyCasesOut,
    OpenedCaseOut,
    ReplyIn,
    StaffCaseOut,
    StaffCasesOut,
    TopicsOut,
)
from common.errors import HubError, ValidationFailed, validation_failed_from
from gateway.api import api, created, json_body, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, api_principal, own_person_id, page_principal, require_api, staff_self, viewer
from gateway.limits import limiter

FORM_ALLOWANCE = 1024 * 1024   # the text fields and the multipart boundaries


def rpc(method: str, *args):
    return current_app.rpc.call("documents", method, *args)


# --- sending a case (shared by the API and the Contact Us page) --------------------------------

def contact_limit() -> str:
    return current_app.config.get("RATELIMIT_CONTACT") or hub_config.setting(
        "HUB_RATELIMIT_CONTACT", "5 per hour", current_app.config)


def signed_in() -> bool:
    """Whether the sender is logged in (their sends are not rate-limited per address)."""
    try:
        principal = api_principal() if request.path.startswith("/api/") else page_principal()
    except HubError:
        return False
    return principal is not None


# one budget per client address for the page and the API together
contact_rate_limit = limiter.shared_limit(contact_limit, scope="contact", exempt_when=signed_in,
                                          methods=["POST"])


def read_contact_request() -> tuple[dict, list]:
    """The fields and the files of a Contact Us request: multipart (a form, with files) or JSON
    (no files). The body is refused before it is read when it says it is too large."""
    from gateway.uploads import max_upload_bytes, too_large

    max_bytes = max_upload_bytes()
    limit = max_bytes * MAX_FILES + FORM_ALLOWANCE
    if request.content_length is not None and request.content_length > limit:
        raise too_large(max_bytes)
    request.max_content_length = limit
    if request.is_json:
        body = json_body()
        if not isinstance(body, dict):
            raise ValidationFailed("Send a JSON object with Content-Type: application/json.")
        return body, []
    try:
        fields = {key: request.form.get(key) for key in request.form}
        files = [f for f in request.files.getlist("files") if f.filename]
    except RequestEntityTooLarge:
        raise too_large(max_bytes) from None
    fields.pop("csrf_token", None)
    return fields, files


def contact_fields(values: dict, principal) -> ContactIn:
    """The request as ContactIn, with an anonymous sender's name and address required. Every
    problem is named at once (the page shows each beside its field)."""
    fields: dict = {}
    data = None
    try:
        data = ContactIn.model_validate(values)
    except ValidationError as exc:
        fields = validation_failed_from(exc).details["fields"]
    if principal is None or principal.person_id is None:
        blank = ContactIn.model_construct(name=str(values.get("name") or "").strip() or None,
                                          email=str(values.get("email") or "").strip() or None)
        fields.update({name: message for name, message in blank.missing_sender().items() if name not in fields})
    if fields:
        raise ValidationFailed("Please correct: " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
                               {"fields": fields})
    return data


def decoy_reference() -> str:
    """What a bot that filled the honeypot is told: it looks like a reference, and is none."""
    return f"CS-{today().year}-{secrets.randbelow(900000) + 100000:06d}"


def send_case(principal, data: ContactIn, files: list) -> str:
    """Stage the files (each checked like a document upload), open the case, return its reference.
    A refused file refuses the whole request, naming the file; nothing staged is left behind."""
    if data.website:
        return decoy_reference()  # a bot: answer as if accepted, store nothing
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"Send at most {MAX_FILES} files with one request.",
                               {"fields": {"files": f"At most {MAX_FILES} files."}})
    staged = []
    try:
        if files:
            from gateway.uploads import max_upload_bytes, store_upload

            max_bytes = max_upload_bytes()
            for file_storage in files:
                try:
                    staged.append(store_upload(file_storage, max_bytes))
                except HubError as exc:
                    raise type(exc)(f"{file_storage.filename}: {exc.message}",
                                    {"fields": {"files": exc.message}}) from None
        person_id = principal.person_id if principal is not None else None
        payload = {
            "topic": data.topic, "subtopic": data.subtopic, "subject": data.subject,
            "description": data.description, "source": "web",
            "person_id": str(person_id) if person_id else None,
            "name": None if person_id else data.name, "email": None if person_id else data.email,
            "attachments": [{"staging_key": s.staging_key, "file_name": s.file_name, "size": s.size,
                             "content_type": s.content_type, "sha256": s.sha256} for s in staged],
        }
        opened = rpc("open_case", payload, actor(principal))
    except BaseException:
        _discard_all(staged)
        raise
    return opened["reference"]


def _discard_all(staged) -> None:
    if not staged:
        return
    from gateway.uploads import discard

    for item in staged:
        discard(item.staging_key)


# --- the API -------------------------------------------------------------------------------------

@api_route(api, "/contact/topics", "GET", "Contact Us topics and their subtopics", "anyone",
           response=TopicsOut)
def contact_topics():
    return jsonify(rpc("list_case_topics"))


@api_route(api, "/contact", "POST", "Send Contact Us a case: multipart/form-data with optional `files` "
           "(PDF, JPEG, PNG or HEIC, each up to HUB_UPLOAD_MAX_MB), or JSON without files. `name` and "
           "`email` are required when not logged in. Answers the case's reference number",
           "anyone (rate-limited per address when not logged in)", request=ContactIn, response=OpenedCaseOut,
           status=201, errors=(413, 415, 422, 429))
@contact_rate_limit
def send_contact():
    principal = api_principal()
    values, files = read_contact_request()
    data = contact_fields(values, principal)
    return created(OpenedCaseOut(reference=send_case(principal, data, files)).model_dump())


@api_route(api, "/me/cases", "GET", "Your Contact Us cases with their replies, newest first",
           "a logged-in person", response=MyCasesOut, errors=(401,), auth="bearer")
@require_api()
def list_my_cases(principal):
    return jsonify(rpc("list_my_cases", own_person_id(principal)))


STATUS_PARAMETER = {"name": "status", "in": "query", "required": False,
                    "description": "open, assigned, answered, closed, active (not closed; the default) or all",
                    "schema": {"type": "string"}}


def case_filters() -> dict:
    values = {"status": request.args.get("status") or "active",
              "needs_match": request.args.get("needs_match") in ("1", "true", "yes"),
              "assigned_to_me": request.args.get("assigned_to_me") in ("1", "true", "yes")}
    try:
        return CaseFilters.model_validate(values).model_dump()
    except ValidationError as exc:
        raise validation_failed_from(exc) from None


@api_route(api, "/staff/cases", "GET", "The case queue, oldest first", "staff", response=StaffCasesOut,
           errors=(401, 403, 422), auth="bearer", extra={"parameters": [STATUS_PARAMETER]})
@require_api(*STAFF)
def list_staff_cases(principal):
    return jsonify(rpc("list_cases", case_filters(), viewer(staff_self(principal))))


@api_route(api, "/staff/cases/<uuid:case_id>", "GET", "One case with its files and replies", "staff",
           response=StaffCaseOut, errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def get_staff_case(principal, case_id: uuid.UUID):
    return jsonify(rpc("get_case", str(case_id), viewer(staff_self(principal))))


@api_route(api, "/staff/cases/<uuid:case_id>/reply", "POST", "Answer the sender: in their Message Center "
           "(and by e-mail) for a person, by e-mail for an anonymous sender", "staff", request=ReplyIn,
           response=StaffCaseOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def reply_to_case(principal, case_id: uuid.UUID):
    data = parse_body(ReplyIn)
    return jsonify(rpc("reply_to_case", str(case_id), data.model_dump(mode="json"), actor(staff_self(principal))))


@api_route(api, "/staff/cases/<uuid:case_id>/assign", "POST", "Take the case (assign it to yourself)", "staff",
           response=StaffCaseOut, errors=(401, 403, 404, 409), auth="bearer")
@require_api(*STAFF)
def assign_case(principal, case_id: uuid.UUID):
    return jsonify(rpc("assign_case", str(case_id), actor(staff_self(principal))))


@api_route(api, "/staff/cases/<uuid:case_id>/attach", "POST", "File one of the case's files as a person's "
           "required document of a type: it enters the review queue", "staff", request=AttachIn,
           response=AttachedOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def attach_case_file(principal, case_id: uuid.UUID):
    data = parse_body(AttachIn)
    return jsonify(rpc("attach_case_file", str(case_id), data.model_dump(mode="json"),
                       actor(staff_self(principal))))


@api_route(api, "/staff/cases/<uuid:case_id>/link", "POST", "Link an anonymous (or mailed) case to a person",
           "staff", request=LinkIn, response=StaffCaseOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def link_case(principal, case_id: uuid.UUID):
    data = parse_body(LinkIn)
    return jsonify(rpc("link_case", str(case_id), data.model_dump(mode="json"), actor(staff_self(principal))))


@api_route(api, "/staff/cases/<uuid:case_id>/close", "POST", "Close the case", "staff", response=StaffCaseOut,
           errors=(401, 403, 404, 409), auth="bearer")
@require_api(*STAFF)
def close_case(principal, case_id: uuid.UUID):
    return jsonify(rpc("close_case", str(case_id), actor(staff_self(principal))))


@api_route(api, "/staff/cases/<uuid:case_id>/files/<uuid:attachment_id>", "GET", "One of the case's files "
           "(audited)", "staff", errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def download_case_file(principal, case_id: uuid.UUID, attachment_id: uuid.UUID):
    from gateway.api.documents import send_document

    return send_document(rpc("case_file_for_download", str(case_id), str(attachment_id),
                             viewer(staff_self(principal))))
