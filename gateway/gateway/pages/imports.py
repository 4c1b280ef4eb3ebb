"""Staff pages of the legacy import (issue 11, journey 2): upload a file, watch its progress
(the page refreshes itself while an import runs), read its report, download the rejected rows
and a template per kind; invite the imported people to claim their accounts: a press starts a
drive that sends every invitation in the background, and the page follows it."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from common.authz import STAFF
from common.contracts.import_invitations import InviteImportedIn
from common.contracts.imports import COLUMNS, KINDS, OPTIONAL, sample_csv, template_csv
from common.errors import HubError
from gateway.api.imports import (
    csv_response,
    invitation_status,
    invite_imported,
    max_import_bytes,
    rejected_csv,
    report,
    stage_and_start,
)
from gateway.auth import actor, require_page
from gateway.uploads import refuse_oversized_request

imports = Blueprint("imports", __name__, url_prefix="/staff/imports")
REFRESH_SECONDS = 3
SENDING = ("queued", "running")   # an invitation drive under way


@imports.route("", methods=["GET", "POST"])
@require_page(*STAFF)
def index(principal):
    error = None
    if request.method == "POST":
        try:
            refuse_oversized_request(max_import_bytes())
            started = stage_and_start(principal, request.form, request.files)
        except HubError as exc:
            error = str(exc)
        else:
            if started["ignored_columns"]:
                flash(f"Extra column(s) ignored: {', '.join(started['ignored_columns'])}")
            return redirect(url_for("imports.detail", import_id=started["id"]))
    jobs = current_app.rpc.call("accounts", "list_imports", actor(principal))
    invitations = invitation_status(principal)
    drive = invitations.get("drive")
    sending = bool(drive) and drive["status"] in SENDING
    running = sending or any(job["status"] in ("queued", "running") for job in jobs)
    return render_template("staff/imports.html", jobs=jobs, kinds=KINDS,
                           columns=COLUMNS, optional=OPTIONAL, error=error, invitations=invitations,
                           drive=drive, sending=sending,
                           refresh=REFRESH_SECONDS if running else None), (422 if error else 200)


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def invitations_said(answer: dict) -> str:
    """What a press of "Send invitations" did, in plain words."""
    invited, remaining = answer["invited"], answer["remaining"]
    if answer.get("id") is None:
        return ("Nobody to invite: everyone imported with an e-mail address has an account or has been "
                "invited already.")
    if answer.get("started_now"):
        return (f"Sending invitations to {_people(remaining)} in the background: there is nothing more to "
                "press, and it goes on if you leave this page. The e-mails go out as fast as the mail server "
                "takes them.")
    if answer["status"] in SENDING:
        return f"Invitations are already being sent: {invited:,} of {invited + remaining:,}."
    return f"Invitations were just sent to {_people(invited)}."


@imports.post("/invitations")
@require_page(*STAFF)
def invite(principal):
    try:
        done = invite_imported(principal, InviteImportedIn())
    except HubError as exc:
        flash(exc.message, "error")
    else:
        flash(invitations_said(done), "success")
    return redirect(url_for("imports.index"))


@imports.get("/<uuid:import_id>")
@require_page(*STAFF)
def detail(principal, import_id: uuid.UUID):
    job = report(principal, str(import_id))
    running = job["status"] in ("queued", "running")
    return render_template("staff/imports_detail.html", job=job,
                           refresh=REFRESH_SECONDS if running else None)


@imports.get("/<uuid:import_id>/rejected.csv")
@require_page(*STAFF)
def rejected(principal, import_id: uuid.UUID):
    return csv_response(rejected_csv(principal, str(import_id)), f"import-{import_id}-rejected.csv")


@imports.get("/templates/<kind>.csv")
@require_page(*STAFF)
def template(principal, kind: str):
    if kind not in KINDS:
        abort(404)
    return csv_response(template_csv(kind), f"{kind}.csv")


@imports.get("/samples/<kind>.csv")
@require_page(*STAFF)
def sample(principal, kind: str):
    if kind not in KINDS:
        abort(404)
    return csv_response(sample_csv(kind), f"{kind}-sample.csv")
