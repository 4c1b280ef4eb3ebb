"""Training pages (the training issue): My Training with what each course needs, a course page
with its sessions and Enroll (the harassment-prevention questionnaire picks HP1 or HP2), taking an
online course one module per page with its progress saved at each step, the quiz and its result,
the transcript; staff schedule sessions, take attendance and record completions from elsewhere.
Every rule is the training service's: these pages show its answers and its refusals."""
from __future__ import annotations

import re
import uuid
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from common.authz import STAFF
from common.clock import hub_timezone
from common.contracts.training import SessionIn, StaffCompletionIn
from common.errors import Conflict, NotFound, ValidationFailed
from gateway.auth import actor, own_person_id, require_page, staff_self
from gateway.pages.forms import validate_form
from gateway.pages.portal import usdate

training = Blueprint("training", __name__)

HP = "HP"            # enrolling in "HP" lets the questionnaire choose
HP_CODES = ("HP1", "HP2")
# The questionnaire comes from the training service with the course (CourseOut.questionnaire);
# this is only what the page asks if a service without one answers. The answers go back keyed
# by question id (EnrollIn.answers, e.g. {"supervisor": false} → HP1).
HP_FALLBACK = {"code": HP, "title": "Harassment Prevention Training", "if_yes": "HP2", "if_no": "HP1",
               "questions": [{"id": "supervisor", "required": True,
                              "text": "Are you a supervisor? That is, do you have the authority to hire, "
                                      "fire, assign, promote, reward or discipline other employees, or to "
                                      "direct their daily work?"}]}
SOURCES = {"online": "Online course", "in_person": "In-person session", "employer": "Employer's programme",
           "staff": "Recorded by Contract Services", "import": "Earlier records"}
QUIZ_RESULT = "training_quiz_result"  # the last quiz result, kept in the session for its page


def _training(method: str, *args):
    return current_app.rpc.call("training", method, *args)


# --- what the templates need -------------------------------------------------------------------

@training.app_template_filter("duration")
def duration(minutes: int | None) -> str:
    """90 → '1 hour 30 minutes'."""
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


@training.app_template_filter("paragraphs")
def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


@training.app_template_global("course_source")
def course_source(source: str) -> str:
    return SOURCES.get(source, source)


_COURSE_LABEL = re.compile(r"\bcourse ([A-Z0-9][A-Z0-9-]*)\b")


@training.app_template_global("row_course")
def row_course(row: dict) -> str | None:
    """The course a Training-tab requirement is about, for its link: named by rosters in the
    row's numbers, else read from its label ("Safety Pass course C19"; the questionnaire's
    "HP1 or HP2" is "HP", where the questionnaire picks)."""
    numbers = row.get("numbers") or {}
    if numbers.get("course_code"):
        return str(numbers["course_code"]).upper()
    label = row.get("label") or ""
    if row.get("kind") == "questionnaire" or re.search(r"\bHP[12]\b", label):
        return HP
    found = _COURSE_LABEL.search(label)
    return found.group(1) if found else None


def unlock_link(item: dict, catalog: dict[str, dict], mine: dict[str, dict]) -> tuple[str, str] | None:
    """(where, what) the next step of a course the person may not take yet is done: the course
    the service's words name, their work experience, their classifications, or else the first
    prerequisite they have not completed."""
    said = f"{item.get('unlocks_with') or ''} {item.get('why_not') or ''}"

    def to_course(code: str) -> tuple[str, str]:
        name = "harassment prevention (HP1 or HP2)" if code in (HP, *HP_CODES) else f"course {code}"
        return url_for("training.course", code=HP if code in HP_CODES else code), f"Go to {name}"

    named = re.findall(r"\b(?:course|courses) ([A-Z0-9][A-Z0-9-]*)\b", said)
    if named:
        return to_course(named[0])
    if re.search(r"\bHP[12]\b", said):
        return to_course(HP)
    if re.search(r"work day", said, re.I):
        return url_for("portal.work_experience"), "See your work days"
    if re.search(r"roster|training list|classification|appl", said, re.I):
        return url_for("portal.dashboard"), "See your classifications"
    for code in catalog.get(item["course_code"], {}).get("prerequisites", []):
        if not any(mine.get(c, {}).get("current") for c in (HP_CODES if code == HP else (code,))):
            return to_course(code)
    return None


def _catalog() -> dict[str, dict]:
    return {c["code"]: c for c in _training("list_courses")["courses"]}


def _my_training(principal) -> dict[str, dict]:
    return {c["course_code"]: c for c in _training("my_training", own_person_id(principal))["courses"]}


def _is_hp(item: dict) -> bool:
    return item.get("questionnaire") == HP or item["course_code"] in HP_CODES


def _hp_group(mine: dict[str, dict]) -> dict | None:
    """HP1 and HP2 as the person meets them: one course whose questionnaire picks the variant,
    unless they already have one under way or completed."""
    variants = [item for item in mine.values() if _is_hp(item)]
    if not variants:
        return None
    for item in variants:
        if item.get("enrollment_id") or item.get("current"):
            return item
    first = variants[0]
    return {**first, "course_code": HP, "title": "Harassment Prevention (HP1 or HP2)",
            "may_enroll": any(v["may_enroll"] for v in variants)}


# --- My Training ---------------------------------------------------------------------------------

@training.get("/portal/training")
@require_page()
def my_training(principal):
    catalog = _catalog()
    mine = _my_training(principal)
    items = [item for item in mine.values() if not _is_hp(item)]
    hp = _hp_group(mine)
    if hp:
        items.insert(next((n for n, i in enumerate(items) if catalog.get(i["course_code"], {}).get("kind")
                           != "application"), len(items)), hp)
    sections = {"under_way": [], "open": [], "locked": [], "done": []}
    for item in items:
        course = catalog.get(item["course_code"]) or (catalog.get("HP1", {}) if item["course_code"] == HP else {})
        entry = {**item, "course": course, "unlock": None}
        if item.get("enrollment_id"):
            sections["under_way"].append(entry)
        elif item.get("current"):
            sections["done"].append(entry)
        elif item["may_enroll"]:
            sections["open"].append(entry)
        else:
            entry["unlock"] = unlock_link(item, catalog, mine)
            sections["locked"].append(entry)
    return render_template("portal/training.html", sections=sections)


# --- a course, and enrolling ---------------------------------------------------------------------

@training.get("/portal/training/courses/<code>")
@require_page()
def course(principal, code: str):
    code = code.strip().upper()
    mine = _my_training(principal)
    if code == HP or code in HP_CODES:
        variants = [_training("get_course", c) for c in HP_CODES]
        questionnaire = variants[0].get("questionnaire") or HP_FALLBACK
        hp = _hp_group(mine) or {}
        if code in HP_CODES and (mine.get(code, {}).get("enrollment_id") or mine.get(code, {}).get("current")):
            hp = mine[code]
        unlock = None
        if hp and not (hp.get("may_enroll") or hp.get("current") or hp.get("enrollment_id")):
            unlock = unlock_link(hp, {}, mine)
        return render_template("portal/course_hp.html", variants=variants, mine=hp, unlock=unlock,
                               questionnaire=questionnaire)
    detail = _training("get_course", code)
    item = mine.get(detail["code"], {})
    unlock = None
    if item and not item.get("may_enroll") and not item.get("current") and not item.get("enrollment_id"):
        unlock = unlock_link(item, {detail["code"]: detail}, mine)
    sessions = [s for s in detail.get("sessions") or [] if not s.get("cancelled")]
    return render_template("portal/course.html", course=detail, mine=item, unlock=unlock, sessions=sessions)


@training.post("/portal/training/enroll")
@require_page()
def enroll(principal):
    code = (request.form.get("course_code") or "").strip().upper()
    back = url_for("training.course", code=code or HP)
    if not code:
        flash("Choose a course to enroll in.", "error")
        return redirect(url_for("training.my_training"))
    payload = {"course_code": code}
    if request.form.get("session_id"):
        payload["session_id"] = request.form["session_id"]
    if code == HP:
        # every question answered on the page; the service says if a required one is missing
        answers = {key.removeprefix("answer-"): value == "yes" for key, value in request.form.items()
                   if key.startswith("answer-") and value in ("yes", "no")}
        if not answers:
            flash("Answer the questionnaire: it decides which course you take.", "error")
            return redirect(back)
        payload["answers"] = answers
    try:
        enrollment = _training("enroll", own_person_id(principal), payload, actor(principal))
    except (Conflict, ValidationFailed, NotFound) as exc:
        flash(exc.message, "error")
        return redirect(back)
    chosen = enrollment["course_code"]
    if code == HP:
        flash(f"Your course is {chosen}: " + (
            "you answered Yes to a supervisor question, so you take HP2, the 2-hour course for supervisors."
            if chosen == "HP2" else
            "you answered that you do not supervise anyone, so you take HP1, the 1-hour course for "
            "non-supervisors."), "success")
    elif enrollment["status"] == "waitlisted":
        flash(f"The session is full: you are number {enrollment.get('waitlist_position') or 'next'} on its "
              "waitlist. If a seat opens you get it and we tell you.", "info")
    else:
        flash(f"You are enrolled in {chosen}.", "success")
    return redirect(url_for("training.enrollment", enrollment_id=enrollment["id"]))


# --- taking a course -----------------------------------------------------------------------------

def _enrollment(principal, enrollment_id: uuid.UUID) -> dict:
    return _training("get_enrollment", own_person_id(principal), str(enrollment_id))


def _next_module(enrollment: dict) -> int | None:
    """The 1-based number of the first module not done yet, or None when all are."""
    return next((n for n, m in enumerate(enrollment["modules"], 1) if not m.get("done")), None)


def _session_of(enrollment: dict) -> dict | None:
    if not enrollment.get("session_id"):
        return None
    try:
        detail = _training("get_course", enrollment["course_code"])
    except NotFound:
        return None
    return next((s for s in detail.get("sessions") or [] if str(s["id"]) == str(enrollment["session_id"])), None)


@training.get("/portal/training/enrollments/<uuid:enrollment_id>")
@require_page()
def enrollment(principal, enrollment_id: uuid.UUID):
    found = _enrollment(principal, enrollment_id)
    course_session = _session_of(found) if found.get("session_id") else None
    done = sum(1 for m in found["modules"] if m.get("done"))
    return render_template("portal/training_enrollment.html", enrollment=found, session_=course_session,
                           done=done, next_module=_next_module(found))


@training.route("/portal/training/enrollments/<uuid:enrollment_id>/modules/<int:number>", methods=["GET", "POST"])
@require_page()
def module(principal, enrollment_id: uuid.UUID, number: int):
    found = _enrollment(principal, enrollment_id)
    modules = found["modules"]
    if not 1 <= number <= len(modules):
        raise NotFound("This course has no such module.")
    if request.method == "POST":
        # Next: the module is saved as done before moving on, so any device resumes after it
        if found["status"] == "enrolled":
            _training("save_progress", own_person_id(principal), str(enrollment_id),
                      {"module": modules[number - 1]["id"]}, actor(principal))
        if number < len(modules):
            return redirect(url_for("training.module", enrollment_id=enrollment_id, number=number + 1))
        return redirect(url_for("training.quiz", enrollment_id=enrollment_id))
    return render_template("portal/training_module.html", enrollment=found, module=modules[number - 1],
                           number=number, total=len(modules))


@training.route("/portal/training/enrollments/<uuid:enrollment_id>/quiz", methods=["GET", "POST"])
@require_page()
def quiz(principal, enrollment_id: uuid.UUID):
    found = _enrollment(principal, enrollment_id)
    if found["status"] == "completed":
        return redirect(url_for("training.enrollment", enrollment_id=enrollment_id))
    waiting = _next_module(found)
    if waiting is not None:
        flash("Finish every module first: the quiz comes after the last one.", "info")
        return redirect(url_for("training.module", enrollment_id=enrollment_id, number=waiting))
    if not found["quiz"]:
        raise NotFound("This course has no quiz.")
    chosen, missing = {}, []
    if request.method == "POST":
        for question in found["quiz"]:
            value = request.form.get(f"answer-{question['id']}", "")
            if value.isdigit() and int(value) < len(question["choices"]):
                chosen[question["id"]] = int(value)
            else:
                missing.append(question["id"])
        if not missing:
            try:
                result = _training("submit_quiz", own_person_id(principal), str(enrollment_id),
                                   {"answers": chosen}, actor(principal))
            except (Conflict, ValidationFailed) as exc:
                flash(exc.message, "error")
                return redirect(url_for("training.enrollment", enrollment_id=enrollment_id))
            session[QUIZ_RESULT] = {"enrollment_id": str(enrollment_id), "passed": result["passed"],
                                    "score": result["score"], "wrong": result["wrong"],
                                    "attempts_left": result.get("attempts_left")}
            return redirect(url_for("training.quiz_result", enrollment_id=enrollment_id))
    status = 400 if missing else 200
    return render_template("portal/training_quiz.html", enrollment=found, chosen=chosen, missing=missing), status


@training.get("/portal/training/enrollments/<uuid:enrollment_id>/result")
@require_page()
def quiz_result(principal, enrollment_id: uuid.UUID):
    found = _enrollment(principal, enrollment_id)
    result = session.get(QUIZ_RESULT)
    if not result or result.get("enrollment_id") != str(enrollment_id):
        return redirect(url_for("training.enrollment", enrollment_id=enrollment_id))
    questions = {q["id"]: q for q in found["quiz"]}
    wrong = [questions[q] for q in result["wrong"] if q in questions]
    return render_template("portal/training_result.html", enrollment=found, result=result, wrong=wrong)


@training.post("/portal/training/enrollments/<uuid:enrollment_id>/cancel")
@require_page()
def cancel(principal, enrollment_id: uuid.UUID):
    try:
        done = _training("cancel_enrollment", own_person_id(principal), str(enrollment_id), actor(principal))
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("training.enrollment", enrollment_id=enrollment_id))
    flash(f"Your enrollment in {done['course_code']} is cancelled. You may enroll again when you are ready.",
          "success")
    return redirect(url_for("training.my_training"))


@training.get("/portal/transcript")
@require_page()
def transcript(principal):
    return render_template("portal/transcript.html", transcript=_training("transcript", own_person_id(principal)))


# --- staff: sessions and attendance --------------------------------------------------------------

SESSION_FIELDS = {"course_code": "Choose the course.", "location": "Enter where it takes place.",
                  "starts_at": "Enter the day and time it starts.",
                  "capacity": "Enter how many seats it has (1 to 500)."}


def _as_hub_time(value: str) -> str | None:
    """A datetime-local field ('2024-04-02T09:00') on the business's clock, as an instant."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=hub_timezone())
    return moment.isoformat()


def _render_sessions(principal, values=None, errors=None, status=200):
    catalog = _catalog()
    courses = [c for c in catalog.values() if c["delivery"] == "in_person"]
    found = _training("list_sessions", {}, actor(staff_self(principal)))["sessions"]
    upcoming = [{**s, "title": catalog.get(s["course_code"], {}).get("title", "")} for s in found]
    if not values:
        values = {"location": next((c["location"] for c in courses if c.get("location")),
                                   "Contract Services Training Center, 2710 Winona Avenue, Burbank")}
    return render_template("staff/sessions.html", courses=courses, sessions=upcoming, values=values,
                           errors=errors or {}), status


@training.get("/staff/sessions")
@require_page(*STAFF)
def sessions(principal):
    return _render_sessions(principal)


@training.post("/staff/sessions")
@require_page(*STAFF)
def schedule_session(principal):
    values = {k: (request.form.get(k) or "").strip() for k in ("course_code", "location", "starts_at", "capacity")}
    starts_at = _as_hub_time(values["starts_at"]) if values["starts_at"] else None
    data, errors = validate_form(SessionIn, {**values, "starts_at": starts_at})
    if data is None:
        return _render_sessions(principal, values, {k: SESSION_FIELDS.get(k, v) for k, v in errors.items()}, 400)
    try:
        created = _training("schedule_session", data.model_dump(mode="json"), actor(staff_self(principal)))
    except (ValidationFailed, NotFound, Conflict) as exc:
        return _render_sessions(principal, values, {"form": exc.message}, exc.http_status)
    flash(f"Scheduled: {created['course_code']} with {created['capacity']} seats.", "success")
    return redirect(url_for("training.session_roster", session_id=created["id"]))


@training.get("/staff/sessions/<uuid:session_id>")
@require_page(*STAFF)
def session_roster(principal, session_id: uuid.UUID):
    roster = _training("get_session", str(session_id), actor(staff_self(principal)))
    seated = [s for s in roster["seats"] if s["status"] in ("enrolled", "completed")]
    waiting = sorted((s for s in roster["seats"] if s["status"] == "waitlisted"),
                     key=lambda s: s.get("waitlist_position") or 0)
    return render_template("staff/sessions_roster.html", roster=roster, seated=seated, waiting=waiting)


@training.post("/staff/sessions/<uuid:session_id>/attendance")
@require_page(*STAFF)
def record_attendance(principal, session_id: uuid.UUID):
    seats = request.form.getlist("seat")
    attended = set(request.form.getlist("attended"))
    payload = {"attended": [s for s in seats if s in attended], "absent": [s for s in seats if s not in attended]}
    try:
        _training("record_attendance", str(session_id), payload, actor(staff_self(principal)))
    except (ValidationFailed, NotFound, Conflict) as exc:
        flash(exc.message, "error")
    else:
        n = len(payload["attended"])
        flash(f"Attendance saved: {n} {'person' if n == 1 else 'people'} attended and completed the course.",
              "success")
    return redirect(url_for("training.session_roster", session_id=session_id))


# --- staff: a completion from elsewhere ----------------------------------------------------------

@training.post("/staff/people/<uuid:person_id>/completions")
@require_page(*STAFF)
def record_completion(principal, person_id: uuid.UUID):
    values = {k: (request.form.get(k) or "").strip() for k in
              ("course_code", "completed_on", "source", "evidence_document_id", "score")}
    data, errors = validate_form(StaffCompletionIn, {"person_id": str(person_id),
                                                     **{k: v for k, v in values.items() if v}})
    if data is None:
        words = {"course_code": "Enter the course code.", "completed_on": "Enter the day it was completed.",
                 "source": "Say where it was taken.", "evidence_document_id": "The evidence must be a document id.",
                 "score": "A score is a number from 0 to 100."}
        flash(" ".join(words.get(k, v) for k, v in errors.items()), "error")
        return redirect(url_for("staff.person", person_id=person_id, _anchor="record-completion"))
    try:
        done = _training("record_completion", data.model_dump(mode="json"), actor(staff_self(principal)))
    except (ValidationFailed, NotFound, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(f"Recorded: {done['course_code']} completed on {usdate(done['completed_on'])}"
              + (f", valid until {usdate(done['expires_on'])}" if done.get("expires_on") else "")
              + ". It is on their transcript.", "success")
    return redirect(url_for("staff.person", person_id=person_id, _anchor="record-completion"))
