"""Staff: proofs of employment held for an SSN (rosters.proofs). A proof waits when nobody has
that SSN yet, or when the person who registered with it gave a different last name; staff attach
it to that person once they are satisfied it is them, or dismiss it with a reason. The SSN is never
on these pages: the person is named by name and IL number."""
from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from common.authz import STAFF
from common.contracts.rosters import AttachProofIn, DismissProofIn
from common.errors import HubError
from gateway.api.employers import attach_held_proof, dismiss_held_proof, held_proofs
from gateway.auth import require_page, staff_self
from gateway.pages.forms import validate_form

proofs = Blueprint("proofs", __name__, url_prefix="/staff/employment-proofs")


def _back():
    """The list the decision was made from (the same tab and page)."""
    held = "false" if request.form.get("held") == "false" else "true"
    page = request.form.get("page", "1")
    return redirect(url_for("proofs.held_list", held=held, page=page if page.isdigit() else "1"))


@proofs.get("")
@require_page(*STAFF)
def held_list(principal):
    held = "false" if request.args.get("held") == "false" else "true"
    page = request.args.get("page", "1")
    try:
        listing = held_proofs(staff_self(principal), held, page if page.isdigit() and page != "0" else "1")
    except HubError as exc:
        listing, error = None, exc.message
    else:
        error = None
    return render_template("staff/held_proofs.html", listing=listing, error=error, held=held == "true")


def _decided(decide):
    """Make the decision and go back to the list, saying what happened or why it could not be."""
    try:
        flash(decide()["message"], "success")
    except HubError as exc:
        flash(exc.message, "error")
    return _back()


@proofs.post("/<uuid:proof_id>/attach")
@require_page(*STAFF)
def attach(principal, proof_id: uuid.UUID):
    data, errors = validate_form(AttachProofIn, {"person_id": request.form.get("person_id", "")})
    if errors:
        flash("Choose the person to attach the proof to.", "error")
        return _back()
    return _decided(lambda: attach_held_proof(staff_self(principal), proof_id, data))


@proofs.post("/<uuid:proof_id>/dismiss")
@require_page(*STAFF)
def dismiss(principal, proof_id: uuid.UUID):
    data, errors = validate_form(DismissProofIn, {"reason": request.form.get("reason", "")})
    if errors:
        typed = request.form.get("reason", "").strip()
        flash(errors.get("reason", "") if typed else "Say why the proof is dismissed.", "error")
        return _back()
    return _decided(lambda: dismiss_held_proof(staff_self(principal), proof_id, data))
