"""An employer's home (issue 11): verify people (the public roster search), the people it has
proved it employed with their status, and the proof-of-employment form. Mobile first; an SSN is
only ever POSTed and never written back into a page."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from common.authz import STAFF
from common.contracts.rosters import EmploymentProofIn, SearchCriteria
from common.errors import HubError, ValidationFailed
from gateway.api.employers import employed_people, submit_proof
from gateway.api.search import search_roster
from gateway.auth import require_page
from gateway.limits import limiter
from gateway.pages.forms import validate_form
from gateway.pages.hub import SEARCH_FIELDS, _page_number, _search_choices

employers = Blueprint("employers", __name__, url_prefix="/employers")

PROOF_FIELDS = ("first_name", "last_name", "date_of_birth", "ssn", "employer", "classification_code",
                "first_day")


def _home(principal, *, search_errors=None, search_values=None, found=None, proof_errors=None,
          proof_values=None, status=200):
    people, people_error = [], None
    try:
        people = employed_people(principal)["people"]
    except HubError as exc:
        people_error = f"Your list is not available right now. {exc.message}"
    classifications, locals_ = _search_choices()
    proof_values = dict(proof_values or {})
    proof_values.setdefault("employer", principal.organisation or "")
    return render_template(
        "employers/home.html", who=principal, people=people, people_error=people_error,
        errors=search_errors or {}, values=search_values or {}, found=found,
        proof_errors=proof_errors or {}, proof_values=proof_values,
        classifications=classifications, locals_=locals_), status


@employers.get("")
@require_page("employer", *STAFF)
def home(principal):
    return _home(principal)


@employers.post("/search")
@limiter.limit(lambda: current_app.config["RATELIMIT_SEARCH"])
@require_page("employer", *STAFF)
def search(principal):
    values = {field: request.form.get(field, "").strip() for field in SEARCH_FIELDS}
    data, errors = validate_form(SearchCriteria, {**values, "page": _page_number(request.form.get("page"))})
    found = None
    if data is not None:
        try:
            found = search_roster(data)
        except ValidationFailed as exc:
            errors = {"form": exc.message}
        except HubError as exc:
            errors = {"form": f"The search is not available right now. {exc.message}"}
    values.pop("ssn", None)  # never echo an SSN back into a page
    return _home(principal, search_errors=errors, search_values=values, found=found,
                 status=400 if errors else 200)


@employers.post("/proofs")
@require_page("employer", *STAFF)
def submit(principal):
    values = {field: request.form.get(field, "").strip() for field in PROOF_FIELDS}
    raw = {k: v for k, v in values.items() if v != "" or k != "date_of_birth"}
    data, errors = validate_form(EmploymentProofIn, raw)
    if data is not None:
        try:
            out = submit_proof(principal, data)
        except ValidationFailed as exc:
            fields = (exc.details or {}).get("fields", {})
            errors = {**{k: v for k, v in fields.items() if k in PROOF_FIELDS}, "form": exc.message}
        except HubError as exc:
            errors = {"form": f"The proof could not be sent right now. {exc.message}"}
        else:
            flash(out["message"], "success")
            return redirect(url_for("employers.home", _anchor="employed"))
    values.pop("ssn", None)
    return _home(principal, proof_errors=errors, proof_values=values, status=400)
