"""Training (the training issue): the Safety Pass catalog, what a person may enroll in and why
not, enrolling (with the harassment-prevention questionnaire), taking an online course module by
module and its quiz, the transcript; staff record completions, schedule in-person sessions and
take attendance. The training service decides every rule; refusals come back through the error
table (409 not eligible / prerequisite missing / already completed, 404 unknown or not yours)."""
from __future__ import annotations

import uuid

from flask import current_app, jsonify

from common.authz import STAFF
from common.contracts.training import (
    AttendanceIn,
    CompletionOut,
    CourseDetailOut,
    CoursesOut,
    EnrollIn,
    EnrollmentDetailOut,
    EnrollmentOut,
    EnrollmentsOut,
    MyTrainingOut,
    ProgressIn,
    QuizAnswersIn,
    QuizResultOut,
    SessionIn,
    SessionOut,
    SessionRosterOut,
    StaffCompletionIn,
    TranscriptOut,
)
from common.errors import NotFound
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, own_person_id, require_api, staff_self

COURSE_CODE_MAX = 40


def rpc(method: str, *args):
    return current_app.rpc.call("training", method, *args)


def course_code(code: str) -> str:
    """A course code from a URL: "hp1" is HP1; anything that cannot be a code is not found."""
    code = code.strip().upper()
    if not code or len(code) > COURSE_CODE_MAX:
        raise NotFound("No such course.")
    return code


# --- the catalog (anyone) ---------------------------------------------------------------------

@api_route(api, "/courses", "GET", "The Safety Pass catalog: every course with its delivery, "
           "duration, prerequisites and refresher period", "anyone", response=CoursesOut)
def list_courses():
    return jsonify(rpc("list_courses"))


@api_route(api, "/courses/<code>", "GET", "One course with its description and, for in-person "
           "courses, the upcoming sessions and seats left", "anyone", response=CourseDetailOut,
           errors=(404,))
def get_course(code: str):
    return jsonify(rpc("get_course", course_code(code)))


# --- a person's own training ----------------------------------------------------------------

@api_route(api, "/me/training", "GET", "Each course: whether you may enroll, and if not why and "
           "what unlocks it; completions still current; an open enrollment to resume",
           "a logged-in person", response=MyTrainingOut, errors=(401, 404), auth="bearer")
@require_api()
def my_training(principal):
    return jsonify(rpc("my_training", own_person_id(principal)))


@api_route(api, "/me/enrollments", "POST", "Enroll in a course. course_code \"HP\" with the "
           "questionnaire's answers (e.g. {\"supervisor\": false}) enrolls in HP1 or HP2; in-person "
           "courses name a session_id (a full session puts you on its waitlist: status "
           "`waitlisted`). 409 when you may not enroll (not eligible yet, a prerequisite missing, "
           "already completed and current), with the reason", "a logged-in person",
           request=EnrollIn, response=EnrollmentOut, status=201, errors=(401, 404, 409, 422),
           auth="bearer")
@require_api()
def enroll(principal):
    data = parse_body(EnrollIn)
    return created(rpc("enroll", own_person_id(principal), data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/me/enrollments", "GET", "Your enrollments, open and past", "a logged-in person",
           response=EnrollmentsOut, errors=(401, 404), auth="bearer")
@require_api()
def my_enrollments(principal):
    return jsonify(rpc("list_enrollments", own_person_id(principal)))


@api_route(api, "/me/enrollments/<uuid:enrollment_id>", "GET", "One of your enrollments with its "
           "modules, the modules done, and the quiz questions (never their answers). Anyone "
           "else's is 404", "a logged-in person", response=EnrollmentDetailOut, errors=(401, 404),
           auth="bearer")
@require_api()
def my_enrollment(principal, enrollment_id: uuid.UUID):
    return jsonify(rpc("get_enrollment", own_person_id(principal), str(enrollment_id)))


@api_route(api, "/me/enrollments/<uuid:enrollment_id>/progress", "POST", "Mark a module done "
           "(`{module}`: its id), so the course resumes there on any device", "a logged-in person",
           request=ProgressIn, response=EnrollmentDetailOut, errors=(401, 404, 409, 422), auth="bearer")
@require_api()
def save_progress(principal, enrollment_id: uuid.UUID):
    data = parse_body(ProgressIn)
    return jsonify(rpc("save_progress", own_person_id(principal), str(enrollment_id),
                       data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/me/enrollments/<uuid:enrollment_id>/complete", "POST", "Hand in the quiz "
           "(`{answers: {question_id: choice index}}`): the score, the questions answered wrongly, "
           "the attempts left; a pass records the completion. 409 when no attempt is left or "
           "the modules are not all done", "a logged-in person", request=QuizAnswersIn,
           response=QuizResultOut, errors=(401, 404, 409, 422), auth="bearer")
@require_api()
def complete(principal, enrollment_id: uuid.UUID):
    data = parse_body(QuizAnswersIn)
    return jsonify(rpc("submit_quiz", own_person_id(principal), str(enrollment_id),
                       data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/me/enrollments/<uuid:enrollment_id>", "DELETE", "Cancel an enrollment: its "
           "seat goes to the first person on the session's waitlist", "a logged-in person",
           response=EnrollmentOut, errors=(401, 404, 409), auth="bearer")
@require_api()
def cancel_enrollment(principal, enrollment_id: uuid.UUID):
    return jsonify(rpc("cancel_enrollment", own_person_id(principal), str(enrollment_id), actor(principal)))


@api_route(api, "/me/transcript", "GET", "Your Official Course Transcript: every course completed, "
           "its date, score, source and expiry", "a logged-in person", response=TranscriptOut,
           errors=(401, 404), auth="bearer")
@require_api()
def my_transcript(principal):
    return jsonify(rpc("transcript", own_person_id(principal)))


# --- staff ----------------------------------------------------------------------------------

@api_route(api, "/staff/completions", "POST", "Record a completion from elsewhere (an employer's "
           "own programme, a paper record) with its date, source and optional evidence document",
           "staff", request=StaffCompletionIn, response=CompletionOut, status=201,
           errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def record_completion(principal):
    data = parse_body(StaffCompletionIn)
    return created(rpc("record_completion", data.model_dump(mode="json"), actor(staff_self(principal))))


@api_route(api, "/staff/sessions", "POST", "Schedule an in-person session of a course: location, "
           "start, capacity", "staff", request=SessionIn, response=SessionOut, status=201,
           errors=(401, 403, 404, 422), auth="bearer")
@require_api(*STAFF)
def schedule_session(principal):
    data = parse_body(SessionIn)
    return created(rpc("schedule_session", data.model_dump(mode="json"), actor(staff_self(principal))))


@api_route(api, "/staff/sessions/<uuid:session_id>", "GET", "A session with its roster: who has a "
           "seat, who waits in which order, who attended", "staff", response=SessionRosterOut,
           errors=(401, 403, 404), auth="bearer")
@require_api(*STAFF)
def get_session(principal, session_id: uuid.UUID):
    return jsonify(rpc("get_session", str(session_id), actor(staff_self(principal))))


@api_route(api, "/staff/sessions/<uuid:session_id>/attendance", "POST", "Record who attended "
           "(their course is completed) and who did not, by enrollment id", "staff",
           request=AttendanceIn, response=SessionRosterOut, errors=(401, 403, 404, 409, 422),
           auth="bearer")
@require_api(*STAFF)
def record_attendance(principal, session_id: uuid.UUID):
    data = parse_body(AttendanceIn)
    return jsonify(rpc("record_attendance", str(session_id), data.model_dump(mode="json"),
                       actor(staff_self(principal))))
