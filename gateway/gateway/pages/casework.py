"""Pages for deadline extensions, removals and protests, the staff home (work queues) and the
staff reports (issue 11)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from common.authz import STAFF
from common.contracts.rosters import (
    ExtensionDecisionIn,
    ExtensionRequestIn,
    ProtestIn,
    RemovalDecisionIn,
    StartRemovalIn,
)
from common.errors import HubError
from gateway.api.casework import expiring_csv
from gateway.auth import actor, own_person_id, require_page, staff_self, viewer
from gateway.pages.forms import validate_form

casework = Blueprint("casework", __name__)

REPORT_WINDOWS = (30, 60, 90)


def _rosters(method: str, *args):
    return current_app.rpc.call("rosters", method, *args)


def _first_error(errors: dict) -> str:
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items())


# --- the person: ask for more time, protest a removal ----------------------------------------------

@casework.route("/portal/extensions", methods=["GET", "POST"])
@require_page()
def my_extensions(principal):
    person_id = own_person_id(principal)
    form = {"classification_code": request.values.get("code", "").strip(),
            "requirement": request.values.get("requirement", "").strip(),
            "due_on": request.values.get("due_on", "").strip()}
    if request.method == "POST":
        values = {"classification_code": request.form.get("classification_code", ""),
                  "requirement": request.form.get("requirement", ""),
                  "circumstance": request.form.get("circumstance", ""),
                  "until": request.form.get("until", ""),
                  "document_ids": [d for d in request.form.getlist("document_ids") if d.strip()]}
        data, errors = validate_form(ExtensionRequestIn, values)
        if errors:
            flash(_first_error(errors), "error")
        else:
            try:
                _rosters("request_extension", person_id, data.model_dump(mode="json"), actor(principal))
                flash("We have your request. Contract Services will decide it and tell you.", "success")
                return redirect(url_for("casework.my_extensions"))
            except HubError as exc:
                flash(exc.message, "error")
        form.update(classification_code=values["classification_code"], requirement=values["requirement"])
    mine = _rosters("my_extensions", person_id)
    documents = []
    try:
        documents = current_app.rpc.call("documents", "list_documents", person_id, viewer(principal))["documents"]
    except HubError:
        pass  # evidence is optional: the form still works without the list
    return render_template("portal/extensions.html", mine=mine["extensions"],
                           circumstances=mine["circumstances"], form=form, documents=documents)


@casework.get("/portal/removals")
@require_page()
def my_removals(principal):
    mine = _rosters("my_removals", own_person_id(principal))
    return render_template("portal/extensions_removals.html", removals=mine["removals"])


@casework.post("/portal/removals/<uuid:removal_id>/protest")
@require_page()
def protest_removal(principal, removal_id: uuid.UUID):
    data, errors = validate_form(ProtestIn, {"text": request.form.get("text", "")})
    if errors:
        flash("Say why you protest the removal.", "error")
    else:
        try:
            _rosters("protest_removal", own_person_id(principal), str(removal_id), data.model_dump(mode="json"),
                     actor(principal))
            flash("Your protest is recorded. Your name stays on the roster until Contract Services decide.",
                  "success")
        except HubError as exc:
            flash(exc.message, "error")
    return redirect(url_for("casework.my_removals"))


# --- staff: the home with the work queues ------------------------------------------------------------

def _age_days(items: list, *keys: str) -> int | None:
    """The oldest item's age in days, from the first of `keys` each item has."""
    stamps = []
    for item in items:
        value = next((item.get(k) for k in keys if item.get(k)), None)
        if not value:
            continue
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            continue
        stamps.append(moment.date() if isinstance(moment, datetime) else moment)
    if not stamps:
        return None
    return (datetime.now(UTC).date() - min(stamps)).days


def _queue(label: str, link: str, fetch) -> dict:
    """One queue's count and oldest age; a service that is down shows as such, never a 500."""
    try:
        count, oldest = fetch()
        return {"label": label, "link": link, "count": count, "oldest_days": oldest, "error": None}
    except Exception:  # noqa: BLE001 - any failure of one service leaves the others' counts
        current_app.logger.warning("staff home: the %s queue is unavailable", label, exc_info=True)
        return {"label": label, "link": link, "count": None, "oldest_days": None,
                "error": "Not available right now."}


@casework.get("/staff/home")
@require_page(*STAFF)
def staff_home(principal):
    who = actor(staff_self(principal))
    seen = viewer(staff_self(principal))
    summary: dict = {}

    def casework_queue(key):
        def fetch():
            if not summary:
                summary.update(_rosters("casework_queues", who))
            return summary[key]["count"], summary[key]["oldest_days"]
        return fetch

    def documents():
        from gateway.api.documents import queue_filters
        found = current_app.rpc.call("documents", "review_queue", queue_filters({}), seen)["documents"]
        return len(found), _age_days(found, "uploaded_at", "created_at")

    def work_days():
        found = _rosters("pending_work_days", who)
        return len(found), _age_days(found, "created_at", "submitted_at", "work_date")

    def cases():
        found = current_app.rpc.call("cases", "list_cases", {}, seen)["cases"]
        open_ones = [c for c in found if c.get("status") not in ("closed", "resolved")]
        return len(open_ones), _age_days(open_ones, "created_at")

    def imports():
        found = current_app.rpc.call("accounts", "list_imports", who)  # the newest first
        # a failed import needs attention until a later import of the same kind is made
        retried = set()
        waiting = []
        for job in found:
            if job.get("status") in ("queued", "running") or (job.get("status") == "failed"
                                                              and job.get("kind") not in retried):
                waiting.append(job)
            retried.add(job.get("kind"))
        return len(waiting), _age_days(waiting, "created_at")

    def held_proofs():
        # oldest first: the first one's age is the queue's
        found = _rosters("held_proofs", {"held": True}, who)
        return found["total"], (found["proofs"][0]["age_days"] if found["proofs"] else None)

    queues = [
        _queue("Extension requests", url_for("casework.staff_extensions"), casework_queue("extensions")),
        _queue("Removal protests", url_for("casework.staff_removals"), casework_queue("protests")),
        _queue("Documents to review", url_for("staff.document_queue"), documents),
        _queue("Work days to verify", url_for("staff.work_days"), work_days),
        _queue("Contact Us cases", url_for("contact.staff_cases"), cases),
        _queue("Imports running or failed", url_for("imports.index"), imports),
        _queue("Held proofs of employment", url_for("proofs.held_list"), held_proofs),
    ]
    return render_template("staff/home.html", queues=queues, parked=_parked_events())


def _parked_events() -> dict:
    """Events that failed every retry, per handler queue, with the command that replays them
    (hubstack.deadletters); a service that does not answer is named instead."""
    from common.config import SERVICES

    waiting, unavailable = [], []
    for service in SERVICES:
        try:
            found = current_app.rpc.call(service, "parked_events")["parked"]
        except Exception:  # noqa: BLE001 - one service down leaves the others' counts
            current_app.logger.warning("staff home: %s did not say its parked events", service, exc_info=True)
            unavailable.append(service)
            continue
        waiting += [{"queue": queue, "count": count} for queue, count in sorted(found.items()) if count]
    return {"queues": waiting, "total": sum(q["count"] for q in waiting), "unavailable": unavailable}


# --- staff: extensions -------------------------------------------------------------------------------

@casework.get("/staff/extensions")
@require_page(*STAFF)
def staff_extensions(principal):
    queue = _rosters("extension_queue", actor(staff_self(principal)), "requested")
    return render_template("staff/extensions.html", extensions=queue["extensions"])


@casework.post("/staff/extensions/<uuid:extension_id>/decision")
@require_page(*STAFF)
def decide_extension(principal, extension_id: uuid.UUID):
    values = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason") or None}
    if request.form.get("until"):
        values["until"] = request.form["until"]
    data, errors = validate_form(ExtensionDecisionIn, values)
    if errors:
        flash(_first_error(errors), "error")
    else:
        try:
            done = _rosters("decide_extension", str(extension_id), data.model_dump(mode="json"),
                            actor(staff_self(principal)))
            flash(f"Extension {done['status']}; the person is told.", "success")
        except HubError as exc:
            flash(exc.message, "error")
    return redirect(url_for("casework.staff_extensions"))


# --- staff: removals -----------------------------------------------------------------------------------

@casework.get("/staff/removals")
@require_page(*STAFF)
def staff_removals(principal):
    found = _rosters("removal_protests", actor(staff_self(principal)))
    return render_template("staff/removals.html", removals=found["removals"])


@casework.route("/staff/people/<uuid:person_id>/removals", methods=["GET", "POST"])
@require_page(*STAFF)
def person_removals(principal, person_id: uuid.UUID):
    who = actor(staff_self(principal))
    if request.method == "POST":
        values = {k: request.form.get(k) or None for k in ("classification_code", "reason", "effective_on", "note")}
        data, errors = validate_form(StartRemovalIn, {k: v for k, v in values.items() if v is not None})
        if errors:
            flash(_first_error(errors), "error")
        else:
            try:
                _rosters("start_removal", str(person_id), data.model_dump(mode="json"), who)
                flash("Removed from the roster; the person is told and may protest.", "success")
            except HubError as exc:
                flash(exc.message, "error")
        return redirect(url_for("casework.person_removals", person_id=person_id))
    found = _rosters("person_removals", str(person_id), who)
    records = []
    try:
        records = [r for r in _rosters("my_classifications", str(person_id), None)["records"] if r.get("placed_on")]
    except HubError:
        pass
    return render_template("staff/removals_person.html", person_id=person_id, removals=found["removals"],
                           reasons=found["reasons"], records=records)


@casework.post("/staff/removals/<uuid:removal_id>/decision")
@require_page(*STAFF)
def decide_removal(principal, removal_id: uuid.UUID):
    data, errors = validate_form(RemovalDecisionIn, {"decision": request.form.get("decision", ""),
                                                     "reason": request.form.get("reason") or None})
    if errors:
        flash(_first_error(errors), "error")
    else:
        try:
            done = _rosters("decide_removal", str(removal_id), data.model_dump(mode="json"),
                            actor(staff_self(principal)))
            flash(f"Removal {done['decision']}.", "success")
        except HubError as exc:
            flash(exc.message, "error")
    return redirect(request.form.get("back") or url_for("casework.staff_removals"))


# --- staff: reports --------------------------------------------------------------------------------------

@casework.get("/staff/reports")
@require_page(*STAFF)
def staff_reports(principal):
    try:
        within = int(request.args.get("within", "30"))
    except ValueError:
        within = 30
    if within not in REPORT_WINDOWS:
        within = 30
    from gateway.api.reports import monthly_csv, monthly_report

    local = request.args.get("local", "").strip()[:20]
    if request.args.get("report") == "monthly" and request.args.get("format") == "csv":
        return monthly_csv(monthly_report(staff_self(principal), 12, local))
    report = _rosters("expiring_records", within, actor(staff_self(principal)))
    if request.args.get("format") == "csv":
        return expiring_csv(report)
    monthly, monthly_error = None, None
    try:  # the activity per month, under the expiring records; its failure leaves them shown
        monthly = monthly_report(staff_self(principal), 12, local)
        for row in monthly["rows"]:
            row["label"] = date.fromisoformat(row["starts_on"]).strftime("%b %Y")
    except HubError as exc:
        monthly_error = exc.message
    return render_template("staff/reports.html", report=report, windows=REPORT_WINDOWS, within=within,
                           today=date.today(), monthly=monthly, monthly_error=monthly_error, local=local)
