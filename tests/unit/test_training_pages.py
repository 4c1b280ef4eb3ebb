"""The training pages (the training issue) over a fake training service: My Training with why
not and a link to what unlocks it, a course page with sessions and seats, the HP questionnaire,
one module per page with its progress saved on Next, the quiz (no answers in the page) and its
result, the transcript; staff sessions, attendance and completions; the Training tab's links."""
import re
import uuid
from html import unescape

import pytest

from tests.support.fake_gateway import PERSON_ID, FakeTraining, make_principal

OTHER_PERSON = str(uuid.uuid4())
PEOPLE = {PERSON_ID: {"il_number": "1234567890", "first_name": "Pat", "last_name": "Grip"},
          OTHER_PERSON: {"il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly"}}


@pytest.fixture
def training(fake_rpc):
    return FakeTraining(fake_rpc, people=PEOPLE)


def log_in(client, fake_rpc, *roles, person_id=PERSON_ID):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", {**make_principal(*roles), "person_id": person_id})
    return client


def staff_log_in(client, fake_rpc):
    return log_in(client, fake_rpc, "staff_reviewer", person_id=None)


def words(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", main).split()))


def page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def card(html: str, code: str) -> str:
    return re.search(rf'data-testid="course" data-code="{code}">(.*?)</article>', html, re.S).group(1)


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


# --- My Training ---------------------------------------------------------------------------------

def test_my_training_is_in_the_portal_menu(client, fake_rpc, training):
    html = page(log_in(client, fake_rpc), "/portal/training")

    assert '<a href="/portal/training">My Training</a>' in html


def test_my_training_lists_what_i_can_take_and_why_not_the_others_with_a_link(client, fake_rpc, training):
    training._complete(PERSON_ID, "A", "online", score=90)
    html = page(log_in(client, fake_rpc), "/portal/training")

    open_now = html[html.index('data-testid="training-open"'):html.index('data-testid="training-locked"')]
    assert 'data-code="HP"' in open_now and 'data-code="C19"' in open_now
    assert 'data-code="HP1"' not in html and 'data-code="HP2"' not in html  # the questionnaire picks
    assert 'href="/portal/training/courses/HP"' in card(html, "HP")
    locked = card(html, "B")
    assert "Craft courses open once you are on a roster or a training list." in words("<main>" + locked + "</main>")
    assert 'href="/portal">See your classifications</a>' in locked  # the roster comes before HP
    done = card(html, "A")
    assert "Completed" in done
    assert 'href="/portal/transcript"' in html


def test_a_course_locked_until_a_work_day_links_to_work_experience(client, fake_rpc, training):
    training.unlocked.clear()
    html = page(log_in(client, fake_rpc), "/portal/training")

    locked = card(html, "A")
    assert "Report one verified work day." in words("<main>" + locked + "</main>")
    assert 'href="/portal/work-experience">See your work days</a>' in locked


def test_an_enrollment_under_way_has_a_continue_link(client, fake_rpc, training):
    mine = training.enroll(PERSON_ID, {"course_code": "A"}, {})
    html = page(log_in(client, fake_rpc), "/portal/training")

    under_way = html[html.index('data-testid="training-under-way"'):html.index('data-testid="training-open"')]
    assert f'href="/portal/training/enrollments/{mine["id"]}">Continue</a>' in under_way


# --- a course page and enrolling -----------------------------------------------------------------

def test_an_online_course_page_describes_it_and_offers_enroll(client, fake_rpc, training):
    html = page(log_in(client, fake_rpc), "/portal/training/courses/a")

    text = words(html)
    assert "General Safety (IIPP)" in text and "Online · 2 hours" in text
    assert re.search(r'<form method="post" action="/portal/training/enroll">.*name="course_code" value="A"', html, re.S)
    assert "Enroll and start" in text


def test_an_in_person_course_page_lists_its_sessions_with_seats_left(client, fake_rpc, training):
    training.ready_for_craft(PERSON_ID, OTHER_PERSON)
    roomy = training.add_session(capacity=12, starts_at="2030-04-02T16:00:00+00:00")
    full = training.add_session(capacity=1, starts_at="2030-04-09T16:00:00+00:00")
    training.enroll(OTHER_PERSON, {"course_code": "FORKLIFT", "session_id": full["id"]}, {})

    html = page(log_in(client, fake_rpc), "/portal/training/courses/FORKLIFT")

    sessions = re.findall(r'data-testid="session">(.*?)</li>', html, re.S)
    assert len(sessions) == 2
    first, second = (words("<main>" + s + "</main>") for s in sessions)
    assert "04/02/2030 9:00 AM PDT" in first and "12 of 12 seats left" in first and "Enroll" in first
    assert "Full · 0 waiting" in second and "Join the waitlist" in second
    assert f'name="session_id" value="{roomy["id"]}"' in sessions[0]


def test_a_course_not_open_says_why_and_links_to_what_unlocks_it(client, fake_rpc, training):
    training.on_roster.add(PERSON_ID)
    html = page(log_in(client, fake_rpc), "/portal/training/courses/B")

    text = words(html)
    assert "Not open to you yet" in text and "Course A comes first." in text
    assert 'href="/portal/training/courses/A">Go to course A</a>' in html
    assert 'action="/portal/training/enroll"' not in html


def test_an_unknown_course_page_is_404(client, fake_rpc, training):
    html = page(log_in(client, fake_rpc), "/portal/training/courses/NOPE", 404)

    assert "No such course: NOPE." in html


def test_the_hp_page_asks_the_questionnaire(client, fake_rpc, training):
    html = page(log_in(client, fake_rpc), "/portal/training/courses/HP")

    text = words(html)
    assert "HP1 : 1 hour, for non-supervisors." in text and "HP2 : 2 hours, for supervisors." in text
    form = re.search(r'<form[^>]*data-testid="questionnaire">(.*?)</form>', html, re.S).group(1)
    assert 'name="course_code" value="HP"' in form
    assert "1. Are you a supervisor?" in words("<main>" + form + "</main>")  # the service's questions
    assert re.findall(r'name="answer-(\w+)" value="(\w+)"', form) == [
        ("supervisor", "yes"), ("supervisor", "no"), ("leads_a_crew", "yes"), ("leads_a_crew", "no")]
    assert "A Yes to any question means you take HP2" in words(html)


@pytest.mark.parametrize("answers, course, why", [
    (("no", "no"), "HP1", "you answered that you do not supervise anyone, so you take HP1, the 1-hour course for "
                          "non-supervisors."),
    (("no", "yes"), "HP2", "you answered Yes to a supervisor question, so you take HP2, the 2-hour course for "
                           "supervisors.")])
def test_the_questionnaire_picks_hp1_or_hp2_and_says_why(client, fake_rpc, training, answers, course, why):
    log_in(client, fake_rpc)

    response = client.post("/portal/training/enroll", data={"course_code": "HP", "answer-supervisor": answers[0],
                                                            "answer-leads_a_crew": answers[1]})

    [enrollment] = training.enrollments.values()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/training/enrollments/{enrollment['id']}"
    assert enrollment["course_code"] == course
    assert enrollment["answers"] == {"supervisor": answers[0] == "yes", "leads_a_crew": answers[1] == "yes"}
    assert flashes(client) == [f"Your course is {course}: {why}"]
    html = page(client, response.headers["Location"])
    assert f"{course} is the" in words(html)


def test_hp_without_an_answer_goes_back_to_the_questionnaire(client, fake_rpc, training):
    log_in(client, fake_rpc)

    response = client.post("/portal/training/enroll", data={"course_code": "HP"})

    assert response.headers["Location"] == "/portal/training/courses/HP"
    assert "enroll" not in [m for _, m in fake_rpc.methods_called()]


def test_hp_without_a_required_answer_shows_the_services_reason(client, fake_rpc, training):
    log_in(client, fake_rpc)

    response = client.post("/portal/training/enroll", data={"course_code": "HP", "answer-leads_a_crew": "no"})

    assert response.headers["Location"] == "/portal/training/courses/HP"
    assert flashes(client) == ["Answer the questionnaire: it decides between HP1 and HP2."]
    assert training.enrollments == {}


def test_a_craft_course_waiting_for_hp_links_to_the_questionnaire(client, fake_rpc, training):
    training.on_roster.add(PERSON_ID)
    training._complete(PERSON_ID, "A", "online")

    html = page(log_in(client, fake_rpc), "/portal/training")

    assert 'href="/portal/training/courses/HP">Go to harassment prevention (HP1 or HP2)</a>' in card(html, "B")


def test_a_refused_enrollment_shows_the_reason_on_the_course_page(client, fake_rpc, training):
    training.unlocked.clear()
    log_in(client, fake_rpc)

    response = client.post("/portal/training/enroll", data={"course_code": "A"})

    assert response.headers["Location"] == "/portal/training/courses/A"
    [message] = flashes(client)
    assert message.startswith("You may not enroll in A yet.") and "verified work day" in message


def test_a_full_session_puts_me_on_the_waitlist_and_says_so(client, fake_rpc, training):
    training.ready_for_craft(PERSON_ID, OTHER_PERSON)
    full = training.add_session(capacity=1)
    training.enroll(OTHER_PERSON, {"course_code": "FORKLIFT", "session_id": full["id"]}, {})
    log_in(client, fake_rpc)

    response = client.post("/portal/training/enroll", data={"course_code": "FORKLIFT", "session_id": full["id"]})

    assert "you are number 1 on its waitlist" in flashes(client)[0]
    html = page(client, response.headers["Location"])
    assert "On the waitlist: number 1" in words(html) and "Burbank training centre" in html


# --- taking an online course ---------------------------------------------------------------------

@pytest.fixture
def hp1(training):
    return training.enroll(PERSON_ID, {"course_code": "HP", "answers": {"supervisor": False}}, {})


def test_the_enrollment_page_shows_progress_and_resumes_at_the_first_module_not_done(client, fake_rpc, training, hp1):
    training.enrollments[hp1["id"]]["done"] = ["what-it-is"]

    html = page(log_in(client, fake_rpc), f"/portal/training/enrollments/{hp1['id']}")

    assert "1 of 3 parts done" in words(html)
    assert re.search(rf'href="/portal/training/enrollments/{hp1["id"]}/modules/2" data-testid="continue">'
                     r'Continue: What to do if it happens</a>', html)


def test_one_module_per_page_with_back_and_next(client, fake_rpc, training, hp1):
    html = page(log_in(client, fake_rpc), f"/portal/training/enrollments/{hp1['id']}/modules/2")

    text = words(html)
    assert "Part 2 of 3" in text and "What to do if it happens" in text and "You do not have to confront" in text
    assert f'href="/portal/training/enrollments/{hp1["id"]}/modules/1">Back</a>' in html
    assert '<button type="submit">Next</button>' in html
    assert 'href="https://example.org/hp1-video" target="_blank" rel="noopener">Watch the video</a>' in html


def test_next_saves_the_module_then_goes_on_and_the_last_goes_to_the_quiz(client, fake_rpc, training, hp1):
    log_in(client, fake_rpc)
    base = f"/portal/training/enrollments/{hp1['id']}"

    first = client.post(f"{base}/modules/1")
    client.post(f"{base}/modules/2")
    last = client.post(f"{base}/modules/3")

    assert first.headers["Location"] == f"{base}/modules/2"
    assert last.headers["Location"] == f"{base}/quiz"
    assert [args[2] for _, m, args in fake_rpc.calls if m == "save_progress"] == [
        {"module": "what-it-is"}, {"module": "what-to-do"}, {"module": "retaliation"}]
    assert training.enrollments[hp1["id"]]["done"] == ["what-it-is", "what-to-do", "retaliation"]


def test_a_module_past_the_end_is_404(client, fake_rpc, training, hp1):
    page(log_in(client, fake_rpc), f"/portal/training/enrollments/{hp1['id']}/modules/4", 404)


def test_the_quiz_waits_for_every_module(client, fake_rpc, training, hp1):
    log_in(client, fake_rpc)

    response = client.get(f"/portal/training/enrollments/{hp1['id']}/quiz")

    assert response.headers["Location"] == f"/portal/training/enrollments/{hp1['id']}/modules/1"


def test_the_quiz_has_radio_buttons_and_never_the_answers(client, fake_rpc, training, hp1):
    training.enrollments[hp1["id"]]["done"] = ["what-it-is", "what-to-do", "retaliation"]

    html = page(log_in(client, fake_rpc), f"/portal/training/enrollments/{hp1['id']}/quiz")

    assert len(re.findall(r'data-testid="question"', html)) == 3
    assert re.findall(r'type="radio" name="answer-q2" value="(\d)"', html) == ["0", "1"]
    assert "answer\"" not in html and "correct" not in html.lower()
    assert "pass mark 80%" in words(html) and "3 attempts left" in words(html)


def test_a_wrong_answer_shows_which_then_a_retake_passes_with_a_link_to_the_transcript(client, fake_rpc, training,
                                                                                     hp1):
    training.enrollments[hp1["id"]]["done"] = ["what-it-is", "what-to-do", "retaliation"]
    log_in(client, fake_rpc)
    base = f"/portal/training/enrollments/{hp1['id']}"

    failed = client.post(f"{base}/quiz", data={"answer-q1": "0", "answer-q2": "0", "answer-q3": "1"})
    assert failed.headers["Location"] == f"{base}/result"
    result = page(client, f"{base}/result")
    text = words(result)
    assert "Not passed yet" in text and "Score 67%" in text
    assert "This question was answered wrongly Must you confront the person yourself before reporting?" in text
    assert "You have 2 attempts left." in text
    assert f'href="{base}/quiz" data-testid="retake">Take the quiz again</a>' in result

    client.post(f"{base}/quiz", data={"answer-q1": "0", "answer-q2": "1", "answer-q3": "1"})
    passed = page(client, f"{base}/result")
    assert "You passed" in words(passed) and "Score 100%" in words(passed)
    assert 'href="/portal/transcript" data-testid="to-transcript">See my transcript</a>' in passed
    assert [c["course_code"] for c in training.completions] == ["HP1"]


def test_an_unanswered_question_is_asked_again_without_reaching_the_service(client, fake_rpc, training, hp1):
    training.enrollments[hp1["id"]]["done"] = ["what-it-is", "what-to-do", "retaliation"]
    log_in(client, fake_rpc)

    response = client.post(f"/portal/training/enrollments/{hp1['id']}/quiz", data={"answer-q1": "0"})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Answer every question: 2 are still empty." in words(html)
    assert re.search(r'name="answer-q1" value="0" required\s+checked', html)  # kept
    assert "submit_quiz" not in [m for _, m in fake_rpc.methods_called()]


def test_no_attempts_left_says_whom_to_call(client, fake_rpc, training, hp1):
    training.enrollments[hp1["id"]].update(done=["what-it-is", "what-to-do", "retaliation"], attempts_used=2)
    log_in(client, fake_rpc)

    client.post(f"/portal/training/enrollments/{hp1['id']}/quiz",
                data={"answer-q1": "1", "answer-q2": "0", "answer-q3": "0"})
    html = page(client, f"/portal/training/enrollments/{hp1['id']}/result")

    assert "You have used every attempt." in words(html) and "retake" not in html


def test_someone_elses_enrollment_is_not_found_on_every_page(client, fake_rpc, training):
    training.unlocked.add(OTHER_PERSON)
    theirs = training.enroll(OTHER_PERSON, {"course_code": "A"}, {})
    log_in(client, fake_rpc)
    base = f"/portal/training/enrollments/{theirs['id']}"

    for path in (base, f"{base}/modules/1", f"{base}/quiz", f"{base}/result"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{base}/modules/1").status_code == 404
    assert client.post(f"{base}/cancel").status_code == 404
    untouched = training.enrollments[theirs["id"]]
    assert untouched["done"] == [] and untouched["status"] == "enrolled"


def test_cancelling_an_enrollment(client, fake_rpc, training, hp1):
    log_in(client, fake_rpc)

    response = client.post(f"/portal/training/enrollments/{hp1['id']}/cancel")

    assert response.headers["Location"] == "/portal/training"
    assert training.enrollments[hp1["id"]]["status"] == "cancelled"
    assert flashes(client) == ["Your enrollment in HP1 is cancelled. You may enroll again when you are ready."]


# --- the transcript ------------------------------------------------------------------------------

def test_the_transcript_shows_every_course_date_score_source_and_expiry(client, fake_rpc, training):
    training._complete(PERSON_ID, "HP1", "online", score=100, on="2024-03-01")
    training._complete(PERSON_ID, "A", "employer", on="2024-01-20")

    html = page(log_in(client, fake_rpc), "/portal/transcript")

    rows = {code: words("<main>" + row + "</main>") for code, row in
            re.findall(r'data-testid="completion" data-code="(\w+)">(.*?)</tr>', html, re.S)}
    assert rows["HP1"] == ("HP1 Harassment Prevention for Non-Supervisors 03/01/2024 100% Online course 03/01/2026")
    assert rows["A"] == "A General Safety (IIPP) 01/20/2024 — Employer's programme Does not expire"
    assert "IL# 1234567890" in words(html)
    assert "{# reports: pdf links #}" not in html  # a template comment: the reports helper's place


def test_an_empty_transcript_points_to_the_courses(client, fake_rpc, training):
    html = page(log_in(client, fake_rpc), "/portal/transcript")

    assert "No completed course yet." in words(html) and 'href="/portal/training"' in html


def test_the_training_pages_need_a_login(client, training):
    for path in ("/portal/training", "/portal/transcript", "/portal/training/courses/A", "/staff/sessions"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


# --- staff ---------------------------------------------------------------------------------------

def test_staff_see_upcoming_sessions_with_seats_and_schedule_one(client, fake_rpc, training):
    training.ready_for_craft(PERSON_ID)
    session = training.add_session(capacity=10)
    training.enroll(PERSON_ID, {"course_code": "FORKLIFT", "session_id": session["id"]}, {})
    staff_log_in(client, fake_rpc)

    html = page(client, "/staff/sessions")
    assert "9 of 10 left" in words(html)
    assert f'href="/staff/sessions/{session["id"]}"' in html
    assert re.findall(r'<option value="(\w+)"', html) == ["FORKLIFT"]  # in-person courses only
    assert 'value="Contract Services Training Center, 2710 Winona Avenue, Burbank"' in html  # the usual place

    response = client.post("/staff/sessions", data={"course_code": "FORKLIFT", "location": "Stage 3, Burbank",
                                                    "starts_at": "2030-05-01T08:30", "capacity": "6"})
    [new] = [s for s in training.sessions.values() if s["id"] != session["id"]]
    assert response.headers["Location"] == f"/staff/sessions/{new['id']}"
    assert new["starts_at"] == "2030-05-01T08:30:00-07:00"  # Burbank time
    [(payload, actor)] = [args for _, m, args in fake_rpc.calls if m == "schedule_session"]
    assert payload["capacity"] == 6 and "staff_reviewer" in actor["roles"]


def test_a_session_with_bad_details_is_shown_again_with_the_reason(client, fake_rpc, training):
    staff_log_in(client, fake_rpc)

    response = client.post("/staff/sessions", data={"course_code": "FORKLIFT", "location": "Burbank",
                                                    "starts_at": "", "capacity": "0"})

    assert response.status_code == 400
    text = words(response.get_data(as_text=True))
    assert "Enter the day and time it starts." in text and "Enter how many seats it has (1 to 500)." in text
    assert "schedule_session" not in [m for _, m in fake_rpc.methods_called()]


def test_staff_take_attendance_with_checkboxes(client, fake_rpc, training):
    training.ready_for_craft(PERSON_ID, OTHER_PERSON)
    session = training.add_session(capacity=2)
    here = training.enroll(PERSON_ID, {"course_code": "FORKLIFT", "session_id": session["id"]}, {})
    away = training.enroll(OTHER_PERSON, {"course_code": "FORKLIFT", "session_id": session["id"]}, {})
    staff_log_in(client, fake_rpc)

    html = page(client, f"/staff/sessions/{session['id']}")
    assert len(re.findall(r'type="checkbox" name="attended"', html)) == 2
    assert "Pat Grip" in html and "IL# 5550001112" in html

    response = client.post(f"/staff/sessions/{session['id']}/attendance",
                           data={"seat": [here["id"], away["id"]], "attended": [here["id"]]})

    assert response.headers["Location"] == f"/staff/sessions/{session['id']}"
    [(_, _, (session_id, payload, _))] = [c for c in fake_rpc.calls if c[1] == "record_attendance"]
    assert payload == {"attended": [here["id"]], "absent": [away["id"]]}
    assert training.enrollments[here["id"]]["status"] == "completed"
    assert flashes(client) == ["Attendance saved: 1 person attended and completed the course."]


def test_the_session_pages_are_for_staff_only(client, fake_rpc, training):
    log_in(client, fake_rpc)

    assert client.get("/staff/sessions").status_code == 403
    assert client.post("/staff/sessions", data={}).status_code == 403
    assert client.get(f"/staff/sessions/{uuid.uuid4()}").status_code == 403
    assert client.post(f"/staff/people/{PERSON_ID}/completions", data={}).status_code == 403
    assert not [m for s, m, _ in fake_rpc.calls if s == "training"]


def test_staff_record_a_completion_from_the_persons_page(client, fake_rpc, training):
    staff_log_in(client, fake_rpc)

    response = client.post(f"/staff/people/{OTHER_PERSON}/completions", data={
        "course_code": "hp2", "completed_on": "2024-02-01", "source": "Studio HR programme", "score": "",
        "evidence_document_id": ""})

    assert response.headers["Location"] == f"/staff/people/{OTHER_PERSON}#record-completion"
    [completion] = training.completions
    assert (completion["person_id"], completion["course_code"], completion["source"]) == (
        OTHER_PERSON, "HP2", "Studio HR programme")
    assert flashes(client) == ["Recorded: HP2 completed on 02/01/2024, valid until 02/01/2026. It is on their "
                               "transcript."]


def test_a_completion_of_an_unknown_course_says_so(client, fake_rpc, training):
    staff_log_in(client, fake_rpc)

    client.post(f"/staff/people/{OTHER_PERSON}/completions", data={
        "course_code": "NOPE", "completed_on": "2024-02-01", "source": "employer"})

    assert flashes(client) == ["No such course: NOPE."]


def test_the_staff_person_page_has_the_completion_form(client, fake_rpc):
    staff_log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_person", {
        "person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly",
        "has_account": False, "locals": [], "origin": "import", "date_of_birth": None, "ssn_masked": None,
        "contact": {}})
    fake_rpc.answer("rosters", "my_classifications", {"records": [], "pending": [], "closed": []})
    fake_rpc.answer("rosters", "list_suspensions", {"suspensions": []})

    html = page(client, f"/staff/people/{OTHER_PERSON}")

    form = re.search(r'data-testid="record-completion">(.*?)</article>', html, re.S).group(1)
    assert f'action="/staff/people/{OTHER_PERSON}/completions"' in form
    for name in ("course_code", "completed_on", "source", "score", "evidence_document_id"):
        assert f'name="{name}"' in form


# --- the classification's Training tab -----------------------------------------------------------

def tab_row(label, state, kind="course", detail="Not completed yet"):
    return {"phase": "application", "kind": kind, "tab": "training", "label": label, "state": state,
            "detail": detail, "due_on": None, "next_step": None, "numbers": {}}


def test_each_course_row_of_the_training_tab_links_to_its_course_page(client, fake_rpc):
    record = {"record_id": str(uuid.uuid4()), "classification_code": "80-GRIP", "name": "IATSE, Local #80 (Grip)",
              "local": "80", "local_name": "IATSE Local #80", "roster": "IER", "group": None,
              "status": "in_progress_training_eligible", "label": "In Progress - Training Eligible",
              "as_of": "2024-03-01", "applied_on": "2024-01-15", "placed_on": None, "training_eligible": True,
              "anticipated_advancement_on": None, "advances_to": None, "timeline": [], "rows": [
                  tab_row("Safety Pass course A", "met", detail="Completed A on 01/20/2024"),
                  tab_row("HP1 or HP2 (chosen by a short questionnaire)", "unmet", kind="questionnaire"),
                  tab_row("Safety Pass course C19", "unmet")]}
    log_in(client, fake_rpc)
    fake_rpc.answer("rosters", "my_classification", record)

    html = page(client, "/portal/classifications/80-GRIP?tab=training")

    links = re.findall(r'<a href="([^"]+)" data-testid="course-link">([^<]+)</a>', html)
    assert links == [("/portal/training/courses/A", "Course A"),
                     ("/portal/training/courses/HP", "Enroll in HP1 or HP2"),
                     ("/portal/training/courses/C19", "Go to course C19")]
    assert "coming soon" not in html and "call Contract Services" not in words(html)
