"""The Safety Pass course catalog, as data (`courses.yml` next to this module): courses with their
delivery, what unlocks them, prerequisites, refresher period, modules and quiz, and the
questionnaires that choose between courses (HP → HP1 or HP2). Loaded and validated when the
service starts; a file that does not validate is refused with a `CoursesError` naming the file,
the field and the line, e.g. "courses.yml: courses.3.quiz.questions.0.answer: the answer is the
index of one of the choices (line 88)".
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.contracts.training import CourseOut, QuestionnaireOut, QuestionnaireQuestionOut, QuestionOut
from common.data_files import parse_validated, read_data_file, where
from common.periods import CalendarPeriod

COURSES_FILE = Path(__file__).resolve().parent / "courses.yml"
CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
DAY = timedelta(days=1)


class CoursesError(ValueError):
    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Period(CalendarPeriod):
    """Calendar years, months and days, computed in calendar terms as the rosters rules are: a
    2-year refresher completed 2023-06-02 is valid through 2025-06-01 (`valid_through`)."""

    def valid_through(self, completed_on: date) -> date:
        return self.add_to(completed_on) - DAY

    def approximate_days(self) -> int:
        return self.years * 365 + self.months * 30 + self.days

    def as_dict(self) -> dict:
        return {k: v for k, v in (("years", self.years), ("months", self.months), ("days", self.days)) if v}


class Module(Frozen):
    id: str
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1)
    media: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def plain_id(cls, value: str) -> str:
        if not ITEM_ID.match(value):
            raise ValueError("an id is lower case letters, digits, '-' and '_', up to 60")
        return value


class Content(Frozen):
    modules: tuple[Module, ...] = Field(min_length=1)


class Question(Frozen):
    id: str
    text: str = Field(min_length=1)
    choices: tuple[str, ...] = Field(min_length=2)
    answer: int = Field(ge=0)

    @field_validator("id")
    @classmethod
    def plain_id(cls, value: str) -> str:
        return Module.plain_id(value)

    @model_validator(mode="after")
    def answer_is_a_choice(self):
        if self.answer >= len(self.choices):
            raise ValueError("the answer is the index of one of the choices (0 is the first)")
        return self

    def out(self) -> QuestionOut:
        return QuestionOut(id=self.id, text=self.text, choices=list(self.choices))


class Quiz(Frozen):
    pass_mark: int = Field(ge=1, le=100)   # percent
    max_attempts: int | None = Field(None, ge=1, le=100)
    questions: tuple[Question, ...] = Field(min_length=1)


class Course(Frozen):
    code: str
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    delivery: Literal["online", "in_person"]
    duration_minutes: int = Field(gt=0, le=60 * 24 * 5)
    kind: Literal["application", "craft", "general"]
    prerequisites: tuple[str, ...] = ()
    refresher: Period | None = None
    questionnaire: str | None = None   # the questionnaire that chooses this course (HP)
    location: str | None = None        # in-person courses: where sessions are usually held
    illustrative: bool = True
    placeholder_content: bool = False
    content: Content | None = None
    quiz: Quiz | None = None

    @field_validator("code")
    @classmethod
    def code_is_upper(cls, value: str) -> str:
        if not CODE.match(value):
            raise ValueError("a course code is upper case letters, digits and '_', up to 40")
        return value

    @model_validator(mode="after")
    def online_courses_can_be_taken(self):
        if self.delivery == "online" and (self.content is None or self.quiz is None):
            raise ValueError("an online course needs `content` (modules) and a `quiz`")
        return self

    def out(self, questionnaire: Questionnaire | None = None) -> CourseOut:
        return CourseOut(code=self.code, title=self.title, description=self.description, delivery=self.delivery,
                         duration_minutes=self.duration_minutes, prerequisites=list(self.prerequisites),
                         refresher_days=self.refresher.approximate_days() if self.refresher else None,
                         refresher=self.refresher.as_dict() if self.refresher else None, kind=self.kind,
                         illustrative=self.illustrative, placeholder_content=self.placeholder_content,
                         location=self.location,
                         questionnaire=questionnaire.out() if questionnaire else None)

    def valid_through(self, completed_on: date) -> date | None:
        return self.refresher.valid_through(completed_on) if self.refresher else None


class QuestionnaireQuestion(Frozen):
    id: str
    text: str = Field(min_length=1)
    required: bool = False

    @field_validator("id")
    @classmethod
    def plain_id(cls, value: str) -> str:
        return Module.plain_id(value)


class Questionnaire(Frozen):
    """A yes to any question picks `if_yes`, otherwise `if_no`; the decision is published as the
    answer named `decides` (what the rosters catalog's questionnaire requirement reads)."""
    code: str
    title: str = Field(min_length=1)
    decides: str
    if_yes: str
    if_no: str
    questions: tuple[QuestionnaireQuestion, ...] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def code_is_upper(cls, value: str) -> str:
        return Course.code_is_upper(value)

    def out(self) -> QuestionnaireOut:
        return QuestionnaireOut(code=self.code, title=self.title, if_yes=self.if_yes, if_no=self.if_no,
                                questions=[QuestionnaireQuestionOut(id=q.id, text=q.text, required=q.required)
                                           for q in self.questions])

    def decide(self, answers: dict[str, bool]) -> tuple[str, dict[str, bool]] | list[str]:
        """(course code, answers as kept and published), or the problems with the answers."""
        known = {q.id for q in self.questions}
        problems = [f"{key!r} is not a question of this questionnaire" for key in answers
                    if key not in known]
        problems += [f"Answer the question {q.id!r}: {q.text}" for q in self.questions
                     if q.required and q.id not in answers]
        if problems:
            return problems
        yes = any(bool(answers.get(q.id)) for q in self.questions)
        kept = {q.id: bool(answers[q.id]) for q in self.questions if q.id in answers}
        kept[self.decides] = yes
        return (self.if_yes if yes else self.if_no), kept


class CoursesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    renew_within: Period = Period(days=90)
    default_max_attempts: int = Field(3, ge=1, le=100)
    training_centre: str | None = None
    questionnaires: tuple[Questionnaire, ...] = ()
    courses: tuple[Course, ...] = Field(min_length=1)


class Catalog:
    """The loaded catalog: courses by code, questionnaires by code."""

    def __init__(self, parsed: CoursesFile):
        self.courses = {c.code: c for c in parsed.courses}
        self.questionnaires = {q.code: q for q in parsed.questionnaires}
        self.renew_within = parsed.renew_within
        self.default_max_attempts = parsed.default_max_attempts
        self.training_centre = parsed.training_centre

    def __contains__(self, code: str) -> bool:
        return code in self.courses

    def get(self, code: str) -> Course | None:
        return self.courses.get(code)

    def title(self, code: str) -> str:
        course = self.courses.get(code)
        return course.title if course else code

    def questionnaire_of(self, course: Course) -> Questionnaire | None:
        return self.questionnaires.get(course.questionnaire) if course.questionnaire else None

    def max_attempts(self, course: Course) -> int:
        return (course.quiz.max_attempts if course.quiz and course.quiz.max_attempts
                else self.default_max_attempts)

    def prerequisite_codes(self, code: str) -> set[str]:
        """The courses that satisfy a prerequisite: itself, or any course of a questionnaire."""
        questionnaire = self.questionnaires.get(code)
        if questionnaire is not None:
            return {questionnaire.if_yes, questionnaire.if_no}
        return {code}

    def prerequisite_title(self, code: str) -> str:
        questionnaire = self.questionnaires.get(code)
        if questionnaire is not None:
            return f"{questionnaire.title} ({questionnaire.if_no} or {questionnaire.if_yes})"
        return f"course {code}"

    def out(self) -> list[CourseOut]:
        return [c.out(self.questionnaire_of(c)) for c in self.courses.values()]


def _cross_checks(parsed: CoursesFile, root, source: str) -> list[str]:
    problems = []
    seen: dict[str, int] = {}
    questionnaire_codes = {q.code for q in parsed.questionnaires}
    codes = {c.code for c in parsed.courses}
    for i, course in enumerate(parsed.courses):
        if course.code in seen:
            problems.append(where(root, source, ("courses", i, "code"),
                                   f"{course.code!r} is given twice (first as courses.{seen[course.code]})"))
        seen.setdefault(course.code, i)
        if course.code in questionnaire_codes:
            problems.append(where(root, source, ("courses", i, "code"),
                                   f"{course.code!r} is also a questionnaire's code"))
        for j, prerequisite in enumerate(course.prerequisites):
            if prerequisite not in codes and prerequisite not in questionnaire_codes:
                problems.append(where(root, source, ("courses", i, "prerequisites", j),
                                       f"{prerequisite!r} is not a course or a questionnaire"))
            if prerequisite == course.code:
                problems.append(where(root, source, ("courses", i, "prerequisites", j),
                                       "a course cannot be its own prerequisite"))
        if course.questionnaire is not None and course.questionnaire not in questionnaire_codes:
            problems.append(where(root, source, ("courses", i, "questionnaire"),
                                   f"{course.questionnaire!r} is not a questionnaire"))
        for part, items in (("content", course.content.modules if course.content else ()),
                            ("quiz", course.quiz.questions if course.quiz else ())):
            ids = [item.id for item in items]
            for dup in sorted({x for x in ids if ids.count(x) > 1}):
                problems.append(where(root, source, ("courses", i, part),
                                       f"the id {dup!r} is given twice in {course.code}"))
    for i, questionnaire in enumerate(parsed.questionnaires):
        for field in ("if_yes", "if_no"):
            if getattr(questionnaire, field) not in codes:
                problems.append(where(root, source, ("questionnaires", i, field),
                                       f"{getattr(questionnaire, field)!r} is not a course"))
    return problems


def parse_courses(text: str, source: str = "courses.yml") -> Catalog:
    parsed, root = parse_validated(text, CoursesFile, source, CoursesError, "`version` and `courses`")
    problems = _cross_checks(parsed, root, source)
    if problems:
        raise CoursesError(problems)
    return Catalog(parsed)


def load_courses(path: Path | str | None = None) -> Catalog:
    path = Path(path) if path is not None else COURSES_FILE
    return parse_courses(read_data_file(path, CoursesError), path.name)


class CoursesProvider(DependencyProvider):
    """`self.courses`: the catalog, loaded once when the service starts (a bad file stops it)."""

    def __init__(self, path: Path | str | None = None):
        self.path = path

    def setup(self):
        path = self.container.config.get("TRAINING_COURSES_FILE") or self.path
        self.catalog = load_courses(path)

    def get_dependency(self, worker_ctx):
        return self.catalog
