"""Contract Services staff: find and record people, invite them to claim their Portal, act on
their behalf, and read the audit log."""
from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from common.clock import hub_timezone
from common.contracts.accounts import CreatePersonIn
from common.contracts.documents import DOCUMENT_STATUSES, REJECT_REASONS, ReviewIn
from common.contracts.rosters import ImposeSuspensionIn, LiftSuspensionIn
from common.errors import Conflict, HubError, NotFound, ValidationFailed
from gateway.api.admin import audit_entries, audit_filters
from gateway.api.documents import PREVIEWABLE, queue_filters, send_document
from gateway.auth import actor, require_page, staff_self, viewer
from gateway.pages.forms import validate_form
from gateway.pages.portal import usdate

staff = Blueprint("staff", __name__, url_prefix="/staff")

from common.authz import STAFF  # noqa: E402

NEW_PERSON_FIELDS = ("first_name", "last_name", "date_of_birth", "ssn", "email", "phone")


def _accounts(method: str, *args):
    return current_app.rpc.call("accounts", method, *args)


def _viewer(principal) -> dict:
    return viewer(staff_self(principal))


@staff.app_template_filter("when")
def when(value: str | None) -> str:
    """'2025-05-01T21:03:07+00:00' → '05/01/2025 2:03 PM PDT': the Portal's date, then the time
    on the business's clock (HUB_TIMEZONE)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.utcoffset() is not None:
        moment = moment.astimezone(hub_timezone())
    clock = moment.strftime("%I:%M %p").lstrip("0")
    return f"{usdate(moment.date())} {clock}" + (f" {moment.strftime('%Z')}" if moment.tzinfo else "")


@staff.route("", methods=["GET", "POST"])
@require_page(*STAFF)
def search(principal):
    # POST, so that a search by SSN never lands in a URL, a browser history or an access log
    query = request.form.get("q", "").strip() if request.method == "POST" else ""
    people = _accounts("find_people", query, _viewer(principal)) if query else None
    shown = "" if re.fullmatch(r"[\d\s-]{9,11}", query) and len(re.sub(r"\D", "", query)) == 9 else query
    return render_template("staff/search.html", query=shown, people=people)


@staff.get("/people/<uuid:person_id>")
@require_page(*STAFF)
def person(principal, person_id: uuid.UUID):
    found = _accounts("get_person", str(person_id), _viewer(principal))
    # the records as the person sees them on their dashboard; the page still shows without them
    mine, suspensions, rosters_error = None, [], None
    try:
        mine = current_app.rpc.call("rosters", "my_classifications", str(person_id))
        suspensions = current_app.rpc.call("rosters", "list_suspensions", str(person_id),
                                           actor(staff_self(principal)))["suspensions"]
    except HubError as exc:
        rosters_error = exc.message
    # the e-mails sent to them and what became of each (issue 10); also optional
    deliveries, deliveries_error = None, None
    try:
        deliveries = current_app.rpc.call("notifications", "list_deliveries", str(person_id),
                                          actor(staff_self(principal)))
    except HubError as exc:
        deliveries_error = exc.message
    return render_template("staff/person.html", person=found, mine=mine, suspensions=suspensions,
                           rosters_error=rosters_error, deliveries=deliveries,
                           deliveries_error=deliveries_error)


@staff.post("/people/<uuid:person_id>/suspensions")
@require_page(*STAFF)
def impose_suspension(principal, person_id: uuid.UUID):
    values = {"person_id": str(person_id), **{k: request.form.get(k, "").strip() or None
                                               for k in ("classification_code", "kind", "reason", "starts_on")}}
    data, errors = validate_form(ImposeSuspensionIn, {k: v for k, v in values.items() if v is not None})
    if data is None:
        flash(" ".join(errors.values()), "error")
        return redirect(url_for("staff.person", person_id=person_id))
    try:
        done = current_app.rpc.call("rosters", "impose_suspension", data.model_dump(mode="json"),
                                    actor(staff_self(principal)))
    except (Conflict, NotFound, ValidationFailed) as exc:
        flash(exc.message, "error")
    else:
        what = "withdrawn from" if done["kind"] == "withdrawal" else "suspended from"
        flash(f"Done: they are {what} the {done['classification_code']} roster from "
              f"{usdate(done['starts_on'])}, and were told why.", "success")
    return redirect(url_for("staff.person", person_id=person_id))


@staff.post("/people/<uuid:person_id>/suspensions/<uuid:suspension_id>/lift")
@require_page(*STAFF)
def lift_suspension(principal, person_id: uuid.UUID, suspension_id: uuid.UUID):
    lifted_on = request.form.get("lifted_on", "").strip()
    data, errors = validate_form(LiftSuspensionIn, {"lifted_on": lifted_on} if lifted_on else {})
    if data is None:
        flash(" ".join(errors.values()), "error")
        return redirect(url_for("staff.person", person_id=person_id))
    try:
        done = current_app.rpc.call("rosters", "lift_suspension", str(suspension_id),
                                    data.model_dump(mode="json"), actor(staff_self(principal)))
    except (Conflict, NotFound, ValidationFailed) as exc:
        flash(exc.message, "error")
    else:
        flash(f"Done: they are back on the {done['classification_code']} roster.", "success")
    return redirect(url_for("staff.person", person_id=person_id))


@staff.post("/people/<uuid:person_id>/invitation")
@require_page(*STAFF)
def send_invitation(principal, person_id: uuid.UUID):
    try:
        sent = _accounts("send_invitation", str(person_id), actor(staff_self(principal)))
    except (Conflict, ValidationFailed) as exc:
        flash(exc.message, "error")
    else:
        expires = (sent or {}).get("expires_at") or ""
        flash("Invitation sent. The person has 7 days to claim their Portal account"
              + (f" (until {when(expires)})." if expires else "."), "success")
    return redirect(url_for("staff.person", person_id=person_id))


@staff.post("/people/<uuid:person_id>/act")
@require_page(*STAFF)
def act_on_behalf(principal, person_id: uuid.UUID):
    _accounts("start_acting", str(person_id), actor(staff_self(principal)))
    session["acting_for"] = str(person_id)
    return redirect(url_for("portal.dashboard"))


@staff.post("/act/stop")
@require_page(*STAFF)
def stop_acting(principal):
    helped = session.pop("acting_for", None)
    if helped:
        flash("You stopped acting on behalf of this person.", "info")
        return redirect(url_for("staff.person", person_id=helped))
    return redirect(url_for("staff.search"))


@staff.route("/people/new", methods=["GET", "POST"])
@require_page(*STAFF)
def new_person(principal):
    errors, values = {}, {}
    if request.method == "POST":
        values = {field: request.form.get(field, "").strip() for field in NEW_PERSON_FIELDS}
        payload = {field: value or None for field, value in values.items()}
        payload.update(origin="staff")
        data, errors = validate_form(CreatePersonIn, payload)
        if data is not None:
            try:
                created = _accounts("create_person", data.model_dump(mode="json"), actor(staff_self(principal)))
            except Conflict as exc:
                errors = {"form": exc.message}
            except ValidationFailed as exc:
                errors = {"form": exc.message}
            else:
                flash(f"Recorded {data.first_name} {data.last_name}: IL number {created['il_number']}.",
                      "success")
                return redirect(url_for("staff.person", person_id=created["person_id"]))
        values.pop("ssn", None)  # never echo an SSN back into a page
    return render_template("staff/new_person.html", errors=errors, values=values), 400 if errors else 200


@staff.get("/audit")
@require_page(*STAFF)
def audit(principal):
    filters = audit_filters()
    errors = {}
    if filters.get("actor_account_id"):
        try:
            uuid.UUID(filters["actor_account_id"])
        except ValueError:
            errors["actor_account_id"] = "Enter an account id like 6f1c…: copy it from an entry below."
            filters.pop("actor_account_id")
    entries = audit_entries(filters, _viewer(principal))
    values = {key: request.args.get(key, "") for key in ("actor_account_id", "target_id", "action")}
    people = _people_cards(_people_in(entries), _viewer(principal))
    return render_template("staff/audit.html", entries=entries, values=values, errors=errors,
                           people=people, role_names=ROLE_NAMES), 400 if errors else 200


ROLE_NAMES = {"industry_professional": "Industry Professional", "staff_reviewer": "Staff",
              "staff_admin": "Staff (admin)", "union_rep": "Union rep", "employer": "Employer",
              "payroll_client": "Payroll company", "system": "The Hub itself",
              "anonymous": "Someone not logged in"}
MAX_CARDS = 100  # one page of the audit log names at most this many people


def _people_in(entries: list[dict]) -> list[str]:
    """The people an audit page names: subjects (person targets) and the people staff helped."""
    ids = []
    for entry in entries:
        for person_id in ((entry.get("target_id") if entry.get("target_type") == "person" else None),
                          entry.get("on_behalf_of"), (entry.get("details") or {}).get("person_id")):
            if person_id and person_id not in ids:
                ids.append(person_id)
    return ids[:MAX_CARDS]


def _people_cards(person_ids: list[str], as_viewer: dict) -> dict[str, dict]:
    """Name and IL number of each person (accounts' person_card: public facts, not audited),
    asked side by side rather than one after another; someone not found is simply unnamed."""
    if not person_ids:
        return {}
    app = current_app._get_current_object()

    def card(person_id):
        with app.app_context():
            try:
                uuid.UUID(str(person_id))
                return app.rpc.call("accounts", "person_card", str(person_id), as_viewer)
            except (ValueError, HubError):
                return None

    with ThreadPoolExecutor(min(8, len(person_ids))) as pool:
        cards = list(pool.map(card, person_ids))
    return {person_id: c for person_id, c in zip(person_ids, cards, strict=True) if c}


@staff.get("/work-days")
@require_page(*STAFF)
def work_days(principal):
    days = current_app.rpc.call("rosters", "pending_work_days", actor(staff_self(principal)))
    return render_template("staff/work_days.html", days=days)


@staff.post("/work-days/<uuid:work_day_id>/review")
@require_page(*STAFF)
def review_work_day(principal, work_day_id: uuid.UUID):
    decision = request.form.get("decision", "")
    reason = (request.form.get("reason") or "").strip() or None
    try:
        current_app.rpc.call("rosters", "verify_work_day", str(work_day_id), decision, reason,
                             actor(staff_self(principal)))
    except (ValidationFailed, NotFound) as exc:
        flash(exc.message, "error")
    else:
        flash("Day approved: it now counts." if decision == "approve"
              else "Day rejected: the person sees your reason.", "success")
    return redirect(url_for("staff.work_days"))


# --- the document review queue -------------------------------------------------------------------

def _documents(method: str, *args):
    return current_app.rpc.call("documents", method, *args)


def _others_of(person_ids: list[str], as_viewer: dict) -> dict[str, list[dict]]:
    """Each person's documents (to see beside the one under review), asked side by side."""
    if not person_ids:
        return {}
    app = current_app._get_current_object()

    def documents_of(person_id):
        with app.app_context():
            try:
                return app.rpc.call("documents", "list_documents", person_id, as_viewer)["documents"]
            except HubError:
                return None

    with ThreadPoolExecutor(min(8, len(person_ids))) as pool:
        found = list(pool.map(documents_of, person_ids))
    return dict(zip(person_ids, found, strict=True))


@staff.get("/documents")
@require_page(*STAFF)
def document_queue(principal):
    try:
        filters = queue_filters(request.args)
    except ValidationFailed as exc:
        flash(exc.message, "error")
        filters = queue_filters({})
    queue = _documents("review_queue", filters, _viewer(principal))["documents"]
    types = _documents("list_document_types")["document_types"]
    people = list(dict.fromkeys(str(d["person_id"]) for d in queue))[:MAX_CARDS]
    others = _others_of(people, _viewer(principal))
    return render_template("staff/documents.html", queue=queue, filters=filters, types=types,
                           type_names={t["code"]: t for t in types}, others=others,
                           reject_reasons=REJECT_REASONS, previewable=PREVIEWABLE,
                           statuses=DOCUMENT_STATUSES)


def _queue_url() -> str:
    back = request.form.get("back") or ""
    return back if back.startswith("/staff/documents") and "//" not in back else url_for("staff.document_queue")


@staff.post("/documents/<uuid:document_id>/review")
@require_page(*STAFF)
def review_document(principal, document_id: uuid.UUID):
    decision = request.form.get("decision", "")
    reason = None
    if decision == "reject":
        choice = (request.form.get("reason_choice") or "").strip()
        written = (request.form.get("reason_text") or "").strip()
        reason = written or (choice if choice in REJECT_REASONS else None)
    values = {"decision": decision, "reason": reason,
              **{k: (request.form.get(k) or "").strip() or None for k in ("issued_on", "expires_on")}}
    if decision == "approve" and request.form.get("expires") == "1" and not values["expires_on"]:
        flash("Enter the expiry date: this kind of document expires.", "error")
        return redirect(_queue_url())
    data, errors = validate_form(ReviewIn, values if decision == "approve" else {**values, "issued_on": None,
                                                                                 "expires_on": None})
    if data is None:
        flash(" ".join(dict.fromkeys(errors.values())), "error")
        return redirect(_queue_url())
    try:
        done = _documents("review_document", str(document_id), data.model_dump(mode="json"),
                          actor(staff_self(principal)))
    except Conflict:
        flash("Someone else already reviewed this document. It has left the queue.", "error")
    except (ValidationFailed, NotFound) as exc:
        flash(exc.message, "error")
    else:
        flash(f"Approved: {done['label']} ({done['file_name']})." if decision == "approve"
              else f"Rejected: {done['label']} ({done['file_name']}). The person sees your reason in red "
                   "and in their Message Center.", "success")
    return redirect(_queue_url())


@staff.get("/documents/<uuid:document_id>/preview")
@require_page(*STAFF)
def preview_document(principal, document_id: uuid.UUID):
    """The file shown inside the review page (PDFs and pictures), under a policy that lets it
    load nothing but itself."""
    download = _documents("document_for_download", str(document_id), _viewer(principal))
    if download["content_type"] not in PREVIEWABLE:
        raise NotFound("This kind of file has no preview: download it instead.")
    return send_document(download, inline=True)


@staff.get("/documents/<uuid:document_id>/file")
@require_page(*STAFF)
def download_document(principal, document_id: uuid.UUID):
    return send_document(_documents("document_for_download", str(document_id), _viewer(principal)))
