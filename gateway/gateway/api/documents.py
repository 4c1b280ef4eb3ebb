"""Documents (the documents issue): the types, a person's documents and their upload, the
authorised download, and the staff review queue. The bytes go from the request into object
storage here (gateway.uploads); the documents service records and reviews them."""
from __future__ import annotations

import unicodedata
import uuid
from urllib.parse import quote

from flask import Response, current_app, jsonify, redirect, request
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from common.authz import STAFF
from common.contracts.documents import (
    DOCUMENT_STATUSES,
    DocumentOut,
    DocumentsOut,
    DocumentTypesOut,
    ReviewIn,
    ReviewQueueFiltersIn,
    ReviewQueueOut,
)
from common.errors import NotFound, ValidationFailed
from gateway.api import api, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, own_person_id, require_api, staff_self, viewer
from gateway.uploads import discard, hub_storage, max_upload_bytes, refuse_oversized_request, store_upload, too_large

PREVIEWABLE = ("application/pdf", "image/jpeg", "image/png")  # what a browser shows inline
# the preview is a frame of the staff page: it may load nothing but itself
PREVIEW_CSP = "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'"


def rpc(method: str, *args):
    return current_app.rpc.call("documents", method, *args)


# --- receiving a file (shared by the API and the Portal's page endpoint) ------------------------

def upload_form() -> tuple[list, str, str | None]:
    """(files, document_type, classification_code) from a multipart request, with the size
    checked before the body is read."""
    max_bytes = max_upload_bytes()
    refuse_oversized_request(max_bytes)
    try:
        files = [f for f in request.files.getlist("file") if f.filename]
        form = request.form
    except RequestEntityTooLarge:
        raise too_large(max_bytes) from None
    document_type = (form.get("document_type") or "").strip()
    classification = (form.get("classification_code") or "").strip() or None
    return files, document_type, classification


def submit_document(principal, file_storage, document_type: str, classification_code: str | None = None,
                    source: str = "portal") -> dict:
    """Stream one file into storage and register it as the person's document: UploadedOut.
    The staged object is removed again if the documents service does not take it."""
    if not document_type:
        raise ValidationFailed("Choose what kind of document this is.",
                               {"fields": {"document_type": "Choose what kind of document this is."}})
    person_id = own_person_id(principal)
    staged = store_upload(file_storage, max_upload_bytes())
    payload = {"staging_key": staged.staging_key, "person_id": person_id, "document_type": document_type,
               "classification_code": classification_code, "file_name": staged.file_name,
               "size": staged.size, "content_type": staged.content_type, "sha256": staged.sha256,
               "source": source}
    try:
        uploaded = rpc("register_upload", payload, actor(principal))
    except BaseException:
        discard(staged.staging_key)
        raise
    if not uploaded.get("created"):
        discard(staged.staging_key)  # the same bytes were on file already: keep one copy
    return uploaded


def send_document(download: dict, inline: bool = False):
    """The bytes of a document the service said this viewer may read: a redirect to a
    short-lived link on S3, else streamed from storage a chunk at a time."""
    if download.get("presigned_url") and not inline:
        return redirect(download["presigned_url"], 302)
    chunks = hub_storage().open_stream(download["key"])
    response = Response(chunks, mimetype=download["content_type"], direct_passthrough=True)
    response.headers.set("Content-Disposition", "inline" if inline else "attachment",
                         **_file_name_options(download["file_name"]))
    if download.get("size"):
        response.content_length = download["size"]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if inline:
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _file_name_options(name: str) -> dict:
    """filename= for every browser, and filename*= (RFC 5987) when the name is not ASCII."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii") or "document"
        return {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")}
    return {"filename": name}


# --- the API -------------------------------------------------------------------------------------

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "document_type"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "PDF, JPEG, PNG or HEIC/HEIF, up to HUB_UPLOAD_MAX_MB (20 MB)"},
                   "document_type": {"type": "string", "description": "a code from /document-types"},
                   "classification_code": {"type": "string"}}}}}}}
QUEUE_PARAMETERS = [
    {"name": "status", "in": "query", "required": False, "description": "pending_review by default",
     "schema": {"type": "string", "enum": [*DOCUMENT_STATUSES, "all"]}},
    {"name": "type", "in": "query", "required": False, "description": "a document type code",
     "schema": {"type": "string"}},
    {"name": "local", "in": "query", "required": False, "description": "a local, e.g. 399",
     "schema": {"type": "string"}},
    {"name": "classification", "in": "query", "required": False, "description": "a classification code",
     "schema": {"type": "string"}},
]


@api_route(api, "/document-types", "GET", "The kinds of documents the Hub accepts: label, and "
           "whether an approval needs an expiry date", "anyone", response=DocumentTypesOut)
def list_document_types():
    return jsonify(rpc("list_document_types"))


@api_route(api, "/me/documents", "GET", "Your documents and where each stands: pending_review, "
           "approved (with its expiry), rejected (with the reason) or expired", "a logged-in person",
           response=DocumentsOut, errors=(401, 404), auth="bearer")
@require_api()
def my_documents(principal):
    return jsonify(rpc("list_documents", own_person_id(principal), viewer(principal)))


@api_route(api, "/me/documents", "POST", "Upload a document (multipart: file, document_type, "
           "optional classification_code). 201 with the new document; 200 with the one on file "
           "when the same file was sent before. The type is decided from the file's content: PDF, "
           "JPEG, PNG or HEIC/HEIF", "a logged-in person", response=DocumentOut, status=201,
           errors=(401, 404, 413, 415, 422), auth="bearer", extra=UPLOAD_BODY)
@require_api()
def upload_my_document(principal):
    files, document_type, classification = upload_form()
    if len(files) != 1:
        raise ValidationFailed("Send one file in the `file` field." if files else "Choose a file to upload.")
    uploaded = submit_document(principal, files[0], document_type, classification)
    return jsonify(uploaded["document"]), 201 if uploaded["created"] else 200


@api_route(api, "/me/documents/<uuid:document_id>/file", "GET", "The file of one of your documents "
           "(staff: anyone's), as an attachment, or a redirect (302) to a link valid for 5 minutes. "
           "Anyone else gets 404", "the owner, or staff", errors=(401, 404), auth="bearer")
@require_api()
def download_my_document(principal, document_id: uuid.UUID):
    return send_document(rpc("document_for_download", str(document_id), viewer(principal)))


def queue_filters(args) -> dict:
    """The queue's filters from a query string; a bad status is a 422 that says which are known."""
    values = {key: args.get(key) for key in ("status", "type", "local", "classification") if args.get(key)}
    if values.get("local"):
        values["local"] = values["local"].strip().removeprefix("#")
    if values.get("classification"):
        values["classification"] = values["classification"].strip().upper()
    try:
        return ReviewQueueFiltersIn.model_validate(values).model_dump(mode="json", exclude={"limit"})
    except ValidationError:
        raise ValidationFailed("Filter by status (one of " + ", ".join((*DOCUMENT_STATUSES, "all"))
                               + "), type, local and classification.") from None


@api_route(api, "/staff/documents", "GET", "The document review queue, oldest first, with each "
           "person's name and IL number", "staff", response=ReviewQueueOut, errors=(401, 403, 422),
           auth="bearer", extra={"parameters": QUEUE_PARAMETERS})
@require_api(*STAFF)
def review_queue(principal):
    return jsonify(rpc("review_queue", queue_filters(request.args), viewer(staff_self(principal))))


@api_route(api, "/staff/documents/<uuid:document_id>/review", "POST", "Approve a document (with its "
           "issue and expiry dates; the expiry is required for types that expire) or reject it with "
           "a reason the person sees. 409 when someone else decided first", "staff", request=ReviewIn,
           response=DocumentOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def review_document(principal, document_id: uuid.UUID):
    data = parse_body(ReviewIn)
    return jsonify(rpc("review_document", str(document_id), data.model_dump(mode="json"),
                       actor(staff_self(principal))))


def owned_document(principal, document_id) -> dict:
    """One of this person's own documents (a proof of employment, say); anyone else's is
    'No such document', whoever asks."""
    try:
        document = rpc("get_document", str(document_id), viewer(principal))
    except NotFound:
        raise NotFound("No such document.") from None
    if str(document["person_id"]) != own_person_id(principal):
        raise NotFound("No such document.")
    return document
