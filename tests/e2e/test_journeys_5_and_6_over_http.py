"""Journeys 5 and 6 of SPEC §4 over HTTP against the whole running Hub, with real training: a person on
Local #839's harassment-prevention training list answers the questionnaire (not a supervisor →
HP1), takes it online (modules, a failed quiz that names the wrong questions, a pass), and the
transcript and the classification record show it. The quiz's answers never reach the client."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from tests.support.api_client import bearer
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CODE = "839-ANIMATION"


def right_answers(course_code: str) -> dict:
    # the test knows the answers from the course file; the API never says them
    from training.courses import load_courses

    return {q.id: q.answer for q in load_courses().get(course_code).quiz.questions}


def test_journey_5_a_training_list_member_takes_hp1_online_and_is_listed(hub):
    token, record = listed_after_hp1_online(hub)
    assert record["status"] in ("compliant", "approaching_deadline")


def listed_after_hp1_online(hub) -> tuple[str, dict]:
    person = make_person()
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    token = requests.post(hub.api("/session"), json={"email": person["email"],
                                                     "password": person["password"]}).json()["token"]
    assert requests.post(hub.api("/me/applications"), headers=bearer(token),
                         json={"classification_code": CODE}).status_code == 201

    def hp_is_open():
        courses = requests.get(hub.api("/me/training"), headers=bearer(token)).json()["courses"]
        return next((c for c in courses if c["course_code"] == "HP1" and c["may_enroll"]), None)
    wait_until(hp_is_open, timeout=20, message="training to hear of the application")

    enrolled = requests.post(hub.api("/me/enrollments"), headers=bearer(token),
                             json={"course_code": "HP", "answers": {"supervisor": False}})
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["course_code"] == "HP1" and enrolled.json()["status"] == "enrolled"
    enrollment = f"/me/enrollments/{enrolled.json()['id']}"

    detail = requests.get(hub.api(enrollment), headers=bearer(token)).json()
    assert detail["modules"] and detail["quiz"]
    assert all(set(q) == {"id", "text", "choices"} for q in detail["quiz"])  # no answers sent
    for module in detail["modules"]:
        saved = requests.post(hub.api(enrollment + "/progress"), headers=bearer(token), json={"module": module["id"]})
        assert saved.status_code == 200, saved.text

    answers = right_answers("HP1")
    half = [q["id"] for q in detail["quiz"][: (len(detail["quiz"]) + 1) // 2]]  # well below any pass mark
    guesses = {**answers, **{q["id"]: (answers[q["id"]] + 1) % len(q["choices"])
                             for q in detail["quiz"] if q["id"] in half}}
    failed = requests.post(hub.api(enrollment + "/complete"), headers=bearer(token), json={"answers": guesses})
    assert failed.status_code == 200, failed.text
    assert failed.json()["passed"] is False and sorted(failed.json()["wrong"]) == sorted(half)
    passed = requests.post(hub.api(enrollment + "/complete"), headers=bearer(token), json={"answers": answers})
    assert passed.json()["passed"] is True and passed.json()["score"] == 100

    transcript = requests.get(hub.api("/me/transcript"), headers=bearer(token)).json()["completions"]
    assert [(c["course_code"], c["score"], c["source"]) for c in transcript] == [("HP1", 100, "online")]
    assert transcript[0]["expires_on"]  # renewed every 2 years

    def listed():
        record = requests.get(hub.api(f"/me/classifications/{CODE}"), headers=bearer(token)).json()
        return record if record["placed_on"] else None
    record = wait_until(listed, timeout=20, message="rosters to list the person as trained")
    return token, record


def test_journey_6_reminders_before_the_lapse_then_not_compliant_and_told(hub):
    token, _ = listed_after_hp1_online(hub)
    admin = requests.post(hub.api("/session"), json={"email": hub.admin_email,
                                                     "password": hub.admin_password}).json()["token"]
    expires = date.fromisoformat(requests.get(hub.api("/me/transcript"), headers=bearer(token))
                                 .json()["completions"][0]["expires_on"])

    def sweep(day: date) -> dict:
        response = requests.post(hub.api("/staff/sweeps"), headers=bearer(admin), json={"as_of": day.isoformat()})
        assert response.status_code == 200, response.text
        return response.json()

    def deadline_messages() -> list[dict]:
        return requests.get(hub.api("/me/messages?category=deadline"), headers=bearer(token)).json()["messages"]

    sweep(expires - timedelta(days=30))
    sweep(expires - timedelta(days=30))  # a second run sends nothing twice
    first = wait_until(deadline_messages, timeout=20, message="the 30-day reminder")
    assert len(first) == 1 and first[0]["link"] == f"/portal/classifications/{CODE}"
    assert first[0]["deadline"] == expires.isoformat()

    sweep(expires + timedelta(days=1))  # the day it lapses

    def told_of_the_lapse():
        messages = requests.get(hub.api("/me/messages"), headers=bearer(token)).json()["messages"]
        return [m for m in messages if m["category"] == "roster" and "Not Compliant" in m["body"]]
    wait_until(told_of_the_lapse, timeout=20, message="the suspension message")
    record = requests.get(hub.api(f"/me/classifications/{CODE}?as_of={(expires + timedelta(days=1)).isoformat()}"),
                          headers=bearer(token)).json()
    assert record["status"] == "not_compliant"
    assert len([m for m in deadline_messages() if m["deadline"] == expires.isoformat()]) >= 1
