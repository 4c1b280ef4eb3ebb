"""The Portal: what a logged-in Industry Professional sees (or staff acting on their behalf)."""
from __future__ import annotations

import logging
import re
import uuid
from datetime import date, datetime

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from markupsafe import Markup, escape
from wtforms import ValidationError as CsrfError

from common.clock import hub_timezone
from common.contracts.accounts import ChangePasswordIn, ProfilePatch
from common.contracts.notifications import CATEGORIES, MANDATORY_EMAIL, PreferencesIn
from common.contracts.rosters import SubmitWorkDaysIn
from common.errors import Conflict, Forbidden, HubError, NotFound, Unauthorized, ValidationFailed
from gateway import csrf
from gateway.api.documents import owned_document, send_document, submit_document, upload_form
from gateway.api.messages import message_filters
from gateway.auth import actor, layout_principal, own_person_id, person_facts, require_page, viewer
from gateway.pages.forms import validate_form
from gateway.uploads import max_upload_bytes

portal = Blueprint("portal", __name__, url_prefix="/portal")
log = logging.getLogger(__name__)

CONTACT_FIELDS = ("email", "phone", "address_line1", "address_line2", "city", "state", "postal_code")
PROFILE_FIELDS = (*CONTACT_FIELDS, "email_notifications")


def _accounts(method: str, *args):
    return current_app.rpc.call("accounts", method, *args)


def _rosters(method: str, *args):
    return current_app.rpc.call("rosters", method, *args)


# --- dates and statuses as the pages show them -----------------------------------------------------

# A link in a message body: an absolute URL, or a Hub path such as /portal/classifications/80-GRIP
_LINK = re.compile(r"(https?://[^\s<>\"']+|(?<![\w/])/(?:portal|search|forgot-password|staff)[^\s<>\"']*)")


@portal.app_template_filter("linkify")
def linkify(text: str | None) -> Markup:
    """A message body with its links made clickable. The text is escaped first, so a message
    can never inject markup; a full stop ending a sentence is not part of the link."""
    escaped = str(escape(text or ""))

    def link(match: re.Match) -> str:
        url = match.group(0)
        trail = ""
        while url and url[-1] in ".,;:)":
            url, trail = url[:-1], url[-1] + trail
        return f'<a href="{url}">{url}</a>{trail}'

    return Markup(_LINK.sub(link, escaped))


@portal.app_template_filter("usdate")
def usdate(value) -> str:
    """'2024-05-30' (or a date) → '05/30/2024', the way the Portal writes dates: the one date
    format of every page (staff pages add the time with `when`)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        # an instant is shown on the business's calendar (HUB_TIMEZONE), not UTC's
        value = (value.astimezone(hub_timezone()) if value.utcoffset() is not None else value).date()
    return f"{value:%m/%d/%Y}"


# status code → (icon, colour class); the label itself always comes from the rosters service
STATUS_LOOK = {
    "compliant": ("\u2713", "ok"),                          # green check
    "approaching_deadline": ("!", "warn"),                  # amber
    "not_compliant": ("\u00d7", "bad"),                     # red
    "in_progress_not_training_eligible": ("\u2026", "progress"),  # grey
    "in_progress_training_eligible": ("\u2026", "progress"),
    "pending_advancement": ("\u2191", "pending"),           # yellow: advancing toward it
    "closed": ("\u2013", "closed"),
}


@portal.app_template_global("status_look")
def status_look(status: str) -> tuple[str, str]:
    return STATUS_LOOK.get(status, ("\u2022", "progress"))


TABS = (("work_experience", "Work Experience"), ("training", "Training"),
        ("documents", "Required Documents"), ("other", "Other Requirements"))
TAB_NAMES = dict(TABS)
COMBINED = ("any_of", "all_of")
# what the rosters engine writes about one document ("Approved; expires …", "Not on file",
# "Expired on …"): a combined row made only of these is a document requirement
DOCUMENT_DETAIL = re.compile(r"^(Approved|Not on file|Expired on)\b")


def _is_document_choice(row: dict) -> bool:
    """"CDL Class A or Class B" arrives as an `any_of` row on the Other tab, but the person
    deals with it as a document: it belongs on Required Documents."""
    if row.get("kind") not in COMBINED:
        return False
    kinds = (row.get("numbers") or {}).get("kinds")
    if kinds:
        return set(kinds) == {"document"}
    parts = re.findall(r": ([^;]+)", row.get("detail") or "")
    return bool(parts) and all(DOCUMENT_DETAIL.match(part.strip()) for part in parts)


def requirement_rows(record: dict) -> list[dict]:
    """The record's rows, each on the tab where the person acts on it."""
    rows = []
    for row in record.get("rows") or []:
        if _is_document_choice(row):
            row = {**row, "tab": "documents", "kind": "document"}
        rows.append(row)
    return rows


@portal.app_template_global("key_figure")
def key_figure(record: dict) -> str | None:
    """The one figure that says where a record stands without opening it: "12 of 30 days"."""
    rows = record.get("rows") or []
    counted = [r for r in rows if "have" in (r.get("numbers") or {}) and "need" in r["numbers"]]
    counted.sort(key=lambda r: r.get("kind") != "work_days")  # work days first
    if counted:
        numbers = counted[0]["numbers"]
        return f"{numbers['have']} of {numbers['need']} days"
    work = next((r for r in rows if r.get("kind") == "work_days"), None)
    if work and work.get("detail"):
        return work["detail"]
    if record.get("anticipated_advancement_on"):
        return f"Anticipated Advancement Date: {usdate(record['anticipated_advancement_on'])}"
    due = sorted((r for r in rows if r.get("state") == "due" and r.get("due_on")), key=lambda r: r["due_on"])
    if due:
        return f"{due[0]['label']} due by {usdate(due[0]['due_on'])}"
    return None


# --- the dashboard ---------------------------------------------------------------------------------

@portal.get("")
@require_page()
def dashboard(principal):
    if principal.person_id is None:
        if principal.is_staff:
            return redirect(url_for("staff.search"))  # staff see a person's Portal by acting for them
        if principal.has("union_rep"):
            return redirect(url_for("reps.home"))  # a rep's home: their locals' members
        if principal.has("employer"):
            return redirect(url_for("employers.home"))
        # union reps and employers: their own pages come later; until then, a plain landing
        return render_template("portal/landing.html", who=principal)
    person_id = own_person_id(principal)
    me = _accounts("get_me", person_id, actor(principal))
    # The rest of the dashboard still shows when one part of the Hub cannot answer: each
    # section says so in its own place.
    mine, rosters_error = None, None
    try:
        mine = _rosters("my_classifications", person_id)
    except HubError as exc:
        rosters_error = exc.message
    # the header's count (one cheap RPC, asked once per request)
    unread = unread_messages()
    inbox_error = g.get("unread_messages_error") if unread is None else None
    return render_template("portal/dashboard.html", me=me, mine=mine, rosters_error=rosters_error,
                           unread=unread, inbox_error=inbox_error)


@portal.get("/classifications/<code>")
@require_page()
def classification(principal, code: str):
    record = _rosters("my_classification", own_person_id(principal), code)
    tab = request.args.get("tab", "")
    if tab not in TAB_NAMES:
        tab = TABS[0][0]
    every_row = requirement_rows(record)
    counts = {}
    for key, _ in TABS:
        rows = [row for row in every_row if row["tab"] == key]
        counts[key] = (sum(1 for row in rows if row["state"] == "met"), len(rows))
    rows = [row for row in every_row if row["tab"] == tab]
    types, documents_error = [], None
    if tab == "documents" and rows:
        # each required document with the person's own files of its type, and where each stands
        try:
            types, rows = _with_documents(principal, rows)
        except HubError as exc:
            documents_error = exc.message
    return render_template("portal/classification.html", record=record, tab=tab, tabs=TABS,
                           tab_names=TAB_NAMES, counts=counts, rows=rows, document_types=types,
                           documents_error=documents_error, upgrade_path=_upgrade_path(record))


# --- documents ------------------------------------------------------------------------------------

def _documents(method: str, *args):
    return current_app.rpc.call("documents", method, *args)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.casefold().replace("colour", "color")))


def _types_named(label: str, types: list[dict]) -> list[str]:
    """The type codes a label names: its exact label or code, else every type whose label's
    words it contains or is contained in ("California Barber license" → Barber License; "CDL
    (Class A or Class B)" → both classes)."""
    wanted = label.strip().casefold()
    slug = re.sub(r"\W+", "_", wanted).strip("_")
    exact = [t["code"] for t in types if t["label"].casefold() == wanted or t["code"] == slug]
    if exact or not wanted:
        return exact[:1]
    words = _words(label)
    return [t["code"] for t in types if _words(t["label"]) <= words or words <= _words(t["label"])]


def row_document_types(row: dict, types: list[dict]) -> list[str]:
    """The document type codes a Required Documents row asks for: from the row's numbers when
    rosters names them, else from its label, else from the parts of a choice ("CDL Class A: …;
    CDL Class B: …")."""
    numbers = row.get("numbers") or {}
    if numbers.get("document_type"):
        return [numbers["document_type"]]
    if numbers.get("document_types"):
        return list(numbers["document_types"])
    codes = _types_named(row.get("label") or "", types)
    if codes:
        return codes
    labels = [part.split(":")[0] for part in (row.get("detail") or "").split("; ") if ":" in part]
    return list(dict.fromkeys(code for label in labels for code in _types_named(label, types)))


def _with_documents(principal, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    types = _documents("list_document_types")["document_types"]
    mine = _documents("list_documents", own_person_id(principal), viewer(principal))["documents"]
    mine.sort(key=lambda d: d["uploaded_at"], reverse=True)
    by_code = {t["code"]: t for t in types}
    out = []
    for row in rows:
        codes = [code for code in row_document_types(row, types) if code in by_code]
        out.append({**row, "document_types": [by_code[code] for code in codes],
                    "documents": [d for d in mine if d["document_type"] in codes]})
    return types, out


DOCUMENT_LOOK = {"pending_review": ("\u2026", "progress"), "approved": ("\u2713", "ok"),
                 "rejected": ("\u00d7", "bad"), "expired": ("\u00d7", "bad")}


@portal.app_template_global("document_state")
def document_state(document: dict) -> tuple[str, str, str]:
    """(icon, colour, words) of a document as the person sees it: approved with a green check
    and "valid until …"; rejected and expired in red, with the reason or the date."""
    status = document["status"]
    icon, look = DOCUMENT_LOOK.get(status, ("\u2022", "progress"))
    if status == "approved":
        words = f"Approved, valid until {usdate(document['expires_on'])}" if document.get("expires_on") else "Approved"
    elif status == "rejected":
        words = f"Not accepted: {document.get('reason') or 'see your Message Center'}"
    elif status == "expired":
        words = f"Expired on {usdate(document.get('expires_on'))}" if document.get("expires_on") else "Expired"
    else:
        words = "Pending review by Contract Services"
    return icon, look, words


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _upload_request() -> tuple[list, str, str | None]:
    """A multipart form with files: the size checked before the body is read, then the CSRF
    token (these endpoints are exempt from CSRFProtect, which would read the body first)."""
    files, document_type, classification = upload_form()
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            from flask_wtf.csrf import validate_csrf

            validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
        except CsrfError:
            raise Forbidden("This page has expired. Reload it and send the file again.") from None
    return files, document_type, classification


def _back_to(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/portal") and "//" not in target else default


@portal.get("/documents")
@require_page()
def documents(principal):
    person_id = own_person_id(principal)
    mine = _documents("list_documents", person_id, viewer(principal))["documents"]
    mine.sort(key=lambda d: d["uploaded_at"], reverse=True)
    types = _documents("list_document_types")["document_types"]
    return render_template("portal/documents.html", documents=mine, document_types=types,
                           chosen=request.args.get("type", ""))


@portal.post("/documents")
@csrf.exempt
@require_page()
def upload_documents(principal):
    """The upload of the Portal's pages: one file per request from the page's script (JSON
    answer, for its progress bar and "Success!"), or several from the plain form (a redirect
    with a message) when the script does not run."""
    if _wants_json():
        try:
            files, document_type, classification = _upload_request()
            if len(files) != 1:
                raise ValidationFailed("Choose a file to upload.")
            uploaded = submit_document(principal, files[0], document_type, classification)
        except HubError as exc:
            return jsonify(exc.to_json()), exc.http_status
        message = "Success!" if uploaded["created"] else "Success! We already had this file: it is on your list."
        return jsonify({**uploaded, "message": message}), 201 if uploaded["created"] else 200

    back = _back_to(url_for("portal.documents"))
    try:
        files, document_type, classification = _upload_request()
        if not files:
            raise ValidationFailed("Choose a file to upload.")
    except HubError as exc:
        flash(exc.message, "error")
        return redirect(back)
    for file in files:
        try:
            uploaded = submit_document(principal, file, document_type, classification)
        except HubError as exc:
            flash(f"{file.filename}: {exc.message}", "error")
        else:
            flash(f"Success! {file.filename} was received"
                  + (": Contract Services will review it." if uploaded["created"] else " before: it is on your list."),
                  "success")
    return redirect(back)


@portal.get("/documents/<uuid:document_id>/file")
@require_page()
def download_document(principal, document_id: uuid.UUID):
    return send_document(_documents("document_for_download", str(document_id), viewer(principal)))


def _upgrade_path(record: dict) -> str | None:
    """Seed 002's explanation under a time-in-group row: what advancing takes."""
    row = next((r for r in record["rows"] if r["kind"] == "time_in_group"), None)
    if row is None:
        return None
    period = re.match(r"^(\d+) (Years?|Days?) Active", row["label"])
    length = f"{period.group(1)} {period.group(2).lower()}" if period else "the required time"
    roster = "the IER" if record.get("roster") == "IER" else "the roster"
    group = record.get("group")
    if group:
        # groups count down as people advance: Group 3 → Group 2 → Group 1
        return (f"Upgrade Path: advancing to Group {group} requires {length} of being active on "
                f"{roster} in Group {group + 1} and in compliance with all requirements. (Any days "
                "not in compliance are not counted toward advancing in grouping.)")
    return (f"Upgrade Path: advancing requires {length} of being active on {roster} in your "
            "current group and in compliance with all requirements. (Any days not in compliance "
            "are not counted toward advancing in grouping.)")


# --- applying for a new classification -------------------------------------------------------------

@portal.get("/apply")
@require_page()
def apply_list(principal):
    person_id = own_person_id(principal)
    catalog = _rosters("list_classifications")
    mine = _rosters("my_classifications", person_id)
    held = {r["classification_code"] for r in mine["records"] + mine["pending"]}
    locals_: dict = {}
    # locals in number order (#80 before #399 before #728); within a local, grouped
    # classifications from the entry group (3) up
    for c in sorted(catalog, key=lambda c: (_local_order(c["local"]), -(c.get("group") or 0), c["name"])):
        # inside its local's list, "Teamsters, Local #399 (Driver Group 3)" is "Driver Group 3"
        short = re.fullmatch(r".*\((.+)\)", c["name"])
        locals_.setdefault((c["local"], c["local_name"]), []).append(
            {**c, "short_name": short.group(1) if short else c["name"]})
    return render_template("portal/apply.html", locals_=locals_, held=held,
                           open_local=request.args.get("local"))


def _local_order(local: str) -> tuple:
    digits = re.match(r"\d+", str(local))
    return (int(digits.group()), str(local)) if digits else (float("inf"), str(local))


@portal.post("/apply")
@require_page()
def apply(principal):
    code = request.form.get("classification_code", "").strip()
    if not code:
        flash("Choose a classification to apply for.", "error")
        return redirect(url_for("portal.apply_list"))
    try:
        record = _rosters("apply", own_person_id(principal), code, actor(principal), person_facts(principal))
    except (Conflict, ValidationFailed, NotFound) as exc:
        flash(exc.message, "error")
        return redirect(url_for("portal.apply_list", _anchor="main"))
    flash(f"You applied for {record['name']}. Here is what you need to do next.", "success")
    return redirect(url_for("portal.classification", code=record["classification_code"]))


# --- work experience -------------------------------------------------------------------------------

WORK_SOURCES = {"payroll": "Payroll report", "ip_submitted": "Submitted by you",
                "employer_proof": "Employer's proof", "staff": "Contract Services"}


@portal.get("/work-experience")
@require_page()
def work_experience(principal):
    work = _rosters("my_work_experience", own_person_id(principal))
    days = sorted(work["days"], key=lambda d: d["work_date"], reverse=True)
    return render_template("portal/work_experience.html", work=work, days=days, sources=WORK_SOURCES)


PROOF_TYPE = "proof_of_employment"
REPORT_FIELDS = ("classification_code", "employer", "production", "first_day", "last_day", "hours",
                 "proof_document_id")
MAX_REPORTED_DAYS = 31  # one report covers a month at most: a longer job is several pay stubs


def _report_choices(principal) -> tuple[list[dict], list[dict]]:
    """The person's classifications, and their proofs of employment that may still count."""
    person_id = own_person_id(principal)
    mine = _rosters("my_classifications", person_id)
    classifications = [{"code": r["classification_code"], "name": r["name"]} for r in mine["records"]]
    proofs = [d for d in _documents("list_documents", person_id, viewer(principal))["documents"]
              if d["document_type"] == PROOF_TYPE and d["status"] != "rejected"]
    proofs.sort(key=lambda d: d["uploaded_at"], reverse=True)
    return classifications, proofs


def _render_report(principal, values=None, errors=None, status=200):
    classifications, proofs = _report_choices(principal)
    return render_template("portal/report_work_days.html", values=values or {}, errors=errors or {},
                           classifications=classifications, proofs=proofs,
                           max_mb=max_upload_bytes() // (1024 * 1024)), status


def _reported_days(values: dict) -> tuple[list[dict], dict]:
    """The form's dates as one WorkDayIn per day, or the errors to show beside the fields."""
    from datetime import timedelta

    from common.contracts.rosters import WorkDayIn

    errors = {}
    try:
        first = date.fromisoformat(values["first_day"])
    except ValueError:
        return [], {"first_day": "Enter the first day you worked."}
    try:
        last = date.fromisoformat(values["last_day"]) if values["last_day"] else first
    except ValueError:
        return [], {"last_day": "Enter the last day you worked, or leave it empty for one day."}
    if last < first:
        return [], {"last_day": "The last day is before the first day."}
    if (last - first).days >= MAX_REPORTED_DAYS:
        return [], {"last_day": f"Report at most {MAX_REPORTED_DAYS} days at a time, each with its proof."}
    day = {"classification_code": values["classification_code"], "employer": values["employer"],
           "production": values["production"] or None, "hours": values["hours"] or None}
    _, errors = validate_form(WorkDayIn, {**day, "work_date": first.isoformat()})
    _, last_errors = validate_form(WorkDayIn, {**day, "work_date": last.isoformat()})
    errors = {**last_errors, **errors}
    if "work_date" in errors:
        errors["first_day"] = errors.pop("work_date")
    if errors:
        return [], errors
    return [{**day, "work_date": (first + timedelta(days=n)).isoformat()}
            for n in range((last - first).days + 1)], {}


@portal.get("/work-experience/report")
@require_page()
def report_work_days_form(principal):
    return _render_report(principal, {"classification_code": request.args.get("classification", "")})


@portal.post("/work-experience/report")
@csrf.exempt
@require_page()
def report_work_days(principal):
    """Days a person worked, with their proof of employment: chosen from their documents or
    uploaded right here. They wait as pending until Contract Services verify them."""
    files, _, _ = _upload_request()
    values = {field: (request.form.get(field) or "").strip() for field in REPORT_FIELDS}
    days, errors = _reported_days(values)
    if not files and not values["proof_document_id"]:
        errors["proof"] = "Attach your proof of employment (a pay stub or deal memo), or choose one you sent before."
    if errors:
        return _render_report(principal, values, errors, 400)
    try:
        if files:
            uploaded = submit_document(principal, files[0], PROOF_TYPE)
            values["proof_document_id"] = uploaded["document"]["id"]
        proof = owned_document(principal, values["proof_document_id"])
        data, _ = validate_form(SubmitWorkDaysIn, {"days": days, "proof_document_id": proof["id"]})
        if data is None:
            raise ValidationFailed("Please check the days you entered.")
        done = _rosters("submit_work_days", own_person_id(principal), data.model_dump(mode="json"),
                        actor(principal), person_facts(principal))
    except (ValidationFailed, NotFound, Conflict) as exc:
        return _render_report(principal, values, {"form": exc.message}, exc.http_status)
    except HubError as exc:
        if exc.http_status in (413, 415):  # the proof file itself was refused
            return _render_report(principal, values, {"proof": exc.message}, exc.http_status)
        raise
    recorded = done.get("recorded", len(days))
    flash(f"Sent: {recorded} day{'s' if recorded != 1 else ''} wait for Contract Services to check your "
          "proof. They count once verified."
          + (f" {done['duplicates']} were on file already." if done.get("duplicates") else ""), "success")
    return redirect(url_for("portal.work_experience", _anchor="main"))


# --- the Message Center ---------------------------------------------------------------------------

UNREAD_TIMEOUT = 3  # seconds: the header's count is not worth a page waiting out the whole RPC timeout


@portal.app_template_global("unread_messages")
def unread_messages() -> int | None:
    """The number of unread messages of the person this page is for, for the header's badge on
    every Portal page: one cheap RPC, asked once per request. None when nobody with a Portal is
    logged in, or when the notifications service cannot answer (the page shows without it)."""
    if "unread_messages" not in g:
        g.unread_messages = None
        principal = layout_principal()
        if principal is not None and principal.person_id is not None:
            try:
                g.unread_messages = int(current_app.rpc.call(
                    "notifications", "unread_count", str(principal.person_id), timeout=UNREAD_TIMEOUT))
            except HubError as exc:
                g.unread_messages_error = exc.message
                log.warning("no unread count for the header: %s", exc.message)
    return g.unread_messages


CATEGORY_NAMES = {"deadline": "Deadlines", "document": "Documents", "training": "Training",
                  "roster": "Rosters", "account": "Account", "case": "Cases", "bulletin": "Safety bulletins"}
# where a message's link takes the person, in the words of the menu ("Go to My Documents")
LINK_PLACES = (("/portal/classifications/", "the classification"), ("/portal/documents", "My Documents"),
               ("/portal/training", "My Training"), ("/portal/transcript", "My Transcript"),
               ("/portal/work-experience", "Work Experience"), ("/portal/apply", "Apply"),
               ("/portal/account", "My Account"), ("/portal/cases", "My Cases"),
               ("/portal/messages", "Message Center"),
               ("/portal", "your Dashboard"), ("/bulletins", "the safety bulletins"),
               ("/safety", "the safety bulletins"))


def _hub_path(link: str | None) -> str | None:
    """A message's link when it is a path of this Hub (never another site: no open redirect)."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    return link


@portal.app_template_global("message_link")
def message_link(link: str | None) -> tuple[str, str] | None:
    """(path, "Go to …" words) of a message's link, or None when it has none."""
    path = _hub_path(link)
    if path is None:
        return None
    place = next((words for prefix, words in LINK_PLACES if path == prefix.rstrip("/") or path.startswith(prefix)),
                 "the page")
    return path, f"Go to {place}"


@portal.get("/messages")
@require_page()
def messages(principal):
    person_id = own_person_id(principal)
    try:
        filters = message_filters(request.args)
    except ValidationFailed:
        flash("That filter is not known: here are all your messages.", "info")
        return redirect(url_for("portal.messages"))
    inbox = current_app.rpc.call("notifications", "list_messages", person_id, filters.model_dump(mode="json"))
    # the page's own answer is the freshest count: the header shows the same number
    if "unread" in inbox:
        g.unread_messages = inbox["unread"]

    def page_url(**change):
        args = {"category": filters.category, "unread": "1" if filters.unread else None,
                "archived": "1" if filters.archived else None, "page": filters.page if filters.page > 1 else None}
        args.update(change)
        return url_for("portal.messages", **{k: v for k, v in args.items() if v not in (None, "", 1)})

    return render_template("portal/messages.html", inbox=inbox, filters=filters, categories=CATEGORIES,
                           category_names=CATEGORY_NAMES, page_url=page_url, here=request.full_path.rstrip("?"))


def _message_change(principal, method: str, message_id: uuid.UUID, done: str | None = None):
    # with the actor, like the API: the audit entry names who did it (staff helping included)
    current_app.rpc.call("notifications", method, own_person_id(principal), str(message_id), actor(principal))
    if done:
        flash(done, "success")
    return redirect(_back_to(url_for("portal.messages")))


@portal.post("/messages/<uuid:message_id>/read")
@require_page()
def mark_read(principal, message_id: uuid.UUID):
    return _message_change(principal, "mark_message_read", message_id)


@portal.post("/messages/<uuid:message_id>/unread")
@require_page()
def mark_unread(principal, message_id: uuid.UUID):
    return _message_change(principal, "mark_message_unread", message_id)


@portal.post("/messages/<uuid:message_id>/archive")
@require_page()
def archive(principal, message_id: uuid.UUID):
    return _message_change(principal, "archive_message", message_id,
                           "Moved to the archive. You can still read it under Archive.")


@portal.post("/messages/<uuid:message_id>/open")
@require_page()
def open_message(principal, message_id: uuid.UUID):
    """"Go to …" on an unread message: it is read now, and the person lands where they act."""
    current_app.rpc.call("notifications", "mark_message_read", own_person_id(principal), str(message_id),
                         actor(principal))
    return redirect(_hub_path(request.form.get("link")) or url_for("portal.messages"))


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


def _preferences(principal, me) -> tuple[dict | None, str | None]:
    """The person's e-mail preferences for My Account, or why they cannot be shown: the rest of
    the page still works when the notifications service does not answer."""
    if me is None:
        return None, None
    try:
        return current_app.rpc.call("notifications", "get_preferences", own_person_id(principal)), None
    except HubError as exc:
        return None, exc.message


def _render_account(principal, me, profile_values=None, profile_errors=None, password_errors=None,
                    status=200):
    preferences, preferences_error = _preferences(principal, me)
    return render_template(
        "portal/account.html", me=me, values=profile_values or (_profile_values(me) if me else {}),
        errors=profile_errors or {}, password_errors=password_errors or {},
        can_change_password=principal.on_behalf_of is None and principal.account_id is not None,
        preferences=preferences, preferences_error=preferences_error, categories=CATEGORIES,
        category_names=CATEGORY_NAMES,
    ), status


@portal.post("/account/notifications")
@require_page()
def update_notification_preferences(principal):
    """My Account's e-mail preferences: a box per category (the mandatory ones cannot be turned
    off, so the form does not send them) and the daily digest."""
    ticked = lambda name: request.form.get(name) in ("1", "on", "true")  # noqa: E731
    email = {category: ticked(f"email_{category}") for category in CATEGORIES if category not in MANDATORY_EMAIL}
    data, errors = validate_form(PreferencesIn, {"email": email, "digest": ticked("digest")})
    if data is None:
        flash("Please check your e-mail preferences: " + "; ".join(errors.values()), "error")
    else:
        current_app.rpc.call("notifications", "update_preferences", own_person_id(principal),
                             data.model_dump(mode="json", exclude_none=True), actor(principal))
        flash("Saved your e-mail preferences.", "success")
    return redirect(url_for("portal.account", _anchor="email-preferences"))


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
