"""The course catalog as data: the shipped file loads, agrees with the rosters catalog (every course
and questionnaire it names exists here), carries real content for A and harassment prevention,
and a bad file is refused naming the file, the field and the line."""
from __future__ import annotations

import pytest
from rosters.engine.rules import AllOf, AnyOf, Course, Questionnaire
from training.courses import CoursesError, load_courses, parse_courses

SAFETY_PASS = {"A", "A2", "B", "B3", "D1", "E", "E2", "F", "G", "H", "I", "J", "K", "M", "N", "P", "R",
               "HP1", "HP2", "C19", "RCAN"}


def rosters_names(files) -> tuple[set[str], set[str]]:
    """(course codes, questionnaire answer keys) the rosters catalog names."""
    courses, questions = set(), set()

    def walk(rule):
        if isinstance(rule, Course):
            courses.update({rule.code, *rule.satisfied_by})
        elif isinstance(rule, Questionnaire):
            courses.update({rule.if_yes, rule.if_no})
            questions.add(rule.question)
        elif isinstance(rule, AnyOf | AllOf):
            for inner in rule.rules:
                walk(inner)

    for _path, catalog_file in files:
        for classification in catalog_file.classifications:
            for rule in (*classification.application, *classification.ongoing):
                walk(rule)
    return courses, questions


def test_every_course_the_rosters_catalog_names_exists_here(shipped_catalog_files):
    catalog = load_courses()
    courses, questions = rosters_names(shipped_catalog_files)
    assert {"A", "HP1", "HP2", "C19", "B"} <= courses
    assert courses - set(catalog.courses) == set()
    # the questionnaire publishes the answer the rosters rules read
    assert questions <= {q.decides for q in catalog.questionnaires.values()}
    hp = catalog.questionnaires["HP"]
    assert (hp.if_no, hp.if_yes) == ("HP1", "HP2")


def test_the_safety_pass_catalog_and_the_burbank_courses_are_shipped():
    catalog = load_courses()
    assert SAFETY_PASS | {"FORKLIFT", "AERIAL_LIFT", "FIRE_EXTINGUISHER"} == set(catalog.courses)
    for code in ("FORKLIFT", "AERIAL_LIFT", "FIRE_EXTINGUISHER"):
        course = catalog.get(code)
        assert course.delivery == "in_person" and "2710 Winona Avenue, Burbank" in course.location
    assert (catalog.get("HP1").duration_minutes, catalog.get("HP2").duration_minutes) == (60, 120)
    assert {c.code for c in catalog.courses.values() if c.kind == "application"} == {"A", "HP1", "HP2", "C19"}
    assert all(set(c.prerequisites) == {"A", "HP"} for c in catalog.courses.values() if c.kind == "craft")


@pytest.mark.parametrize("code", ["A", "HP1", "HP2"])
def test_a_and_harassment_prevention_have_real_content_and_a_real_quiz(code):
    course = load_courses().get(code)
    assert course.placeholder_content is False
    assert len(course.content.modules) >= 3 and all(len(m.body) > 250 for m in course.content.modules)
    assert 5 <= len(course.quiz.questions) <= 8
    assert "placeholder" not in " ".join(m.body for m in course.content.modules).lower()


def test_every_other_online_course_is_marked_as_placeholder_content():
    catalog = load_courses()
    online = [c for c in catalog.courses.values() if c.delivery == "online" and c.code not in ("A", "HP1", "HP2")]
    assert online and all(c.placeholder_content for c in online)


def test_refreshers_are_calendar_periods():
    hp1 = load_courses().get("HP1")
    from datetime import date

    assert hp1.valid_through(date(2023, 6, 2)) == date(2025, 6, 1)
    assert hp1.valid_through(date(2024, 2, 29)) == date(2026, 2, 27)


GOOD = """\
version: 1
courses:
  - code: A
    title: General Safety
    delivery: online
    duration_minutes: 60
    kind: application
    content:
      modules:
        - {id: one, title: One, body: Text}
    quiz:
      pass_mark: 80
      questions:
        - {id: q1, text: Why, choices: [x, y], answer: 1}
"""


def test_a_good_file_loads():
    catalog = parse_courses(GOOD)
    assert "A" in catalog and catalog.max_attempts(catalog.get("A")) == 3


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("answer: 1", "answer: 2"),
     "courses.yml: courses.0.quiz.questions.0: Value error, the answer is the index of one of the choices"),
    (GOOD.replace("delivery: online", "delivery: by post"), "courses.0.delivery: Input should be 'online'"),
    (GOOD.replace("    kind: application\n", "    kind: application\n    prerequisites: [Z]\n"),
     "courses.0.prerequisites.0: 'Z' is not a course or a questionnaire (line 8)"),
    (GOOD + GOOD.split("courses:\n")[1], "courses.1.code: 'A' is given twice (first as courses.0) (line 15)"),
    (GOOD.replace("    quiz:", "    quizz:"), "courses.0.quizz: Extra inputs are not permitted (line 11)"),
    ("courses: [", "courses.yml: not valid YAML"),
])
def test_a_bad_file_is_refused_naming_the_field_and_the_line(text, message):
    with pytest.raises(CoursesError) as refused:
        parse_courses(text)
    assert message in str(refused.value)
