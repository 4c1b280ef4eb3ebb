"""The legacy import (issue 11, journey 2): staff upload a CSV file of one kind; it is streamed
into object storage under `imports/<id>.csv` (never whole in memory) and the accounts service
imports it in the background. The header is checked here, so a file lacking a required column
is refused at once."""
from __future__ import annotations

import csv
import io
import uuid

from flask import Response, current_app, jsonify, request

from common import config as hub_config
from common.authz import STAFF
from common.contracts.import_invitations import ImportedInvitationStatus, InviteImportedIn, InviteImportedOut
from common.contracts.imports import KINDS, HeaderProblem, ImportOut, check_header, sample_csv, template_csv
from common.errors import ValidationFailed
from gateway.api import api, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, require_api
from gateway.uploads import _CountingReader, discard, hub_storage, refuse_oversized_request

HEAD = 64 * 1024


def max_import_bytes() -> int:
    return int(float(hub_config.setting("HUB_IMPORT_MAX_MB", "2048", current_app.config)) * 1024 * 1024)


def _truthy(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def stage_and_start(principal, form, files) -> dict:
    """Check the kind and the header, stream the file into storage, queue the import."""
    kind = (form.get("kind") or "").strip()
    if kind not in KINDS:
        raise ValidationFailed(f"kind: one of {', '.join(KINDS)}.", {"fields": {"kind": "unknown kind"}})
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed("Choose a CSV file to upload.", {"fields": {"file": "missing"}})
    max_bytes = max_import_bytes()
    stream = upload.stream
    head = stream.read(HEAD)
    if not head.strip():
        raise ValidationFailed("The file is empty.", {"fields": {"file": "empty"}})
    first = head.split(b"\n", 1)[0]
    try:
        header_text = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise ValidationFailed("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.",
                               {"fields": {"file": "not UTF-8"}}) from None
    header = next(csv.reader(io.StringIO(header_text)), [])
    try:
        extra = check_header(kind, header)
    except HeaderProblem as exc:
        raise ValidationFailed(str(exc), {"fields": {"file": "missing columns"}, "missing": exc.missing}) from None
    import_id = uuid.uuid4()
    key = f"imports/{import_id}.csv"
    storage = hub_storage()
    reader = _CountingReader(head, stream, max_bytes)
    try:
        storage.put_stream(key, reader, None, "text/csv")
        result = current_app.rpc.call("accounts", "start_import", {
            "id": str(import_id), "kind": kind, "key": key,
            "send_invitations": _truthy(form.get("send_invitations")),
            "file_name": (upload.filename or "")[-255:]}, actor(principal))
    except BaseException:
        discard(key, storage)
        raise
    return {"id": result["id"], "status": result["status"], "ignored_columns": extra}


def report(principal, import_id: str) -> dict:
    return current_app.rpc.call("accounts", "import_report", import_id, actor(principal))


def rejected_csv(principal, import_id: str) -> str:
    rows = current_app.rpc.call("accounts", "import_rejections", import_id, actor(principal))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason"])
    for row in rows:
        writer.writerow([row["line"], row["reason"]])
    return out.getvalue()


def csv_response(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api_route(api, "/staff/imports", "POST", "Legacy import: upload a CSV file (multipart `file`, `kind`, "
           "`send_invitations`); it is imported in the background. A header lacking a required column "
           "is refused at once (422)", "staff", status=202, errors=(401, 403, 413, 422), auth="bearer")
@require_api(*STAFF)
def start_import(principal):
    refuse_oversized_request(max_import_bytes())
    return jsonify(stage_and_start(principal, request.form, request.files)), 202


@api_route(api, "/staff/imports", "GET", "The recent imports with their progress", "staff",
           errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def list_imports(principal):
    return jsonify({"imports": current_app.rpc.call("accounts", "list_imports", actor(principal))})


@api_route(api, "/staff/imports/<uuid:import_id>", "GET", "An import's progress and report",
           "staff", response=ImportOut, errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def get_import(principal, import_id):
    return jsonify(report(principal, str(import_id)))


@api_route(api, "/staff/imports/<uuid:import_id>/rejected.csv", "GET", "An import's rejected rows "
           "(line, reason) as CSV", "staff", errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def get_import_rejections(principal, import_id):
    return csv_response(rejected_csv(principal, str(import_id)), f"import-{import_id}-rejected.csv")


def _known_kind(kind: str) -> None:
    if kind not in KINDS:
        from common.errors import NotFound

        raise NotFound("No such kind of import.")


@api_route(api, "/staff/imports/templates/<kind>.csv", "GET", "An empty CSV file with the columns "
           "of one kind", "staff", errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def get_import_template(principal, kind):
    _known_kind(kind)
    return csv_response(template_csv(kind), f"{kind}.csv")


@api_route(api, "/staff/imports/samples/<kind>.csv", "GET", "A small valid file of one kind: the "
           "header and two example rows", "staff", errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def get_import_sample(principal, kind):
    _known_kind(kind)
    return csv_response(sample_csv(kind), f"{kind}-sample.csv")


# --- claim invitations to imported people, later and in bulk ---------------------------------------

def invite_imported(principal, data: InviteImportedIn) -> dict:
    """Start the drive sending the invitations in the background (accounts.import_invitations), or
    hear of the one under way: {id, status, invited, remaining, started_now}."""
    return current_app.rpc.call("accounts", "invite_imported", data.model_dump(mode="json", exclude_none=True),
                                actor(principal))


def invitation_status(principal) -> dict:
    return current_app.rpc.call("accounts", "imported_invitation_status", actor(principal))


# an empty body means everyone imported, so the body is optional (api_route marks any request required)
OPTIONAL_BODY = {"requestBody": {"required": False, "content": {
    "application/json": {"schema": {"$ref": f"#/components/schemas/{InviteImportedIn.__name__}"}}}}}


@api_route(api, "/staff/imports/invitations", "POST", "Invite imported people who have an e-mail address, "
           "no account and no invitation yet to claim their account. Starts a drive that sends them all in "
           "the background, 500 at a time (the e-mails go out at the mail server's pace), and answers at once; "
           "while a drive is under way, another call starts nothing and answers with that one "
           "(`started_now` false). `id` is null when nobody was waiting. No body (or an empty one) means "
           "everyone imported", "staff", request=InviteImportedIn, response=InviteImportedOut,
           status=202, errors=(401, 403, 404, 422), auth="bearer", extra=OPTIONAL_BODY)
@require_api(*STAFF)
def send_import_invitations(principal):
    data = parse_body(InviteImportedIn) if request.content_length else InviteImportedIn()
    return jsonify(invite_imported(principal, data)), 202


@api_route(api, "/staff/imports/invitations", "GET", "How many imported people could be invited now "
           "(`pending`), how many have been invited so far (`invited`), and the invitation drive under way "
           "or else the last one (`drive`, null before the first)", "staff",
           response=ImportedInvitationStatus, errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def import_invitations(principal):
    return jsonify(invitation_status(principal))
