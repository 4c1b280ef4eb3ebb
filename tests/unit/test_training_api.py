"""The training API (the training issue's contract table) through Flask's test client, over a
fake training service (tests/support/fake_gateway.py FakeTraining): every route, its shapes,
and every refusal with its status and reason."""
import uuid

import pytest

from common.errors import ServiceUnavailable
from tests.support.fake_gateway import PERSON_ID, FakeTraining, make_principal

BEARER = {"Authorization": "Bearer api-token"}
OTHER_PERSON = str(uuid.uuid4())


@pytest.fixture
def training(fake_rpc):
    return FakeTraining(fake_rpc, people={PERSON_ID: {"il_number": "1234567890", "first_name": "Pat",
                                                      "last_name": "Grip"}})


def as_person(fake_rpc, *roles, person_id=PERSON_ID):
    fake_rpc.answer("accounts", "authenticate", {**make_principal(*roles), "person_id": person_id})


def as_staff(fake_rpc, role="staff_reviewer"):
    fake_rpc.answer("accounts", "authenticate", {**make_principal(role), "person_id": None})


def enroll(client, **body):
    return client.post("/api/v1/me/enrollments", headers=BEARER, json=body)


def take_every_module(client, enrollment_id):
    detail = client.get(f"/api/v1/me/enrollments/{enrollment_id}", headers=BEARER).get_json()
    for m in detail["modules"]:
        assert client.post(f"/api/v1/me/enrollments/{enrollment_id}/progress", headers=BEARER,
                           json={"module": m["id"]}).status_code == 200


def rpc_args(fake_rpc, method):
    return [args for _, m, args in fake_rpc.calls if m == method]


# --- the catalog -----------------------------------------------------------------------------------

def test_anyone_may_read_the_course_catalog(client, training):
    response = client.get("/api/v1/courses")

    assert response.status_code == 200
    courses = {c["code"]: c for c in response.get_json()["courses"]}
    assert {"A", "HP1", "HP2", "C19", "FORKLIFT"} <= set(courses)
    assert set(courses["HP1"]) >= {"code", "title", "delivery", "duration_minutes", "prerequisites", "refresher_days"}


def test_one_course_shows_its_upcoming_sessions_and_seats_left(client, training):
    training.add_session("FORKLIFT", capacity=12)

    response = client.get("/api/v1/courses/forklift")  # codes in any case

    assert response.status_code == 200
    [session] = response.get_json()["sessions"]
    assert (session["capacity"], session["seats_left"]) == (12, 12)


def test_an_unknown_course_is_404(client, training):
    response = client.get("/api/v1/courses/NOPE")

    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "No such course: NOPE."}


# --- eligibility and enrolling ---------------------------------------------------------------------

def test_my_training_says_per_course_whether_i_may_enroll_and_why_not(client, fake_rpc, training):
    as_person(fake_rpc)

    response = client.get("/api/v1/me/training", headers=BEARER)

    assert response.status_code == 200
    courses = {c["course_code"]: c for c in response.get_json()["courses"]}
    assert courses["A"]["may_enroll"] is True
    assert courses["B"]["may_enroll"] is False and "roster" in courses["B"]["why_not"]
    assert rpc_args(fake_rpc, "my_training") == [(PERSON_ID,)]


def test_my_training_needs_a_token(client, training):
    assert client.get("/api/v1/me/training").status_code == 401


def test_enrolling_in_an_online_course_answers_201_with_the_enrollment(client, fake_rpc, training):
    as_person(fake_rpc)

    response = enroll(client, course_code="a")

    assert response.status_code == 201
    body = response.get_json()
    assert (body["course_code"], body["status"]) == ("A", "enrolled") and uuid.UUID(body["id"])
    [(person_id, payload, actor)] = rpc_args(fake_rpc, "enroll")
    assert person_id == PERSON_ID and payload["course_code"] == "A" and payload["session_id"] is None
    assert "industry_professional" in actor["roles"]


@pytest.mark.parametrize("supervisor, course", [(False, "HP1"), (True, "HP2")])
def test_enrolling_in_hp_with_the_questionnaire_yields_hp1_or_hp2(client, fake_rpc, training, supervisor, course):
    as_person(fake_rpc)

    response = enroll(client, course_code="HP", answers={"supervisor": supervisor})

    assert response.status_code == 201
    assert response.get_json()["course_code"] == course
    assert rpc_args(fake_rpc, "enroll")[0][1]["answers"] == {"supervisor": supervisor}


def test_hp_without_the_questionnaire_is_422(client, fake_rpc, training):
    as_person(fake_rpc)

    response = enroll(client, course_code="HP")

    assert response.status_code == 422
    assert "questionnaire" in response.get_json()["message"]


def test_a_person_not_yet_eligible_is_refused_409_with_the_reason(client, fake_rpc, training):
    training.unlocked.clear()
    as_person(fake_rpc)

    response = enroll(client, course_code="A")

    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict" and "verified work day" in body["message"]


def test_a_missing_prerequisite_is_refused_409_naming_it(client, fake_rpc, training):
    training.on_roster.add(PERSON_ID)
    as_person(fake_rpc)

    response = enroll(client, course_code="B")

    assert response.status_code == 409
    assert "Finish course A first." in response.get_json()["message"]


def test_a_course_completed_and_current_is_refused_409(client, fake_rpc, training):
    training._complete(PERSON_ID, "A", "staff")
    as_person(fake_rpc)

    response = enroll(client, course_code="A")

    assert response.status_code == 409
    assert "still current" in response.get_json()["message"]


def test_enrolling_in_an_unknown_course_is_404(client, fake_rpc, training):
    as_person(fake_rpc)

    assert enroll(client, course_code="NOPE").status_code == 404


@pytest.mark.parametrize("body", [{}, {"course_code": ""}, {"course_code": "A", "colour": "red"},
                                  {"course_code": "A", "session_id": "not-a-uuid"},
                                  {"course_code": "HP", "answers": {"supervisor": "maybe"}}])
def test_a_malformed_enrollment_is_422_and_reaches_no_service(client, fake_rpc, training, body):
    as_person(fake_rpc)

    response = enroll(client, **body)

    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_failed"
    assert rpc_args(fake_rpc, "enroll") == []


def test_a_full_session_puts_the_person_on_its_waitlist(client, fake_rpc, training):
    training.ready_for_craft(PERSON_ID, OTHER_PERSON)
    session = training.add_session(capacity=1)
    training.enroll(OTHER_PERSON, {"course_code": "FORKLIFT", "session_id": session["id"]}, {})
    as_person(fake_rpc)

    response = enroll(client, course_code="FORKLIFT", session_id=session["id"])

    assert response.status_code == 201
    assert response.get_json()["status"] == "waitlisted" and response.get_json()["waitlist_position"] == 1


def test_staff_acting_on_behalf_enroll_the_person_they_help(client, fake_rpc, training):
    as_staff(fake_rpc)
    fake_rpc.answer("accounts", "person_card", lambda person_id, viewer: {
        "person_id": person_id, "il_number": "1234567890", "first_name": "Pat", "last_name": "Grip"})

    response = client.post("/api/v1/me/enrollments", headers={**BEARER, "X-Act-For": PERSON_ID},
                           json={"course_code": "A"})

    assert response.status_code == 201
    [(person_id, _, actor)] = rpc_args(fake_rpc, "enroll")
    assert person_id == PERSON_ID and actor["on_behalf_of"] == PERSON_ID


def test_a_staff_login_without_a_person_has_no_training_of_its_own(client, fake_rpc, training):
    as_staff(fake_rpc)

    assert client.get("/api/v1/me/training", headers=BEARER).status_code == 404


# --- taking a course -------------------------------------------------------------------------------

def test_an_enrollment_shows_its_modules_progress_and_quiz_without_the_answers(client, fake_rpc, training):
    as_person(fake_rpc)
    enrollment_id = enroll(client, course_code="HP", answers={"supervisor": False}).get_json()["id"]

    response = client.get(f"/api/v1/me/enrollments/{enrollment_id}", headers=BEARER)

    assert response.status_code == 200
    detail = response.get_json()
    assert detail["course_code"] == "HP1" and len(detail["modules"]) == 3
    assert not any(m["done"] for m in detail["modules"])
    assert detail["quiz"] and all(set(q) == {"id", "text", "choices"} for q in detail["quiz"])
    assert "answer" not in response.get_data(as_text=True)


def test_progress_is_saved_per_module(client, fake_rpc, training):
    as_person(fake_rpc)
    enrollment_id = enroll(client, course_code="A").get_json()["id"]

    response = client.post(f"/api/v1/me/enrollments/{enrollment_id}/progress", headers=BEARER,
                           json={"module": "what-it-is"})

    assert response.status_code == 200
    assert [m["done"] for m in response.get_json()["modules"]] == [True, False, False]
    [(person_id, eid, payload, _)] = rpc_args(fake_rpc, "save_progress")
    assert (person_id, eid, payload) == (PERSON_ID, enrollment_id, {"module": "what-it-is"})


def test_progress_on_a_module_the_course_does_not_have_is_422(client, fake_rpc, training):
    as_person(fake_rpc)
    enrollment_id = enroll(client, course_code="A").get_json()["id"]

    response = client.post(f"/api/v1/me/enrollments/{enrollment_id}/progress", headers=BEARER,
                           json={"module": "no-such-module"})

    assert response.status_code == 422


def test_a_failed_quiz_says_which_questions_were_wrong_then_a_pass_completes(client, fake_rpc, training):
    as_person(fake_rpc)
    enrollment_id = enroll(client, course_code="HP", answers={"supervisor": False}).get_json()["id"]
    take_every_module(client, enrollment_id)

    failed = client.post(f"/api/v1/me/enrollments/{enrollment_id}/complete", headers=BEARER,
                         json={"answers": {"q1": 0, "q2": 0, "q3": 0}})
    passed = client.post(f"/api/v1/me/enrollments/{enrollment_id}/complete", headers=BEARER,
                         json={"answers": {"q1": 0, "q2": 1, "q3": 1}})

    assert failed.status_code == 200
    assert {k: failed.get_json()[k] for k in ("passed", "score", "wrong")} == {
        "passed": False, "score": 33, "wrong": ["q2", "q3"]}
    assert failed.get_json()["attempts_left"] == 2
    assert passed.get_json()["passed"] is True and passed.get_json()["score"] == 100
    transcript = client.get("/api/v1/me/transcript", headers=BEARER).get_json()
    [completion] = transcript["completions"]
    assert (completion["course_code"], completion["score"], completion["source"]) == ("HP1", 100, "online")
    assert completion["expires_on"] and completion["completed_on"]


def test_the_quiz_before_the_modules_are_done_is_409(client, fake_rpc, training):
    as_person(fake_rpc)
    enrollment_id = enroll(client, course_code="A").get_json()["id"]

    response = client.post(f"/api/v1/me/enrollments/{enrollment_id}/complete", headers=BEARER,
                           json={"answers": {"q1": 0}})

    assert response.status_code == 409


@pytest.mark.parametrize("body", [{}, {"answers": {"q1": "yes"}}, {"answers": []}])
def test_malformed_quiz_answers_are_422(client, fake_rpc, training, body):
    as_person(fake_rpc)
    enrollment_id = enroll(client, course_code="A").get_json()["id"]

    response = client.post(f"/api/v1/me/enrollments/{enrollment_id}/complete", headers=BEARER, json=body)

    assert response.status_code == 422
    assert rpc_args(fake_rpc, "submit_quiz") == []


@pytest.mark.parametrize("method, suffix, body", [
    ("get", "", None), ("post", "/progress", {"module": "what-it-is"}),
    ("post", "/complete", {"answers": {"q1": 0}}), ("delete", "", None)])
def test_someone_elses_enrollment_is_404_whatever_the_route(client, fake_rpc, training, method, suffix, body):
    training.unlocked.add(OTHER_PERSON)
    theirs = training.enroll(OTHER_PERSON, {"course_code": "A"}, {})
    as_person(fake_rpc)

    response = getattr(client, method)(f"/api/v1/me/enrollments/{theirs['id']}{suffix}", headers=BEARER,
                                       json=body)

    assert response.status_code == 404
    assert response.get_json()["message"] == "No such enrollment."
    assert training.enrollments[theirs["id"]]["status"] == "enrolled"


def test_an_enrollment_id_that_is_not_an_id_is_404(client, fake_rpc, training):
    as_person(fake_rpc)

    assert client.get("/api/v1/me/enrollments/12345", headers=BEARER).status_code == 404


def test_listing_my_enrollments(client, fake_rpc, training):
    as_person(fake_rpc)
    enroll(client, course_code="A")

    response = client.get("/api/v1/me/enrollments", headers=BEARER)

    assert response.status_code == 200
    assert [e["course_code"] for e in response.get_json()["enrollments"]] == ["A"]


def test_cancelling_gives_the_seat_to_the_first_person_waiting(client, fake_rpc, training):
    training.ready_for_craft(PERSON_ID, OTHER_PERSON)
    session = training.add_session(capacity=1)
    as_person(fake_rpc)
    mine = enroll(client, course_code="FORKLIFT", session_id=session["id"]).get_json()
    theirs = training.enroll(OTHER_PERSON, {"course_code": "FORKLIFT", "session_id": session["id"]}, {})
    assert theirs["status"] == "waitlisted"

    response = client.delete(f"/api/v1/me/enrollments/{mine['id']}", headers=BEARER)

    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert training.enrollments[theirs["id"]]["status"] == "enrolled"


def test_the_transcript_lists_every_completion(client, fake_rpc, training):
    training._complete(PERSON_ID, "A", "employer", on="2024-01-20")
    as_person(fake_rpc)

    response = client.get("/api/v1/me/transcript", headers=BEARER)

    assert response.status_code == 200
    body = response.get_json()
    assert body["il_number"] == "1234567890"
    [c] = body["completions"]
    assert {k: c[k] for k in ("course_code", "completed_on", "expires_on", "score", "source")} == {
        "course_code": "A", "completed_on": "2024-01-20", "expires_on": None, "score": None, "source": "employer"}


def test_a_training_service_that_does_not_answer_is_503(client, fake_rpc):
    as_person(fake_rpc)
    fake_rpc.answer("training", "my_training", ServiceUnavailable("The training service did not answer in time."))

    response = client.get("/api/v1/me/training", headers=BEARER)

    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"


# --- staff -----------------------------------------------------------------------------------------

STAFF_ROUTES = [
    ("post", "/api/v1/staff/completions", {"person_id": PERSON_ID, "course_code": "A",
                                           "completed_on": "2024-01-20", "source": "Studio safety day"}),
    ("post", "/api/v1/staff/sessions", {"course_code": "FORKLIFT", "location": "Burbank",
                                        "starts_at": "2030-04-02T09:00:00-07:00", "capacity": 10}),
    ("get", f"/api/v1/staff/sessions/{uuid.uuid4()}", None),
    ("post", f"/api/v1/staff/sessions/{uuid.uuid4()}/attendance", {"attended": []}),
]


@pytest.mark.parametrize("method, path, body", STAFF_ROUTES)
@pytest.mark.parametrize("roles", [("industry_professional",), ("union_rep",), ("employer",)])
def test_staff_routes_refuse_everyone_else_with_403(client, fake_rpc, training, method, path, body, roles):
    as_person(fake_rpc, *roles)

    response = getattr(client, method)(path, headers=BEARER, json=body)

    assert response.status_code == 403
    assert not [m for s, m, _ in fake_rpc.calls if s == "training"]


@pytest.mark.parametrize("method, path, body", STAFF_ROUTES)
def test_staff_routes_need_a_token(client, training, method, path, body):
    assert getattr(client, method)(path, json=body).status_code == 401


def test_staff_record_a_completion_from_elsewhere(client, fake_rpc, training):
    as_staff(fake_rpc)

    response = client.post("/api/v1/staff/completions", headers=BEARER, json={
        "person_id": PERSON_ID, "course_code": "hp2", "completed_on": "2024-01-20", "source": "Studio HR programme",
        "evidence_document_id": str(uuid.uuid4()), "score": 90})

    assert response.status_code == 201
    body = response.get_json()
    assert (body["course_code"], body["source"], body["expires_on"]) == ("HP2", "Studio HR programme", "2026-01-20")
    [(payload, actor)] = rpc_args(fake_rpc, "record_completion")
    assert payload["person_id"] == PERSON_ID and "staff_reviewer" in actor["roles"]


def test_a_completion_of_an_unknown_course_is_404(client, fake_rpc, training):
    as_staff(fake_rpc)

    response = client.post("/api/v1/staff/completions", headers=BEARER, json={
        "person_id": PERSON_ID, "course_code": "NOPE", "completed_on": "2024-01-20", "source": "employer"})

    assert response.status_code == 404


@pytest.mark.parametrize("body", [{"person_id": "x", "course_code": "A", "completed_on": "2024-01-20"},
                                  {"person_id": PERSON_ID, "course_code": "A", "completed_on": "yesterday"},
                                  {"person_id": PERSON_ID, "course_code": "A", "completed_on": "2024-01-20",
                                   "score": 101}])
def test_a_malformed_completion_is_422(client, fake_rpc, training, body):
    as_staff(fake_rpc)

    assert client.post("/api/v1/staff/completions", headers=BEARER, json=body).status_code == 422
    assert rpc_args(fake_rpc, "record_completion") == []


def test_staff_schedule_a_session_then_read_its_roster_and_record_attendance(client, fake_rpc, training):
    as_staff(fake_rpc, "staff_admin")
    created = client.post("/api/v1/staff/sessions", headers=BEARER, json={
        "course_code": "FORKLIFT", "location": "Burbank training centre", "starts_at": "2030-04-02T09:00:00-07:00",
        "capacity": 2})
    assert created.status_code == 201
    session_id = created.get_json()["id"]
    training.ready_for_craft(PERSON_ID)
    seat = training.enroll(PERSON_ID, {"course_code": "FORKLIFT", "session_id": session_id}, {})

    roster = client.get(f"/api/v1/staff/sessions/{session_id}", headers=BEARER)
    attended = client.post(f"/api/v1/staff/sessions/{session_id}/attendance", headers=BEARER,
                           json={"attended": [seat["id"]]})

    assert roster.status_code == 200
    [entry] = roster.get_json()["seats"]
    assert (entry["il_number"], entry["status"]) == ("1234567890", "enrolled")
    assert roster.get_json()["seats_left"] == 1
    assert attended.status_code == 200
    assert attended.get_json()["seats"][0]["status"] == "completed"
    assert any(c["course_code"] == "FORKLIFT" and c["source"] == "in_person" for c in training.completions)


def test_a_session_of_an_online_course_is_422(client, fake_rpc, training):
    as_staff(fake_rpc)

    response = client.post("/api/v1/staff/sessions", headers=BEARER, json={
        "course_code": "A", "location": "Burbank", "starts_at": "2030-04-02T09:00:00-07:00", "capacity": 2})

    assert response.status_code == 422
    assert "online" in response.get_json()["message"]


@pytest.mark.parametrize("body", [{"course_code": "FORKLIFT", "location": "Burbank", "starts_at": "soon",
                                   "capacity": 2},
                                  {"course_code": "FORKLIFT", "location": "Burbank",
                                   "starts_at": "2030-04-02T09:00:00-07:00", "capacity": 0}])
def test_a_malformed_session_is_422(client, fake_rpc, training, body):
    as_staff(fake_rpc)

    assert client.post("/api/v1/staff/sessions", headers=BEARER, json=body).status_code == 422


def test_an_unknown_session_is_404(client, fake_rpc, training):
    as_staff(fake_rpc)

    assert client.get(f"/api/v1/staff/sessions/{uuid.uuid4()}", headers=BEARER).status_code == 404
    assert client.post(f"/api/v1/staff/sessions/{uuid.uuid4()}/attendance", headers=BEARER,
                       json={"attended": []}).status_code == 404


def test_every_training_route_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"get"} <= set(paths["/api/v1/courses"]) and {"get"} <= set(paths["/api/v1/courses/{code}"])
    assert {"get", "post"} <= set(paths["/api/v1/me/enrollments"])
    assert {"get", "delete"} <= set(paths["/api/v1/me/enrollments/{enrollment_id}"])
    for path in ("/api/v1/me/training", "/api/v1/me/transcript", "/api/v1/staff/sessions/{session_id}"):
        assert "get" in paths[path]
    for path in ("/api/v1/me/enrollments/{enrollment_id}/progress", "/api/v1/me/enrollments/{enrollment_id}/complete",
                 "/api/v1/staff/completions", "/api/v1/staff/sessions",
                 "/api/v1/staff/sessions/{session_id}/attendance"):
        assert "post" in paths[path]
    assert "201" in paths["/api/v1/me/enrollments"]["post"]["responses"]
    assert "409" in paths["/api/v1/me/enrollments"]["post"]["responses"]
